//! Scoring policies: how review scores are computed, as a versioned value.

use serde::{Deserialize, Serialize};

/// Whether scores are clamped to 0..=1 or show over-achievement and regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScoreBounds {
    /// Clamped to 0..=1 000 000 ppm.
    Clamped,
    /// Raw attainment, e.g. 1.4 for 140 % of the way to the target.
    Unbounded,
}

/// What an objective's score averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScoreScope {
    /// Its own key results only.
    KeyResultsOnly,
    /// Its key results and the objectives aligned to it (weighted by contribution).
    WithChildren,
}

/// How the parts of a mean are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScoreWeighting {
    /// By key result weight and alignment contribution.
    Weighted,
    /// Every part counts once.
    Equal,
}

/// A scoring policy. Its `version` names the formula so that a past score can say how it
/// was computed; `rescore` applies another policy to a past cycle without touching its log.
///
/// ```
/// use okr_core::rollup::ScoringPolicy;
/// let p = ScoringPolicy::default();
/// assert_eq!(p, ScoringPolicy::STANDARD);
/// assert_eq!(p.version, 1);
/// assert!(!p.rolls_up_aligned(), "alignment is for transparency by default");
/// assert!(ScoringPolicy::parse("with-children").unwrap().rolls_up_aligned());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScoringPolicy {
    /// Version of the scoring formula (1 today).
    pub version: u32,
    /// Clamped or unbounded.
    pub bounds: ScoreBounds,
    /// Key results only, or with aligned children.
    pub scope: ScoreScope,
    /// Weighted or equal.
    pub weighting: ScoreWeighting,
}

impl ScoringPolicy {
    /// The standard: version 1, scores clamped to 0..=1, an objective's progress and score
    /// its own key results only, weighted by key result weight. Alignment is for
    /// transparency: what aligned objectives contribute is shown beside an objective
    /// ([`crate::rollup::alignment`]), and rolled into it only under a policy that says
    /// `with-children`.
    pub const STANDARD: ScoringPolicy = ScoringPolicy {
        version: 1,
        bounds: ScoreBounds::Clamped,
        scope: ScoreScope::KeyResultsOnly,
        weighting: ScoreWeighting::Weighted,
    };

    /// The explicit policy that rolls aligned objectives in: like [`Self::STANDARD`], but an
    /// objective's progress and score include its committed aligned children, weighted by
    /// their contribution.
    pub const ROLL_UP_ALIGNED: ScoringPolicy = ScoringPolicy {
        scope: ScoreScope::WithChildren,
        ..ScoringPolicy::STANDARD
    };

    /// The policy of a cycle whose log records none (logs written before cycles recorded
    /// their scoring policy): those cycles rolled aligned objectives in, and replaying them
    /// keeps their figures, so this is [`Self::ROLL_UP_ALIGNED`].
    pub fn unrecorded() -> Self {
        Self::ROLL_UP_ALIGNED
    }

    /// Whether an objective's progress and score include the objectives aligned to it.
    pub fn rolls_up_aligned(&self) -> bool {
        self.scope == ScoreScope::WithChildren
    }

    /// The weight a part counts with under this policy.
    pub fn weight(&self, w: u32) -> u64 {
        match self.weighting {
            ScoreWeighting::Weighted => u64::from(w),
            ScoreWeighting::Equal => 1,
        }
    }

    /// Parses a compact name such as `clamped`, `unbounded,kr-only,equal` or
    /// `v1:unbounded,with-children,weighted` (the form the CLI takes).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut p = ScoringPolicy::STANDARD;
        let body = match s.split_once(':') {
            Some((v, rest)) => {
                p.version = v
                    .trim()
                    .trim_start_matches('v')
                    .parse()
                    .map_err(|_| format!("scoring policy version `{v}` is not a number"))?;
                if p.version != 1 {
                    return Err(format!(
                        "scoring policy version {} is unknown; this build knows version 1",
                        p.version
                    ));
                }
                rest
            }
            None => s,
        };
        for part in body.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            match part {
                "standard" => p = ScoringPolicy { version: p.version, ..ScoringPolicy::STANDARD },
                "clamped" => p.bounds = ScoreBounds::Clamped,
                "unbounded" => p.bounds = ScoreBounds::Unbounded,
                "kr-only" | "key-results-only" => p.scope = ScoreScope::KeyResultsOnly,
                "with-children" => p.scope = ScoreScope::WithChildren,
                "weighted" => p.weighting = ScoreWeighting::Weighted,
                "equal" => p.weighting = ScoreWeighting::Equal,
                other => {
                    return Err(format!(
                        "unknown scoring policy part `{other}`; use clamped|unbounded, kr-only|with-children, weighted|equal"
                    ))
                }
            }
        }
        Ok(p)
    }
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self::STANDARD
    }
}

impl std::fmt::Display for ScoringPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "v{}:{},{},{}",
            self.version,
            match self.bounds {
                ScoreBounds::Clamped => "clamped",
                ScoreBounds::Unbounded => "unbounded",
            },
            match self.scope {
                ScoreScope::KeyResultsOnly => "kr-only",
                ScoreScope::WithChildren => "with-children",
            },
            match self.weighting {
                ScoreWeighting::Weighted => "weighted",
                ScoreWeighting::Equal => "equal",
            }
        )
    }
}
