//! KPIs apart from OKRs: a unit's Kennzahlen with thresholds and readings, a health status,
//! never scored; a key result may refer to one; a threshold key result that reads like an
//! SLA is linted.

use crate::support::fx::*;
use crate::support::*;
use okr_core::lint::LintCode;
use okr_core::rollup;
use okr_core::*;

const KPI: KpiId = KpiId::from_u128(0xB00);
const KPI_B: KpiId = KpiId::from_u128(0xB01);
const NO_KPI: KpiId = KpiId::from_u128(0xBFF);

/// Every case of this file, for the coverage test.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(define_kpi_cases());
    all.extend(record_kpi_cases());
    all.extend(link_kpi_cases());
    all
}

fn define(kpi: KpiId, unit: UnitId, warning: Option<f64>) -> CommandBody {
    CommandBody::DefineKpi {
        kpi,
        unit,
        name: " Verfügbarkeit des Bürgerportals ".into(),
        unit_of_measure: "%".into(),
        bound: Bound::AtLeast,
        threshold: 99.5,
        warning,
    }
}

fn defined(kpi: KpiId, unit: UnitId, warning: Option<f64>) -> EventBody {
    EventBody::KpiDefined {
        kpi,
        unit,
        name: "Verfügbarkeit des Bürgerportals".into(),
        unit_of_measure: "%".into(),
        bound: Bound::AtLeast,
        threshold: 99.5,
        warning,
    }
}

fn record(kpi: KpiId, value: f64) -> CommandBody {
    CommandBody::RecordKpi {
        kpi,
        value,
        effective_at: None,
    }
}

/// The standard organisation with commune A's KPI (warning at 98 %) and commune B's.
fn with_kpis() -> Vec<Event> {
    after(
        &org(),
        vec![
            (LEAD_A, t_setup(), define(KPI, UNIT_A, Some(98.0))),
            (MASTER, t_setup(), b::grant(UNIT_B, MEMBER_B, Role::Lead)),
            (MEMBER_B, t_setup(), define(KPI_B, UNIT_B, None)),
        ],
    )
}

fn define_kpi_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    vec![
        case(
            "by the commune's lead, name trimmed",
            &org,
            cmd(LEAD_A, at, define(KPI, UNIT_A, Some(98.0))),
            event(defined(KPI, UNIT_A, Some(98.0))),
        ),
        case(
            "by a member",
            &org,
            cmd(MEMBER_A, at, define(KPI, UNIT_A, None)),
            unauthorized(MEMBER_A, "define KPI", Some(UNIT_A)),
        ),
        case(
            "by the OkrMaster, who holds no content rights",
            &org,
            cmd(MASTER, at, define(KPI, UNIT_A, None)),
            unauthorized(MASTER, "define KPI", Some(UNIT_A)),
        ),
        case(
            "a warning level on the healthy side",
            &org,
            cmd(LEAD_A, at, define(KPI, UNIT_A, Some(99.9))),
            field("warning"),
        ),
        case(
            "an id in use",
            &with_kpis(),
            cmd(LEAD_A, at, define(KPI, UNIT_A, None)),
            exists(EntityKind::Kpi, KPI),
        ),
    ]
}

fn record_kpi_cases() -> Vec<Case> {
    let at = t_week();
    let given = with_kpis();
    vec![
        case(
            "a reading by a member of the unit",
            &given,
            cmd(MEMBER_A, at, record(KPI, 99.1)),
            event(EventBody::KpiRecorded {
                kpi: KPI,
                value: 99.1,
                effective_at: at,
            }),
        ),
        case(
            "by a member of another unit",
            &given,
            cmd(MEMBER_B, at, record(KPI, 99.1)),
            unauthorized(MEMBER_B, "record KPI", Some(UNIT_A)),
        ),
        case(
            "not a number",
            &given,
            cmd(MEMBER_A, at, record(KPI, f64::NAN)),
            field("value"),
        ),
        case(
            "effective in the future",
            &given,
            cmd(
                MEMBER_A,
                at,
                CommandBody::RecordKpi {
                    kpi: KPI,
                    value: 99.0,
                    effective_at: Some(t_after()),
                },
            ),
            rule(Rule::EffectiveAtInRange, "lies after"),
        ),
        case(
            "an unknown KPI",
            &given,
            cmd(MEMBER_A, at, record(NO_KPI, 99.0)),
            unknown(EntityKind::Kpi, NO_KPI),
        ),
    ]
}

