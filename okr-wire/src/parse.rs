//! Strict parsing of the JSON messages, one way for every door (C ABI, `okr apply`,
//! `okr serve`):
//!
//! 1. the size limits of [`crate::limits`] ([`Code::TooLarge`]);
//! 2. UTF-8 ([`Code::InvalidUtf8`], with the byte offset);
//! 3. JSON ([`Code::MalformedJson`], with line and column), refusing a key that appears twice
//!    in one object (named by its full path);
//! 4. an object, whose `version` is absent, `1` or `1.0` ([`Code::Version`] otherwise);
//! 5. every text of a command at most [`crate::limits::MAX_TEXT_CHARS`] characters;
//! 6. the typed message, with the full path of the field that is wrong, also inside a
//!    command's `body` (e.g. ``invalid command at `body.confidence`: invalid value: integer
//!    `256`, expected u8``).

use std::collections::BTreeSet;
use std::fmt;

use okr_core::Command;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Number, Value};

use crate::code::{Code, Error};
use crate::limits::{MAX_BATCH_BYTES, MAX_BATCH_COMMANDS, MAX_MESSAGE_BYTES, MAX_TEXT_CHARS};
use crate::message::{Batch, OpenOptions, Query};

/// The message version this crate reads and writes.
pub const MESSAGE_VERSION: u64 = 1;

/// What kind of message an input is, for its limits, error codes and texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A command message.
    Command,
    /// A batch of commands.
    Batch,
    /// A query.
    Query,
    /// The options of opening an engine.
    Options,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Batch => "batch",
            Kind::Query => "query",
            Kind::Options => "options",
        }
    }

    fn code(self) -> Code {
        match self {
            Kind::Command | Kind::Batch => Code::InvalidCommand,
            Kind::Query => Code::InvalidQuery,
            Kind::Options => Code::InvalidOptions,
        }
    }

    fn max_bytes(self) -> usize {
        match self {
            Kind::Batch => MAX_BATCH_BYTES,
            _ => MAX_MESSAGE_BYTES,
        }
    }
}

/// Parses a command message (`{"version":1,"envelope":{..},"body":{..}}`). `name` names the
/// input in messages (``argument `json` ``, `the request body`, `line 3`).
pub fn command(bytes: &[u8], name: &str) -> Result<Command, Error> {
    message(bytes, name, Kind::Command)
}

/// Parses a batch message (`{"version":1,"commands":[..]}`) into its commands.
pub fn batch(bytes: &[u8], name: &str) -> Result<Vec<Command>, Error> {
    message::<Batch>(bytes, name, Kind::Batch).map(|b| b.commands)
}

/// Parses a query message (`{"version":1,"query":"<name>",..}`).
pub fn query(bytes: &[u8], name: &str) -> Result<Query, Error> {
    message(bytes, name, Kind::Query)
}

/// Parses open options; empty input (or only whitespace) means the defaults.
pub fn options(bytes: &[u8], name: &str) -> Result<OpenOptions, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        utf8(bytes, name)?;
        return Ok(OpenOptions {
            durability: None,
            snapshot_every: None,
            create_if_missing: None,
            organisation: None,
        });
    }
    message(bytes, name, Kind::Options)
}

/// Reads a durability: `"sync"`, `"periodic:<ms>"` or `"none"`.
pub fn durability(d: &str) -> Result<okr_store::Durability, Error> {
    let bad = || {
        Error::new(
            Code::InvalidOptions,
            format!(
                "invalid options at `durability`: `{d}` is not one of \"sync\", \"periodic:<ms>\", \"none\""
            ),
        )
    };
    match d {
        "sync" => Ok(okr_store::Durability::Sync),
        "none" => Ok(okr_store::Durability::None),
        _ => match d.strip_prefix("periodic:") {
            Some(ms) => ms
                .parse()
                .map(okr_store::Durability::Periodic)
                .map_err(|_| bad()),
            None => Err(bad()),
        },
    }
}

