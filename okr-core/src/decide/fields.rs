//! Checks of a command's fields, shared by the handlers.

use crate::i18n::{self, Lang, Text};
use crate::rejection::{Rejection, Rule};

pub(super) fn text(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(Rejection::field(
            field,
            Text::new("must not be empty", "Das Feld darf nicht leer sein."),
        ))
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

/// A reason that must be given for `what` (English, German: `("amending an objective
/// while running", "Die nachträgliche Änderung eines laufenden Objectives")`).
pub(super) fn reason_of(reason: &str, what: (&str, &str)) -> Result<String, Rejection> {
    let r = reason.trim();
    if r.is_empty() {
        Err(Rejection::rule(
            Rule::ReasonRequired,
            Text::new(
                format!("{} needs a reason", what.0),
                format!("{} braucht eine Begründung; geben Sie sie an.", what.1),
            ),
        ))
    } else {
        Ok(r.to_string())
    }
}

pub(super) fn positive_weight(field: &str, weight: u32) -> Result<(), Rejection> {
    if weight == 0 {
        Err(Rejection::rule(
            Rule::WeightPositive,
            Text::new(
                format!("{field} must be greater than 0"),
                format!("Das Gewicht `{field}` muss größer als 0 sein."),
            ),
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
            Text::new(
                format!("must lie in 1..=5, got {v}"),
                format!("Der Wert muss zwischen 1 und 5 liegen, angegeben ist {v}."),
            ),
        ))
    }
}

pub(super) fn finite(field: &str, v: f64) -> Result<(), Rejection> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            Text::new(
                format!("must be a finite number, got {v}"),
                format!("Der Wert muss eine endliche Zahl sein, angegeben ist {v}."),
            ),
        ))
    }
}

pub(super) fn score_ppm(field: &str, score: f64) -> Result<i64, Rejection> {
    finite(field, score)?;
    if !(0.0..=1.0).contains(&score) {
        return Err(Rejection::field(
            field,
            Text::new(
                format!("must lie in 0.0..=1.0, got {score}"),
                format!(
                    "Die Bewertung muss zwischen 0 und 1 liegen, angegeben ist {}.",
                    i18n::number(score, Lang::De)
                ),
            ),
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
        return Err(Rejection::field(
            "patch",
            Text::new("changes nothing", "Die Änderung ändert nichts."),
        ));
    }
    if let Some(t) = title {
        text("patch.title", t)?;
    }
    if let Some(w) = weight {
        positive_weight("patch.weight", w)?;
    }
    Ok(title.as_deref().map(|t| t.trim().to_string()))
}
