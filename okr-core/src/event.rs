//! Events: one per fact, in the past tense. Their JSON form is a public, versioned contract.

use crate::ids::{
    AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, KpiId, ObjectiveId, PersonId,
    RetroActionId, RetroItemId, StreamId, UnitId,
};
use crate::key_result::{KeyResultPatch, KrKind};
use crate::objective::{ObjectiveKind, ObjectivePatch, ObjectiveText};
use crate::organisation::{Role, UnitKind};
use crate::policy::{CycleKind, Policy};
use crate::review::{ManualScore, RetroKind, ScoreProvenance};
use crate::weekly::{AgreementOutcome, InitiativeStatus, Party};
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::de::{self, DeserializeSeed, EnumAccess, IntoDeserializer, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// An event: when, by whom, what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    /// When the command that caused it was given (the envelope's `at`).
    pub at: DateTime<Utc>,
    /// Who gave it (the envelope's actor).
    pub by: PersonId,
    /// What happened.
    pub body: EventBody,
}

impl Event {
    /// The stream the event belongs to.
    pub fn stream(&self) -> StreamId {
        self.body.stream()
    }
}

/// Declares [`EventBody`] and, from the same variant list, its externally tagged twin
/// `ByType`, which [`EventBody::deserialize_of_type`] reads a payload into when the type name
/// is already known from the envelope: serde's internally tagged form buffers every payload
/// before it can pick the variant, the twin reads it straight into the variant's fields.
macro_rules! event_bodies {
    (
        $(#[$meta:meta])*
        pub enum EventBody {
            $(
                $(#[$vmeta:meta])*
                $variant:ident {
                    $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum EventBody {
            $( $(#[$vmeta])* $variant { $( $(#[$fmeta])* $field: $ty ),* } ),*
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum ByType {
            $(
                $variant {
                    /// The payload's own type name, checked against the envelope's.
                    #[serde(rename = "type")]
                    tag: String,
                    $( $field: $ty ),*
                }
            ),*
        }

        impl ByType {
            /// The body, and the type name the payload states.
            fn into_body(self) -> (EventBody, String) {
                match self {
                    $( ByType::$variant { tag, $($field),* } => (EventBody::$variant { $($field),* }, tag) ),*
                }
            }
        }
    };
}

event_bodies! {
/// What happened. Every type has a schema version ([`EventBody::schema_version`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBody {
    /// A unit was defined.
    UnitDefined {
        /// The unit.
        unit: UnitId,
        /// Its name.
        name: String,
        /// What it is.
        kind: UnitKind,
        /// Its parent.
        parent: Option<UnitId>,
    },
    /// A unit was renamed.
    UnitRenamed {
        /// The unit.
        unit: UnitId,
        /// Its new name.
        name: String,
    },
    /// A unit was moved below another parent.
    UnitMoved {
        /// The unit.
        unit: UnitId,
        /// Its new parent.
        parent: UnitId,
    },
    /// A unit was retired.
    UnitRetired {
        /// The unit.
        unit: UnitId,
    },
    /// A person was registered.
    PersonRegistered {
        /// The person.
        person: PersonId,
        /// Their name.
        name: String,
    },
    /// A person was forgotten: the event records that it happened, not what was erased.
    /// From here on the person is a pseudonym ([`crate::pseudonym`]); a store destroys the
    /// key their name and texts were sealed with.
    PersonForgotten {
        /// The person.
        person: PersonId,
        /// Why.
        reason: String,
    },
    /// A role was granted.
    MembershipGranted {
        /// The unit.
        unit: UnitId,
        /// The person.
        person: PersonId,
        /// The role.
        role: Role,
    },
    /// A role was revoked.
    MembershipRevoked {
        /// The unit.
        unit: UnitId,
        /// The person.
        person: PersonId,
        /// The role.
        role: Role,
    },
    /// A unit's KPI was defined.
    KpiDefined {
        /// The KPI.
        kpi: KpiId,
        /// Its unit.
        unit: UnitId,
        /// What it measures.
        name: String,
        /// Unit of measure.
        unit_of_measure: String,
        /// Which side of the threshold is healthy.
        bound: crate::key_result::Bound,
        /// The threshold.
        threshold: f64,
        /// The warning level, if any.
        warning: Option<f64>,
    },
    /// A KPI reading was recorded.
    KpiRecorded {
        /// The KPI.
        kpi: KpiId,
        /// The value.
        value: f64,
        /// When it was true.
        effective_at: DateTime<Utc>,
    },
    /// A cycle was planned.
    CyclePlanned {
        /// The cycle.
        cycle: CycleId,
        /// Its name.
        name: String,
        /// Practice or regular.
        kind: CycleKind,
        /// First day.
        start: NaiveDate,
        /// Last day.
        end: NaiveDate,
        /// Check-in weekday.
        check_in_weekday: Weekday,
        /// The policy in force.
        policy: Policy,
    },
    /// A cycle's policy was replaced.
    PolicySet {
        /// The cycle.
        cycle: CycleId,
        /// The new policy.
        policy: Policy,
    },
    /// A cycle started running.
    CycleStarted {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle's review began.
    ReviewBegun {
        /// The cycle.
        cycle: CycleId,
        /// The reason, when early.
        early_reason: Option<String>,
    },
    /// A cycle's retrospective began.
    RetrospectiveBegun {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle was closed.
    CycleClosed {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle was cancelled.
    CycleCancelled {
        /// The cycle.
        cycle: CycleId,
        /// Why.
        reason: String,
    },
    /// An objective was drafted.
    ObjectiveDrafted {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// The owning unit.
        unit: UnitId,
        /// Title, beneficiary, change, value.
        text: ObjectiveText,
        /// Committed or aspirational.
        kind: ObjectiveKind,
        /// Weight.
        weight: u32,
    },
    /// An objective was revised in Planning.
    ObjectiveRevised {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// What changed.
        patch: ObjectivePatch,
    },
    /// An objective was aligned to another.
    ObjectiveAligned {
        /// The cycle.
        cycle: CycleId,
        /// The contributing objective.
        objective: ObjectiveId,
        /// The objective it contributes to.
        parent: ObjectiveId,
        /// Contribution weight.
        contribution: u32,
    },
    /// An alignment link was removed.
    ObjectiveUnaligned {
        /// The cycle.
        cycle: CycleId,
        /// The contributing objective.
        objective: ObjectiveId,
        /// The objective it contributed to.
        parent: ObjectiveId,
    },
    /// An objective was committed.
    ObjectiveCommitted {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
    },
    /// An objective was dropped.
    ObjectiveDropped {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// Why, if told.
        reason: Option<String>,
    },
    /// An objective was amended while Running.
    ObjectiveAmended {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// What changed.
        patch: ObjectivePatch,
        /// Why.
        reason: String,
    },
    /// A key result was linked to a KPI.
    KeyResultLinkedToKpi {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// The KPI.
        kpi: KpiId,
    },
    /// A steering committee approved a cross-unit objective.
    ObjectiveApproved {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// The committee.
        committee: UnitId,
    },
    /// An objective was recorded as depending on an objective of another unit.
    DependencyLinked {
        /// The cycle.
        cycle: CycleId,
        /// The objective that depends.
        objective: ObjectiveId,
        /// The objective it depends on.
        depends_on: ObjectiveId,
    },
    /// A dependency link was removed.
    DependencyUnlinked {
        /// The cycle.
        cycle: CycleId,
        /// The objective that depended.
        objective: ObjectiveId,
        /// The objective it depended on.
        depends_on: ObjectiveId,
    },
    /// A key result was added.
    KeyResultAdded {
        /// The cycle.
        cycle: CycleId,
        /// The objective.
        objective: ObjectiveId,
        /// The key result.
        key_result: KeyResultId,
        /// What it measures.
        title: String,
        /// How.
        kind: KrKind,
        /// Weight.
        weight: u32,
        /// Owner.
        owner: Option<PersonId>,
    },
    /// A key result was revised in Planning.
    KeyResultRevised {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// What changed.
        patch: KeyResultPatch,
    },
    /// A key result was removed in Planning.
    KeyResultRemoved {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
    },
    /// A key result was amended while Running.
    KeyResultAmended {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// What changed.
        patch: KeyResultPatch,
        /// Why.
        reason: String,
    },
    /// A check-in was told.
    CheckedIn {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// The value.
        value: f64,
        /// Confidence 0..=10.
        confidence: u8,
        /// Free text.
        note: String,
        /// When the value was true.
        effective_at: DateTime<Utc>,
    },
    /// An agreement was made.
    AgreementMade {
        /// The cycle.
        cycle: CycleId,
        /// The agreement.
        agreement: AgreementId,
        /// The unit.
        unit: UnitId,
        /// What.
        text: String,
        /// Who takes it on.
        owner: Option<PersonId>,
        /// By when.
        due: Option<NaiveDate>,
        /// The date of the weekly that made it (absent in events recorded before weeklies
        /// carried a date: then the day of the event).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weekly: Option<NaiveDate>,
        /// Who provides something for it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<Party>,
        /// What the provider provides.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provides: Option<String>,
        /// For whom it is done.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receiver: Option<Party>,
        /// What happens if it is not kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequence: Option<String>,
    },
    /// An agreement was resolved.
    AgreementResolved {
        /// The cycle.
        cycle: CycleId,
        /// The agreement.
        agreement: AgreementId,
        /// Kept or missed.
        outcome: AgreementOutcome,
        /// The date of the weekly that resolved it (absent in older events: then the day
        /// of the event).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weekly: Option<NaiveDate>,
    },
    /// A blocker was raised.
    BlockerRaised {
        /// The cycle.
        cycle: CycleId,
        /// The blocker.
        blocker: BlockerId,
        /// The unit.
        unit: UnitId,
        /// The key result it holds up.
        key_result: Option<KeyResultId>,
        /// What is in the way.
        text: String,
    },
    /// A blocker was escalated to a committee.
    BlockerEscalated {
        /// The cycle.
        cycle: CycleId,
        /// The blocker.
        blocker: BlockerId,
        /// The committee.
        to: UnitId,
    },
    /// A committee decided an escalated blocker.
    BlockerDecided {
        /// The cycle.
        cycle: CycleId,
        /// The blocker.
        blocker: BlockerId,
        /// What was decided.
        decision: String,
    },
    /// An initiative was added.
    InitiativeAdded {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// The initiative.
        initiative: InitiativeId,
        /// What.
        title: String,
        /// Effort 1..=5.
        effort: u8,
        /// Impact 1..=5.
        impact: u8,
    },
    /// An initiative moved on the board.
    InitiativeMoved {
        /// The cycle.
        cycle: CycleId,
        /// The initiative.
        initiative: InitiativeId,
        /// Its new column.
        status: InitiativeStatus,
    },
    /// A review score was overridden.
    ScoreOverridden {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// The score in ppm.
        score_ppm: i64,
        /// Why.
        reason: String,
    },
    /// A review note was added.
    ReviewNoteAdded {
        /// The cycle.
        cycle: CycleId,
        /// The note.
        text: String,
    },
    /// A retrospective item was added.
    RetroItemAdded {
        /// The cycle.
        cycle: CycleId,
        /// The item.
        item: RetroItemId,
        /// Keep / improve / stop / try.
        kind: RetroKind,
        /// What.
        text: String,
    },
    /// A retrospective action was added.
    RetroActionAdded {
        /// The cycle.
        cycle: CycleId,
        /// The action.
        action: RetroActionId,
        /// What.
        text: String,
        /// Who.
        owner: PersonId,
        /// The item it answers.
        item: Option<RetroItemId>,
    },
    /// A retrospective action of an earlier cycle was followed up in a later one (recorded
    /// in the later cycle's stream).
    RetroActionFollowedUp {
        /// The later cycle in which it was followed up.
        cycle: CycleId,
        /// The action.
        action: RetroActionId,
        /// The cycle whose retrospective added it.
        of_cycle: CycleId,
        /// Whether it was done.
        done: bool,
    },
    /// An objective was carried over into a later cycle (recorded in that cycle's stream).
    ObjectiveCarriedOver {
        /// The later cycle.
        cycle: CycleId,
        /// The new objective there.
        objective: ObjectiveId,
        /// The cycle it came from.
        from_cycle: CycleId,
        /// The objective it continues.
        from_objective: ObjectiveId,
        /// The owning unit.
        unit: UnitId,
        /// Its text.
        text: ObjectiveText,
        /// Committed or aspirational.
        kind: ObjectiveKind,
        /// Weight.
        weight: u32,
    },
    /// A score was corrected after close.
    ScoreCorrected {
        /// The cycle.
        cycle: CycleId,
        /// The key result.
        key_result: KeyResultId,
        /// The corrected score in ppm.
        score_ppm: i64,
        /// Why.
        reason: String,
    },
}
}

impl EventBody {
    /// Decodes a payload whose type name is known from elsewhere (an event envelope's
    /// `event_type`), reading the payload's fields straight into the variant instead of
    /// buffering the whole payload first as the tagged form must. Accepts and refuses what
    /// deserializing the payload as an `EventBody` does, and also requires the payload's own
    /// `type` to equal `event_type`.
    ///
    /// ```
    /// use okr_core::EventBody;
    /// let json = r#"{"type":"unit_renamed","unit":"00000000-0000-0000-0000-000000000001","name":"Bauamt"}"#;
    /// let mut payload = serde_json::Deserializer::from_str(json);
    /// let body = EventBody::deserialize_of_type("unit_renamed", &mut payload).unwrap();
    /// assert_eq!(body, serde_json::from_str::<EventBody>(json).unwrap());
    /// let mut payload = serde_json::Deserializer::from_str(json);
    /// assert!(EventBody::deserialize_of_type("unit_moved", &mut payload).is_err());
    /// ```
    pub fn deserialize_of_type<'de, D: Deserializer<'de>>(
        event_type: &str,
        payload: D,
    ) -> Result<EventBody, D::Error> {
        let (body, tag) = ByType::deserialize(Typed {
            event_type,
            payload,
        })?
        .into_body();
        if tag != event_type {
            return Err(de::Error::custom(format!(
                "the payload's type {tag:?} is not the event type {event_type:?}"
            )));
        }
        Ok(body)
    }
}

/// A payload with its type name: an externally tagged enum for serde.
struct Typed<'a, D> {
    event_type: &'a str,
    payload: D,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Typed<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom("an event payload is read as an enum"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

impl<'de, D: Deserializer<'de>> EnumAccess<'de> for Typed<'_, D> {
    type Error = D::Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), D::Error> {
        let variant = seed.deserialize(self.event_type.into_deserializer())?;
        Ok((variant, self))
    }
}

impl<'de, D: Deserializer<'de>> VariantAccess<'de> for Typed<'_, D> {
    type Error = D::Error;

    fn unit_variant(self) -> Result<(), D::Error> {
        Err(de::Error::custom("every event type has fields"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, D::Error> {
        Err(de::Error::custom("every event type has named fields"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, D::Error> {
        Err(de::Error::custom("every event type has named fields"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.payload
            .deserialize_struct("EventBody", fields, visitor)
    }
}

impl EventBody {
    /// The event's stable type name, as in its JSON `type` field.
    pub fn event_type(&self) -> &'static str {
        match self {
            EventBody::UnitDefined { .. } => "unit_defined",
            EventBody::UnitRenamed { .. } => "unit_renamed",
            EventBody::UnitMoved { .. } => "unit_moved",
            EventBody::UnitRetired { .. } => "unit_retired",
            EventBody::PersonRegistered { .. } => "person_registered",
            EventBody::PersonForgotten { .. } => "person_forgotten",
            EventBody::MembershipGranted { .. } => "membership_granted",
            EventBody::MembershipRevoked { .. } => "membership_revoked",
            EventBody::KpiDefined { .. } => "kpi_defined",
            EventBody::KpiRecorded { .. } => "kpi_recorded",
            EventBody::CyclePlanned { .. } => "cycle_planned",
            EventBody::PolicySet { .. } => "policy_set",
            EventBody::CycleStarted { .. } => "cycle_started",
            EventBody::ReviewBegun { .. } => "review_begun",
            EventBody::RetrospectiveBegun { .. } => "retrospective_begun",
            EventBody::CycleClosed { .. } => "cycle_closed",
            EventBody::CycleCancelled { .. } => "cycle_cancelled",
            EventBody::ObjectiveDrafted { .. } => "objective_drafted",
            EventBody::ObjectiveRevised { .. } => "objective_revised",
            EventBody::ObjectiveAligned { .. } => "objective_aligned",
            EventBody::ObjectiveUnaligned { .. } => "objective_unaligned",
            EventBody::ObjectiveCommitted { .. } => "objective_committed",
            EventBody::ObjectiveDropped { .. } => "objective_dropped",
            EventBody::ObjectiveAmended { .. } => "objective_amended",
            EventBody::KeyResultLinkedToKpi { .. } => "key_result_linked_to_kpi",
            EventBody::ObjectiveApproved { .. } => "objective_approved",
            EventBody::DependencyLinked { .. } => "dependency_linked",
            EventBody::DependencyUnlinked { .. } => "dependency_unlinked",
            EventBody::KeyResultAdded { .. } => "key_result_added",
            EventBody::KeyResultRevised { .. } => "key_result_revised",
            EventBody::KeyResultRemoved { .. } => "key_result_removed",
            EventBody::KeyResultAmended { .. } => "key_result_amended",
            EventBody::CheckedIn { .. } => "checked_in",
            EventBody::AgreementMade { .. } => "agreement_made",
            EventBody::AgreementResolved { .. } => "agreement_resolved",
            EventBody::BlockerRaised { .. } => "blocker_raised",
            EventBody::BlockerEscalated { .. } => "blocker_escalated",
            EventBody::BlockerDecided { .. } => "blocker_decided",
            EventBody::InitiativeAdded { .. } => "initiative_added",
            EventBody::InitiativeMoved { .. } => "initiative_moved",
            EventBody::ScoreOverridden { .. } => "score_overridden",
            EventBody::ReviewNoteAdded { .. } => "review_note_added",
            EventBody::RetroItemAdded { .. } => "retro_item_added",
            EventBody::RetroActionAdded { .. } => "retro_action_added",
            EventBody::RetroActionFollowedUp { .. } => "retro_action_followed_up",
            EventBody::ObjectiveCarriedOver { .. } => "objective_carried_over",
            EventBody::ScoreCorrected { .. } => "score_corrected",
        }
    }

    /// The schema version of this event type. Every type starts at 1; a store lifts older
    /// payloads with upcasters before they reach [`crate::State::apply`].
    pub fn schema_version(&self) -> u32 {
        1
    }

    /// The cycle the event belongs to, `None` for organisation events.
    pub fn cycle(&self) -> Option<CycleId> {
        use EventBody::*;
        match self {
            UnitDefined { .. }
            | UnitRenamed { .. }
            | UnitMoved { .. }
            | UnitRetired { .. }
            | PersonRegistered { .. }
            | PersonForgotten { .. }
            | MembershipGranted { .. }
            | MembershipRevoked { .. }
            | KpiDefined { .. }
            | KpiRecorded { .. } => None,
            CyclePlanned { cycle, .. }
            | PolicySet { cycle, .. }
            | CycleStarted { cycle }
            | ReviewBegun { cycle, .. }
            | RetrospectiveBegun { cycle }
            | CycleClosed { cycle }
            | CycleCancelled { cycle, .. }
            | ObjectiveDrafted { cycle, .. }
            | ObjectiveRevised { cycle, .. }
            | ObjectiveAligned { cycle, .. }
            | ObjectiveUnaligned { cycle, .. }
            | ObjectiveCommitted { cycle, .. }
            | ObjectiveDropped { cycle, .. }
            | ObjectiveAmended { cycle, .. }
            | KeyResultLinkedToKpi { cycle, .. }
            | ObjectiveApproved { cycle, .. }
            | DependencyLinked { cycle, .. }
            | DependencyUnlinked { cycle, .. }
            | KeyResultAdded { cycle, .. }
            | KeyResultRevised { cycle, .. }
            | KeyResultRemoved { cycle, .. }
            | KeyResultAmended { cycle, .. }
            | CheckedIn { cycle, .. }
            | AgreementMade { cycle, .. }
            | AgreementResolved { cycle, .. }
            | BlockerRaised { cycle, .. }
            | BlockerEscalated { cycle, .. }
            | BlockerDecided { cycle, .. }
            | InitiativeAdded { cycle, .. }
            | InitiativeMoved { cycle, .. }
            | ScoreOverridden { cycle, .. }
            | ReviewNoteAdded { cycle, .. }
            | RetroItemAdded { cycle, .. }
            | RetroActionAdded { cycle, .. }
            | RetroActionFollowedUp { cycle, .. }
            | ObjectiveCarriedOver { cycle, .. }
            | ScoreCorrected { cycle, .. } => Some(*cycle),
        }
    }

    /// The stream the event belongs to.
    pub fn stream(&self) -> StreamId {
        match self.cycle() {
            Some(c) => StreamId::Cycle(c),
            None => StreamId::Organisation,
        }
    }
}

/// What kind of personal data a field of an event holds (see [`Event::personal_data_mut`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalKind {
    /// A person's name: it is that person's.
    Name,
    /// A free text a person wrote (a check-in note, an agreement, a reason, …): it is its
    /// author's, the acting person of the event.
    Text,
}

/// One field of an event that holds personal data, borrowed mutably so that a store can seal
/// or unseal it in place.
#[derive(Debug)]
pub struct PersonalField<'a> {
    /// Whose personal data it is: the named person for a name, the event's actor for a text.
    pub owner: PersonId,
    /// Name or free text.
    pub kind: PersonalKind,
    /// The field's name in the event's JSON.
    pub field: &'static str,
    /// The value.
    pub value: &'a mut String,
}

impl Event {
    /// Every field of the event that holds personal data: people's names (the person's) and
    /// the free texts people write (their author's, the event's actor): check-in notes,
    /// agreement texts (what is agreed, what a provider provides, the consequence), blocker
    /// and decision texts, review notes, retrospective items and actions,
    /// and the reasons of amendments, drops, cancellations, early reviews, overrides,
    /// corrections and erasures. An absent optional text is no field.
    ///
    /// What is not personal data here: the names of units, cycles and KPIs and the texts of
    /// objectives, key results and initiatives describe the units' work, not a person, and
    /// belong to the unit. Ids are facts: a forgotten person keeps their id, their roles and
    /// what they own, under a pseudonym.
    ///
    /// The match is exhaustive, so a new event type has to say which of its fields are
    /// personal.
    ///
    /// ```
    /// use okr_core::{Event, EventBody, PersonId, PersonalKind, CycleId};
    /// let mut e = Event {
    ///     at: "2025-01-06T09:00:00Z".parse().unwrap(),
    ///     by: PersonId::from_u128(7),
    ///     body: EventBody::ReviewNoteAdded { cycle: CycleId::from_u128(1), text: "Gut gelaufen".into() },
    /// };
    /// let fields = e.personal_data_mut();
    /// assert_eq!(fields.len(), 1);
    /// assert_eq!((fields[0].owner, fields[0].kind), (PersonId::from_u128(7), PersonalKind::Text));
    /// ```
    pub fn personal_data_mut(&mut self) -> Vec<PersonalField<'_>> {
        use EventBody::*;
        let by = self.by;
        fn field<'a>(
            owner: PersonId,
            field: &'static str,
            value: &'a mut String,
        ) -> PersonalField<'a> {
            PersonalField {
                owner,
                kind: PersonalKind::Text,
                field,
                value,
            }
        }
        match &mut self.body {
            PersonRegistered { person, name } => vec![PersonalField {
                owner: *person,
                kind: PersonalKind::Name,
                field: "name",
                value: name,
            }],
            PersonForgotten { reason, .. }
            | CycleCancelled { reason, .. }
            | ObjectiveAmended { reason, .. }
            | KeyResultAmended { reason, .. }
            | ScoreOverridden { reason, .. }
            | ScoreCorrected { reason, .. } => vec![field(by, "reason", reason)],
            ReviewBegun { early_reason, .. } => early_reason
                .iter_mut()
                .map(|r| field(by, "early_reason", r))
                .collect(),
            ObjectiveDropped { reason, .. } => {
                reason.iter_mut().map(|r| field(by, "reason", r)).collect()
            }
            CheckedIn { note, .. } => vec![field(by, "note", note)],
            AgreementMade {
                text: t,
                provides,
                consequence,
                ..
            } => {
                let mut v = vec![field(by, "text", t)];
                v.extend(provides.iter_mut().map(|p| field(by, "provides", p)));
                v.extend(consequence.iter_mut().map(|c| field(by, "consequence", c)));
                v
            }
            BlockerRaised { text: t, .. }
            | ReviewNoteAdded { text: t, .. }
            | RetroItemAdded { text: t, .. }
            | RetroActionAdded { text: t, .. } => vec![field(by, "text", t)],
            BlockerDecided { decision, .. } => vec![field(by, "decision", decision)],
            UnitDefined { .. }
            | UnitRenamed { .. }
            | UnitMoved { .. }
            | UnitRetired { .. }
            | MembershipGranted { .. }
            | MembershipRevoked { .. }
            | KpiDefined { .. }
            | KpiRecorded { .. }
            | CyclePlanned { .. }
            | PolicySet { .. }
            | CycleStarted { .. }
            | RetrospectiveBegun { .. }
            | CycleClosed { .. }
            | ObjectiveDrafted { .. }
            | ObjectiveRevised { .. }
            | ObjectiveAligned { .. }
            | ObjectiveUnaligned { .. }
            | ObjectiveCommitted { .. }
            | KeyResultLinkedToKpi { .. }
            | ObjectiveApproved { .. }
            | DependencyLinked { .. }
            | DependencyUnlinked { .. }
            | KeyResultAdded { .. }
            | KeyResultRevised { .. }
            | KeyResultRemoved { .. }
            | AgreementResolved { .. }
            | BlockerEscalated { .. }
            | InitiativeAdded { .. }
            | InitiativeMoved { .. }
            | RetroActionFollowedUp { .. }
            | ObjectiveCarriedOver { .. } => Vec::new(),
        }
    }
}

impl Event {
    /// The score an override or a correction sets, with its cycle and key result; `None`
    /// for every other event. The one reading of these events for the state and the
    /// rollup alike.
    pub fn manual_score(&self) -> Option<(CycleId, KeyResultId, ManualScore)> {
        let (EventBody::ScoreOverridden {
            cycle,
            key_result,
            score_ppm,
            reason,
        }
        | EventBody::ScoreCorrected {
            cycle,
            key_result,
            score_ppm,
            reason,
        }) = &self.body
        else {
            return None;
        };
        let (reason, by, at) = (reason.clone(), self.by, self.at);
        let provenance = if matches!(self.body, EventBody::ScoreCorrected { .. }) {
            ScoreProvenance::Corrected { reason, by, at }
        } else {
            ScoreProvenance::Overridden { reason, by, at }
        };
        let score = ManualScore {
            score_ppm: *score_ppm,
            provenance,
        };
        Some((*cycle, *key_result, score))
    }
}
