//! Progress bars on stderr, drawn only when stderr is a terminal.
//!
//! [`ProgressDrawTarget::stderr`] hides itself when stderr is not a terminal (indicatif
//! checks `is_term()` before drawing), so piped runs and tests see no progress output; we
//! also check [`std::io::IsTerminal`] ourselves so that the rule does not hang on one
//! library's behaviour.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A bar of `len` units of `what` (bytes when `bytes`).
pub fn bar(len: u64, what: &str, bytes: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), target());
    let template = if bytes {
        format!("{{spinner}} {what} [{{bar:40}}] {{bytes}}/{{total_bytes}} ({{eta}})")
    } else {
        format!("{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{eta}})")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        pb.set_style(style.progress_chars("#>-"));
    }
    pb
}

/// A counter without a known end.
pub fn counter(what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target());
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{spinner}} {what}: {{pos}} ({{per_sec}})"))
    {
        pb.set_style(style);
    }
    pb
}

/// A spinner while something without steps runs.
pub fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target());
    if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {what} {{elapsed}}")) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(100));
    pb
}
