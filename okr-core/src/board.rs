//! The prioritised board: a cycle's initiatives in Kanban columns (to do, doing, done), per
//! unit, objective and key result, each column ranked by impact over effort, with the
//! TOP-3 of the work still open.
//!
//! The ranking is the effort/impact matrix of the practice (a scale of 1 to 5 for each,
//! „möglichst großer Nutzen bei minimalem Aufwand“): [`Initiative::priority`] — impact per
//! effort — first, then the larger impact, then the title and the id, so that the order is
//! total and the same everywhere. The TOP-3 are the three best-ranked initiatives in the
//! scope that are not done.
//!
//! ```
//! use okr_core::board::{rank, Scope};
//! use okr_core::{Initiative, InitiativeId, InitiativeStatus, KeyResultId};
//! let card = |n: u128, effort, impact| Initiative {
//!     id: InitiativeId::from_u128(n),
//!     key_result: KeyResultId::from_u128(1),
//!     title: format!("I{n}"),
//!     effort,
//!     impact,
//!     status: InitiativeStatus::Todo,
//! };
//! let mut v = vec![card(1, 4, 4), card(2, 1, 3), card(3, 2, 4)];
//! v.sort_by(rank);
//! assert_eq!(v.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["I2", "I3", "I1"]);
//! assert_eq!(serde_json::to_string(&Scope::Cycle).unwrap(), r#""cycle""#);
//! ```

use crate::cycle::Cycle;
use crate::ids::{CycleId, EntityKind, InitiativeId, KeyResultId, ObjectiveId, UnitId};
use crate::objective::ObjectiveStatus;
use crate::rejection::Rejection;
use crate::state::State;
use crate::weekly::{Initiative, InitiativeStatus};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What part of a cycle the board shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole cycle.
    Cycle,
    /// A unit and the units below it.
    Unit(UnitId),
    /// One objective.
    Objective(ObjectiveId),
    /// One key result.
    KeyResult(KeyResultId),
}

/// One initiative on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Card {
    /// The initiative.
    pub initiative: InitiativeId,
    /// What will be done.
    pub title: String,
    /// Its column.
    pub status: InitiativeStatus,
    /// Effort 1..=5.
    pub effort: u8,
    /// Impact 1..=5.
    pub impact: u8,
    /// Impact per effort in parts per thousand ([`Initiative::priority`]).
    pub priority: u32,
    /// The key result it should move.
    pub key_result: KeyResultId,
    /// That key result's objective.
    pub objective: ObjectiveId,
    /// That objective's unit.
    pub unit: UnitId,
}

/// The three Kanban columns, each ranked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Columns {
    /// Not started.
    pub todo: Vec<Card>,
    /// In progress.
    pub doing: Vec<Card>,
    /// Finished.
    pub done: Vec<Card>,
}

impl Columns {
    fn push(&mut self, card: Card) {
        match card.status {
            InitiativeStatus::Todo => self.todo.push(card),
            InitiativeStatus::Doing => self.doing.push(card),
            InitiativeStatus::Done => self.done.push(card),
        }
    }

    /// Every card, column by column.
    pub fn cards(&self) -> impl Iterator<Item = &Card> {
        self.todo.iter().chain(&self.doing).chain(&self.done)
    }

    /// Whether no column holds a card.
    pub fn is_empty(&self) -> bool {
        self.todo.is_empty() && self.doing.is_empty() && self.done.is_empty()
    }
}

/// A key result's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyResultLane {
    /// The key result.
    pub key_result: KeyResultId,
    /// Its title.
    pub title: String,
    /// Its initiatives.
    pub columns: Columns,
}

/// An objective's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectiveLane {
    /// The objective.
    pub objective: ObjectiveId,
    /// Its title.
    pub title: String,
    /// Its initiatives, over all its key results.
    pub columns: Columns,
    /// Per key result (those without initiatives too), in the order they were added.
    pub key_results: Vec<KeyResultLane>,
}

/// A unit's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnitLane {
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub name: String,
    /// Its initiatives, over all its objectives.
    pub columns: Columns,
    /// Per objective, in the order they were drafted.
    pub objectives: Vec<ObjectiveLane>,
}

/// A cycle's prioritised board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Board {
    /// The cycle.
    pub cycle: CycleId,
    /// Its name.
    pub cycle_name: String,
    /// What part of it.
    pub scope: Scope,
    /// The three best-ranked initiatives not done yet.
    pub top3: Vec<Card>,
    /// Every initiative in the scope.
    pub columns: Columns,
    /// Per unit with objectives in the scope (draft or committed), in unit tree order.
    pub units: Vec<UnitLane>,
}

/// The board's order: higher priority (impact per effort) first, then higher impact, then
/// title, then id.
pub fn rank(a: &Initiative, b: &Initiative) -> Ordering {
    b.priority()
        .cmp(&a.priority())
        .then(b.impact.cmp(&a.impact))
        .then_with(|| a.title.cmp(&b.title))
        .then(a.id.cmp(&b.id))
}

