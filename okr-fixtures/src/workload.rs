//! Deterministic synthetic workloads: a seeded generator of realistic OKR cycles
//! of any size, for benchmarks, tests and the CLI.
//!
//! A [`WorkloadSpec`] describes the shape — a unit tree (`depth` levels below the root,
//! `fan_out` children per unit, optionally a partial deepest level), objectives per unit,
//! key results per objective, how densely objectives align to their parent unit's objectives,
//! and how many weeks of check-ins follow. [`Size`] names the standard shapes: S, M, L and XL
//! with exactly 100, 10 000, 100 000 and 1 000 000 key results.
//!
//! [`Workload`] turns a spec into [`Command`]s, lazily: organisation set-up (root, departments,
//! teams; one OkrMaster at the root, one Lead and one Member per unit), one Regular cycle,
//! objectives with alignments and key results, commit, start, `check_in_weeks` weeks of
//! check-ins per key result drifting toward their targets, and (by default) the review on the
//! cycle's end date. [`Workload::events`] runs every command through [`decide`](decide())
//! against a [`State`] it keeps, so its events are exactly what the engine writes.
//!
//! Everything is a pure function of the spec: ids are `Uuid::from_u64_pair(seed, tag | index)`,
//! times start from 2025-01-06 and only grow, and randomness comes from ChaCha8 keyed by the
//! seed (reproducible across platforms and versions) using integer and basic floating-point
//! arithmetic only. The same spec gives the same commands and events, byte for byte.
//!
//! Nothing is materialised: XL has about 15 million commands, and the generator holds only a
//! handful at a time ([`Workload::events`] keeps the [`State`], which grows with the log).
//!
//! ```
//! use okr_fixtures::workload::{Size, Workload, WorkloadSpec};
//!
//! let spec = WorkloadSpec::size(Size::S, 42);
//! assert_eq!(spec.key_results(), 100);
//!
//! // Commands, lazily; every one is accepted by `decide` when applied in order.
//! let commands = Workload::new(spec.clone()).count();
//! assert!(commands > 100 * 13);
//!
//! // The state after the whole workload: 100 key results with 13 weekly check-ins each.
//! let state = Workload::state(spec.clone());
//! let cycle = state.cycles.values().next().unwrap();
//! assert_eq!(cycle.key_results.len(), 100);
//! assert!(cycle.key_results.values().all(|k| k.check_in_count() == 13));
//!
//! // A smaller custom shape: no alignment, two weeks of check-ins, no review.
//! let spec = WorkloadSpec {
//!     alignment_density_ppm: 0,
//!     check_in_weeks: 2,
//!     with_review: false,
//!     ..WorkloadSpec::size(Size::S, 7)
//! };
//! let events: Vec<okr_core::Event> = Workload::events(spec).collect();
//! assert!(events.iter().all(|e| e.body.event_type() != "objective_aligned"));
//! ```

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use okr_core::{
    decide, Bound, Command, CommandBody, CycleId, CycleKind, Event, KeyResultId, KrKind,
    ObjectiveId, ObjectiveKind, PersonId, Policy, Role, State, UnitId, UnitKind,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a workload size or spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// A size name other than `S`, `M`, `L` or `XL`.
    #[error("unknown workload size `{0}`; expected one of S, M, L, XL")]
    UnknownSize(String),
    /// A spec field out of range.
    #[error("invalid workload spec: {field} {reason}")]
    InvalidSpec {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The named workload sizes, from 100 to 1 000 000 key results.
///
/// ```
/// use okr_fixtures::workload::Size;
/// assert_eq!("XL".parse::<Size>().unwrap(), Size::XL);
/// assert_eq!(Size::M.key_results(), 10_000);
/// assert!("XXL".parse::<Size>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    /// 100 key results.
    S,
    /// 10 000 key results.
    M,
    /// 100 000 key results.
    L,
    /// 1 000 000 key results.
    XL,
}

impl Size {
    /// All sizes, smallest first.
    pub const ALL: [Size; 4] = [Size::S, Size::M, Size::L, Size::XL];

    /// The exact number of key results a workload of this size has.
    pub fn key_results(self) -> u64 {
        match self {
            Size::S => 100,
            Size::M => 10_000,
            Size::L => 100_000,
            Size::XL => 1_000_000,
        }
    }

    /// The size's name: `S`, `M`, `L` or `XL`.
    pub fn name(self) -> &'static str {
        match self {
            Size::S => "S",
            Size::M => "M",
            Size::L => "L",
            Size::XL => "XL",
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Size {
    type Err = WorkloadError;

    /// Parses `S`, `M`, `L` or `XL` (ASCII case ignored, surrounding blanks trimmed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "S" => Ok(Size::S),
            "M" => Ok(Size::M),
            "L" => Ok(Size::L),
            "XL" => Ok(Size::XL),
            _ => Err(WorkloadError::UnknownSize(s.to_string())),
        }
    }
}

/// The shape of a synthetic workload. Every field is public; start from
/// [`WorkloadSpec::size`] and change what you need with struct update syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadSpec {
    /// Seeds ids and randomness; the same spec always gives the same workload.
    pub seed: u64,
    /// Levels of the unit tree below the root (0: the root alone).
    pub depth: u32,
    /// Children per unit (at most this many on a partial deepest level).
    pub fan_out: u32,
    /// Units on the deepest level, spread round-robin over the level above;
    /// `None` for a full level (`fan_out ^ depth` units).
    pub last_level_units: Option<u64>,
    /// Objectives drafted and committed per unit (≥ 1).
    pub objectives_per_unit: u32,
    /// Key results per objective (≥ 1).
    pub key_results_per_objective: u32,
    /// Probability, in parts per million, that a non-root objective aligns to an objective of
    /// its parent unit (0 = never, 1 000 000 = always).
    pub alignment_density_ppm: u32,
    /// Weeks the cycle runs (≥ 1); the cycle ends on the last day of the last week.
    pub check_in_weeks: u32,
    /// Check-ins per key result per week (0 = none).
    pub check_ins_per_week: u32,
    /// Whether the workload ends with `BeginReview` on the cycle's end date.
    pub with_review: bool,
}

