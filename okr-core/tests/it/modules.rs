//! okr-core's top-level modules import each other without circles: the `crate::x` paths in
//! each module's code (comments left out) form a graph with no cycle. The test prints the
//! layers, lowest first, with `--nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name → the `.rs` files it is made of.
fn modules(src: &Path) -> BTreeMap<String, Vec<std::path::PathBuf>> {
    let mut mods = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let files = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect();
            mods.insert(name, files);
        } else if path.extension().is_some_and(|x| x == "rs") && name != "lib" {
            mods.insert(name, vec![path]);
        }
    }
    mods
}

/// The modules a piece of code names as `crate::x` or inside `crate::{x, …}`.
fn named(code: &str, known: &BTreeMap<String, Vec<std::path::PathBuf>>) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            group.split(',').map(str::trim).collect()
        } else {
            vec![rest]
        };
        for n in names {
            let ident: String = n
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if known.contains_key(&ident) {
                out.insert(ident);
            }
        }
    }
    out
}

#[test]
fn modules_import_each_other_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, files) in &mods {
        let mut d = BTreeSet::new();
        for f in files {
            d.extend(named(&std::fs::read_to_string(f).unwrap(), &mods));
        }
        d.remove(name);
        deps.insert(name.clone(), d);
    }
    // Peel off layers: a module whose imports are all in lower layers.
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut layers = Vec::new();
    while placed.len() < deps.len() {
        let layer: BTreeSet<String> = deps
            .iter()
            .filter(|(m, d)| !placed.contains(*m) && d.is_subset(&placed))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            let left: BTreeMap<_, _> = deps
                .iter()
                .filter(|(m, _)| !placed.contains(*m))
                .map(|(m, d)| (m, d.difference(&placed).collect::<Vec<_>>()))
                .collect();
            panic!("okr-core's modules import each other in a circle among {left:#?}");
        }
        placed.extend(layer.iter().cloned());
        layers.push(layer);
    }
    for (i, l) in layers.iter().enumerate() {
        println!(
            "layer {i}: {}",
            l.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
}
