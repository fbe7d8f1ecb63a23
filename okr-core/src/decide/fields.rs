//! Checks of a command's fields, shared by the handlers.

use crate::rejection::{Rejection, Rule};

pub(super) fn text(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(Rejection::field(field, "must not be empty"))
    } else {
        Ok(())
    }
}

pub(super) fn optional_text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub(super) fn reason_of(reason: &str, what: &str) -> Result<String, Rejection> {
    let r = reason.trim();
    if r.is_empty() {
        Err(Rejection::rule(
            Rule::ReasonRequired,
            format!("{what} needs a reason"),
        ))
    } else {
        Ok(r.to_string())
    }
}

pub(super) fn positive_weight(field: &str, weight: u32) -> Result<(), Rejection> {
    if weight == 0 {
        Err(Rejection::rule(
            Rule::WeightPositive,
            format!("{field} must be greater than 0"),
        ))
    } else {
        Ok(())
    }
}

pub(super) fn one_to_five(field: &str, v: u8) -> Result<(), Rejection> {
    if (1..=5).contains(&v) {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            format!("must lie in 1..=5, got {v}"),
        ))
    }
}

pub(super) fn finite(field: &str, v: f64) -> Result<(), Rejection> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            format!("must be a finite number, got {v}"),
        ))
    }
}

pub(super) fn score_ppm(field: &str, score: f64) -> Result<i64, Rejection> {
    finite(field, score)?;
    if !(0.0..=1.0).contains(&score) {
        return Err(Rejection::field(
            field,
            format!("must lie in 0.0..=1.0, got {score}"),
        ));
    }
    Ok((score * 1_000_000.0).round() as i64)
}

/// The checks every patch shares: it changes something, a new title is not blank, a new
/// weight is positive. Returns the new title trimmed, if the patch has one.
pub(super) fn patch_basics(
    is_empty: bool,
    title: &Option<String>,
    weight: Option<u32>,
) -> Result<Option<String>, Rejection> {
    if is_empty {
        return Err(Rejection::field("patch", "changes nothing"));
    }
    if let Some(t) = title {
        text("patch.title", t)?;
    }
    if let Some(w) = weight {
        positive_weight("patch.weight", w)?;
    }
    Ok(title.as_deref().map(|t| t.trim().to_string()))
}