impl Default for WorkloadSpec {
    /// Size S with seed 0.
    fn default() -> Self {
        WorkloadSpec::size(Size::S, 0)
    }
}

/// First day of every generated cycle (a Monday).
const START: (i32, u32, u32) = (2025, 1, 6);
const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;

impl WorkloadSpec {
    /// The named size's shape with a seed; 60 % alignment density, 13 weeks of one weekly
    /// check-in, review at the end.
    ///
    /// | size | depth | fan-out | deepest level | units | objectives/unit | KRs/objective | objectives | KRs |
    /// |---|---|---|---|---|---|---|---|---|
    /// | S  | 2 | 3 | 6 of 9          | 10     | 2 | 5 | 20      | 100       |
    /// | M  | 3 | 8 | 427 of 512      | 500    | 4 | 5 | 2 000   | 10 000    |
    /// | L  | 4 | 9 | 4 180 of 6 561  | 5 000  | 4 | 5 | 20 000  | 100 000   |
    /// | XL | 5 | 9 | 42 619 of 59 049| 50 000 | 4 | 5 | 200 000 | 1 000 000 |
    pub fn size(size: Size, seed: u64) -> Self {
        let (depth, fan_out, last, objectives_per_unit, key_results_per_objective) = match size {
            Size::S => (2, 3, 6, 2, 5),
            Size::M => (3, 8, 427, 4, 5),
            Size::L => (4, 9, 4_180, 4, 5),
            Size::XL => (5, 9, 42_619, 4, 5),
        };
        WorkloadSpec {
            seed,
            depth,
            fan_out,
            last_level_units: Some(last),
            objectives_per_unit,
            key_results_per_objective,
            alignment_density_ppm: 600_000,
            check_in_weeks: 13,
            check_ins_per_week: 1,
            with_review: true,
        }
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        let bad = |field, reason: &str| {
            Err(WorkloadError::InvalidSpec {
                field,
                reason: reason.to_string(),
            })
        };
        if self.depth > 0 && self.fan_out == 0 {
            return bad("fan_out", "must be at least 1 when depth is at least 1");
        }
        if self.objectives_per_unit == 0 {
            return bad("objectives_per_unit", "must be at least 1");
        }
        if self.key_results_per_objective == 0 {
            return bad("key_results_per_objective", "must be at least 1");
        }
        if self.alignment_density_ppm > 1_000_000 {
            return bad("alignment_density_ppm", "must lie in 0..=1000000");
        }
        if !(1..=520).contains(&self.check_in_weeks) {
            return bad("check_in_weeks", "must lie in 1..=520");
        }
        if self.check_ins_per_week > 7 * 24 * 60 {
            return bad("check_ins_per_week", "must lie in 0..=10080 (one a minute)");
        }
        let full = level_width(self.fan_out, self.depth);
        if let Some(n) = self.last_level_units {
            if self.depth == 0 {
                return bad("last_level_units", "needs depth at least 1");
            }
            if n == 0 || full.is_none_or(|f| n > f) {
                return bad(
                    "last_level_units",
                    "must lie in 1..=fan_out^depth (units on the deepest level)",
                );
            }
        }
        match self.checked_key_results() {
            Some(k) if k <= MAX_KEY_RESULTS => Ok(()),
            _ => bad("depth", "gives more than 2^40 key results"),
        }
    }

    /// Number of units: the root, full levels, and the deepest level.
    pub fn units(&self) -> u64 {
        self.checked_units().unwrap_or(u64::MAX)
    }

    /// Number of objectives (`units × objectives_per_unit`).
    pub fn objectives(&self) -> u64 {
        self.units()
            .saturating_mul(u64::from(self.objectives_per_unit))
    }

    /// Number of key results (`objectives × key_results_per_objective`), computed without
    /// generating anything.
    pub fn key_results(&self) -> u64 {
        self.checked_key_results().unwrap_or(u64::MAX)
    }

