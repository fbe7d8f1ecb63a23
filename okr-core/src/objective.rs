//! Objectives: a qualitative direction, an outcome for people.

use crate::ids::{KeyResultId, ObjectiveId, UnitId};
use crate::small_map::SmallMap;
use serde::{Deserialize, Serialize};

/// Whether an objective is expected to be reached fully or stretched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveKind {
    /// Expected to reach 1.0.
    Committed,
    /// Expected around 0.7.
    Aspirational,
}

/// Where an objective stands in Planning and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveStatus {
    /// Being formulated.
    Draft,
    /// Agreed by the unit; counts in rollups.
    Committed,
    /// Given up; kept for the record.
    Dropped,
}

/// The text of an objective ("Veränderung + Mehrwert + für Menschen"), exactly sized.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectiveText {
    /// The objective's title.
    pub title: Box<str>,
    /// For whom ("für Menschen").
    #[serde(default)]
    pub beneficiary: Option<Box<str>>,
    /// Which change in behaviour ("Veränderung").
    #[serde(default)]
    pub change: Option<Box<str>>,
    /// Which value it brings ("Mehrwert").
    #[serde(default)]
    pub value: Option<Box<str>>,
}

/// Changes to an objective; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectivePatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New beneficiary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<String>,
    /// New change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    /// New value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// New kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ObjectiveKind>,
    /// New weight in its unit's rollup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

impl ObjectivePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.beneficiary.is_none()
            && self.change.is_none()
            && self.value.is_none()
            && self.kind.is_none()
            && self.weight.is_none()
    }
}

/// An objective in a cycle's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Objective {
    /// Its id.
    pub id: ObjectiveId,
    /// The unit that owns it.
    pub unit: UnitId,
    /// Title, beneficiary, change, value.
    pub text: ObjectiveText,
    /// Committed or aspirational.
    pub kind: ObjectiveKind,
    /// Its weight in the unit's rollup (> 0).
    pub weight: u32,
    /// Draft, committed or dropped.
    pub status: ObjectiveStatus,
    /// Objectives it contributes to, with the contribution weight (≥ 0).
    pub aligned_to: Alignments,
    /// Its key results, in the order they were added (removed ones excluded); exactly sized.
    pub key_results: Box<[KeyResultId]>,
    /// The objective of an earlier cycle it continues.
    pub carried_from: Option<ObjectiveId>,
    /// The objective of a later cycle that continues it.
    pub carried_to: Option<ObjectiveId>,
    /// Reasons given for amendments while Running, oldest first; exactly sized.
    pub amendments: Box<[Box<str>]>,
    /// The steering committee that approved it as a cross-unit objective, if one did.
    #[serde(default)]
    pub approved_by: Option<UnitId>,
    /// Objectives of other units it depends on („hängt ab von“), in the order linked;
    /// shown for transparency, never scored.
    #[serde(default)]
    pub depends_on: Box<[ObjectiveId]>,
}

/// The objectives an objective contributes to, with the contribution weights (an objective
/// aligns to one or two parents, and alignments change rarely).
///
/// ```
/// use okr_core::{Alignments, ObjectiveId};
/// let (a, b) = (ObjectiveId::from_u128(2), ObjectiveId::from_u128(1));
/// let mut m = Alignments::default();
/// assert_eq!(m.insert(a, 3), None);
/// assert_eq!(m.insert(b, 1), None);
/// assert_eq!(m.insert(a, 4), Some(3));
/// assert_eq!(m.iter().collect::<Vec<_>>(), [(&b, &1), (&a, &4)]);
/// assert_eq!(m.remove(&b), Some(1));
/// assert!(m.contains_key(&a) && !m.contains_key(&b) && m.len() == 1);
/// ```
pub type Alignments = SmallMap<ObjectiveId, u32>;

impl crate::id_map::Keyed for Objective {
    type Key = ObjectiveId;

    fn key(&self) -> &ObjectiveId {
        &self.id
    }
}
