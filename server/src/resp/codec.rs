//! The wire: requests decoded from a connection's buffer — RESP arrays of
//! bulk strings through `redis-protocol`, and inline commands (a plain line,
//! as telnet and `nc` send) — and [`Reply`]s encoded for RESP2 or RESP3.
//!
//! Limits are checked on each length header as soon as it has arrived,
//! before the bytes it announces are waited for, so a client cannot make
//! the server buffer more than one argument's limit on a lie.

use redis_protocol::resp2::types::{OwnedFrame as Frame2, Resp2Frame};
use redis_protocol::resp3::types::{FrameMap, OwnedFrame as Frame3, Resp3Frame};

use crate::resp::reply::{Protocol, Reply};

/// The limits a request is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) inline: usize,
    pub(crate) array: usize,
    pub(crate) bulk: usize,
}

/// A request that cannot be framed: the connection answers
/// `-ERR Protocol error: …` and closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProtocolError(pub(crate) String);

impl ProtocolError {
    pub(crate) fn reply(&self) -> Reply {
        Reply::err(format!("Protocol error: {}", self.0))
    }
}

/// One request's arguments and the bytes it took; `None` while incomplete.
pub(crate) type Decoded = Option<(Vec<Vec<u8>>, usize)>;

/// Longest length header line (`*1048576\r\n` and the like) we wait for.
const MAX_HEADER_LEN: usize = 32;

/// Decodes one request from the front of `buf`: its arguments and the bytes
/// it took, `None` when more bytes are needed. An empty argument list (an
/// empty line, `*0`) is a request to skip.
pub(crate) fn decode(buf: &[u8], limits: &Limits) -> Result<Decoded, ProtocolError> {
    match buf.first() {
        None => Ok(None),
        Some(b'*') => {
            if !check_array(buf, limits)? {
                return Ok(None);
            }
            match redis_protocol::resp2::decode::decode(buf) {
                Ok(Some((frame, used))) => Ok(Some((arguments(frame)?, used))),
                Ok(None) => Ok(None),
                Err(e) => Err(ProtocolError(e.details().to_string())),
            }
        }
        Some(_) => decode_inline(buf, limits),
    }
}

/// Walks the headers of the array at the front of `buf` as far as it goes:
/// `Ok(true)` when the whole request is there, `Ok(false)` when more is
/// needed, an error as soon as a header breaks a limit or the shape of a
/// command (an array of bulk strings).
fn check_array(buf: &[u8], limits: &Limits) -> Result<bool, ProtocolError> {
    let Some((count, mut at)) = header(buf, 0, "invalid multibulk length")? else {
        return Ok(false);
    };
    if count > limits.array as i64 {
        return Err(ProtocolError("invalid multibulk length".into()));
    }
    for _ in 0..count.max(0) {
        match buf.get(at) {
            None => return Ok(false),
            Some(b'$') => {}
            Some(&other) => {
                return Err(ProtocolError(format!(
                    "expected '$', got '{}'",
                    char::from(other).escape_default()
                )));
            }
        }
        let Some((len, data)) = header(buf, at, "invalid bulk length")? else {
            return Ok(false);
        };
        if len < 0 || len > limits.bulk as i64 {
            return Err(ProtocolError("invalid bulk length".into()));
        }
        // `len` is at most the bulk limit, a usize.
        at = data + len as usize + 2;
        if at > buf.len() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Parses the `<type><integer>\r\n` header starting at `buf[at]`: the number
/// and where the bytes after it start.
fn header(buf: &[u8], at: usize, what: &str) -> Result<Option<(i64, usize)>, ProtocolError> {
    let rest = &buf[at..];
    let window = &rest[..rest.len().min(MAX_HEADER_LEN)];
    let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
        return if rest.len() >= MAX_HEADER_LEN {
            Err(ProtocolError(what.into()))
        } else {
            Ok(None)
        };
    };
    let number = std::str::from_utf8(&rest[1..end])
        .ok()
        .and_then(|digits| digits.parse::<i64>().ok())
        .ok_or_else(|| ProtocolError(what.into()))?;
    Ok(Some((number, at + end + 2)))
}

/// The arguments of a decoded request frame.
fn arguments(frame: Frame2) -> Result<Vec<Vec<u8>>, ProtocolError> {
    match frame {
        Frame2::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Frame2::BulkString(bytes) | Frame2::SimpleString(bytes) => Ok(bytes),
                _ => Err(ProtocolError("expected '$'".into())),
            })
            .collect(),
        Frame2::Null => Ok(Vec::new()),
        _ => Err(ProtocolError("expected '*'".into())),
    }
}

/// An inline command: one line, split on whitespace. Redis also honours
/// quotes there; this does not (a quote is an ordinary byte).
fn decode_inline(buf: &[u8], limits: &Limits) -> Result<Decoded, ProtocolError> {
    let Some(newline) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > limits.inline {
            Err(ProtocolError("too big inline request".into()))
        } else {
            Ok(None)
        };
    };
    if newline > limits.inline {
        return Err(ProtocolError("too big inline request".into()));
    }
    let args: Vec<Vec<u8>> = buf[..newline]
        .split(|b| b.is_ascii_whitespace())
        .filter(|word| !word.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    if args.len() > limits.array {
        return Err(ProtocolError("invalid multibulk length".into()));
    }
    Ok(Some((args, newline + 1)))
}