    /// Number of check-ins (`key_results × check_in_weeks × check_ins_per_week`).
    pub fn check_ins(&self) -> u64 {
        self.key_results().saturating_mul(self.slots())
    }

    /// The cycle's first day (2025-01-06, a Monday).
    pub fn start_date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(START.0, START.1, START.2).expect("valid start date")
    }

    /// The cycle's last day: the last day of week `check_in_weeks`.
    pub fn end_date(&self) -> NaiveDate {
        self.start_date() + TimeDelta::days(7 * i64::from(self.check_in_weeks) - 1)
    }

    fn slots(&self) -> u64 {
        u64::from(self.check_in_weeks) * u64::from(self.check_ins_per_week)
    }

    fn checked_units(&self) -> Option<u64> {
        let mut total = 0u64;
        for level in 0..=self.depth {
            let w = if level == self.depth {
                match self.last_level_units {
                    Some(n) if level > 0 => n,
                    _ => level_width(self.fan_out, level)?,
                }
            } else {
                level_width(self.fan_out, level)?
            };
            total = total.checked_add(w)?;
        }
        Some(total)
    }

    fn checked_key_results(&self) -> Option<u64> {
        self.checked_units()?
            .checked_mul(u64::from(self.objectives_per_unit))?
            .checked_mul(u64::from(self.key_results_per_objective))
    }
}

const MAX_KEY_RESULTS: u64 = 1 << 40;

fn level_width(fan_out: u32, level: u32) -> Option<u64> {
    u64::from(fan_out).checked_pow(level)
}

// --- ids -------------------------------------------------------------------------------------

const TAG_UNIT: u64 = 1;
const TAG_PERSON: u64 = 2;
const TAG_CYCLE: u64 = 3;
const TAG_OBJECTIVE: u64 = 4;
const TAG_KEY_RESULT: u64 = 5;
const TAG_COMMAND: u64 = 15;

// Random streams (ChaCha8 stream numbers), one family per purpose.
const RNG_UNIT: u64 = 1;
const RNG_PERSON: u64 = 2;
const RNG_OBJECTIVE: u64 = 4;
const RNG_KEY_RESULT: u64 = 5;
const RNG_CHECK_IN: u64 = 6;

const INDEX_BITS: u32 = 56;

/// The unit tree laid out breadth-first: `level_start[l]` is the index of level `l`'s first
/// unit, `level_start[depth + 1]` the number of units.
#[derive(Debug, Clone)]
struct Shape {
    level_start: Vec<u64>,
}

impl Shape {
    fn new(spec: &WorkloadSpec) -> Self {
        let mut level_start = vec![0u64];
        let mut total = 0u64;
        for level in 0..=spec.depth {
            let w = match spec.last_level_units {
                Some(n) if level == spec.depth && level > 0 => n,
                _ => level_width(spec.fan_out, level).expect("validated"),
            };
            total += w;
            level_start.push(total);
        }
        Shape { level_start }
    }

    fn units(&self) -> u64 {
        *self.level_start.last().expect("non-empty")
    }

    /// Level and position within the level of unit `g`.
    fn locate(&self, g: u64) -> (usize, u64) {
        let level = self.level_start.partition_point(|s| *s <= g) - 1;
        (level, g - self.level_start[level])
    }

    /// The parent of unit `g` (not the root): children are spread round-robin over the level
    /// above, so a full level gives every parent exactly `fan_out` children.
    fn parent(&self, g: u64) -> u64 {
        let (level, pos) = self.locate(g);
        let above = self.level_start[level] - self.level_start[level - 1];
        self.level_start[level - 1] + pos % above
    }
}

// --- small deterministic randomness ------------------------------------------------------------

/// Draws from a ChaCha8 stream; only integer arithmetic and IEEE basic operations, so the
/// values are the same on every platform.
struct Draw(ChaCha8Rng);

