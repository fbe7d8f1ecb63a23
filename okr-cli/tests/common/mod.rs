//! What the tests of the `okr` binary share: running it in a directory, as a user would.

/// The binary under test.
pub const OKR: &str = env!("CARGO_BIN_EXE_okr");

/// One run of the binary.
pub struct Run {
    /// The exit code (-1 when a signal ended it).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `okr` with `args` in `dir`, with no standard input.
pub fn okr(dir: &std::path::Path, args: &[&str]) -> Run {
    let out = std::process::Command::new(OKR)
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the okr binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