/// Appends `reply`, encoded for `protocol`, to `out`.
pub(crate) fn encode(reply: Reply, protocol: Protocol, out: &mut Vec<u8>) {
    let start = out.len();
    let written = match protocol {
        Protocol::Resp2 => {
            let frame = to_resp2(reply);
            out.resize(start + frame.encode_len(false), 0);
            redis_protocol::resp2::encode::encode(&mut out[start..], &frame, false)
        }
        Protocol::Resp3 => {
            let frame = to_resp3(reply);
            out.resize(start + frame.encode_len(false), 0);
            redis_protocol::resp3::encode::complete::encode(&mut out[start..], &frame, false)
        }
    };
    if let Err(e) = written {
        // Only a bug of ours gets here (the buffer was sized by the codec
        // itself); the client still gets an answer in its place.
        tracing::error!(error = %e, "could not encode a reply");
        out.truncate(start);
        out.extend_from_slice(b"-ERR internal error: could not encode the reply\r\n");
    }
}

fn to_resp2(reply: Reply) -> Frame2 {
    match reply {
        Reply::Simple(s) => Frame2::SimpleString(s.into_bytes()),
        Reply::Error(e) => Frame2::Error(one_line(e)),
        Reply::Integer(i) => Frame2::Integer(i),
        Reply::Bulk(b) => Frame2::BulkString(b),
        Reply::Null => Frame2::Null,
        Reply::Array(items) => Frame2::Array(items.into_iter().map(to_resp2).collect()),
        Reply::Map(entries) => Frame2::Array(
            entries
                .into_iter()
                .flat_map(|(k, v)| [to_resp2(k), to_resp2(v)])
                .collect(),
        ),
    }
}

fn to_resp3(reply: Reply) -> Frame3 {
    match reply {
        Reply::Simple(s) => Frame3::SimpleString {
            data: s.into_bytes(),
            attributes: None,
        },
        Reply::Error(e) => Frame3::SimpleError {
            data: one_line(e),
            attributes: None,
        },
        Reply::Integer(i) => Frame3::Number {
            data: i,
            attributes: None,
        },
        Reply::Bulk(b) => Frame3::BlobString {
            data: b,
            attributes: None,
        },
        Reply::Null => Frame3::Null,
        Reply::Array(items) => Frame3::Array {
            data: items.into_iter().map(to_resp3).collect(),
            attributes: None,
        },
        Reply::Map(entries) => {
            let mut data = FrameMap::with_capacity(entries.len());
            for (k, v) in entries {
                data.insert(to_resp3(k), to_resp3(v));
            }
            Frame3::Map {
                data,
                attributes: None,
            }
        }
    }
}

/// An error line may not hold CR or LF (they would end it early).
fn one_line(message: String) -> String {
    if message.contains(['\r', '\n']) {
        message.replace(['\r', '\n'], " ")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        inline: 64,
        array: 8,
        bulk: 16,
    };

    fn args(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn decodes_arrays_and_inline_lines() {
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING hi\r\n";
        let (first, used) = decode(buf, &LIMITS).unwrap().unwrap();
        assert_eq!(first, args(&["GET", "k"]));
        let (second, rest) = decode(&buf[used..], &LIMITS).unwrap().unwrap();
        assert_eq!(second, args(&["PING", "hi"]));
        assert_eq!(used + rest, buf.len());
    }

    #[test]
    fn waits_for_the_rest() {
        let whole = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        for cut in 0..whole.len() {
            assert_eq!(decode(&whole[..cut], &LIMITS), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn limits_apply_to_headers_alone() {
        assert!(decode(b"*9\r\n", &LIMITS).is_err());
        assert!(decode(b"*1\r\n$17\r\n", &LIMITS).is_err());
        assert!(decode(b"*1\r\n$-1\r\n", &LIMITS).is_err());
        assert!(decode(b"*1\r\n:1\r\n", &LIMITS).is_err());
        assert!(decode(&[b'x'; 65], &LIMITS).is_err());
        assert!(decode(b"*1111111111111111111111111111111111", &LIMITS).is_err());
    }

    #[test]
    fn encodes_per_protocol() {
        let map = Reply::map([("a", Reply::Integer(1))]);
        let mut two = Vec::new();
        encode(map.clone(), Protocol::Resp2, &mut two);
        assert_eq!(two, b"*2\r\n$1\r\na\r\n:1\r\n");
        let mut three = Vec::new();
        encode(map, Protocol::Resp3, &mut three);
        assert_eq!(three, b"%1\r\n$1\r\na\r\n:1\r\n");
        let mut nulls = Vec::new();
        encode(Reply::Null, Protocol::Resp2, &mut nulls);
        encode(Reply::Null, Protocol::Resp3, &mut nulls);
        assert_eq!(nulls, b"$-1\r\n_\r\n");
    }
}
