//! Compiles `tests/c/cycle.c` with the system C compiler against the built cdylib and the
//! committed header, runs it (on disk), and runs it again under valgrind (in memory).

use std::path::PathBuf;
use std::process::Command;

use crate::support::{crate_dir, lib_dir, require, run};

/// Compiles the C test program into `dir`, returning its path.
fn compile(dir: &std::path::Path) -> PathBuf {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let exe = dir.join("cycle");
    let lib = lib_dir();
    let output = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-o"])
        .arg(&exe)
        .arg(crate_dir().join("tests/c/cycle.c"))
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lokr_ffi")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
    assert!(
        output.status.success(),
        "compiling tests/c/cycle.c failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

#[test]
fn c_program_runs_a_whole_cycle() {
    if !require("cc", "the C test program") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = compile(dir.path());
    let store = dir.path().join("store");
    let mut command = Command::new(&exe);
    command.arg(&store);
    let (ok, stdout, stderr) = run(command);
    assert!(ok, "cycle.c failed:\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("\"cycle\":833333"), "{stdout}");
    assert!(stdout.trim_end().ends_with("cycle.c: ok"), "{stdout}");
}

#[test]
fn c_program_is_clean_under_valgrind() {
    if !require("cc", "the C test program") || !require("valgrind", "the valgrind run") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = compile(dir.path());
    // In memory: an on-disk sled store keeps process-wide background threads whose stacks
    // valgrind counts as "possibly lost" at exit; they are sled's, not this library's.
    let mut command = Command::new("valgrind");
    command
        .args([
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=1",
        ])
        .arg(&exe)
        .arg(":memory:");
    let (ok, stdout, stderr) = run(command);
    assert!(
        ok,
        "valgrind found errors:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.trim_end().ends_with("cycle.c: ok"), "{stdout}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
}
