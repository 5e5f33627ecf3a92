//! [`Reply`], what a command answers, independent of the wire protocol, and
//! [`Protocol`], which of RESP2 or RESP3 a connection speaks.
//!
//! A leaf: commands build replies, the codec encodes them.

use std::borrow::Cow;

/// The protocol a connection speaks: RESP2 until `HELLO 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    pub(crate) fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// A command's answer. Maps become RESP3 maps or, in RESP2, flat arrays of
/// key, value, key, value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// Mostly constants (`OK`, `PONG`), so borrowed when it can be.
    Simple(Cow<'static, str>),
    /// The whole error line, code included: `ERR …`, `NOAUTH …`.
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
}

impl Reply {
    pub(crate) fn ok() -> Reply {
        Reply::Simple(Cow::Borrowed("OK"))
    }

    /// An `ERR`-coded error.
    pub(crate) fn err(message: impl std::fmt::Display) -> Reply {
        Reply::Error(format!("ERR {message}"))
    }

    pub(crate) fn bulk(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Bulk(bytes.into())
    }

    pub(crate) fn bulk_or_null(bytes: Option<Vec<u8>>) -> Reply {
        bytes.map_or(Reply::Null, Reply::Bulk)
    }

    /// A map whose keys are bulk strings, as the ones Redis sends.
    pub(crate) fn map<K: Into<Vec<u8>>>(entries: impl IntoIterator<Item = (K, Reply)>) -> Reply {
        Reply::Map(
            entries
                .into_iter()
                .map(|(key, value)| (Reply::Bulk(key.into()), value))
                .collect(),
        )
    }
}
