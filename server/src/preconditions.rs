//! Versions on the wire: the `ETag` a value is sent with, and the
//! conditional headers that compare against it — `If-None-Match` on reads,
//! `If-Match` and `If-None-Match` on writes (RFC 9110 §13.1.1, §13.1.2).
//!
//! A value's version is the sequence number of the write that stored it,
//! so its `ETag` is that number quoted (`"42"`): it changes on every write,
//! even one that stores the same bytes, and costs nothing to compute.
//!
//! A leaf: it knows headers and versions, not the store or the error type,
//! so both the handlers (`blobs`) and the error mapping (`error`, which puts
//! the current `ETag` on a 412) import it.

use axum::http::header::{IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName};
use mini_kvstore::Expect;

/// The `ETag` of the value written with sequence number `seq`.
pub(crate) fn etag(seq: u64) -> String {
    format!("\"{seq}\"")
}

/// A conditional header that is not `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{header} must be * or a list of quoted entity tags such as \"7\" or W/\"7\": {problem}")]
pub(crate) struct BadPrecondition {
    header: &'static str,
    problem: &'static str,
}

/// One entity tag of a list: `"7"` or, weak, `W/"7"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntityTag {
    weak: bool,
    /// What is between the quotes.
    opaque: Vec<u8>,
}

impl EntityTag {
    /// Whether this tag names version `version`: the strong comparison
    /// (a weak tag never matches) or the weak one (weakness is ignored).
    fn names(&self, version: u64, strong: bool) -> bool {
        !(strong && self.weak) && self.opaque == version.to_string().as_bytes()
    }
}

/// What one conditional header says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    /// `*`: any current value.
    Any,
    /// These versions (possibly none).
    List(Vec<EntityTag>),
}

impl Tags {
    /// Every value of the header `name`, lines joined as one list. `None`
    /// when the header is absent.
    fn from_headers(
        headers: &HeaderMap,
        name: HeaderName,
        shown: &'static str,
    ) -> Result<Option<Tags>, BadPrecondition> {
        let bad = |problem| BadPrecondition {
            header: shown,
            problem,
        };
        let mut lines = headers.get_all(name).iter().peekable();
        if lines.peek().is_none() {
            return Ok(None);
        }
        let mut any = false;
        let mut tags = Vec::new();
        let mut count = 0;
        for line in lines {
            count += 1;
            if line.as_bytes().trim_ascii() == b"*" {
                any = true;
            } else {
                tags.extend(parse_list(line.as_bytes()).map_err(bad)?);
            }
        }
        if any && count > 1 {
            return Err(bad("* stands alone"));
        }
        Ok(Some(if any { Tags::Any } else { Tags::List(tags) }))
    }
}

/// Parses `#entity-tag`: a comma-separated list, empty elements allowed.
/// Works on bytes, since an opaque tag may hold bytes above 0x7F (and
/// commas, which is why this is not a split at `,`).
fn parse_list(mut rest: &[u8]) -> Result<Vec<EntityTag>, &'static str> {
    let mut tags = Vec::new();
    loop {
        rest = rest.trim_ascii_start();
        match rest.first() {
            None => return Ok(tags),
            Some(b',') => {
                rest = &rest[1..];
                continue;
            }
            Some(_) => {}
        }
        let weak = rest.starts_with(b"W/");
        if weak {
            rest = &rest[2..];
        }
        let Some(quoted) = rest.strip_prefix(b"\"") else {
            return Err("a tag is not in double quotes");
        };
        let Some(close) = quoted.iter().position(|&b| b == b'"') else {
            return Err("a quote is not closed");
        };
        let opaque = &quoted[..close];
        if opaque.iter().any(|&b| b < 0x21 || b == 0x7f) {
            return Err("a tag holds a space or control character");
        }
        tags.push(EntityTag {
            weak,
            opaque: opaque.to_vec(),
        });
        rest = quoted[close + 1..].trim_ascii_start();
        match rest.first() {
            None => return Ok(tags),
            Some(b',') => rest = &rest[1..],
            Some(_) => return Err("tags must be separated by commas"),
        }
    }
}

/// Whether a GET's `If-None-Match` names `seq` (or is `*`), by the weak
/// comparison, as RFC 9110 §13.1.2 asks for reads. Lenient: a header that
/// does not parse matches nothing, so the client gets the value.
pub(crate) fn not_modified(headers: &HeaderMap, seq: u64) -> bool {
    match Tags::from_headers(headers, IF_NONE_MATCH, "If-None-Match") {
        Ok(Some(Tags::Any)) => true,
        Ok(Some(Tags::List(tags))) => tags.iter().any(|tag| tag.names(seq, false)),
        Ok(None) | Err(_) => false,
    }
}

/// The conditions of a write (`PUT`, `POST`, `DELETE`): its `If-Match` and
/// `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Preconditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