/// Checks that `bytes` are UTF-8, naming the offset of the first bad byte.
pub fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            Code::InvalidUtf8,
            format!(
                "{name} is not valid UTF-8: invalid byte at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

/// Parses a versioned message of `kind` through every step of the module documentation.
pub fn message<T: DeserializeOwned>(bytes: &[u8], name: &str, kind: Kind) -> Result<T, Error> {
    if bytes.len() > kind.max_bytes() {
        return Err(Error::new(
            Code::TooLarge,
            format!(
                "{name} is {} bytes; a {} may be at most {} bytes",
                bytes.len(),
                kind.noun(),
                kind.max_bytes()
            ),
        ));
    }
    let text = utf8(bytes, name)?;
    let mut value = strict_json(text, name, kind)?;
    let Value::Object(map) = &mut value else {
        return Err(Error::new(
            kind.code(),
            format!(
                "invalid {}: expected a JSON object, found {}",
                kind.noun(),
                type_name(&value)
            ),
        ));
    };
    check_version(map, &[], kind)?;
    match kind {
        Kind::Command => check_texts(&value, &mut Vec::new(), kind)?,
        Kind::Batch => {
            if let Some(Value::Array(commands)) = map.get_mut("commands") {
                if commands.len() > MAX_BATCH_COMMANDS {
                    return Err(Error::new(
                        Code::TooLarge,
                        format!(
                            "invalid batch at `commands`: {} commands; a batch may carry at most {MAX_BATCH_COMMANDS}",
                            commands.len()
                        ),
                    ));
                }
                for (i, c) in commands.iter_mut().enumerate() {
                    let at = [Seg::Key("commands".into()), Seg::Index(i)];
                    if let Value::Object(c) = c {
                        check_version(c, &at, kind)?;
                    }
                }
            }
            check_texts(&value, &mut Vec::new(), kind)?;
        }
        Kind::Query | Kind::Options => {}
    }
    typed(&value, kind)
}

/// Deserializes the checked value, naming the full path of a wrong field.
fn typed<T: DeserializeOwned>(value: &Value, kind: Kind) -> Result<T, Error> {
    let e = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let start = segments(e.path());
    let inner = e.into_inner().to_string();
    let path = locate::<T>(value, start, &inner);
    let message = if path.is_empty() {
        format!("invalid {}: {inner}", kind.noun())
    } else {
        format!("invalid {} at `{}`: {inner}", kind.noun(), Path(&path))
    };
    Err(Error::new(kind.code(), message))
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A path as `body.key_results[2].title`.
struct Path<'a>(&'a [Seg]);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn segments(path: &serde_path_to_error::Path) -> Vec<Seg> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

fn get<'a>(root: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, s| match (v, s) {
        (Value::Object(m), Seg::Key(k)) => m.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    })
}

