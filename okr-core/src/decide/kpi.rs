//! Handlers of the KPI commands: defining a unit's Kennzahl, recording its readings, and
//! linking a key result to one.

use super::fields::text;
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::event::EventBody;
use crate::i18n::{self, Lang, Text};
use crate::ids::EntityKind;
use crate::key_result::Bound;
use crate::rejection::{Rejection, Rule};

impl Ctx<'_> {
    /// The KPI commands, after the rules table admitted them.
    pub(super) fn kpi_command(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::DefineKpi {
                kpi,
                unit,
                name,
                unit_of_measure,
                bound,
                threshold,
                warning,
            } => {
                text("name", name)?;
                finite("threshold", *threshold)?;
                if let Some(w) = warning {
                    finite("warning", *w)?;
                    let wrong_side = match bound {
                        Bound::AtLeast => *w >= *threshold,
                        Bound::AtMost => *w <= *threshold,
                    };
                    if wrong_side {
                        return Err(Rejection::field(
                            "warning",
                            Text::new(
                                format!(
                                    "{w} is not on the unhealthy side of the threshold {threshold} \
                                     (bound {})",
                                    match bound {
                                        Bound::AtLeast => {
                                            "at_least: the warning level lies below it"
                                        }
                                        Bound::AtMost => "at_most: the warning level lies above it",
                                    }
                                ),
                                format!(
                                    "Die Warnschwelle {} liegt nicht auf der ungesunden Seite \
                                     der Schwelle {} (Grenze {}).",
                                    i18n::number(*w, Lang::De),
                                    i18n::number(*threshold, Lang::De),
                                    match bound {
                                        Bound::AtLeast => {
                                            "`at_least`: die Warnschwelle liegt darunter"
                                        }
                                        Bound::AtMost => {
                                            "`at_most`: die Warnschwelle liegt darüber"
                                        }
                                    }
                                ),
                            ),
                        ));
                    }
                }
                Ok(vec![EventBody::KpiDefined {
                    kpi: *kpi,
                    unit: *unit,
                    name: name.trim().to_string(),
                    unit_of_measure: unit_of_measure.trim().to_string(),
                    bound: *bound,
                    threshold: *threshold,
                    warning: *warning,
                }])
            }
            C::RecordKpi {
                kpi,
                value,
                effective_at,
            } => {
                finite("value", *value)?;
                let at = effective_at.unwrap_or(self.env.at);
                if at > self.env.at {
                    return Err(Rejection::rule(
                        Rule::EffectiveAtInRange,
                        Text::new(
                            format!(
                                "a KPI reading effective {at} lies after the time it is told, {}",
                                self.env.at
                            ),
                            format!(
                                "Ein Kennzahlwert mit Stichtag {} UTC liegt nach dem Zeitpunkt \
                                 seiner Meldung, {} UTC.",
                                Lang::De.date_time(at),
                                Lang::De.date_time(self.env.at)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::KpiRecorded {
                    kpi: *kpi,
                    value: *value,
                    effective_at: at,
                }])
            }
            C::LinkKpi { key_result, kpi } => {
                let (c, o, _) = self.key_result(*key_result, None)?;
                let k = self.s.kpis.get(kpi).ok_or_else(|| {
                    Rejection::field(
                        "kpi",
                        Text::new(
                            format!("unknown {} {kpi}", EntityKind::Kpi),
                            format!("Die Kennzahl {kpi} ist unbekannt."),
                        ),
                    )
                })?;
                if !self.s.ancestors(o.unit).contains(&k.unit) {
                    return Err(Rejection::rule(
                        Rule::KpiOfTheUnit,
                        Text::new(
                            format!(
                                "KPI \"{}\" belongs to {}, not to {} or a unit above it",
                                k.name,
                                self.unit_name(k.unit),
                                self.unit_name(o.unit)
                            ),
                            format!(
                                "Die Kennzahl „{}“ gehört zu {}, nicht zu {} oder einer Einheit \
                                 darüber.",
                                k.name,
                                self.unit_name(k.unit),
                                self.unit_name(o.unit)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::KeyResultLinkedToKpi {
                    cycle: c.id,
                    key_result: *key_result,
                    kpi: *kpi,
                }])
            }
            _ => unreachable!("`{}` is not a KPI command", body.name()),
        }
    }
}

fn finite(field: &str, v: f64) -> Result<(), Rejection> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            Text::new(
                format!("{v} is not a finite number"),
                format!("{v} ist keine endliche Zahl."),
            ),
        ))
    }
}
