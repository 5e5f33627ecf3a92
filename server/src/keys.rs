//! Keys at the edges: decoding them from URLs, encoding them back into
//! `Location` headers, and writing them into JSON; and the query strings
//! beside them (`name=value` pairs, `true`/`false` flags).
//!
//! A key is any UTF-8 string, `/` included, carried percent-encoded in the
//! path after `/blobs/`. Decoding happens here, once, on the raw path (not
//! through axum's `Path`, whose rejections are plain text): the bytes after
//! `/blobs/` are percent-decoded and must then be non-empty, at most
//! [`MAX_URL_KEY_LEN`] bytes and UTF-8. A literal `/` and `%2F` decode
//! alike, so `/blobs/a/b` and `/blobs/a%2Fb` name the same key.
//!
//! In JSON a key is a string. The engine's keys are bytes, though, and a
//! library user can store one that is not UTF-8; such a key is written as
//! `{"hex": "68ff"}` instead, never as a lossy string that would name a
//! different key.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;

use crate::config::MAX_URL_KEY_LEN;
use crate::error::ApiError;

/// Where blob routes start; the key is the rest of the path.
pub(crate) const BLOBS_PREFIX: &str = "/blobs/";

/// A key taken from a `/blobs/{*key}` path: decoded, checked, UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobKey(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for BlobKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The router is never nested, so the URI's path is the full path.
        let encoded = parts
            .uri
            .path()
            .strip_prefix(BLOBS_PREFIX)
            .unwrap_or_default();
        decode_key(encoded).map(BlobKey)
    }
}

/// Decodes a percent-encoded key and applies the URL key rules.
pub(crate) fn decode_key(encoded: &str) -> Result<String, ApiError> {
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(
            "key must not be empty (GET /blobs lists keys)".into(),
        ));
    }
    if bytes.len() > MAX_URL_KEY_LEN {
        return Err(ApiError::KeyTooLong {
            len: bytes.len(),
            max: MAX_URL_KEY_LEN,
        });
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::BadRequest("key is not valid UTF-8 once percent-decoded".into()))
}

/// What stays literal in a `Location` path: RFC 3986 unreserved characters,
/// `:` and `@` (path characters that keys like `user:1` use), and `/`, which
/// keys use as a separator and the path carries as is. The other
/// sub-delimiters are legal in a path too but are escaped, since `+`, `;`
/// and `=` mean something to some decoders.
const PATH_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

/// The path of `key`'s blob, percent-encoded: `/blobs/caf%C3%A9/menu`.
pub(crate) fn blob_path(key: &str) -> String {
    format!("{BLOBS_PREFIX}{}", utf8_percent_encode(key, PATH_KEEP))
}

/// A key (or any byte string) as JSON: a string when it is UTF-8, else its
/// bytes in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum KeyJson {
    /// The key itself.
    Text(String),
    /// A key that is not UTF-8, as lower-case hex.
    Hex {
        /// Two hex digits per byte.
        hex: String,
    },
}

impl KeyJson {
    /// A key: the string when it is UTF-8, else its hex.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => KeyJson::Text(text.to_owned()),
            Err(_) => KeyJson::hex(bytes),
        }
    }

    /// Bytes known to be binary, as hex whatever they look like.
    pub(crate) fn hex(bytes: &[u8]) -> Self {
        KeyJson::Hex {
            hex: hex_digits(bytes),
        }
    }

    /// For the first bytes of a stored value, to look at rather than to use:
    /// text when it reads as text, hex otherwise. Nothing says what a value
    /// is, so this is the one place that looks. The cut may split a UTF-8
    /// character, which only shortens the text. Control characters other
    /// than white space make it hex: NULs and escape codes mark binary data
    /// that happens to be valid UTF-8, and hex shows such bytes one by one.
    pub(crate) fn preview(bytes: &[u8]) -> Self {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(_) => return KeyJson::hex(bytes),
        };
        if text
            .chars()
            .any(|c| c.is_control() && !c.is_ascii_whitespace())
        {
            KeyJson::hex(bytes)
        } else {
            KeyJson::Text(text.to_owned())
        }
    }
}

/// Two lower-case hex digits per byte.
fn hex_digits(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// One `name=value` pair after another from a query string, each
/// percent-decoded (with `+` as a space) to bytes, so a paging cursor can be
/// any key.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
}

