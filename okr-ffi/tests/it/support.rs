//! Helpers shared by the tests that load the built library from another language.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of the cdylib cargo built for these tests: the test binary lives in
/// `target/<profile>/deps/`, the library in `target/<profile>/` (and in `deps/`).
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let profile = deps.parent().expect("target/<profile>");
    // deps/ first: that copy is the one built with this test binary; the one in the
    // profile directory is only refreshed by `cargo build` and may be older.
    for dir in [deps, profile] {
        if dir.join(lib_name()).is_file() {
            return dir.to_path_buf();
        }
    }
    panic!(
        "{} was not found in {} or {}: cargo builds the cdylib together with the rlib these \
         tests link; run them with `cargo test -p okr-ffi`",
        lib_name(),
        profile.display(),
        deps.display()
    );
}

/// The file name of the shared library on this platform.
pub fn lib_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "libokr_ffi.dylib"
    } else if cfg!(windows) {
        "okr_ffi.dll"
    } else {
        "libokr_ffi.so"
    }
}

/// The crate's directory.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `program` can be run from PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// When a tool is missing: fails under CI (`CI` set), otherwise prints a note and returns
/// `false` so that the test can return early.
pub fn require(program: &str, why: &str) -> bool {
    if on_path(program) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`{program}` is not on PATH but CI is set: install it ({why})"
    );
    eprintln!("note: `{program}` is not on PATH; skipping {why}");
    false
}

/// Runs a command, returning (status success, stdout, stderr), with the library directory on
/// the loader path.
pub fn run(mut command: Command) -> (bool, String, String) {
    let dir = lib_dir();
    let var = if cfg!(target_os = "macos") {
        "DYLD_LIBRARY_PATH"
    } else {
        "LD_LIBRARY_PATH"
    };
    let mut paths = vec![dir];
    if let Some(old) = std::env::var_os(var) {
        paths.extend(std::env::split_paths(&old));
    }
    command.env(var, std::env::join_paths(paths).expect("library path"));
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
