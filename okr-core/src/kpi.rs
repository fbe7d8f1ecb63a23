//! A unit's Kennzahlen: health metrics and service levels (SLAs) kept apart from OKRs.
//! A KPI has a threshold, an optional warning level and check-ins (readings); it has a
//! health status and is never scored. A key result may refer to one (`link_kpi`) when an
//! objective sets out to move it.

use crate::ids::{KpiId, UnitId};
use crate::key_result::Bound;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A unit's health metric or service level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Kpi {
    /// Its id.
    pub id: KpiId,
    /// The unit it belongs to.
    pub unit: UnitId,
    /// What it measures, e.g. „Verfügbarkeit des Bürgerportals“.
    pub name: Box<str>,
    /// Unit of measure, e.g. `%`.
    pub unit_of_measure: Box<str>,
    /// Which side of the threshold is healthy.
    pub bound: Bound,
    /// The threshold: at least or at most this is healthy.
    pub threshold: f64,
    /// Between the threshold and this level the KPI is in warning; beyond it, breached.
    /// Without one, anything on the wrong side of the threshold is breached.
    pub warning: Option<f64>,
    /// The latest reading, if any.
    pub latest: Option<KpiReading>,
    /// How many readings were recorded.
    pub readings: u32,
}

/// One reading of a KPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KpiReading {
    /// The value.
    pub value: f64,
    /// When it was true.
    pub at: DateTime<Utc>,
}

/// A KPI's health: where its latest reading stands against its threshold. Never a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum KpiHealth {
    /// No reading yet.
    Unknown,
    /// On the healthy side of the threshold (inclusive).
    Healthy,
    /// On the wrong side of the threshold, within the warning level (inclusive).
    Warning,
    /// Beyond the warning level, or on the wrong side of a threshold without one.
    Breached,
}

impl Kpi {
    /// The health of `value` against the thresholds.
    ///
    /// ```
    /// use okr_core::{Bound, Kpi, KpiHealth, KpiId, UnitId};
    /// let kpi = Kpi {
    ///     id: KpiId::from_u128(1),
    ///     unit: UnitId::from_u128(2),
    ///     name: "Verfügbarkeit des Bürgerportals".into(),
    ///     unit_of_measure: "%".into(),
    ///     bound: Bound::AtLeast,
    ///     threshold: 99.5,
    ///     warning: Some(98.0),
    ///     latest: None,
    ///     readings: 0,
    /// };
    /// assert_eq!(kpi.health_of(99.5), KpiHealth::Healthy);
    /// assert_eq!(kpi.health_of(98.0), KpiHealth::Warning);
    /// assert_eq!(kpi.health_of(97.9), KpiHealth::Breached);
    /// assert_eq!(kpi.health(), KpiHealth::Unknown);
    /// ```
    pub fn health_of(&self, value: f64) -> KpiHealth {
        let ok = |limit: f64| match self.bound {
            Bound::AtLeast => value >= limit,
            Bound::AtMost => value <= limit,
        };
        if ok(self.threshold) {
            KpiHealth::Healthy
        } else if self.warning.is_some_and(ok) {
            KpiHealth::Warning
        } else {
            KpiHealth::Breached
        }
    }

    /// The health of the latest reading.
    pub fn health(&self) -> KpiHealth {
        self.latest
            .as_ref()
            .map_or(KpiHealth::Unknown, |r| self.health_of(r.value))
    }
}

impl std::fmt::Display for KpiHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KpiHealth::Unknown => "unknown",
            KpiHealth::Healthy => "healthy",
            KpiHealth::Warning => "warning",
            KpiHealth::Breached => "breached",
        })
    }
}
