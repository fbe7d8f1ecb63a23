//! The organisation: a tree of units, people and their roles.

use crate::ids::{PersonId, UnitId};
use crate::small_map::SmallMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// An organisation, e.g. a commune or the federation of communes.
    Organisation,
    /// A department.
    Department,
    /// A team.
    Team,
    /// A committee, e.g. the steering committee ("Lenkungsausschuss").
    Committee,
}

/// A role a person holds in a unit; it applies to the unit and all units below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Facilitates the process; plans and advances cycles, administers the organisation.
    OkrMaster,
    /// Leads a unit: edits and commits its OKRs, escalates blockers, overrides scores.
    Lead,
    /// Edits the unit's OKRs, checks in, makes agreements, raises blockers.
    Member,
    /// Sits on a steering committee: decides escalated blockers.
    Steering,
    /// Reads only.
    Observer,
}

impl Role {
    /// Every role, in declaration order (index = `role as usize`; [`Roles`] keeps them as
    /// bits of a byte).
    pub const ALL: [Role; 5] = [
        Role::OkrMaster,
        Role::Lead,
        Role::Member,
        Role::Steering,
        Role::Observer,
    ];
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::OkrMaster => "okr_master",
            Role::Lead => "lead",
            Role::Member => "member",
            Role::Steering => "steering",
            Role::Observer => "observer",
        })
    }
}

/// A node of the organisation tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Its display name (exactly sized).
    pub name: Box<str>,
    /// What it is.
    pub kind: UnitKind,
    /// The unit above it; `None` for the root.
    pub parent: Option<UnitId>,
    /// Retired units keep their history but take no new work.
    pub retired: bool,
    /// Roles held in this unit, per person (only people who hold a role).
    pub members: SmallMap<PersonId, Roles>,
}

/// A registered person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Person {
    /// Their id.
    pub id: PersonId,
    /// Their display name (exactly sized); [`pseudonym`] once they were forgotten.
    pub name: Box<str>,
    /// Their number in the order of registration, from 1: what their pseudonym is made of.
    #[serde(default)]
    pub number: u32,
    /// Whether the person was forgotten (`forget_person`): the name is a pseudonym, and the
    /// texts they wrote read as [`ERASED_TEXT`] where the store destroyed their key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forgotten: bool,
}

/// The name a forgotten person goes by: `ehemaliges Mitglied N`, with their registration
/// number ([`Person::number`]), so the same person always gets the same pseudonym.
///
/// ```
/// assert_eq!(okr_core::pseudonym(7), "ehemaliges Mitglied 7");
/// ```
pub fn pseudonym(number: u32) -> String {
    format!("ehemaliges Mitglied {number}")
}

/// What a free text of a forgotten person reads as, once their key is destroyed.
pub const ERASED_TEXT: &str = "[gelöscht]";

/// A set of [`Role`]s in one byte; serialized as a JSON array of roles in declaration order,
/// like a `BTreeSet<Role>`.
///
/// ```
/// use okr_core::{Role, Roles};
/// let mut r = Roles::default();
/// assert!(r.insert(Role::Member) && r.insert(Role::OkrMaster) && !r.insert(Role::Member));
/// assert!(r.contains(&Role::Member) && !r.contains(&Role::Lead));
/// assert_eq!(r.iter().collect::<Vec<_>>(), [Role::OkrMaster, Role::Member]);
/// assert!(r.remove(&Role::Member) && !r.remove(&Role::Member) && r.len() == 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    fn bit(role: Role) -> u8 {
        1 << role as u8
    }

    /// Adds a role; `false` if it was held already.
    pub fn insert(&mut self, role: Role) -> bool {
        let held = self.contains(&role);
        self.0 |= Self::bit(role);
        !held
    }

    /// Removes a role; `false` if it was not held.
    pub fn remove(&mut self, role: &Role) -> bool {
        let held = self.contains(role);
        self.0 &= !Self::bit(*role);
        held
    }

    /// Whether the role is held.
    pub fn contains(&self, role: &Role) -> bool {
        self.0 & Self::bit(*role) != 0
    }

    /// Whether no role is held.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The number of roles held.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The roles held, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        Role::ALL.into_iter().filter(|r| self.contains(r))
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut r = Roles::default();
        for role in iter {
            r.insert(role);
        }
        r
    }
}

impl Serialize for Roles {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Roles {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeSet::<Role>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Roles {
    fn is_referenceable() -> bool {
        <BTreeSet<Role>>::is_referenceable()
    }

    fn schema_name() -> String {
        <BTreeSet<Role>>::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        <BTreeSet<Role>>::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_role_at_its_index() {
        for (i, r) in Role::ALL.iter().enumerate() {
            // A new role must be added to `ALL` (the match below stops compiling).
            let at = match r {
                Role::OkrMaster => 0,
                Role::Lead => 1,
                Role::Member => 2,
                Role::Steering => 3,
                Role::Observer => 4,
            };
            assert_eq!((*r as usize, at), (i, i));
        }
        assert!(
            Role::ALL.len() <= 8,
            "Roles keeps one bit per role in a byte"
        );
    }

    #[test]
    fn members_serialize_as_person_to_roles() {
        // A unit's members in a SmallMap serialize as before: person → array of roles.
        let members: SmallMap<u32, Roles> =
            [(1, [Role::Member, Role::OkrMaster].into_iter().collect())]
                .into_iter()
                .collect();
        assert_eq!(
            serde_json::to_string(&members).unwrap(),
            r#"{"1":["okr_master","member"]}"#
        );
    }
}
