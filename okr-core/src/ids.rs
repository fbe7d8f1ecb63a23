//! Identifiers. Every id is a UUID chosen by the caller; okr-core never generates one.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps a UUID chosen by the caller.
            pub const fn new(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// An id built from a number, handy in tests and generated workloads.
            pub const fn from_u128(n: u128) -> Self {
                Self(Uuid::from_u128(n))
            }

            /// The UUID inside.
            pub const fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    )*};
}

id_type!(
    /// A unit of the organisation tree (organisation, department, team, committee).
    UnitId,
    /// A registered person.
    PersonId,
    /// An OKR cycle (a practice sprint or a regular quarter).
    CycleId,
    /// An objective of a cycle.
    ObjectiveId,
    /// A key result of an objective.
    KeyResultId,
    /// An agreement made in a weekly ("what should be different by then").
    AgreementId,
    /// A blocker raised by a unit.
    BlockerId,
    /// An initiative (Kanban card) on a key result.
    InitiativeId,
    /// A retrospective item (keep / improve / stop / try).
    RetroItemId,
    /// A retrospective action.
    RetroActionId,
    /// A unit's Kennzahl (health metric or SLA), kept apart from OKRs.
    KpiId,
);

/// The kinds of entity an id can name; used in rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A [`UnitId`].
    Unit,
    /// A [`PersonId`].
    Person,
    /// A [`CycleId`].
    Cycle,
    /// An [`ObjectiveId`].
    Objective,
    /// A [`KeyResultId`].
    KeyResult,
    /// An [`AgreementId`].
    Agreement,
    /// A [`BlockerId`].
    Blocker,
    /// An [`InitiativeId`].
    Initiative,
    /// A [`RetroItemId`].
    RetroItem,
    /// A [`RetroActionId`].
    RetroAction,
    /// A membership (unit, person, role).
    Membership,
    /// A [`KpiId`].
    Kpi,
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            EntityKind::Unit => "unit",
            EntityKind::Person => "person",
            EntityKind::Cycle => "cycle",
            EntityKind::Objective => "objective",
            EntityKind::KeyResult => "key result",
            EntityKind::Agreement => "agreement",
            EntityKind::Blocker => "blocker",
            EntityKind::Initiative => "initiative",
            EntityKind::RetroItem => "retro item",
            EntityKind::RetroAction => "retro action",
            EntityKind::Membership => "membership",
            EntityKind::Kpi => "KPI",
        };
        f.write_str(s)
    }
}

/// An event stream: one for the organisation, one per cycle. Each stream has its own
/// version (its number of events), which a command's expected version is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StreamId {
    /// Units, people and memberships.
    Organisation,
    /// Everything that happens inside one cycle.
    Cycle(CycleId),
}

impl StreamId {
    /// The stream's stable name as a store keeps it: `org` or `cycle-<uuid>`.
    pub fn name(&self) -> String {
        // Written out rather than through `Display`: stores and the engine name a stream per
        // append, and the formatting machinery was a visible share of a batch's time.
        match self {
            StreamId::Organisation => "org".to_owned(),
            StreamId::Cycle(c) => {
                let mut buf = Uuid::encode_buffer();
                let uuid = c.0.hyphenated().encode_lower(&mut buf);
                let mut name = String::with_capacity(6 + uuid.len());
                name.push_str("cycle-");
                name.push_str(uuid);
                name
            }
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Organisation => f.write_str("org"),
            StreamId::Cycle(c) => write!(f, "cycle-{}", c.0),
        }
    }
}

impl std::str::FromStr for StreamId {
    type Err = ParseStreamIdError;

    /// Reads a name as [`StreamId::name`] writes it: `org`, or `cycle-` and a UUID in its
    /// hyphenated lower-case form. Every other spelling is refused, so that a stream has
    /// exactly one name.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let error = || ParseStreamIdError {
            name: name.to_owned(),
        };
        if name == "org" {
            return Ok(StreamId::Organisation);
        }
        let uuid = name.strip_prefix("cycle-").ok_or_else(error)?;
        let id = Uuid::try_parse(uuid).map_err(|_| error())?;
        let stream = StreamId::Cycle(CycleId(id));
        // `Uuid` also reads upper case, braces and the simple form.
        if uuid.len() != uuid::fmt::Hyphenated::LENGTH
            || uuid.bytes().any(|b| b.is_ascii_uppercase())
        {
            return Err(error());
        }
        Ok(stream)
    }
}

/// A name that is not a stream's: neither `org` nor `cycle-<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseStreamIdError {
    /// The name that was refused.
    pub name: String,
}

impl fmt::Display for ParseStreamIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a stream name: expected \"org\" or \"cycle-\" and a lower-case hyphenated UUID",
            self.name
        )
    }
}

impl std::error::Error for ParseStreamIdError {}

#[cfg(test)]
mod stream_name_tests {
    use super::*;

    #[test]
    fn a_stream_name_reads_back_and_other_spellings_are_refused() {
        let cycle = StreamId::Cycle(CycleId::from_u128(0xabc));
        for stream in [StreamId::Organisation, cycle] {
            assert_eq!(stream.name().parse::<StreamId>(), Ok(stream));
        }
        let upper = format!(
            "cycle-{}",
            Uuid::from_u128(0xabc).to_string().to_uppercase()
        );
        let simple = format!("cycle-{}", Uuid::from_u128(0xabc).simple());
        for bad in ["", "Org", "org ", "cycle-", "cycle-x", &upper, &simple] {
            let err = bad.parse::<StreamId>().unwrap_err();
            assert_eq!(err.name, bad);
            assert!(err.to_string().contains("is not a stream name"), "{err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_are_what_display_writes() {
        let cycle = StreamId::Cycle(CycleId::from_u128(
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        ));
        assert_eq!(cycle.name(), "cycle-01234567-89ab-cdef-0011-223344556677");
        assert_eq!(cycle.name(), cycle.to_string());
        assert_eq!(StreamId::Organisation.name(), "org");
        assert_eq!(
            StreamId::Organisation.name(),
            StreamId::Organisation.to_string()
        );
    }
}
