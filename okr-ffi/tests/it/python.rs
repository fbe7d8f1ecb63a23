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

/// The tests' PostgreSQL server (`OKR_TEST_POSTGRES_URL`, see `.ci/postgres.sh`): `None`
/// with a note outside CI, a failure in CI.
fn postgres_url() -> Option<String> {
    match std::env::var("OKR_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but OKR_TEST_POSTGRES_URL is not: .ci/run starts a server with .ci/postgres.sh"
            );
            eprintln!("note: OKR_TEST_POSTGRES_URL is not set, skipping a PostgreSQL test");
            None
        }
    }
}

/// Four Python processes, each with its own engine through the C ABI, execute check-ins on
/// one PostgreSQL organisation at once (`tests/python/test_processes.py` checks the rest).
/// `OKR_PG_COMMANDS` sets the commands per process (default 500).
#[test]
fn python_processes_share_one_postgres_log() {
    if !require("python3", "the Python ctypes test") {
        return;
    }
    let Some(url) = postgres_url() else { return };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let organisation = format!("ffi-{}-{nanos}", std::process::id());
    let per = std::env::var("OKR_PG_COMMANDS").unwrap_or_else(|_| "500".to_owned());
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("test_processes.py");
    std::fs::copy(crate_dir().join("tests/python/test_processes.py"), &script).unwrap();
    std::fs::copy(
        crate_dir().join("tests/python/test_cycle.py"),
        dir.path().join("test_cycle.py"),
    )
    .unwrap();
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg(lib_dir().join(lib_name()))
        .arg(&url)
        .arg(&organisation)
        .arg("4")
        .arg(&per);
    let (ok, stdout, stderr) = run(command);
    assert!(
        ok,
        "test_processes.py failed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("test_processes.py: ok"), "{stdout}");
}