impl Draw {
    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A float in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `ppm` / 1 000 000.
    fn chance_ppm(&mut self, ppm: u32) -> bool {
        self.below(1_000_000) < u64::from(ppm)
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
}

fn round_to(x: f64, decimals: u32) -> f64 {
    let f = match decimals {
        0 => 1.0,
        1 => 10.0,
        _ => 100.0,
    };
    (x * f).round() / f
}

// --- word lists ----------------------------------------------------------------------------------

const REGIONS: &[&str] = &[
    "Mittelhessen",
    "Lahn-Dill",
    "Vogelsberg",
    "Wetterau",
    "Rheinland",
    "Breisgau",
    "Oberlausitz",
    "Altmark",
];
const DEPARTMENTS: &[&str] = &[
    "Citizen Services",
    "Digital Office",
    "Building Authority",
    "Registry Office",
    "Social Services",
    "Mobility",
    "Environment",
    "Finance",
    "IT Operations",
    "Human Resources",
    "Education",
    "Economic Development",
];
const TEAM_TOPICS: &[&str] = &[
    "Online Services",
    "Front Desk",
    "Permits",
    "Data",
    "Service Design",
    "Records",
    "Outreach",
    "Infrastructure",
    "Payments",
    "Support",
    "Accessibility",
    "Open Data",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Karin",
    "Luca", "Mia", "Noah", "Olga", "Paul", "Rana", "Sven", "Tara", "Yusuf",
];
const LAST_NAMES: &[&str] = &[
    "Bauer",
    "Becker",
    "Demir",
    "Fischer",
    "Hoffmann",
    "Kaya",
    "Klein",
    "Koch",
    "Meyer",
    "Müller",
    "Neumann",
    "Richter",
    "Schmidt",
    "Schulz",
    "Wagner",
    "Weber",
    "Wolf",
    "Zimmermann",
];
const BENEFICIARIES: &[&str] = &[
    "citizens",
    "local businesses",
    "young families",
    "senior residents",
    "students",
    "our colleagues",
    "commuters",
    "newcomers",
    "clubs and associations",
    "visitors",
];
const SERVICES: &[&str] = &[
    "building permits",
    "parking permits",
    "resident registration",
    "childcare places",
    "waste collection",
    "library loans",
    "wedding appointments",
    "business licences",
    "housing benefit",
    "dog licences",
    "school enrolment",
    "public Wi-Fi",
];
const OBJECTIVE_TITLES: &[&str] = &[
    "{B} handle {S} online without a visit to the town hall",
    "{B} find what they need about {S} on their own",
    "{B} trust how we handle {S}",
    "{B} choose the digital channel for {S}",
    "{B} get {S} without waiting",
    "{B} recommend our {S} service to others",
];
const CHANGES: &[&str] = &[
    "use the online service instead of the counter",
    "solve their questions without calling us",
    "come prepared and get it done in one visit",
    "tell us early what they need",
];
const VALUES: &[&str] = &[
    "less waiting time",
    "more time for complex cases",
    "lower costs per case",
    "a town hall that is open around the clock",
    "more satisfied residents",
];
const NOTES: &[&str] = &[
    "on track",
    "waiting for IT",
    "new form went live",
    "holiday week, fewer cases",
    "feedback from the weekly included",
    "data from the portal statistics",
];

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// --- profiles: everything random about an entity, derived from the seed and its index ----------

#[derive(Debug, Clone, Copy)]
struct ObjectiveProfile {
    kind: ObjectiveKind,
    beneficiary: usize,
    service: usize,
}

#[derive(Debug, Clone)]
struct KrProfile {
    kind: KrKind,
    title: String,
    /// Decimals values are told with.
    decimals: u32,
    /// Bounds values stay in.
    lo: f64,
    hi: f64,
    /// Share of the way to the target reached by the end of the cycle.
    pace: f64,
    /// Mix of a linear (1) and a late, quadratic (0) curve.
    linear: f64,
    weight: u32,
}

// --- the generator -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Set up unit `g` (define, people, roles).
    Org(u64),
    /// Plan the cycle.
    Cycle,
    /// Draft, align, add key results to and commit objective `o`.
    Objective(u64),
    /// Start the cycle.
    Start,
    /// Check in key result `kr` in check-in slot `slot`.
    CheckIn { slot: u64, kr: u64 },
    /// Begin the review.
    Review,
    /// Nothing left.
    Done,
}

