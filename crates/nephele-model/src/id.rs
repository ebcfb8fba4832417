//! Synnefo mixes numeric and string ids: the network API sends `"42"`, the compute
//! API sends `42`, and clients may send either. We keep every id as a `String`
//! and accept both spellings on the way in.

use serde::{Deserialize, Deserializer};

/// Deserialize an id given as a JSON string or integer into its decimal string.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match IdRepr::deserialize(d)? {
        IdRepr::Str(s) => Ok(s),
        IdRepr::Int(n) => Ok(n.to_string()),
    }
}

/// Like [`string_or_number`] for optional ids: absent and `null` both give `None`.
pub fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<IdRepr>::deserialize(d)?.map(|r| match r {
        IdRepr::Str(s) => s,
        IdRepr::Int(n) => n.to_string(),
    }))
}

/// A network's id, where ids of several kinds travel together (a port joins a
/// network and a server): a swapped pair then does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkId<'a>(pub &'a str);

/// A server's id (see [`NetworkId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerId<'a>(pub &'a str);

#[derive(Deserialize)]
#[serde(untagged)]
enum IdRepr {
    Str(String),
    Int(i64),
}

/// Parse a network-API id (a decimal integer, as string) the way Synnefo does:
/// surrounding whitespace is not allowed, leading `+` is not allowed.
pub fn parse_numeric_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "string_or_number")]
        id: String,
        #[serde(default, deserialize_with = "opt_string_or_number")]
        device_id: Option<String>,
    }

    #[test]
    fn ids_come_as_strings_or_numbers() {
        let a: Holder = serde_json::from_str(r#"{"id": "42", "device_id": 141}"#).unwrap();
        assert_eq!((a.id.as_str(), a.device_id.as_deref()), ("42", Some("141")));
        let b: Holder = serde_json::from_str(r#"{"id": 7, "device_id": null}"#).unwrap();
        assert_eq!((b.id.as_str(), b.device_id), ("7", None));
        let c: Holder = serde_json::from_str(r#"{"id": 7}"#).unwrap();
        assert_eq!(c.device_id, None);
        assert!(serde_json::from_str::<Holder>(r#"{"id": [1]}"#).is_err());
    }

    #[test]
    fn numeric_ids_are_strict() {
        assert_eq!(parse_numeric_id("141"), Some(141));
        for bad in ["", "-1", "+1", " 1", "1e3", "abc", "9999999999999999999999"] {
            assert_eq!(parse_numeric_id(bad), None, "{bad:?}");
        }
    }
}
