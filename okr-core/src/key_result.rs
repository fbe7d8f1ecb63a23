//! Key results: "how do I know I am getting there?", from X to Y.

use crate::ids::{KeyResultId, ObjectiveId, PersonId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which side of a threshold is the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The value must stay at or above the threshold.
    AtLeast,
    /// The value must stay at or below the threshold.
    AtMost,
}

/// How a key result is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KrKind {
    /// Raise a value from `baseline` to `target` (target above baseline).
    Increase {
        /// The value at the start; `None` means "not measured yet" (linted), taken as 0.
        baseline: Option<f64>,
        /// The value to reach.
        target: f64,
        /// The unit of measure, e.g. `%` or `stars`.
        unit: Box<str>,
    },
    /// Lower a value from `baseline` to `target` (target below baseline).
    Decrease {
        /// The value at the start (required).
        baseline: Option<f64>,
        /// The value to reach.
        target: f64,
        /// The unit of measure, e.g. `days`.
        unit: Box<str>,
    },
    /// Keep a health value on the right side of a threshold.
    Threshold {
        /// Which side is right.
        bound: Bound,
        /// The threshold, inclusive.
        value: f64,
        /// The unit of measure.
        unit: Box<str>,
    },
    /// Done or not: a check-in's value is 0 (open) or 1 (done), and `decide` refuses any
    /// other value. Allowed, but linted as output-like.
    Milestone,
}

impl KrKind {
    /// The baseline as progress counts it: the given one, else 0.
    pub fn effective_baseline(&self) -> f64 {
        match self {
            KrKind::Increase { baseline, .. } | KrKind::Decrease { baseline, .. } => {
                baseline.unwrap_or(0.0)
            }
            KrKind::Threshold { .. } | KrKind::Milestone => 0.0,
        }
    }
}

/// A weekly check-in on a key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckIn {
    /// The measured value.
    pub value: f64,
    /// Confidence 0..=10 that the key result will be reached.
    pub confidence: u8,
    /// Free text (exactly sized: a check-in's note never grows).
    pub note: Box<str>,
    /// When the value was true.
    pub effective_at: DateTime<Utc>,
    /// When it was told.
    pub recorded_at: DateTime<Utc>,
    /// Who told it.
    pub by: PersonId,
}

/// Which 0-based cycle weeks (7-day blocks from the cycle's start date) had a check-in: a
/// set of week numbers in one `u64`.
///
/// Only weeks `0..WeekSet::LIMIT` are recorded; a check-in in a later week (a cycle longer
/// than 64 weeks, or a check-in effective after the end date of a long cycle) is counted in
/// [`KeyResult::check_in_count`] but not here, and [`WeekSet::insert`] says so by returning
/// `false`. Statistics measure check-in discipline over a cycle's first 64 weeks.
///
/// ```
/// use okr_core::WeekSet;
/// let mut w = WeekSet::default();
/// assert!(w.insert(0) && w.insert(12) && !w.insert(64));
/// assert!(w.contains(12) && !w.contains(1));
/// assert_eq!(w.count_below(13), 2);
/// assert_eq!(w.iter().collect::<Vec<_>>(), [0, 12]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct WeekSet(u64);

impl WeekSet {
    /// The number of weeks recorded: weeks `0..LIMIT`.
    pub const LIMIT: u32 = u64::BITS;

    /// Records a week; `false` when the week lies beyond [`WeekSet::LIMIT`] and is not recorded.
    pub fn insert(&mut self, week: u32) -> bool {
        if week >= Self::LIMIT {
            return false;
        }
        self.0 |= 1 << week;
        true
    }

    /// Whether the week had a check-in (always `false` from [`WeekSet::LIMIT`] on).
    pub fn contains(&self, week: u32) -> bool {
        week < Self::LIMIT && self.0 & (1 << week) != 0
    }

    /// How many of the weeks `0..n` had a check-in.
    pub fn count_below(&self, n: u32) -> u32 {
        if n >= Self::LIMIT {
            self.0.count_ones()
        } else {
            (self.0 & ((1u64 << n) - 1)).count_ones()
        }
    }

    /// Whether no week had a check-in.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The weeks with a check-in, in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..Self::LIMIT).filter(|w| self.contains(*w))
    }
}

/// A key result in a cycle's state: what it is and where it stands now. Its past check-ins
/// live in the log; [`crate::rollup::history`] folds them from the cycle's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyResult {
    /// Its id.
    pub id: KeyResultId,
    /// The objective it measures.
    pub objective: ObjectiveId,
    /// What it measures (exactly sized).
    pub title: Box<str>,
    /// Who owns it, if anyone.
    pub owner: Option<PersonId>,
    /// Its weight in the objective's mean (> 0).
    pub weight: u32,
    /// How it is measured.
    pub kind: KrKind,
    /// Its check-ins as the state keeps them: the latest, how many, which weeks.
    pub check_ins: CheckIns,
    /// Whether it was removed in Planning (removed key results keep no weight).
    pub removed: bool,
    /// The unit's KPI it refers to, if any (a KPI is never scored; the key result is).
    #[serde(default)]
    pub kpi: Option<crate::ids::KpiId>,
}

impl KeyResult {
    /// The latest check-in by `effective_at` (ties: the one told last).
    pub fn latest(&self) -> Option<LatestCheckIn<'_>> {
        self.check_ins.latest()
    }

    /// How many check-ins were told.
    pub fn check_in_count(&self) -> u32 {
        self.check_ins.count
    }

    /// Which cycle weeks had a check-in (by `effective_at`).
    pub fn check_in_weeks(&self) -> WeekSet {
        self.check_ins.weeks
    }
}

