//! Runs `tests/python/test_cycle.py`, a ctypes client, against the built cdylib.

use std::process::Command;

use crate::support::{crate_dir, lib_dir, lib_name, require, run};

#[test]
fn python_ctypes_client_runs_a_cycle() {
    if !require("python3", "the Python ctypes test") {
        return;
    }
    let mut command = Command::new("python3");
    command
        .arg(crate_dir().join("tests/python/test_cycle.py"))
        .arg(lib_dir().join(lib_name()));
    let (ok, stdout, stderr) = run(command);
    assert!(
        ok,
        "test_cycle.py failed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("test_cycle.py: ok"), "{stdout}");
}