fn get_mut<'a>(root: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, s| match (v, s) {
        (Value::Object(m), Seg::Key(k)) => m.get_mut(k),
        (Value::Array(a), Seg::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// The full path of the field an error is about.
///
/// serde names the path down to a value it buffers (a command's `body`, an internally
/// tagged enum); below it, the path is found from the value: a missing or unknown field is
/// named by the message, and any other error is at the one child whose removal changes the
/// error (serde stops at the first bad field, so removing a field before it changes
/// nothing), descending as far as that holds. This runs only for a refused message.
fn locate<T: DeserializeOwned>(root: &Value, start: Vec<Seg>, message: &str) -> Vec<Seg> {
    for (prefix, search) in [("missing field `", false), ("unknown field `", true)] {
        if let Some(field) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
        {
            let mut path = start;
            if search {
                if let Some(found) = holder_of(root, &path, field) {
                    path = found;
                }
            }
            path.push(Seg::Key(field.to_owned()));
            return path;
        }
    }
    let mut path = start;
    loop {
        let children: Vec<Seg> = match get(root, &path) {
            Some(Value::Object(m)) => m
                .keys()
                .filter(|k| *k != "type")
                .map(|k| Seg::Key(k.clone()))
                .collect(),
            Some(Value::Array(a)) => (0..a.len()).map(Seg::Index).collect(),
            _ => return path,
        };
        let culprit = children.into_iter().find(|child| {
            let mut trial = root.clone();
            match get_mut(&mut trial, &path) {
                Some(Value::Object(m)) => {
                    if let Seg::Key(k) = child {
                        m.remove(k);
                    }
                }
                Some(Value::Array(a)) => {
                    if let Seg::Index(i) = child {
                        a.remove(*i);
                    }
                }
                _ => {}
            }
            let again = serde_path_to_error::deserialize::<_, T>(&trial)
                .err()
                .map(|e| e.into_inner().to_string());
            again.as_deref() != Some(message)
        });
        match culprit {
            Some(c) => path.push(c),
            None => return path,
        }
    }
}

/// The path of the one object at or below `path` that has the key `field`, if exactly one
/// has it.
fn holder_of(root: &Value, path: &[Seg], field: &str) -> Option<Vec<Seg>> {
    fn walk(v: &Value, at: &mut Vec<Seg>, field: &str, found: &mut Vec<Vec<Seg>>) {
        match v {
            Value::Object(m) => {
                if m.contains_key(field) {
                    found.push(at.clone());
                }
                for (k, child) in m {
                    at.push(Seg::Key(k.clone()));
                    walk(child, at, field, found);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    at.push(Seg::Index(i));
                    walk(child, at, field, found);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    let mut at = path.to_vec();
    walk(get(root, path)?, &mut at, field, &mut found);
    (found.len() == 1).then(|| found.remove(0))
}

/// Removes and checks the `version` of a message (or of a command inside a batch).
fn check_version(map: &mut Map<String, Value>, at: &[Seg], kind: Kind) -> Result<(), Error> {
    let where_ = if at.is_empty() {
        String::new()
    } else {
        format!(" at `{}`", Path(at))
    };
    match map.remove("version") {
        None => Ok(()),
        Some(Value::Number(n)) if is_one(&n) => Ok(()),
        Some(other) => Err(Error::new(
            Code::Version,
            format!(
                "unsupported {} version {other}{where_}; this library reads version {MESSAGE_VERSION}",
                kind.noun()
            ),
        )),
    }
}

/// `1` and `1.0` are version 1 (some encoders write every number as a float).
fn is_one(n: &Number) -> bool {
    n.as_u64() == Some(MESSAGE_VERSION) || n.as_f64() == Some(MESSAGE_VERSION as f64)
}

/// Refuses a text longer than [`MAX_TEXT_CHARS`], naming its path.
fn check_texts(v: &Value, at: &mut Vec<Seg>, kind: Kind) -> Result<(), Error> {
    match v {
        Value::String(s) if s.len() > MAX_TEXT_CHARS => {
            let chars = s.chars().count();
            if chars > MAX_TEXT_CHARS {
                return Err(Error::new(
                    Code::TooLarge,
                    format!(
                        "invalid {} at `{}`: a text of {chars} characters; texts may be at most {MAX_TEXT_CHARS}",
                        kind.noun(),
                        Path(at)
                    ),
                ));
            }
            Ok(())
        }
        Value::Object(m) => {
            for (k, child) in m {
                at.push(Seg::Key(k.clone()));
                check_texts(child, at, kind)?;
                at.pop();
            }
            Ok(())
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(Seg::Index(i));
                check_texts(child, at, kind)?;
                at.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The marker that starts the message of a repeated key.
const DUPLICATE: &str = "duplicate key ";

/// Parses JSON text into a value, refusing a key repeated in one object.
fn strict_json(text: &str, name: &str, kind: Kind) -> Result<Value, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize::<_, Strict>(&mut de)
        .map_err(|e| {
            let path = segments(e.path());
            let inner = e.into_inner();
            duplicate(&inner, path, kind).unwrap_or_else(|| {
                Error::new(
                    Code::MalformedJson,
                    format!("malformed JSON in {name}: {inner}"),
                )
            })
        })?
        .0;
    de.end().map_err(|e| {
        Error::new(
            Code::MalformedJson,
            format!("malformed JSON in {name}: {e}"),
        )
    })?;
    Ok(parsed)
}

/// The error of a repeated key, if `e` is one.
fn duplicate(e: &serde_json::Error, mut path: Vec<Seg>, kind: Kind) -> Option<Error> {
    if !e.is_data() {
        return None;
    }
    let text = e.to_string();
    let rest = text.strip_prefix(DUPLICATE)?;
    let key: String = serde_json::Deserializer::from_str(rest)
        .into_iter::<String>()
        .next()?
        .ok()?;
    path.push(Seg::Key(key));
    Some(Error::new(
        kind.code(),
        format!(
            "invalid {} at `{}`: the key appears more than once ({}); each key may appear once",
            kind.noun(),
            Path(&path),
            match (e.line(), e.column()) {
                (0, _) => "in the input".to_owned(),
                (l, c) => format!("line {l}, column {c}"),
            }
        ),
    ))
}

/// A JSON value parsed with repeated keys refused.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> DeserializeSeed<'de> for StrictVisitor {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictVisitor)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let quoted = serde_json::to_string(&key).unwrap_or_default();
                return Err(A::Error::custom(format!("{DUPLICATE}{quoted}")));
            }
            let value = map.next_value_seed(StrictVisitor)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