/// A query flag `name`'s value: `true` or `false`, nothing else.
pub(crate) fn parse_flag(name: &str, value: &[u8]) -> Result<bool, ApiError> {
    match value {
        b"true" => Ok(true),
        b"false" => Ok(false),
        _ => Err(ApiError::BadRequest(format!(
            "{name} must be true or false, not {:?}",
            String::from_utf8_lossy(value)
        ))),
    }
}

fn form_decode(text: &str) -> Vec<u8> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_turns_escapes_and_slashes_into_one_key() {
        assert_eq!(decode_key("a%2Fb").ok(), Some("a/b".to_owned()));
        assert_eq!(decode_key("a/b").ok(), Some("a/b".to_owned()));
        assert_eq!(decode_key("caf%C3%A9").ok(), Some("café".to_owned()));
        assert_eq!(decode_key("caf%C3%A9").ok(), decode_key("café").ok());
        // Not a valid escape: kept as typed.
        assert_eq!(decode_key("100%").ok(), Some("100%".to_owned()));
    }

    #[test]
    fn decoding_refuses_empty_long_and_non_utf8_keys() {
        assert!(matches!(
            decode_key(""),
            Err(ApiError::BadRequest(message)) if message.starts_with("key must not be empty")
        ));
        assert!(matches!(
            decode_key("%FF"),
            Err(ApiError::BadRequest(message))
                if message == "key is not valid UTF-8 once percent-decoded"
        ));
        let long = "k".repeat(MAX_URL_KEY_LEN + 1);
        assert!(matches!(
            decode_key(&long),
            Err(ApiError::KeyTooLong { len, max })
                if len == MAX_URL_KEY_LEN + 1 && max == MAX_URL_KEY_LEN
        ));
        let at_limit = "k".repeat(MAX_URL_KEY_LEN);
        assert_eq!(decode_key(&at_limit).ok(), Some(at_limit));
    }

    #[test]
    fn paths_round_trip_through_decoding() {
        for key in [
            "user:1",
            "a/b",
            "café/menu",
            "sp ace?&#%+;=",
            "~x_y-z.w@host",
        ] {
            let path = blob_path(key);
            let encoded = path.strip_prefix(BLOBS_PREFIX).unwrap_or_default();
            assert_eq!(decode_key(encoded).ok().as_deref(), Some(key), "{path}");
        }
        assert_eq!(blob_path("café/menu"), "/blobs/caf%C3%A9/menu");
        assert_eq!(blob_path("user:1 a+b"), "/blobs/user:1%20a%2Bb");
    }

    #[test]
    fn json_keys_are_text_or_hex() {
        assert_eq!(KeyJson::new(b"abc"), KeyJson::Text("abc".into()));
        assert_eq!(
            KeyJson::new(&[0x68, 0xff]),
            KeyJson::Hex { hex: "68ff".into() }
        );
        // "é" is C3 A9: a preview cut after C3 keeps the text before it.
        assert_eq!(KeyJson::preview(b"caf\xc3"), KeyJson::Text("caf".into()));
        assert_eq!(KeyJson::preview(b"\xff"), KeyJson::Hex { hex: "ff".into() });
        // Valid UTF-8, but binary: NULs and other control characters.
        assert_eq!(
            KeyJson::preview(b"\x07\x00"),
            KeyJson::Hex { hex: "0700".into() }
        );
        // Known binary stays hex even when it would read as text.
        assert_eq!(KeyJson::hex(b"  "), KeyJson::Hex { hex: "2020".into() });
        assert_eq!(KeyJson::preview(b"a\tb\n"), KeyJson::Text("a\tb\n".into()));
    }

    #[test]
    fn query_pairs_decode_to_bytes() {
        let pairs: Vec<_> = query_pairs("prefix=a+b%2F&limit=5&&after=%FF&flag").collect();
        assert_eq!(
            pairs,
            vec![
                (b"prefix".to_vec(), b"a b/".to_vec()),
                (b"limit".to_vec(), b"5".to_vec()),
                (b"after".to_vec(), vec![0xff]),
                (b"flag".to_vec(), Vec::new()),
            ]
        );
    }
}
