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

/// The header PHP's FFI loads (`clients/php/ffi/okr.h`): the declarations of `include/okr.h`
/// without comments and preprocessor lines (so `okr_result` is `uint32_t`), inputs as
/// `const char *` (PHP passes strings only there; the same pointer in C), and the `FFI_SCOPE`
/// and `FFI_LIB` defines that `FFI::load`, `ffi.preload` and `opcache.preload` read.
fn php_header(c_header: &str) -> String {
    // PHP reads the FFI_ defines only at the very top of the file, before any comment.
    let mut out = String::from(
        "#define FFI_SCOPE \"OKR\"\n#define FFI_LIB \"libokr_ffi.so\"\n\
         /* PHP FFI header of libokr_ffi, derived from okr-ffi/include/okr.h. Do not edit:\n   \
         regenerate with `OKR_BLESS=1 cargo test -p okr-ffi --test it header`.\n   \
         FFI_LIB is found by the dynamic loader (LD_LIBRARY_PATH, ldconfig) or may be made an\n   \
         absolute path when installing. */\n",
    );
    let mut in_enum = false;
    let mut in_block_comment = false;
    for line in c_header.lines() {
        let t = line.trim();
        if in_block_comment {
            in_block_comment = !t.contains("*/");
            continue;
        }
        if t.starts_with("/*") {
            in_block_comment = !t.contains("*/");
            continue;
        }
        if t.starts_with("enum okr_result") {
            in_enum = true;
            continue;
        }
        if in_enum {
            in_enum = !t.starts_with("};");
            continue;
        }
        if t.is_empty()
            || t.starts_with("//")
            || t.starts_with('#')
            || t.starts_with("extern \"C\"")
            || t.starts_with("}  // extern")
            || t.contains("okr_result okr_result;")
        {
            continue;
        }
        if t.starts_with("typedef struct") {
            out.push('\n');
        }
        // PHP passes a string only to a `char *` parameter; the pointer is the same.
        if t.starts_with("const uint8_t *okr_bytes_data") {
            out.push_str(line);
        } else {
            out.push_str(&line.replace("const uint8_t *", "const char *"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn php_header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let c_header = std::fs::read_to_string(dir.join("include/okr.h")).expect("include/okr.h");
    let generated = php_header(&c_header);
    assert!(
        generated.contains("okr_result okr_engine_subscribe("),
        "{generated}"
    );
    assert!(!generated.contains("//"), "no comments left");
    let path = dir.join("../clients/php/ffi/okr.h");
    if std::env::var_os("OKR_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write clients/php/ffi/okr.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "clients/php/ffi/okr.h is out of date with include/okr.h; regenerate it with: \
         OKR_BLESS=1 cargo test -p okr-ffi --test it header"
    );
}

/// Every `OKR_RESULT_*` code of the C header, as `(name, number)` in the header's order.
fn header_result_codes(c_header: &str) -> Vec<(String, u32)> {
    c_header
        .lines()
        .filter_map(|l| l.trim().strip_prefix("OKR_RESULT_"))
        .filter_map(|l| {
            let (name, number) = l.split_once(" = ")?;
            Some((name.to_string(), number.trim_end_matches(',').parse().ok()?))
        })
        .collect()
}

/// The PHP client's `Okr\Result` constants are the header's result codes, every one of
/// them, with the same numbers (a code added to the ABI must reach PHP too).
#[test]
fn php_result_constants_are_the_headers_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let c_header = std::fs::read_to_string(dir.join("include/okr.h")).expect("include/okr.h");
    let header = header_result_codes(&c_header);
    assert!(header.len() >= 20, "codes parsed from okr.h: {header:?}");
    let php = std::fs::read_to_string(dir.join("../clients/php/src/Result.php"))
        .expect("clients/php/src/Result.php");
    let constants: Vec<(String, u32)> = php
        .lines()
        .filter_map(|l| l.trim().strip_prefix("public const "))
        .filter_map(|l| {
            let (name, number) = l.split_once(" = ")?;
            Some((name.to_string(), number.trim_end_matches(';').parse().ok()?))
        })
        .collect();
    assert_eq!(
        constants, header,
        "clients/php/src/Result.php must list okr.h's result codes in order"
    );
}
