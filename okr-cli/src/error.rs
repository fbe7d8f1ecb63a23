//! The command's errors and their exit codes: 1 for refused commands and invalid input,
//! 2 for storage failures.

use okr_store::EngineError;
use std::fmt;
use std::path::Path;

/// Why a run failed. The message names the file, line and field where there is one.
#[derive(Debug)]
pub enum CliError {
    /// A command was refused by the rules, or the input is invalid (exit code 1).
    Invalid(String),
    /// The store or an output file failed (exit code 2).
    Storage(String),
    /// Whoever read the output stopped reading (`okr export - | head`): not a failure, the
    /// run ends quietly with exit code 0, as Unix tools do.
    OutputClosed,
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::OutputClosed => 0,
            CliError::Invalid(_) => 1,
            CliError::Storage(_) => 2,
        }
    }

    /// Invalid input.
    pub fn invalid(msg: impl Into<String>) -> Self {
        CliError::Invalid(msg.into())
    }

    /// An engine error, classified: refusals and bad input are 1, storage failures 2.
    pub fn engine(context: &str, e: EngineError) -> Self {
        match e {
            EngineError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                CliError::OutputClosed
            }
            // Bad input, not a storage failure: the store's own words, without the
            // engine's "storage failure:" prefix.
            EngineError::Store(inner @ okr_store::StoreError::InvalidLocation { .. }) => {
                CliError::Invalid(format!("{context}: {inner}"))
            }
            EngineError::Store(_) | EngineError::Corrupt { .. } | EngineError::Io(_) => {
                CliError::Storage(format!("{context}: {e}"))
            }
            other => CliError::Invalid(format!("{context}: {other}")),
        }
    }

    /// Reading an input file failed.
    pub fn read(path: &Path, e: std::io::Error) -> Self {
        CliError::Invalid(format!("{}: cannot read: {e}", path.display()))
    }

    /// Writing an output file (or standard output) failed.
    pub fn write(path: &Path, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::OutputClosed;
        }
        CliError::Storage(format!("{}: cannot write: {e}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Invalid(m) | CliError::Storage(m) => f.write_str(m),
            CliError::OutputClosed => f.write_str("the reader closed standard output"),
        }
    }
}

/// The result of a subcommand.
pub type CliResult<T = ()> = Result<T, CliError>;