fn link_kpi_cases() -> Vec<Case> {
    let at = t_week();
    let given = [with_kpis(), running()[ORG_VERSION as usize..].to_vec()].concat();
    let link = |kpi| CommandBody::LinkKpi {
        key_result: KR_A,
        kpi,
    };
    vec![
        case(
            "a key result to its unit's KPI",
            &given,
            cmd(MEMBER_A, at, link(KPI)),
            event(EventBody::KeyResultLinkedToKpi {
                cycle: CYCLE,
                key_result: KR_A,
                kpi: KPI,
            }),
        ),
        case(
            "to another unit's KPI",
            &given,
            cmd(MEMBER_A, at, link(KPI_B)),
            rule(Rule::KpiOfTheUnit, "belongs to Commune B"),
        ),
        case(
            "to an unknown KPI",
            &given,
            cmd(MEMBER_A, at, link(NO_KPI)),
            field("kpi"),
        ),
        case(
            "by the observer",
            &given,
            cmd(OBSERVER, at, link(KPI)),
            unauthorized(OBSERVER, "link KPI", Some(UNIT_A)),
        ),
    ]
}

#[test]
fn define_kpi() {
    check_all(define_kpi_cases());
}

#[test]
fn record_kpi() {
    check_all(record_kpi_cases());
}

#[test]
fn link_kpi() {
    check_all(link_kpi_cases());
}

#[test]
fn health_follows_the_latest_reading_and_is_never_scored() {
    let mut w =
        World::from_events(&[with_kpis(), running()[ORG_VERSION as usize..].to_vec()].concat());
    let before = rollup::cycle(&w.state.cycles[&CYCLE]);
    assert_eq!(w.state.kpis[&KPI].health(), KpiHealth::Unknown);
    w.step(MEMBER_A, t_week(), record(KPI, 99.7));
    assert_eq!(w.state.kpis[&KPI].health(), KpiHealth::Healthy);
    w.step(MEMBER_A, t_week(), record(KPI, 98.4));
    assert_eq!(w.state.kpis[&KPI].health(), KpiHealth::Warning);
    w.step(MEMBER_A, t_week(), record(KPI, 97.0));
    assert_eq!(w.state.kpis[&KPI].health(), KpiHealth::Breached);
    // Commune B's KPI has no warning level: below the threshold is breached at once.
    w.step(MEMBER_B, t_week(), record(KPI_B, 99.4));
    assert_eq!(w.state.kpis[&KPI_B].health(), KpiHealth::Breached);
    // A reading told late but effective earlier does not replace the latest.
    w.step(
        MEMBER_A,
        t_week(),
        CommandBody::RecordKpi {
            kpi: KPI,
            value: 99.9,
            effective_at: Some(t_start()),
        },
    );
    assert_eq!(w.state.kpis[&KPI].health(), KpiHealth::Breached);
    assert_eq!(w.state.kpis[&KPI].readings, 4);
    // Linked to a key result, the KPI still counts nowhere in the rollup.
    w.step(
        MEMBER_A,
        t_week(),
        CommandBody::LinkKpi {
            key_result: KR_A,
            kpi: KPI,
        },
    );
    assert_eq!(w.state.cycles[&CYCLE].key_results[&KR_A].kpi, Some(KPI));
    assert_eq!(rollup::cycle(&w.state.cycles[&CYCLE]), before);
}

#[test]
fn a_threshold_key_result_that_reads_like_an_sla_is_linted() {
    let threshold = |title: &str| CommandBody::AddKeyResult {
        objective: OBJ_A,
        key_result: KR_NEW,
        title: title.into(),
        kind: KrKind::Threshold {
            bound: Bound::AtLeast,
            value: 99.5,
            unit: "%".into(),
        },
        weight: 1,
        owner: None,
    };
    let lints = |title: &str| {
        let mut state = State::from_events(&planning());
        execute(&mut state, &cmd(LEAD_A, t_plan(), threshold(title)))
            .expect("accepted: lints are advisory")
            .lints
    };
    for sla in [
        "Verfügbarkeit des Bürgerportals",
        "Tickets innerhalb von 2 Tagen beantwortet",
        "Portal availability",
        "Reaktionszeit des Servicedesks",
    ] {
        let found: Vec<_> = lints(sla)
            .into_iter()
            .filter(|l| l.code == LintCode::KeyResultReadsLikeSla)
            .collect();
        assert_eq!(found.len(), 1, "{sla}: {found:#?}");
        assert!(
            found[0].message_de.contains("Kennzahl"),
            "{}",
            found[0].message_de
        );
        assert!(found[0].message_en.contains(sla), "{}", found[0].message_en);
    }
    assert!(
        !lints("Anteil der Bürgerinnen, die das Portal weiterempfehlen")
            .iter()
            .any(|l| l.code == LintCode::KeyResultReadsLikeSla)
    );
    assert_eq!(
        LintCode::KeyResultReadsLikeSla.code(),
        "key-result-reads-like-sla"
    );
}
