//! One line of a dump: [`DumpRecord`], written by [`DumpRecord::encode`]
//! and read back by [`DumpRecord::decode`]. The format itself is described
//! in the parent module's docs.
//!
//! Decoding goes through [`serde_json::Value`] rather than a derived
//! struct so that each way a line can be wrong gets its own
//! [`LineError`], worded for a person fixing the file, instead of serde's
//! messages (which also give positions as "line 1", meaning the JSON's own
//! line, not the dump's).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mini_kvstore::MAX_KEY_LEN;
use serde::Serialize;
use serde_json::{Map, Value};

/// The fields of a record, by name.
const KEY: &str = "key";
const KEY_B64: &str = "key_b64";
const VALUE: &str = "value";
const VALUE_B64: &str = "value_b64";
const EXPIRES_AT_MS: &str = "expires_at_ms";

/// One key with its value and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DumpRecord {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Vec<u8>,
    /// When the key expires, in milliseconds since the Unix epoch; `None`
    /// when it never does.
    pub(crate) expires_at_ms: Option<u64>,
}

/// Why a line is not a record the store can take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum LineError {
    /// The line's bytes are not UTF-8, so it cannot be JSON.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// The line does not parse as JSON.
    #[error("not JSON: {reason} (column {column})")]
    NotJson {
        /// What serde_json found wrong.
        reason: String,
        /// Where in the line, counting characters from 1.
        column: usize,
    },
    /// The line is JSON, but not an object.
    #[error("not a JSON object; each line is one {{\"key\": …, \"value\": …}}")]
    NotAnObject,
    /// Neither the text nor the base64 form of a field.
    #[error("no \"{text}\" or \"{b64}\" field")]
    Missing {
        /// The text form's name.
        text: &'static str,
        /// The base64 form's name.
        b64: &'static str,
    },
    /// Both forms of a field.
    #[error("both \"{text}\" and \"{b64}\"; give one")]
    Both {
        /// The text form's name.
        text: &'static str,
        /// The base64 form's name.
        b64: &'static str,
    },
    /// A key or value field that is not a JSON string.
    #[error("\"{0}\" must be a string")]
    NotAString(&'static str),
    /// A `_b64` field that is not base64.
    #[error("\"{field}\" is not base64 (standard alphabet, with padding): {reason}")]
    BadBase64 {
        /// The field.
        field: &'static str,
        /// What the decoder found.
        reason: String,
    },
    /// An expiry that is not a whole, non-negative number.
    #[error(
        "\"expires_at_ms\" must be a whole number of milliseconds since the Unix epoch (leave it out for no expiry)"
    )]
    BadExpiry,
    /// A field the format does not have.
    #[error(
        "unknown field \"{0}\" (a record has key or key_b64, value or value_b64, and maybe expires_at_ms)"
    )]
    UnknownField(String),
    /// The store takes no empty key.
    #[error("key must not be empty")]
    EmptyKey,
    /// A key over the engine's limit.
    #[error("key is {len} bytes, the limit is {max}")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value over the store's `max_value_size`.
    #[error("value is {len} bytes, the limit is {max}")]
    ValueTooLarge {
        /// The value's length.
        len: u64,
        /// The limit.
        max: u64,
    },
}

/// A record as JSON: each of key and value in exactly one of its forms.
#[derive(Serialize)]
struct Encoded<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_b64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_b64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at_ms: Option<u64>,
}

impl DumpRecord {
    /// Appends the record to `out` as one line of JSON, with its `\n`:
    /// text where the bytes are UTF-8, base64 where they are not.
    pub(crate) fn encode(
        key: &[u8],
        value: &[u8],
        expires_at_ms: Option<u64>,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        let (key, key_b64) = text_or_b64(key);
        let (value, value_b64) = text_or_b64(value);
        let encoded = Encoded {
            key,
            key_b64,
            value,
            value_b64,
            expires_at_ms,
        };
        serde_json::to_writer(&mut *out, &encoded)?;
        out.push(b'\n');
        Ok(())
    }

    /// Reads one line (without its line end): `Ok(None)` for a blank line.
    /// Checks the format only; [`check_limits`](Self::check_limits) checks
    /// what the store will take.
    pub(crate) fn decode(line: &[u8]) -> Result<Option<DumpRecord>, LineError> {
        let text = std::str::from_utf8(line).map_err(|_| LineError::NotUtf8)?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        // Whatever else such a line is (a `load` file's `key<TAB>value`, an
        // array), "not an object" says what a dump line must be.
        if !trimmed.starts_with('{') {
            return Err(LineError::NotAnObject);
        }
        let json: Value = serde_json::from_str(text).map_err(|error| LineError::NotJson {
            reason: without_position(&error),
            column: error.column(),
        })?;
        let Value::Object(mut fields) = json else {
            return Err(LineError::NotAnObject);
        };
        // Before the missing ones: a misspelt field is the likelier news.
        let known = [KEY, KEY_B64, VALUE, VALUE_B64, EXPIRES_AT_MS];
        if let Some(name) = fields.keys().find(|name| !known.contains(&name.as_str())) {
            return Err(LineError::UnknownField(name.clone()));
        }
        let key = take_bytes(&mut fields, KEY, KEY_B64)?;
        let value = take_bytes(&mut fields, VALUE, VALUE_B64)?;
        let expires_at_ms = match fields.remove(EXPIRES_AT_MS) {
            None => None,
            Some(at) => Some(at.as_u64().ok_or(LineError::BadExpiry)?),
        };
        Ok(Some(DumpRecord {
            key,
            value,
            expires_at_ms,
        }))
    }

