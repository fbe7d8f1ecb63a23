//! [`Text`]: a message for people in English and German, the English being what the wire
//! carries. It names no other module of the crate, so that every module may use it;
//! [`crate::i18n`] re-exports it and adds [`Text::get`](crate::i18n::Text::get).

use serde::{Deserialize, Serialize};

/// A message for people, written once in both languages: the English is what `Display`,
/// `Debug`, equality and serde see (so the wire carries the English text as a plain JSON
/// string), the German is the same message for [`Lang::De`](crate::i18n::Lang::De). A text made from a plain string
/// (an id, a name) or read back from JSON reads the same in both languages.
///
/// ```
/// use okr_core::i18n::{Lang, Text};
///
/// let t = Text::new("objective \"Mobile services\" was dropped", "Das Objective „Mobile services“ wurde verworfen");
/// assert_eq!(t.get(Lang::De), "Das Objective „Mobile services“ wurde verworfen");
/// assert_eq!(t.to_string(), "objective \"Mobile services\" was dropped");
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#""objective \"Mobile services\" was dropped""#);
/// assert_eq!(Text::from("42").get(Lang::De), "42");
/// ```
#[derive(Clone, Default)]
pub struct Text {
    en: String,
    de: Option<String>,
}

impl Text {
    /// The message in English and in German.
    pub fn new(en: impl Into<String>, de: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            de: Some(de.into()),
        }
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The German text; the English one when the text has no German of its own.
    pub fn de(&self) -> &str {
        self.de.as_deref().unwrap_or(&self.en)
    }

    /// Whether the German was written for this text (not taken over from a plain string).
    pub fn has_german(&self) -> bool {
        self.de.is_some()
    }
}

impl From<String> for Text {
    /// The same text in both languages (an id, a name).
    fn from(s: String) -> Text {
        Text { en: s, de: None }
    }
}

impl From<&str> for Text {
    /// The same text in both languages (an id, a name).
    fn from(s: &str) -> Text {
        Text::from(s.to_owned())
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.en
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.en, f)
    }
}

impl PartialEq for Text {
    /// Texts are equal when their English is: the German is the same message.
    fn eq(&self, other: &Text) -> bool {
        self.en == other.en
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.en == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.en == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        &self.en == other
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.en)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Text {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        String::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        String::json_schema(gen)
    }
}
