//! Objectives: a qualitative direction, an outcome for people.

use crate::ids::{CycleId, KeyResultId, ObjectiveId, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// The cycle it belongs to.
    pub cycle: CycleId,
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
    /// Its key results, in the order they were added (removed ones excluded).
    pub key_results: Vec<KeyResultId>,
    /// The objective of an earlier cycle it continues.
    pub carried_from: Option<ObjectiveId>,
    /// The objective of a later cycle that continues it.
    pub carried_to: Option<ObjectiveId>,
    /// Reasons given for amendments while Running, oldest first.
    pub amendments: Vec<String>,
}

/// The objectives an objective contributes to, with the contribution weights: a small map
/// sorted by id, kept in one exactly sized allocation (an objective aligns to one or two
/// parents, and alignments change rarely). Serialized as a JSON object, like a `BTreeMap`.
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alignments(Box<[(ObjectiveId, u32)]>);

impl Alignments {
    /// Sets the contribution to `parent`; returns the one it replaces.
    pub fn insert(&mut self, parent: ObjectiveId, contribution: u32) -> Option<u32> {
        match self.0.binary_search_by_key(&parent, |x| x.0) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, contribution)),
            Err(i) => {
                let mut v = Vec::with_capacity(self.0.len() + 1);
                v.extend_from_slice(&self.0[..i]);
                v.push((parent, contribution));
                v.extend_from_slice(&self.0[i..]);
                self.0 = v.into_boxed_slice();
                None
            }
        }
    }

    /// Removes the alignment to `parent`; returns its contribution.
    pub fn remove(&mut self, parent: &ObjectiveId) -> Option<u32> {
        let i = self.0.binary_search_by_key(parent, |x| x.0).ok()?;
        let mut v = std::mem::take(&mut self.0).into_vec();
        let (_, w) = v.remove(i);
        self.0 = v.into_boxed_slice();
        Some(w)
    }

    /// The contribution to `parent`, if aligned to it.
    pub fn get(&self, parent: &ObjectiveId) -> Option<&u32> {
        let i = self.0.binary_search_by_key(parent, |x| x.0).ok()?;
        Some(&self.0[i].1)
    }

    /// Whether it contributes to `parent`.
    pub fn contains_key(&self, parent: &ObjectiveId) -> bool {
        self.get(parent).is_some()
    }

    /// The number of parents.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it contributes to nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parents and contributions, by parent id.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectiveId, &u32)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The parents, by id.
    pub fn keys(&self) -> impl Iterator<Item = &ObjectiveId> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<'a> IntoIterator for &'a Alignments {
    type Item = (&'a ObjectiveId, &'a u32);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (ObjectiveId, u32)>,
        fn(&'a (ObjectiveId, u32)) -> (&'a ObjectiveId, &'a u32),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl FromIterator<(ObjectiveId, u32)> for Alignments {
    fn from_iter<I: IntoIterator<Item = (ObjectiveId, u32)>>(iter: I) -> Self {
        let m: BTreeMap<ObjectiveId, u32> = iter.into_iter().collect();
        Alignments(m.into_iter().collect())
    }
}

impl Serialize for Alignments {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Alignments {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<ObjectiveId, u32>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Alignments {
    fn is_referenceable() -> bool {
        <BTreeMap<ObjectiveId, u32>>::is_referenceable()
    }

    fn schema_name() -> String {
        <BTreeMap<ObjectiveId, u32>>::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        <BTreeMap<ObjectiveId, u32>>::json_schema(gen)
    }
}

impl crate::id_map::Keyed for Objective {
    type Key = ObjectiveId;

    fn key(&self) -> &ObjectiveId {
        &self.id
    }
}