/// The lazy command sequence of a [`WorkloadSpec`]: an [`Iterator`] of [`Command`]s that
/// [`decide`](decide()) accepts when applied in order, starting from an empty [`State`].
#[derive(Clone)]
pub struct Workload {
    spec: WorkloadSpec,
    shape: Shape,
    rng: ChaCha8Rng,
    stage: Stage,
    buf: VecDeque<Command>,
    /// Commands produced so far (the next command's number).
    seq: u64,
    /// The last envelope time, in ms after the start date's midnight.
    last_ms: i64,
    /// The step between set-up and planning commands, in ms.
    plan_step_ms: i64,
    /// When the cycle started, in ms (values are never told as true before it).
    started_ms: i64,
    start: DateTime<Utc>,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field("spec", &self.spec)
            .field("stage", &self.stage)
            .field("commands_so_far", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Workload {
    /// The command sequence of `spec`.
    ///
    /// # Panics
    /// When the spec is invalid ([`WorkloadSpec::validate`]); use [`Workload::try_new`] to get
    /// the error instead.
    pub fn new(spec: WorkloadSpec) -> Self {
        Self::try_new(spec).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The command sequence of `spec`, or why the spec is invalid.
    pub fn try_new(spec: WorkloadSpec) -> Result<Self, WorkloadError> {
        spec.validate()?;
        let shape = Shape::new(&spec);
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&spec.seed.to_le_bytes());
        key[8..24].copy_from_slice(b"okr-workload-v1\0");
        let rng = ChaCha8Rng::from_seed(key);
        // Set-up and planning take place on the start day between 08:00 and 16:00.
        let units = shape.units();
        let per_objective = u64::from(spec.key_results_per_objective) + 3;
        let planning = 8 + units * 5 + units * u64::from(spec.objectives_per_unit) * per_objective;
        let plan_step_ms = (8 * MS_PER_HOUR / planning.max(1) as i64).clamp(1, 1_000);
        let start = spec
            .start_date()
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc();
        Ok(Workload {
            spec,
            shape,
            rng,
            stage: Stage::Org(0),
            buf: VecDeque::new(),
            seq: 0,
            last_ms: 8 * MS_PER_HOUR - plan_step_ms,
            plan_step_ms,
            started_ms: 0,
            start,
        })
    }

    /// The events of `spec`'s workload: every command run through [`decide`](decide()) against
    /// the state of the events before it, and applied.
    ///
    /// # Panics
    /// When the spec is invalid, or when `decide` refuses a generated command (a generator bug:
    /// the message names the command and the rejection).
    pub fn events(spec: WorkloadSpec) -> Events {
        Events {
            commands: Workload::new(spec),
            state: State::new(),
            buf: VecDeque::new(),
        }
    }

    /// The state after the whole workload.
    ///
    /// # Panics
    /// As [`Workload::events`].
    pub fn state(spec: WorkloadSpec) -> State {
        let mut events = Workload::events(spec);
        events.run_to_end();
        events.into_state()
    }

    /// The spec this workload follows.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// The id of the workload's cycle.
    pub fn cycle_id(&self) -> CycleId {
        CycleId(self.id(TAG_CYCLE, 0))
    }

    /// The id of the root unit.
    pub fn root_unit(&self) -> UnitId {
        self.unit_id(0)
    }

    /// The OkrMaster who sets up the organisation and advances the cycle.
    pub fn okr_master(&self) -> PersonId {
        PersonId(self.id(TAG_PERSON, 0))
    }

    // --- ids ---

    fn id(&self, tag: u64, index: u64) -> Uuid {
        debug_assert!(index < 1 << INDEX_BITS);
        Uuid::from_u64_pair(self.spec.seed, (tag << INDEX_BITS) | index)
    }

    fn unit_id(&self, g: u64) -> UnitId {
        UnitId(self.id(TAG_UNIT, g))
    }

    fn lead(&self, g: u64) -> PersonId {
        PersonId(self.id(TAG_PERSON, 1 + 2 * g))
    }

    fn member(&self, g: u64) -> PersonId {
        PersonId(self.id(TAG_PERSON, 2 + 2 * g))
    }

    fn objective_id(&self, o: u64) -> ObjectiveId {
        ObjectiveId(self.id(TAG_OBJECTIVE, o))
    }

    fn key_result_id(&self, k: u64) -> KeyResultId {
        KeyResultId(self.id(TAG_KEY_RESULT, k))
    }

    /// Who owns (and checks in) key result `k`: the unit's lead for the first of an objective,
    /// its member for the others.
    fn kr_owner(&self, k: u64) -> PersonId {
        let kpo = u64::from(self.spec.key_results_per_objective);
        let g = k / kpo / u64::from(self.spec.objectives_per_unit);
        if k % kpo == 0 {
            self.lead(g)
        } else {
            self.member(g)
        }
    }

    // --- randomness ---

    /// A random stream for one purpose and index, independent of every other.
    fn draw(&self, family: u64, index: u64, word_pos: u128) -> Draw {
        let mut r = self.rng.clone();
        r.set_stream((family << INDEX_BITS) | index);
        r.set_word_pos(word_pos);
        Draw(r)
    }

    fn objective_profile(&self, o: u64) -> ObjectiveProfile {
        let mut d = self.draw(RNG_OBJECTIVE, o, 0);
        ObjectiveProfile {
            kind: if d.below(10) < 7 {
                ObjectiveKind::Committed
            } else {
                ObjectiveKind::Aspirational
            },
            beneficiary: d.below(BENEFICIARIES.len() as u64) as usize,
            service: d.below(SERVICES.len() as u64) as usize,
        }
    }

    fn kr_profile(&self, k: u64) -> KrProfile {
        let o = k / u64::from(self.spec.key_results_per_objective);
        let op = self.objective_profile(o);
        let service = SERVICES[op.service];
        let who = BENEFICIARIES[op.beneficiary];
        let mut d = self.draw(RNG_KEY_RESULT, k, 0);
        let pace = match op.kind {
            ObjectiveKind::Committed => d.range(0.65, 1.15),
            ObjectiveKind::Aspirational => d.range(0.35, 0.9),
        };
        let linear = d.unit();
        let weight = if d.below(4) == 0 { 2 } else { 1 };
        let roll = d.below(100);
        let (kind, title, decimals, lo, hi) = if roll < 65 {
            match d.below(4) {
                0 => {
                    let b = d.between(5, 40) as f64;
                    let t = (b + d.between(15, 45) as f64).min(95.0);
                    let baseline = if d.below(20) == 0 { None } else { Some(b) };
                    (
                        increase(baseline, t, "%"),
                        format!("Share of {service} applications filed online"),
                        0,
                        0.0,
                        100.0,
                    )
                }
                1 => {
                    let b = round_to(d.range(2.5, 3.5), 1);
                    let t = round_to((b + d.range(0.5, 1.3)).min(4.9), 1);
                    (
                        increase(Some(b), t, "stars"),
                        format!("Average rating of {service} by {who}"),
                        1,
                        1.0,
                        5.0,
                    )
                }
                2 => {
                    let b = d.between(200, 5_000) as f64;
                    let t = round_to(b * d.range(1.5, 3.0), 0);
                    (
                        increase(Some(b), t, "users"),
                        format!("Monthly users of the {service} portal"),
                        0,
                        0.0,
                        f64::MAX,
                    )
                }
                _ => {
                    let b = d.between(20, 50) as f64;
                    let t = b + d.between(10, 40) as f64;
                    (
                        increase(Some(b), t, "%"),
                        format!("{} who rate {service} as easy", capitalise(who)),
                        0,
                        0.0,
                        100.0,
                    )
                }
            }
        } else if roll < 85 {
            if d.below(2) == 0 {
                let b = d.between(10, 40) as f64;
                let t = round_to(b * d.range(0.3, 0.7), 0);
                (
                    decrease(b, t, "days"),
                    format!("Median lead time for {service}"),
                    1,
                    0.0,
                    f64::MAX,
                )
            } else {
                let b = round_to(d.range(3.0, 6.0), 1);
                let t = round_to(b * d.range(0.4, 0.7), 1);
                (
                    decrease(b, t, "calls"),
                    format!("Calls needed per {service} case"),
                    1,
                    0.0,
                    f64::MAX,
                )
            }
        } else if roll < 95 {
            if d.below(2) == 0 {
                let v = d.between(2, 5) as f64;
                (
                    KrKind::Threshold {
                        bound: Bound::AtMost,
                        value: v,
                        unit: "%".into(),
                    },
                    format!("Complaint rate for {service}"),
                    1,
                    0.0,
                    100.0,
                )
            } else {
                let v = round_to(d.range(99.0, 99.8), 1);
                (
                    KrKind::Threshold {
                        bound: Bound::AtLeast,
                        value: v,
                        unit: "%".into(),
                    },
                    format!("Availability of the {service} portal"),
                    2,
                    0.0,
                    100.0,
                )
            }
        } else {
            (
                KrKind::Milestone,
                format!("{} application available online", capitalise(service)),
                0,
                0.0,
                1.0,
            )
        };
        KrProfile {
            kind,
            title,
            decimals,
            lo,
            hi,
            pace,
            linear,
            weight,
        }
    }

    // --- commands ---

    fn push(&mut self, actor: PersonId, at_ms: i64, body: CommandBody) {
        let at_ms = at_ms.max(self.last_ms + 1);
        self.last_ms = at_ms;
        let command_id = self.id(TAG_COMMAND, self.seq);
        self.seq += 1;
        self.buf
            .push_back(Command::new(command_id, actor, self.at(at_ms), body));
    }

    /// A set-up or planning command, one step after the last.
    fn push_planning(&mut self, actor: PersonId, body: CommandBody) {
        let at = self.last_ms + self.plan_step_ms;
        self.push(actor, at, body);
    }

    fn at(&self, ms: i64) -> DateTime<Utc> {
        self.start + TimeDelta::milliseconds(ms)
    }

    fn person_name(&self, p: u64) -> String {
        let mut d = self.draw(RNG_PERSON, p, 0);
        format!("{} {}", d.pick(FIRST_NAMES), d.pick(LAST_NAMES))
    }

    fn register(&mut self, person: PersonId, index: u64) {
        let name = self.person_name(index);
        let master = self.okr_master();
        self.push_planning(master, CommandBody::RegisterPerson { person, name });
    }

    fn grant(&mut self, unit: UnitId, person: PersonId, role: Role) {
        let master = self.okr_master();
        self.push_planning(master, CommandBody::GrantMembership { unit, person, role });
    }

    fn setup_unit(&mut self, g: u64) {
        let (level, pos) = self.shape.locate(g);
        let unit = self.unit_id(g);
        let master = self.okr_master();
        let mut d = self.draw(RNG_UNIT, g, 0);
        let (name, kind, parent) = match level {
            0 => (
                format!("Verbund {}", d.pick(REGIONS)),
                UnitKind::Organisation,
                None,
            ),
            1 => {
                let base = DEPARTMENTS[(pos % DEPARTMENTS.len() as u64) as usize];
                let round = pos / DEPARTMENTS.len() as u64;
                let name = if round == 0 {
                    base.to_string()
                } else {
                    format!("{base} {}", round + 1)
                };
                (name, UnitKind::Department, Some(self.shape.parent(g)))
            }
            _ => (
                format!("{} Team {}", d.pick(TEAM_TOPICS), pos + 1),
                UnitKind::Team,
                Some(self.shape.parent(g)),
            ),
        };
        let parent = parent.map(|p| self.unit_id(p));
        self.push_planning(
            master,
            CommandBody::DefineUnit {
                unit,
                name,
                kind,
                parent,
            },
        );
        if g == 0 {
            self.register(master, 0);
            self.grant(unit, master, Role::OkrMaster);
        }
        let (lead, member) = (self.lead(g), self.member(g));
        self.register(lead, 1 + 2 * g);
        self.grant(unit, lead, Role::Lead);
        self.register(member, 2 + 2 * g);
        self.grant(unit, member, Role::Member);
    }

    fn plan_cycle(&mut self) {
        let spec = &self.spec;
        let policy = Policy {
            max_committed_objectives_per_unit: spec.objectives_per_unit.max(5),
            max_key_results_per_objective: spec.key_results_per_objective.max(5),
            // The workload exercises the alignment graph: aligned objectives roll into
            // their parents, as the rollup SQL of the benchmarks' peer does.
            scoring: okr_core::rollup::ScoringPolicy::ROLL_UP_ALIGNED,
            ..Policy::for_kind(CycleKind::Regular)
        };
        let start = spec.start_date();
        let name = if spec.check_in_weeks == 13 {
            format!("{}-Q1", start.year())
        } else {
            format!("{} ({} weeks)", start, spec.check_in_weeks)
        };
        let body = CommandBody::PlanCycle {
            cycle: self.cycle_id(),
            name,
            kind: CycleKind::Regular,
            start,
            end: spec.end_date(),
            check_in_weekday: start.weekday(),
            policy: Some(policy),
        };
        let master = self.okr_master();
        self.push_planning(master, body);
    }

    fn plan_objective(&mut self, o: u64) {
        let opu = u64::from(self.spec.objectives_per_unit);
        let kpo = u64::from(self.spec.key_results_per_objective);
        let g = o / opu;
        let (lead, member) = (self.lead(g), self.member(g));
        let cycle = self.cycle_id();
        let objective = self.objective_id(o);
        let p = self.objective_profile(o);
        let mut d = self.draw(RNG_OBJECTIVE, o, 64);
        let who = BENEFICIARIES[p.beneficiary];
        let title = d
            .pick(OBJECTIVE_TITLES)
            .replace("{B}", &capitalise(who))
            .replace("{S}", SERVICES[p.service]);
        let weight = d.between(1, 3) as u32;
        let body = CommandBody::DraftObjective {
            cycle,
            objective,
            unit: self.unit_id(g),
            title,
            beneficiary: Some(who.to_string()),
            change: Some(format!("{who} {}", d.pick(CHANGES))),
            value: Some(d.pick(VALUES).to_string()),
            kind: p.kind,
            weight,
        };
        self.push_planning(member, body);
        if g > 0 && d.chance_ppm(self.spec.alignment_density_ppm) {
            let parent_unit = self.shape.parent(g);
            let parent = self.objective_id(parent_unit * opu + d.below(opu));
            let contribution = d.between(1, 3) as u32;
            self.push_planning(
                member,
                CommandBody::AlignObjective {
                    objective,
                    parent,
                    contribution,
                },
            );
        }
        for k in o * kpo..(o + 1) * kpo {
            let kp = self.kr_profile(k);
            let body = CommandBody::AddKeyResult {
                objective,
                key_result: self.key_result_id(k),
                title: kp.title,
                kind: kp.kind,
                weight: kp.weight,
                owner: Some(self.kr_owner(k)),
            };
            self.push_planning(member, body);
        }
        self.push_planning(lead, CommandBody::CommitObjective { objective });
    }

    fn check_in(&mut self, slot: u64, k: u64) {
        let per_week = u64::from(self.spec.check_ins_per_week);
        let slots = self.spec.slots();
        let (week, j) = (slot / per_week, slot % per_week);
        // The week splits into one window per check-in; key results check in one after the
        // other across the middle of their window (Tuesday to Friday for one a week).
        let window = MS_PER_WEEK / per_week as i64;
        let slot_start = week as i64 * MS_PER_WEEK + j as i64 * window;
        let span = window * 4 / 7;
        let n = self.spec.key_results();
        let step = (span / n as i64).max(1);
        let planned = slot_start + window / 7 + k as i64 * step;
        let kp = self.kr_profile(k);
        let mut d = self.draw(RNG_CHECK_IN, k, u128::from(slot) * 16);
        let frac = (slot + 1) as f64 / slots as f64;
        let trend = kp.pace * (kp.linear * frac + (1.0 - kp.linear) * frac * frac);
        let progress = trend + d.range(-0.04, 0.04);
        let value = match &kp.kind {
            KrKind::Increase {
                baseline, target, ..
            }
            | KrKind::Decrease {
                baseline, target, ..
            } => {
                let b = baseline.unwrap_or(0.0);
                round_to(b + (target - b) * progress, kp.decimals)
            }
            KrKind::Threshold { bound, value, .. } => {
                let v = *value;
                let x = match bound {
                    // Mostly at or below the ceiling, now and then above.
                    Bound::AtMost => v * d.range(0.5, 1.15),
                    // Mostly at or above the floor, now and then below.
                    Bound::AtLeast => v + d.range(-0.3, 0.9),
                };
                round_to(x, kp.decimals)
            }
            KrKind::Milestone => {
                if trend >= 0.9 {
                    1.0
                } else {
                    0.0
                }
            }
        }
        .clamp(kp.lo, kp.hi);
        let confidence = (7.0 + 10.0 * (progress - frac) + d.range(-1.0, 1.0))
            .round()
            .clamp(0.0, 10.0) as u8;
        let note = if d.below(10) == 0 {
            d.pick(NOTES).to_string()
        } else {
            String::new()
        };
        let jitter = d.below((12 * MS_PER_HOUR).min(window / 7).max(1) as u64) as i64;
        let actor = self.kr_owner(k);
        let key_result = self.key_result_id(k);
        // The envelope time is fixed by `push`; the value was true a little earlier, never
        // before the window nor before the cycle started.
        let at_ms = planned.max(self.last_ms + 1);
        let effective_ms = (at_ms - jitter).max(slot_start).max(self.started_ms);
        let effective_at = Some(self.at(effective_ms));
        self.push(
            actor,
            at_ms,
            CommandBody::CheckIn {
                key_result,
                value,
                confidence,
                note,
                effective_at,
            },
        );
    }

    /// Produces the next few commands into the buffer; false when the workload is over.
    fn refill(&mut self) -> bool {
        match self.stage {
            Stage::Org(g) => {
                self.setup_unit(g);
                self.stage = if g + 1 < self.shape.units() {
                    Stage::Org(g + 1)
                } else {
                    Stage::Cycle
                };
            }
            Stage::Cycle => {
                self.plan_cycle();
                self.stage = Stage::Objective(0);
            }
            Stage::Objective(o) => {
                self.plan_objective(o);
                self.stage = if o + 1 < self.spec.objectives() {
                    Stage::Objective(o + 1)
                } else {
                    Stage::Start
                };
            }
            Stage::Start => {
                let master = self.okr_master();
                let cycle = self.cycle_id();
                self.push(master, 16 * MS_PER_HOUR, CommandBody::StartCycle { cycle });
                self.started_ms = self.last_ms;
                self.stage = if self.spec.slots() > 0 {
                    Stage::CheckIn { slot: 0, kr: 0 }
                } else {
                    Stage::Review
                };
            }
            Stage::CheckIn { slot, kr } => {
                self.check_in(slot, kr);
                self.stage = if kr + 1 < self.spec.key_results() {
                    Stage::CheckIn { slot, kr: kr + 1 }
                } else if slot + 1 < self.spec.slots() {
                    Stage::CheckIn {
                        slot: slot + 1,
                        kr: 0,
                    }
                } else {
                    Stage::Review
                };
            }
            Stage::Review => {
                if self.spec.with_review {
                    let master = self.okr_master();
                    let cycle = self.cycle_id();
                    let end = (self.spec.end_date() - self.spec.start_date()).num_days();
                    let at = end * MS_PER_DAY + 17 * MS_PER_HOUR;
                    let body = CommandBody::BeginReview {
                        cycle,
                        early_reason: None,
                    };
                    self.push(master, at, body);
                }
                self.stage = Stage::Done;
            }
            Stage::Done => return false,
        }
        true
    }
}

fn increase(baseline: Option<f64>, target: f64, unit: &str) -> KrKind {
    KrKind::Increase {
        baseline,
        target,
        unit: unit.into(),
    }
}

fn decrease(baseline: f64, target: f64, unit: &str) -> KrKind {
    KrKind::Decrease {
        baseline: Some(baseline),
        target,
        unit: unit.into(),
    }
}

impl Iterator for Workload {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        loop {
            if let Some(c) = self.buf.pop_front() {
                return Some(c);
            }
            if !self.refill() {
                return None;
            }
        }
    }
}

impl std::iter::FusedIterator for Workload {}

/// The events of a workload, as [`decide`](decide()) produces them: an [`Iterator`] of
/// [`Event`]s that keeps the [`State`] they fold into.
#[derive(Debug, Clone)]
pub struct Events {
    commands: Workload,
    state: State,
    buf: VecDeque<Event>,
}

impl Events {
    /// The state after the events yielded so far (and any buffered behind them).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, consuming the iterator.
    pub fn into_state(self) -> State {
        self.state
    }

    /// Runs every remaining command without yielding its events.
    fn run_to_end(&mut self) {
        self.buf.clear();
        for command in self.commands.by_ref() {
            for e in decide_or_panic(&self.state, &command) {
                self.state.apply(&e);
            }
        }
    }
}

fn decide_or_panic(state: &State, command: &Command) -> Vec<Event> {
    decide(state, command)
        .unwrap_or_else(|rejection| {
            panic!(
                "workload generator bug: decide refused {command:?}: {rejection} ({rejection:?})"
            )
        })
        .events
}

impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Some(e);
            }
            let command = self.commands.next()?;
            let events = decide_or_panic(&self.state, &command);
            for e in &events {
                self.state.apply(e);
            }
            self.buf.extend(events);
        }
    }
}

impl std::iter::FusedIterator for Events {}