    /// Whether the store can take the record: a key of 1 to
    /// [`MAX_KEY_LEN`] bytes, a value of at most `max_value_size` (the
    /// store's option). The same checks the engine makes, made before
    /// anything is written.
    pub(crate) fn check_limits(&self, max_value_size: u64) -> Result<(), LineError> {
        if self.key.is_empty() {
            return Err(LineError::EmptyKey);
        }
        if self.key.len() > MAX_KEY_LEN {
            return Err(LineError::KeyTooLarge {
                len: self.key.len(),
                max: MAX_KEY_LEN,
            });
        }
        let len = self.value.len() as u64;
        if len > max_value_size {
            return Err(LineError::ValueTooLarge {
                len,
                max: max_value_size,
            });
        }
        Ok(())
    }
}

/// `bytes` as text if they are UTF-8, else as base64.
fn text_or_b64(bytes: &[u8]) -> (Option<&str>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Some(text), None),
        Err(_) => (None, Some(BASE64.encode(bytes))),
    }
}

/// Takes the field `text` or `b64` (exactly one must be there) out of
/// `fields`, as bytes.
fn take_bytes(
    fields: &mut Map<String, Value>,
    text: &'static str,
    b64: &'static str,
) -> Result<Vec<u8>, LineError> {
    match (fields.remove(text), fields.remove(b64)) {
        (Some(_), Some(_)) => Err(LineError::Both { text, b64 }),
        (None, None) => Err(LineError::Missing { text, b64 }),
        (Some(Value::String(s)), None) => Ok(s.into_bytes()),
        (Some(_), None) => Err(LineError::NotAString(text)),
        (None, Some(Value::String(s))) => {
            BASE64
                .decode(s.as_bytes())
                .map_err(|error| LineError::BadBase64 {
                    field: b64,
                    reason: error.to_string(),
                })
        }
        (None, Some(_)) => Err(LineError::NotAString(b64)),
    }
}