/// The latest check-in of a key result, borrowed from the state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatestCheckIn<'a> {
    /// The measured value.
    pub value: f64,
    /// Confidence 0..=10 that the key result will be reached.
    pub confidence: u8,
    /// Free text.
    pub note: &'a str,
    /// When the value was true.
    pub effective_at: DateTime<Utc>,
    /// When it was told.
    pub recorded_at: DateTime<Utc>,
    /// Who told it.
    pub by: PersonId,
}

impl LatestCheckIn<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> CheckIn {
        CheckIn {
            value: self.value,
            confidence: self.confidence,
            note: self.note.into(),
            effective_at: self.effective_at,
            recorded_at: self.recorded_at,
            by: self.by,
        }
    }
}

/// A key result's check-ins as the state keeps them: the latest (by `effective_at`, ties:
/// the one told last), how many were told and in which cycle weeks. The earlier check-ins
/// stay in the log ([`crate::rollup::history`] replays them).
///
/// The latest check-in's fields sit flat beside the count and the weeks, so that the whole
/// fits in 80 bytes. Serialized as `{"latest": CheckIn or null, "count": n, "weeks": bits}`.
///
/// ```
/// use okr_core::{CheckIn, CheckIns, PersonId};
/// let at = |d: u32| format!("2025-01-{d:02}T09:00:00Z").parse().unwrap();
/// let c = |value: f64, effective: u32, told: u32| CheckIn {
///     value,
///     confidence: 7,
///     note: "".into(),
///     effective_at: at(effective),
///     recorded_at: at(told),
///     by: PersonId::from_u128(1),
/// };
/// let mut s = CheckIns::default();
/// assert!(s.latest().is_none());
/// s.record(c(1.0, 10, 10), Some(0));
/// s.record(c(2.0, 8, 11), Some(0)); // told later, effective earlier: not the latest
/// s.record(c(3.0, 10, 12), Some(1)); // same instant as the first, told later: the latest
/// assert_eq!(s.latest().map(|x| x.value), Some(3.0));
/// assert_eq!((s.count(), s.weeks().iter().collect::<Vec<_>>()), (3, vec![0, 1]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIns {
    value: f64,
    note: Box<str>,
    weeks: WeekSet,
    effective_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    /// The latest check-in exists exactly when this is not 0 (it saturates, never wraps).
    count: u32,
    by: PersonId,
    confidence: u8,
}

impl Default for CheckIns {
    fn default() -> Self {
        CheckIns {
            value: 0.0,
            note: Box::default(),
            weeks: WeekSet::default(),
            effective_at: DateTime::<Utc>::MIN_UTC,
            recorded_at: DateTime::<Utc>::MIN_UTC,
            count: 0,
            by: PersonId::from_u128(0),
            confidence: 0,
        }
    }
}

impl CheckIns {
    /// The latest check-in by `effective_at` (ties: the one told last).
    pub fn latest(&self) -> Option<LatestCheckIn<'_>> {
        (self.count > 0).then_some(LatestCheckIn {
            value: self.value,
            confidence: self.confidence,
            note: &self.note,
            effective_at: self.effective_at,
            recorded_at: self.recorded_at,
            by: self.by,
        })
    }

    /// How many check-ins were told.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Which cycle weeks had a check-in (by `effective_at`).
    pub fn weeks(&self) -> WeekSet {
        self.weeks
    }

    /// Records a check-in told after every one recorded so far, in cycle week `week`
    /// (0-based; `None` before the cycle's start): it becomes the latest unless an
    /// earlier-told one is effective later.
    pub fn record(&mut self, check_in: CheckIn, week: Option<u32>) {
        if let Some(w) = week {
            self.weeks.insert(w);
        }
        if self.count == 0 || check_in.effective_at >= self.effective_at {
            self.value = check_in.value;
            self.note = check_in.note;
            self.effective_at = check_in.effective_at;
            self.recorded_at = check_in.recorded_at;
            self.by = check_in.by;
            self.confidence = check_in.confidence;
        }
        self.count = self.count.saturating_add(1);
    }
}

/// A key result's check-ins as the state keeps them: the latest, how many were told and in
/// which cycle weeks (the JSON form of [`CheckIns`]).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename = "CheckIns")]
struct CheckInsRepr {
    /// The latest check-in by `effective_at` (ties: the one told last).
    latest: Option<CheckIn>,
    /// How many check-ins were told.
    count: u32,
    /// Which cycle weeks had a check-in (bit `w` set: 0-based week `w`).
    weeks: WeekSet,
}

impl Serialize for CheckIns {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CheckInsRepr {
            latest: self.latest().map(|x| x.to_owned()),
            count: self.count,
            weeks: self.weeks,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CheckIns {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = CheckInsRepr::deserialize(deserializer)?;
        let mut s = CheckIns {
            weeks: r.weeks,
            ..CheckIns::default()
        };
        match r.latest {
            Some(latest) => {
                s.record(latest, None);
                s.count = r.count.max(1);
            }
            None if r.count > 0 => {
                return Err(serde::de::Error::custom(
                    "check-ins with a count but no latest check-in",
                ))
            }
            None => {}
        }
        Ok(s)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for CheckIns {
    fn schema_name() -> String {
        CheckInsRepr::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        CheckInsRepr::json_schema(gen)
    }
}

impl crate::id_map::Keyed for KeyResult {
    type Key = KeyResultId;

    fn key(&self) -> &KeyResultId {
        &self.id
    }
}

/// Changes to a key result; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyResultPatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<PersonId>,
    /// New weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// New kind (baseline, target, unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KrKind>,
}

impl KeyResultPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.owner.is_none() && self.weight.is_none() && self.kind.is_none()
    }
}
