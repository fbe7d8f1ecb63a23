//! Commands as an embedder writes them in JSON.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{decide, Command, EventBody, Rejection, Rule, State};

fn check_in_json(extra: &str) -> String {
    format!(
        r#"{{
            "envelope": {{
                "command_id": "6f1c2e3a-0000-4000-8000-000000000001",
                "actor": "{MEMBER_A}",
                "at": "2025-01-13T09:00:00Z",
                "expected_version": 5
            }},
            "body": {{
                "type": "check_in",
                "key_result": "{KR_A}",
                "value": 20.5,
                "confidence": 7,
                "note": "forms are live"{extra}
            }}
        }}"#
    )
}

#[test]
fn check_in_from_json_is_decided() {
    let command: Command = serde_json::from_str(&check_in_json("")).expect("valid command JSON");
    assert_eq!(command.envelope.actor, MEMBER_A);
    assert_eq!(command.envelope.expected_version, Some(5));
    assert_eq!(command.envelope.at, t_week());
    check(
        &running(),
        command,
        event(EventBody::CheckedIn {
            cycle: CYCLE,
            key_result: KR_A,
            value: 20.5,
            confidence: 7,
            note: "forms are live".into(),
            effective_at: t_week(),
        }),
    );
}

#[test]
fn unknown_field_in_the_body_is_refused_by_serde() {
    let err = serde_json::from_str::<Command>(&check_in_json(r#", "colour": "red""#))
        .expect_err("unknown field must be refused");
    let msg = err.to_string();
    assert!(msg.contains("unknown field `colour`"), "{msg}");
}

#[test]
fn unknown_command_type_is_refused_by_serde() {
    let json = check_in_json("").replace("\"check_in\"", "\"check_out\"");
    let msg = serde_json::from_str::<Command>(&json)
        .expect_err("unknown type must be refused")
        .to_string();
    assert!(msg.contains("check_out"), "{msg}");
}

#[test]
fn json_defaults_are_filled_in() {
    let json = format!(
        r#"{{
            "envelope": {{
                "command_id": "6f1c2e3a-0000-4000-8000-000000000002",
                "actor": "{LEAD_A}",
                "at": "2025-01-03T09:00:00Z"
            }},
            "body": {{
                "type": "draft_objective",
                "cycle": "{CYCLE}",
                "objective": "{OBJ_A2}",
                "unit": "{UNIT_A}",
                "title": "Residents trust the town hall",
                "kind": "aspirational"
            }}
        }}"#
    );
    let command: Command = serde_json::from_str(&json).expect("valid command JSON");
    assert_eq!(command.envelope.expected_version, None);
    check(
        &planning(),
        command,
        event(EventBody::ObjectiveDrafted {
            cycle: CYCLE,
            objective: OBJ_A2,
            unit: UNIT_A,
            text: plain_text("Residents trust the town hall"),
            kind: okr_core::ObjectiveKind::Aspirational,
            weight: 1,
        }),
    );
}

#[test]
fn command_round_trips_through_json() {
    let command = expecting(cmd(MEMBER_A, t_week(), b::check_in(KR_A, 20.0, 7)), 5);
    let json = serde_json::to_string(&command).unwrap();
    assert!(json.contains(r#""type":"check_in""#), "{json}");
    let back: Command = serde_json::from_str(&json).unwrap();
    assert_eq!(back, command);
}

#[test]
fn rejection_from_json_command_serializes_with_rule_code() {
    let json = check_in_json("").replace("\"confidence\": 7", "\"confidence\": 11");
    let command: Command = serde_json::from_str(&json).unwrap();
    let r = decide(&State::from_events(&running()), &command).expect_err("confidence 11");
    assert_eq!(
        r,
        Rejection::RuleViolated {
            rule: Rule::ConfidenceRange,
            detail: "confidence must lie in 0..=10, got 11".into(),
        }
    );
    let v: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(v["rejection"], "rule_violated");
    assert_eq!(v["rule"], "confidence-range");
}

#[test]
fn a_payload_read_by_its_type_refuses_what_the_tagged_reading_refuses() {
    let renamed = format!(r#"{{"type":"unit_renamed","unit":"{UNIT_A}","name":"Bauamt"}}"#);
    let read = |event_type: &str, json: &str| {
        EventBody::deserialize_of_type(event_type, &mut serde_json::Deserializer::from_str(json))
            .map_err(|e| e.to_string())
    };
    assert!(read("unit_renamed", &renamed).is_ok());
    let err = read("unit_retired", &renamed).unwrap_err();
    assert!(err.contains("unit_renamed"), "{err}");
    let err = read("unit_exploded", &renamed).unwrap_err();
    assert!(err.contains("unknown variant `unit_exploded`"), "{err}");
    let untyped = format!(r#"{{"unit":"{UNIT_A}","name":"Bauamt"}}"#);
    let err = read("unit_renamed", &untyped).unwrap_err();
    assert!(err.contains("missing field `type`"), "{err}");
    let nameless = format!(r#"{{"type":"unit_renamed","unit":"{UNIT_A}"}}"#);
    let err = read("unit_renamed", &nameless).unwrap_err();
    assert!(err.contains("missing field `name`"), "{err}");
    assert!(read("unit_renamed", "[1, 2]").is_err());
}