impl Preconditions {
    /// The write's conditions; a header that is there but malformed is an
    /// error (answered 400), never ignored, since ignoring it would turn a
    /// conditional write into an unconditional one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Self, BadPrecondition> {
        Ok(Preconditions {
            if_match: Tags::from_headers(headers, IF_MATCH, "If-Match")?,
            if_none_match: Tags::from_headers(headers, IF_NONE_MATCH, "If-None-Match")?,
        })
    }

    /// Whether a key whose current version is `current` (`None`: no value)
    /// passes, in RFC 9110 §13.2.2's order: `If-Match` by the strong
    /// comparison, then `If-None-Match` by the weak one.
    pub(crate) fn hold(&self, current: Option<u64>) -> bool {
        let matched = match &self.if_match {
            None => true,
            Some(Tags::Any) => current.is_some(),
            Some(Tags::List(tags)) => {
                current.is_some_and(|v| tags.iter().any(|tag| tag.names(v, true)))
            }
        };
        let none_matched = match &self.if_none_match {
            None => true,
            Some(Tags::Any) => current.is_none(),
            Some(Tags::List(tags)) => {
                !current.is_some_and(|v| tags.iter().any(|tag| tag.names(v, false)))
            }
        };
        matched && none_matched
    }

    /// The engine condition that says exactly what these preconditions
    /// say, when there is one: none, `If-Match` with one strong tag, or
    /// `If-None-Match: *`. Then the engine checks them with no read first.
    /// `None` for the rest (`If-Match: *`, lists, both headers), which are
    /// checked against the version read first and written expecting that
    /// version.
    pub(crate) fn as_expect(&self) -> Option<Expect> {
        match (&self.if_match, &self.if_none_match) {
            (None, None) => Some(Expect::Any),
            (None, Some(Tags::Any)) => Some(Expect::Absent),
            (Some(Tags::List(tags)), None) => match tags.as_slice() {
                [tag] if !tag.weak => version_of(&tag.opaque).map(Expect::Version),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The version an opaque tag names, when it is one of ours: the decimal
/// digits `etag` writes, with no sign or leading zero (`"07"` is not
/// `"7"` under the strong comparison).
fn version_of(opaque: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(opaque).ok()?;
    let version: u64 = text.parse().ok()?;
    (version.to_string() == text).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn pre(pairs: &[(&'static str, &'static str)]) -> Preconditions {
        Preconditions::from_headers(&headers(pairs)).expect("valid headers")
    }

    #[test]
    fn lists_weak_tags_and_star_parse() {
        assert_eq!(
            parse_list(br#" "1", W/"2" ,, "a,b" "#),
            Ok(vec![
                EntityTag {
                    weak: false,
                    opaque: b"1".to_vec()
                },
                EntityTag {
                    weak: true,
                    opaque: b"2".to_vec()
                },
                EntityTag {
                    weak: false,
                    opaque: b"a,b".to_vec()
                },
            ])
        );
        assert_eq!(parse_list(b""), Ok(Vec::new()));
        assert_eq!(pre(&[("if-match", " * ")]).if_match, Some(Tags::Any));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for value in ["7", "\"7", "\"7\" \"8\"", "w/\"7\"", "\"a b\"", "*, \"7\""] {
            let error = Preconditions::from_headers(&headers(&[("if-match", value)]));
            assert!(error.is_err(), "{value:?} was accepted");
        }
        let two_lines = headers(&[("if-none-match", "*"), ("if-none-match", "\"1\"")]);
        assert!(Preconditions::from_headers(&two_lines).is_err());
        let message = Preconditions::from_headers(&headers(&[("if-match", "7")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.starts_with("If-Match must be * or a list"),
            "{message}"
        );
    }

    #[test]
    fn if_match_compares_strongly_and_if_none_match_weakly() {
        let strong = pre(&[("if-match", "\"7\"")]);
        assert!(strong.hold(Some(7)));
        assert!(!strong.hold(Some(8)));
        assert!(!strong.hold(None));
        assert!(!pre(&[("if-match", "W/\"7\"")]).hold(Some(7)));
        assert!(!pre(&[("if-match", "\"07\"")]).hold(Some(7)));
        assert!(pre(&[("if-match", "\"3\", \"7\"")]).hold(Some(7)));
        assert!(pre(&[("if-match", "*")]).hold(Some(1)));
        assert!(!pre(&[("if-match", "*")]).hold(None));
        assert!(pre(&[("if-none-match", "*")]).hold(None));
        assert!(!pre(&[("if-none-match", "*")]).hold(Some(1)));
        assert!(!pre(&[("if-none-match", "W/\"7\"")]).hold(Some(7)));
        assert!(pre(&[("if-none-match", "\"7\"")]).hold(Some(8)));
        assert!(pre(&[("if-none-match", "\"7\"")]).hold(None));
        let both = pre(&[("if-match", "*"), ("if-none-match", "\"7\"")]);
        assert!(both.hold(Some(8)) && !both.hold(Some(7)) && !both.hold(None));
    }

    #[test]
    fn simple_conditions_go_to_the_engine_as_they_are() {
        assert_eq!(pre(&[]).as_expect(), Some(Expect::Any));
        assert_eq!(
            pre(&[("if-match", "\"7\"")]).as_expect(),
            Some(Expect::Version(7))
        );
        assert_eq!(
            pre(&[("if-none-match", "*")]).as_expect(),
            Some(Expect::Absent)
        );
        for needs_a_read in [
            pre(&[("if-match", "*")]),
            pre(&[("if-match", "W/\"7\"")]),
            pre(&[("if-match", "\"07\"")]),
            pre(&[("if-match", "\"1\", \"2\"")]),
            pre(&[("if-none-match", "\"7\"")]),
        ] {
            assert_eq!(needs_a_read.as_expect(), None, "{needs_a_read:?}");
        }
    }

    #[test]
    fn reads_compare_weakly_and_forgive_bad_headers() {
        assert!(not_modified(&headers(&[("if-none-match", "W/\"7\"")]), 7));
        assert!(not_modified(
            &headers(&[("if-none-match", "\"1\", \"7\"")]),
            7
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), 7));
        assert!(!not_modified(&headers(&[("if-none-match", "\"70\"")]), 7));
        assert!(!not_modified(&headers(&[("if-none-match", "7")]), 7));
        assert!(!not_modified(&headers(&[]), 7));
    }
}