/// serde_json's message without the " at line L column C" it appends: a
/// dump line is one line of JSON, and the column is reported on its own.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    message
        .strip_suffix(&suffix)
        .map_or_else(|| message.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(key: &[u8], value: &[u8], expires_at_ms: Option<u64>) -> String {
        let mut out = Vec::new();
        DumpRecord::encode(key, value, expires_at_ms, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn decode(line: &str) -> Result<Option<DumpRecord>, LineError> {
        DumpRecord::decode(line.as_bytes())
    }

    fn record(key: &[u8], value: &[u8], expires_at_ms: Option<u64>) -> DumpRecord {
        DumpRecord {
            key: key.to_vec(),
            value: value.to_vec(),
            expires_at_ms,
        }
    }

    #[test]
    fn text_is_written_as_text_and_other_bytes_as_base64() {
        assert_eq!(
            encode(b"k", b"v", None),
            "{\"key\":\"k\",\"value\":\"v\"}\n"
        );
        assert_eq!(
            encode(b"\xff\x00bin", b"\xc3\x28", Some(1_767_225_600_000)),
            "{\"key_b64\":\"/wBiaW4=\",\"value_b64\":\"wyg=\",\"expires_at_ms\":1767225600000}\n"
        );
        assert_eq!(
            encode(b"note", b"two\nlines \"quoted\" \\ \t", None),
            "{\"key\":\"note\",\"value\":\"two\\nlines \\\"quoted\\\" \\\\ \\t\"}\n"
        );
        assert_eq!(
            encode(b"empty", b"", None),
            "{\"key\":\"empty\",\"value\":\"\"}\n"
        );
    }

    #[test]
    fn every_encoded_record_decodes_to_itself() {
        let cases = [
            record(b"k", b"v", None),
            record(b"\xff\x00bin", b"\xc3\x28", Some(42)),
            record(b"text key", b"\x00\x01\xfe\xff", None),
            record(b"\x80", b"plain", Some(0)),
            record(b"empty", b"", None),
            record(b"note", b"two\nlines\r\n\"quoted\" \\ \t\x00", None),
            record(
                "h\u{e9}llo \u{2713} \u{1f600}".as_bytes(),
                "\u{2028}".as_bytes(),
                None,
            ),
        ];
        for case in cases {
            let line = encode(&case.key, &case.value, case.expires_at_ms);
            assert_eq!(line.matches('\n').count(), 1, "one line: {line:?}");
            let line = line.strip_suffix('\n').unwrap();
            assert_eq!(decode(line), Ok(Some(case)), "{line}");
        }
    }

    #[test]
    fn either_form_decodes_for_any_bytes() {
        assert_eq!(
            decode(r#"{"key_b64":"aGk=","value":"x","expires_at_ms":5}"#),
            Ok(Some(record(b"hi", b"x", Some(5))))
        );
        // Field order and spacing are free.
        assert_eq!(
            decode(r#"  { "value_b64" : "" , "key" : "k" }  "#),
            Ok(Some(record(b"k", b"", None)))
        );
    }

    #[test]
    fn blank_lines_are_no_record() {
        assert_eq!(decode(""), Ok(None));
        assert_eq!(decode("  \t"), Ok(None));
    }

    #[test]
    fn each_way_a_line_can_be_wrong_has_its_reason() {
        let cases: &[(&str, LineError)] = &[
            ("key\tvalue", LineError::NotAnObject),
            (r#"["k","v"]"#, LineError::NotAnObject),
            ("\"just a string\"", LineError::NotAnObject),
            (
                r#"{"key":"k","value":"v",}"#,
                LineError::NotJson {
                    reason: "trailing comma".to_owned(),
                    column: 24,
                },
            ),
            (
                r#"{"key":"k","value":"v"} {"key":"k2","value":"v2"}"#,
                LineError::NotJson {
                    reason: "trailing characters".to_owned(),
                    column: 25,
                },
            ),
            (
                r#"{"value":"v"}"#,
                LineError::Missing {
                    text: "key",
                    b64: "key_b64",
                },
            ),
            (
                r#"{"key":"k"}"#,
                LineError::Missing {
                    text: "value",
                    b64: "value_b64",
                },
            ),
            (
                r#"{"key":"k","key_b64":"aw==","value":"v"}"#,
                LineError::Both {
                    text: "key",
                    b64: "key_b64",
                },
            ),
            (
                r#"{"key":"k","value":"v","value_b64":"dg=="}"#,
                LineError::Both {
                    text: "value",
                    b64: "value_b64",
                },
            ),
            (r#"{"key":1,"value":"v"}"#, LineError::NotAString("key")),
            (
                r#"{"key":"k","value":null}"#,
                LineError::NotAString("value"),
            ),
            (
                r#"{"key":"k","value_b64":["dg=="]}"#,
                LineError::NotAString("value_b64"),
            ),
            (
                r#"{"key":"k","value":"v","expires_at_ms":-1}"#,
                LineError::BadExpiry,
            ),
            (
                r#"{"key":"k","value":"v","expires_at_ms":1.5}"#,
                LineError::BadExpiry,
            ),
            (
                r#"{"key":"k","value":"v","expires_at_ms":"soon"}"#,
                LineError::BadExpiry,
            ),
            (
                r#"{"key":"k","vaule":"v","value":"w"}"#,
                LineError::UnknownField("vaule".to_owned()),
            ),
            (
                r#"{"kye":"k","value":"v"}"#,
                LineError::UnknownField("kye".to_owned()),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(decode(line).as_ref(), Err(expected), "{line}");
        }
        assert_eq!(
            DumpRecord::decode(b"{\"key\":\"\xff\"}"),
            Err(LineError::NotUtf8)
        );
    }

    #[test]
    fn bad_base64_names_its_field() {
        for (line, field) in [
            (r#"{"key_b64":"!!!","value":"v"}"#, "key_b64"),
            (r#"{"key":"k","value_b64":"dg"}"#, "value_b64"),
            (r#"{"key":"k","value_b64":"d g=="}"#, "value_b64"),
        ] {
            match decode(line) {
                Err(LineError::BadBase64 { field: got, .. }) => assert_eq!(got, field, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn truncated_json_reports_a_column_not_serdes_line() {
        let error = decode(r#"{"key":"k","value":"v"#).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("not JSON: EOF while parsing"),
            "{message}"
        );
        assert!(!message.contains("line 1"), "{message}");
        assert!(message.ends_with("(column 21)"), "{message}");
    }

    #[test]
    fn limits_are_the_stores() {
        assert_eq!(
            record(b"", b"v", None).check_limits(10),
            Err(LineError::EmptyKey)
        );
        let long_key = vec![b'k'; MAX_KEY_LEN + 1];
        assert_eq!(
            record(&long_key, b"v", None).check_limits(10),
            Err(LineError::KeyTooLarge {
                len: MAX_KEY_LEN + 1,
                max: MAX_KEY_LEN
            })
        );
        assert_eq!(record(&long_key[1..], b"v", None).check_limits(10), Ok(()));
        assert_eq!(record(b"k", &[0; 10], None).check_limits(10), Ok(()));
        assert_eq!(
            record(b"k", &[0; 11], None).check_limits(10),
            Err(LineError::ValueTooLarge { len: 11, max: 10 })
        );
    }
}
