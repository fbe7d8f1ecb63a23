//! The organisation: a tree of units, people and their roles.

use crate::ids::{PersonId, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
    /// Its display name.
    pub name: String,
    /// What it is.
    pub kind: UnitKind,
    /// The unit above it; `None` for the root.
    pub parent: Option<UnitId>,
    /// Retired units keep their history but take no new work.
    pub retired: bool,
    /// Roles held in this unit, per person.
    pub members: BTreeMap<PersonId, BTreeSet<Role>>,
}

/// A registered person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Person {
    /// Their id.
    pub id: PersonId,
    /// Their display name.
    pub name: String,
}
