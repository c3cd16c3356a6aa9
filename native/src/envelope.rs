//! The inbound client message: a JSON object `{message, path, clientId, group, direct}`
//! with case-insensitive keys (Pode's client contract). A number where a string is
//! expected (`path`, `clientId`, `group`) is taken as its text, as PowerShell does.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A parsed client message.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The `message` value as compact JSON text (any JSON value; strings keep their quotes).
    pub message: String,
    /// `path`: the Name to broadcast to (URL-decoded); empty when absent.
    pub path: String,
    /// `clientId`: target client ids (a string or an array of strings).
    pub client_ids: Vec<String>,
    /// `group`: target groups (a string or an array of strings).
    pub groups: Vec<String>,
    /// `direct`: reply to the sender only. True only for the JSON value `true`.
    pub direct: bool,
}

impl Envelope {
    /// Parses a client's text message. The error says what is wrong, for the host's
    /// error event.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed: Parsed = serde_json::from_str(text).map_err(|e| format!("the message is not a valid signal envelope: {e}"))?;
        let message = parsed.message.ok_or_else(|| "the message has no 'message' property".to_string())?;
        Ok(Self {
            message: compact_json(message.get()),
            path: parsed.path.map(|p| percent_encoding::percent_decode_str(&p.0).decode_utf8_lossy().into_owned()).unwrap_or_default(),
            client_ids: parsed.client_ids.0,
            groups: parsed.groups.0,
            direct: parsed.direct,
        })
    }

    /// The data a re-broadcast sends, as Pode's `Send-PodeSignal -Value $message`
    /// does: a string as it is, anything else as compact JSON; nothing for null, an
    /// empty string or an empty array.
    pub fn payload(&self) -> Option<Utf8Bytes> {
        match self.message.as_str() {
            "null" | "\"\"" | "[]" => None,
            json if json.starts_with('"') => serde_json::from_str::<String>(json).ok().map(Utf8Bytes::from),
            json => Some(Utf8Bytes::from(json.to_string())),
        }
    }
}

/// Drops the whitespace between JSON tokens, keeping key order and string contents.
fn compact_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !c.is_ascii_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// The fields as they arrive, before normalisation.
struct Parsed {
    message: Option<Box<RawValue>>,
    path: Option<Text>,
    client_ids: StringOrList,
    groups: StringOrList,
    direct: bool,
}

impl<'de> serde::Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ParsedVisitor)
    }
}

struct ParsedVisitor;

impl<'de> Visitor<'de> for ParsedVisitor {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with a 'message' property")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut parsed = Parsed { message: None, path: None, client_ids: StringOrList::default(), groups: StringOrList::default(), direct: false };
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Message => parsed.message = Some(map.next_value()?),
                Field::Path => parsed.path = map.next_value()?,
                Field::ClientId => parsed.client_ids = map.next_value()?,
                Field::Group => parsed.groups = map.next_value()?,
                Field::Direct => parsed.direct = map.next_value::<serde_json::Value>()? == serde_json::Value::Bool(true),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(parsed)
    }
}

/// An envelope key, matched without regard to case and without allocating.
enum Field {
    Message,
    Path,
    ClientId,
    Group,
    Direct,
    Other,
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                let is = |name: &str| v.eq_ignore_ascii_case(name);
                Ok(if is("message") {
                    Field::Message
                } else if is("path") {
                    Field::Path
                } else if is("clientId") {
                    Field::ClientId
                } else if is("group") {
                    Field::Group
                } else if is("direct") {
                    Field::Direct
                } else {
                    Field::Other
                })
            }
        }
        deserializer.deserialize_identifier(V)
    }
}

/// A JSON number's text as serde_json writes it (`1.5`, `1e300`).
fn float_text(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
}

/// A string, or a number taken as its JSON text (`5`, `1.5`).
struct Text(String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(float_text(v)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `null`, a string or number, or an array of them.
#[derive(Default)]
struct StringOrList(Vec<String>);

impl<'de> serde::Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringOrList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or an array of them")
            }
            fn visit_unit<E: de::Error>(self) -> Result<StringOrList, E> {
                Ok(StringOrList::default())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringOrList, E> {
                Ok(StringOrList(if v.is_empty() { Vec::new() } else { vec![v.to_string()] }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![v.to_string()]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![float_text(v)]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<StringOrList, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(s)) = seq.next_element::<Text>()? {
                    if !s.is_empty() {
                        out.push(s);
                    }
                }
                Ok(StringOrList(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_lists_accepted() {
        let e = Envelope::parse(r#"{"MESSAGE":"hi","Path":"%2Fmsg","clientID":["a","b"],"GROUP":"g","Direct":true}"#).unwrap();
        assert_eq!(e.message, "\"hi\"");
        assert_eq!(e.path, "/msg");
        assert_eq!(e.client_ids, ["a", "b"]);
        assert_eq!(e.groups, ["g"]);
        assert!(e.direct);
        assert_eq!(e.payload().unwrap().as_str(), "hi");
    }

    #[test]
    fn direct_is_true_only_for_json_true() {
        for v in [r#""true""#, r#""false""#, "1", "null"] {
            let e = Envelope::parse(&format!(r#"{{"message":1,"direct":{v}}}"#)).unwrap();
            assert!(!e.direct, "{v}");
        }
    }

    #[test]
    fn objects_are_compacted_in_order() {
        let e = Envelope::parse("{\"message\": { \"b\" : [1, 2], \"a\": \"x y\\\" z\" } }").unwrap();
        assert_eq!(e.payload().unwrap().as_str(), r#"{"b":[1,2],"a":"x y\" z"}"#);
    }

    #[test]
    fn empty_payloads_send_nothing() {
        for m in ["null", "\"\"", "[]"] {
            assert!(Envelope::parse(&format!(r#"{{"message":{m}}}"#)).unwrap().payload().is_none(), "{m}");
        }
        assert_eq!(Envelope::parse(r#"{"message":0}"#).unwrap().payload().unwrap().as_str(), "0");
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(Envelope::parse("hello").unwrap_err().contains("not a valid signal envelope"));
        assert!(Envelope::parse("[1]").unwrap_err().contains("not a valid signal envelope"));
        assert!(Envelope::parse(r#"{"path":"/x"}"#).unwrap_err().contains("no 'message'"));
        assert!(Envelope::parse(r#"{"message":1,"clientId":{"a":1}}"#).is_err());
        assert!(Envelope::parse(r#"{"message":1,"group":[true]}"#).is_err());
    }

    #[test]
    fn numbers_are_taken_as_their_text() {
        let e = Envelope::parse(r#"{"message":1,"path":5,"clientId":[7,"a",1.5],"group":42}"#).unwrap();
        assert_eq!(e.path, "5");
        assert_eq!(e.client_ids, ["7", "a", "1.5"]);
        assert_eq!(e.groups, ["42"]);
        assert_eq!(Envelope::parse(r#"{"message":1,"clientId":-3}"#).unwrap().client_ids, ["-3"]);
    }
}
