//! The PHP client's FFI transport (`clients/php`) against the built library, loaded the
//! way PHP-FPM loads it: `ffi.enable=preload` with the header preloaded by `ffi.preload`
//! (requests use `FFI::scope("OKR")`), and again with the classes preloaded by
//! `opcache.preload`. Needs `php` (Debian's php-cli, whose php-common carries FFI).

use std::process::Command;

use crate::support::{crate_dir, lib_dir, on_path};

#[test]
fn php_ffi_client_under_preload() {
    if !on_path("php") {
        assert!(
            std::env::var_os("CI").is_none(),
            "php is required when CI is set (.ci/run installs php-cli)"
        );
        eprintln!("note: php not found; skipping the PHP FFI client (apt-get install php-cli)");
        return;
    }
    let php = crate_dir().join("../clients/php");
    let header = php.join("ffi/okr.h");
    let preload = php.join("preload.php");
    let runs: [Vec<String>; 2] = [
        vec![
            "-d".into(),
            "ffi.enable=preload".into(),
            "-d".into(),
            format!("ffi.preload={}", header.display()),
        ],
        vec![
            "-d".into(),
            "ffi.enable=preload".into(),
            "-d".into(),
            format!("ffi.preload={}", header.display()),
            "-d".into(),
            "opcache.enable_cli=1".into(),
            "-d".into(),
            format!("opcache.preload={}", preload.display()),
            "-d".into(),
            "opcache.preload_user=nobody".into(),
        ],
    ];
    for args in runs {
        let out = Command::new("php")
            .args(&args)
            .arg(php.join("tests/run.php"))
            .arg("ffi")
            .env("LD_LIBRARY_PATH", lib_dir())
            .output()
            .expect("php runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "php {args:?}: {text}");
        assert!(text.contains("run.php ffi: ok"), "{text}");
    }
}
