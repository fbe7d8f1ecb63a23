//! The committed header `include/okr.h` is what cbindgen generates from this crate.
//! `OKR_BLESS=1 cargo test -p okr-ffi --test it header` rewrites it.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = dir.join("include/okr.h");
    if std::env::var_os("OKR_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/okr.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/okr.h is out of date with the Rust sources (first difference at line {}).\n\
             Regenerate it with: OKR_BLESS=1 cargo test -p okr-ffi",
            first + 1
        );
    }
}