fn rank_cards(a: &Card, b: &Card) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then(b.impact.cmp(&a.impact))
        .then_with(|| a.title.cmp(&b.title))
        .then(a.initiative.cmp(&b.initiative))
}

fn sort(c: &mut Columns) {
    c.todo.sort_by(rank_cards);
    c.doing.sort_by(rank_cards);
    c.done.sort_by(rank_cards);
}

/// Units in tree order: parents before children, siblings by name then id.
fn tree_order(state: &State) -> Vec<UnitId> {
    let mut children: std::collections::BTreeMap<Option<UnitId>, Vec<(&str, UnitId)>> =
        Default::default();
    for u in state.units.values() {
        children
            .entry(u.parent)
            .or_default()
            .push((u.name.as_ref(), u.id));
    }
    for v in children.values_mut() {
        v.sort();
    }
    let mut out = Vec::new();
    let mut stack: Vec<UnitId> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|(_, id)| *id).collect())
        .unwrap_or_default();
    while let Some(u) = stack.pop() {
        if out.contains(&u) {
            continue;
        }
        out.push(u);
        if let Some(v) = children.get(&Some(u)) {
            stack.extend(v.iter().rev().map(|(_, id)| *id));
        }
    }
    out
}

/// The board of `cycle` within `scope`. Dropped objectives and removed key results are left
/// out. Refused with [`Rejection::UnknownId`] for an unknown cycle, or a unit, objective or
/// key result the cycle does not hold.
pub fn board(state: &State, cycle: CycleId, scope: Scope) -> Result<Board, Rejection> {
    let c: &Cycle = state
        .cycles
        .get(&cycle)
        .ok_or_else(|| Rejection::unknown(EntityKind::Cycle, cycle))?;
    match scope {
        Scope::Cycle => {}
        Scope::Unit(u) => {
            if !state.units.contains_key(&u) {
                return Err(Rejection::unknown(EntityKind::Unit, u));
            }
        }
        Scope::Objective(o) => {
            if c.objectives.get(&o).is_none() {
                return Err(Rejection::unknown(EntityKind::Objective, o));
            }
        }
        Scope::KeyResult(k) => {
            if c.key_results.get(&k).is_none_or(|k| k.removed) {
                return Err(Rejection::unknown(EntityKind::KeyResult, k));
            }
        }
    }
    let in_unit = |u: UnitId| match scope {
        Scope::Unit(top) => u == top || state.ancestors(u).contains(&top),
        _ => true,
    };
    let mut by_kr: std::collections::BTreeMap<KeyResultId, Vec<&Initiative>> = Default::default();
    for i in c.initiatives.values() {
        by_kr.entry(i.key_result).or_default().push(i);
    }
    let mut all = Columns::default();
    let mut units = Vec::new();
    for unit in tree_order(state) {
        if !in_unit(unit) {
            continue;
        }
        let mut lane = UnitLane {
            unit,
            name: state
                .units
                .get(&unit)
                .map_or_else(|| unit.to_string(), |u| u.name.to_string()),
            columns: Columns::default(),
            objectives: Vec::new(),
        };
        for o in c.objectives.values() {
            if o.unit != unit || o.status == ObjectiveStatus::Dropped {
                continue;
            }
            if matches!(scope, Scope::Objective(id) if id != o.id) {
                continue;
            }
            if let Scope::KeyResult(k) = scope {
                if !o.key_results.contains(&k) {
                    continue;
                }
            }
            let mut ol = ObjectiveLane {
                objective: o.id,
                title: o.text.title.to_string(),
                columns: Columns::default(),
                key_results: Vec::new(),
            };
            for k in c.key_results_of(o.id) {
                if matches!(scope, Scope::KeyResult(id) if id != k.id) {
                    continue;
                }
                let mut kl = KeyResultLane {
                    key_result: k.id,
                    title: k.title.to_string(),
                    columns: Columns::default(),
                };
                for i in by_kr.get(&k.id).map(Vec::as_slice).unwrap_or_default() {
                    let card = Card {
                        initiative: i.id,
                        title: i.title.clone(),
                        status: i.status,
                        effort: i.effort,
                        impact: i.impact,
                        priority: i.priority(),
                        key_result: k.id,
                        objective: o.id,
                        unit,
                    };
                    kl.columns.push(card.clone());
                    ol.columns.push(card.clone());
                    lane.columns.push(card.clone());
                    all.push(card);
                }
                sort(&mut kl.columns);
                ol.key_results.push(kl);
            }
            sort(&mut ol.columns);
            lane.objectives.push(ol);
        }
        if !lane.objectives.is_empty() {
            sort(&mut lane.columns);
            units.push(lane);
        }
    }
    sort(&mut all);
    let mut open: Vec<Card> = all.todo.iter().chain(&all.doing).cloned().collect();
    open.sort_by(rank_cards);
    open.truncate(3);
    Ok(Board {
        cycle,
        cycle_name: c.name.clone(),
        scope,
        top3: open,
        columns: all,
        units,
    })
}
