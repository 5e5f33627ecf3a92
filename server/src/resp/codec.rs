//! The wire: requests decoded from a connection's buffer — RESP arrays of
//! bulk strings, and inline commands (a plain line, as telnet and `nc`
//! send) — and [`Reply`]s encoded for RESP2 or RESP3.
//!
//! Both directions are written here rather than through `redis-protocol`'s
//! frames: a request is only ever an array of bulk strings and a reply one
//! of seven shapes, and going through a general frame cost an allocation
//! per argument and per reply twice over on the hot path. The tests check
//! the bytes against `redis-protocol` (a dev-dependency) both ways.
//!
//! Limits are checked on each length header as soon as it has arrived,
//! before the bytes it announces are waited for, so a client cannot make
//! the server buffer more than one argument's limit on a lie.
//!
//! For the in-flight budget, [`announced_len`] tells how long a request
//! still arriving will be, as far as its headers have come, so the
//! connection can reserve that much before reading it; and [`skip`] passes
//! over a request refused for want of room, a read at a time, without
//! buffering it.

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
            // Headers first, copying nothing: a request still arriving is
            // walked again on every read, so only a whole one is copied.
            if check_array(buf, limits)?.is_none() {
                return Ok(None);
            }
            Ok(Some(arguments(buf)?))
        }
        Some(_) => decode_inline(buf, limits),
    }
}

/// Walks the headers of the array at the front of `buf` as far as it goes:
/// `Ok(Some(end))` when the whole request is there, `Ok(None)` when more is
/// needed, an error as soon as a header breaks a limit or the shape of a
/// command (an array of bulk strings, each followed by CRLF).
fn check_array(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    let Some((count, mut at)) = header(buf, 0, "invalid multibulk length")? else {
        return Ok(None);
    };
    if count > limits.array as i64 {
        return Err(ProtocolError("invalid multibulk length".into()));
    }
    for _ in 0..count.max(0) {
        match buf.get(at) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(&other) => {
                return Err(ProtocolError(format!(
                    "expected '$', got '{}'",
                    char::from(other).escape_default()
                )));
            }
        }
        let Some((len, data)) = header(buf, at, "invalid bulk length")? else {
            return Ok(None);
        };
        if len < 0 || len > limits.bulk as i64 {
            return Err(ProtocolError("invalid bulk length".into()));
        }
        // `len` is at most the bulk limit, a usize.
        let data_end = data + len as usize;
        at = data_end + 2;
        match buf.get(data_end..at) {
            None => return Ok(None),
            Some(b"\r\n") => {}
            Some(_) => return Err(ProtocolError("expected CRLF after a bulk string".into())),
        }
    }
    Ok(Some(at))
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

/// The arguments of the whole, checked request at the front of `buf`
/// ([`check_array`] said yes), and the bytes it took. `*0` and `*-1` are
/// requests with no arguments.
fn arguments(buf: &[u8]) -> Result<(Vec<Vec<u8>>, usize), ProtocolError> {
    let broken = || ProtocolError("invalid multibulk length".into());
    let (count, mut at) = header(buf, 0, "invalid multibulk length")?.ok_or_else(broken)?;
    let count = usize::try_from(count).unwrap_or(0);
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, data) = header(buf, at, "invalid bulk length")?.ok_or_else(broken)?;
        let end = data + usize::try_from(len).map_err(|_| broken())?;
        args.push(buf.get(data..end).ok_or_else(broken)?.to_vec());
        at = end + 2;
    }
    Ok((args, at))
}

/// The length of the request at the front of `buf` as far as its headers
/// tell: where it ends if it is all there, else where its last bulk string
/// whose header has arrived ends (at least `buf.len()`). An inline line
/// announces nothing beyond what is there; a broken request, what is there
/// (decoding it reports the error).
pub(crate) fn announced_len(buf: &[u8], limits: &Limits) -> usize {
    if buf.first() != Some(&b'*') {
        return buf.len();
    }
    let Ok(Some((count, mut at))) = header(buf, 0, "") else {
        return buf.len();
    };
    for _ in 0..count.clamp(0, limits.array as i64) {
        if buf.get(at) != Some(&b'$') {
            break;
        }
        let Ok(Some((len, data))) = header(buf, at, "") else {
            break;
        };
        // Within the bulk limit, a usize, or decoding refuses it.
        let len = usize::try_from(len).unwrap_or(0).min(limits.bulk);
        at = data + len + 2;
        if at > buf.len() {
            break;
        }
    }
    at.max(buf.len())
}

/// Where [`skip`] is in the request it passes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Skip {
    /// Before the array's header.
    #[default]
    Array,
    /// Before the header of one of the `left` bulk strings still to come.
    Bulk { left: u64 },
    /// Inside a bulk string: `pending` bytes of it and its CRLF to come,
    /// then `left` more bulk strings.
    Data { pending: usize, left: u64 },
    /// Past the request's last byte.
    Done,
}

/// Passes over as much of an array request as `buf` holds, from where
/// `state` says the previous call stopped: the bytes of `buf` to drop.
/// `state` is [`Skip::Done`] once the whole request has gone by; headers
/// are checked against `limits` as [`decode`] checks them, so framing is
/// kept for the requests after it.
pub(crate) fn skip(buf: &[u8], state: &mut Skip, limits: &Limits) -> Result<usize, ProtocolError> {
    let mut at = 0;
    loop {
        match *state {
            Skip::Done => return Ok(at),
            Skip::Array => {
                let Some((count, next)) = header(buf, at, "invalid multibulk length")? else {
                    return Ok(at);
                };
                if count > limits.array as i64 {
                    return Err(ProtocolError("invalid multibulk length".into()));
                }
                *state = Skip::Bulk {
                    left: u64::try_from(count).unwrap_or(0),
                };
                at = next;
            }
            Skip::Bulk { left: 0 } => *state = Skip::Done,
            Skip::Bulk { left } => {
                match buf.get(at) {
                    None => return Ok(at),
                    Some(b'$') => {}
                    Some(&other) => {
                        return Err(ProtocolError(format!(
                            "expected '$', got '{}'",
                            char::from(other).escape_default()
                        )));
                    }
                }
                let Some((len, next)) = header(buf, at, "invalid bulk length")? else {
                    return Ok(at);
                };
                if len < 0 || len > limits.bulk as i64 {
                    return Err(ProtocolError("invalid bulk length".into()));
                }
                *state = Skip::Data {
                    // Within the bulk limit, a usize.
                    pending: len as usize + 2,
                    left: left - 1,
                };
                at = next;
            }
            Skip::Data { pending, left } => {
                let here = pending.min(buf.len() - at);
                at += here;
                if here < pending {
                    *state = Skip::Data {
                        pending: pending - here,
                        left,
                    };
                    return Ok(at);
                }
                *state = Skip::Bulk { left };
            }
        }
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
///
/// Written straight from the [`Reply`], with no intermediate frame: a
/// reply is encoded once per request, and on the pipelined path the
/// frame's allocations were a measurable share of a `GET`
/// (docs/BENCHMARKS.md). The tests hold the bytes equal to
/// `redis-protocol`'s encoder for both protocols.
pub(crate) fn encode(reply: Reply, protocol: Protocol, out: &mut Vec<u8>) {
    write_reply(&reply, protocol, out);
}

fn write_reply(reply: &Reply, protocol: Protocol, out: &mut Vec<u8>) {
    match reply {
        Reply::Simple(s) => write_line(b'+', s, out),
        Reply::Error(e) => write_line(b'-', e, out),
        Reply::Integer(i) => write_header(b':', *i, out),
        Reply::Bulk(bytes) => {
            write_header(b'$', len_i64(bytes.len()), out);
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Null => match protocol {
            Protocol::Resp2 => out.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
        },
        Reply::Array(items) => {
            write_header(b'*', len_i64(items.len()), out);
            for item in items {
                write_reply(item, protocol, out);
            }
        }
        Reply::Map(entries) => {
            // RESP2 has no map: a flat array of key, value, key, value.
            match protocol {
                Protocol::Resp2 => write_header(b'*', len_i64(entries.len()) * 2, out),
                Protocol::Resp3 => write_header(b'%', len_i64(entries.len()), out),
            }
            for (key, value) in entries {
                write_reply(key, protocol, out);
                write_reply(value, protocol, out);
            }
        }
    }
}

/// `<kind><number>\r\n`: integers and every length header.
fn write_header(kind: u8, number: i64, out: &mut Vec<u8>) {
    out.push(kind);
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A simple string or error line, which may not hold CR or LF (they would
/// end it early): those become spaces.
fn write_line(kind: u8, text: &str, out: &mut Vec<u8>) {
    out.push(kind);
    let start = out.len();
    out.extend_from_slice(text.as_bytes());
    for byte in &mut out[start..] {
        if matches!(*byte, b'\r' | b'\n') {
            *byte = b' ';
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Lengths in memory fit in an i64 on every platform Rust supports.
fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use redis_protocol::resp2::types::{OwnedFrame as Frame2, Resp2Frame};
    use redis_protocol::resp3::types::{OwnedFrame as Frame3, Resp3Frame};

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

    /// Replies of every shape, nested, with awkward contents.
    fn sample_replies() -> Vec<Reply> {
        let leaves = vec![
            Reply::ok(),
            Reply::Simple("".into()),
            Reply::Error("ERR two\r\nlines".into()),
            Reply::Integer(0),
            Reply::Integer(-42),
            Reply::Integer(i64::MIN),
            Reply::Integer(i64::MAX),
            Reply::bulk(Vec::new()),
            Reply::bulk(b"bin\r\n\0ary".to_vec()),
            Reply::bulk(vec![b'x'; 1000]),
            Reply::Null,
        ];
        let mut all = leaves.clone();
        all.push(Reply::Array(Vec::new()));
        all.push(Reply::Array(leaves.clone()));
        all.push(Reply::Array(vec![
            Reply::Array(leaves.clone()),
            Reply::Null,
        ]));
        all.push(Reply::map([
            ("a", Reply::Integer(1)),
            ("b", Reply::Array(leaves)),
        ]));
        all.push(Reply::Map(Vec::new()));
        all
    }

    fn reference_resp2(reply: Reply) -> Frame2 {
        match reply {
            Reply::Simple(s) => Frame2::SimpleString(s.into_owned().into_bytes()),
            Reply::Error(e) => Frame2::Error(e.replace(['\r', '\n'], " ")),
            Reply::Integer(i) => Frame2::Integer(i),
            Reply::Bulk(b) => Frame2::BulkString(b),
            Reply::Null => Frame2::Null,
            Reply::Array(items) => Frame2::Array(items.into_iter().map(reference_resp2).collect()),
            Reply::Map(entries) => Frame2::Array(
                entries
                    .into_iter()
                    .flat_map(|(k, v)| [reference_resp2(k), reference_resp2(v)])
                    .collect(),
            ),
        }
    }

    fn reference_resp3(reply: Reply) -> Frame3 {
        match reply {
            Reply::Simple(s) => Frame3::SimpleString {
                data: s.into_owned().into_bytes(),
                attributes: None,
            },
            Reply::Error(e) => Frame3::SimpleError {
                data: e.replace(['\r', '\n'], " "),
                attributes: None,
            },
            Reply::Integer(data) => Frame3::Number {
                data,
                attributes: None,
            },
            Reply::Bulk(data) => Frame3::BlobString {
                data,
                attributes: None,
            },
            Reply::Null => Frame3::Null,
            Reply::Array(items) => Frame3::Array {
                data: items.into_iter().map(reference_resp3).collect(),
                attributes: None,
            },
            Reply::Map(entries) => Frame3::Map {
                data: entries
                    .into_iter()
                    .map(|(k, v)| (reference_resp3(k), reference_resp3(v)))
                    .collect(),
                attributes: None,
            },
        }
    }

    #[test]
    fn encodes_the_bytes_redis_protocol_encodes() {
        for reply in sample_replies() {
            let mut ours = Vec::new();
            encode(reply.clone(), Protocol::Resp2, &mut ours);
            let frame = reference_resp2(reply.clone());
            let mut theirs = vec![0; frame.encode_len(false)];
            redis_protocol::resp2::encode::encode(&mut theirs, &frame, false).unwrap();
            assert_eq!(ours, theirs, "RESP2 {reply:?}");

            let mut ours = Vec::new();
            encode(reply.clone(), Protocol::Resp3, &mut ours);
            let frame = reference_resp3(reply.clone());
            let mut theirs = vec![0; frame.encode_len(false)];
            redis_protocol::resp3::encode::complete::encode(&mut theirs, &frame, false).unwrap();
            assert_eq!(ours, theirs, "RESP3 {reply:?}");
        }
    }

    #[test]
    fn decodes_what_redis_protocol_encodes() {
        let limits = Limits {
            inline: 1024,
            array: 64,
            bulk: 4096,
        };
        let requests: Vec<Vec<Vec<u8>>> = vec![
            args(&["PING"]),
            args(&["SET", "key", "value", "EX", "10"]),
            vec![Vec::new(), b"\r\n\0".to_vec(), vec![b'v'; 4096]],
            (0..64).map(|i| i.to_string().into_bytes()).collect(),
        ];
        let mut stream = Vec::new();
        for request in &requests {
            let frame = Frame2::Array(request.iter().cloned().map(Frame2::BulkString).collect());
            let start = stream.len();
            stream.resize(start + frame.encode_len(false), 0);
            redis_protocol::resp2::encode::encode(&mut stream[start..], &frame, false).unwrap();
        }
        let mut at = 0;
        for request in &requests {
            let (decoded, used) = decode(&stream[at..], &limits).unwrap().unwrap();
            assert_eq!(&decoded, request);
            at += used;
        }
        assert_eq!(at, stream.len());
        assert_eq!(decode(b"*0\r\n", &limits), Ok(Some((Vec::new(), 4))));
        assert_eq!(decode(b"*-1\r\n", &limits), Ok(Some((Vec::new(), 5))));
    }

    #[test]
    fn announced_len_reads_ahead_of_the_bytes() {
        let limits = Limits {
            inline: 64,
            array: 8,
            bulk: 1 << 20,
        };
        let whole = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
        assert_eq!(announced_len(whole, &limits), whole.len());
        // The value's header is in: its end is known.
        assert_eq!(announced_len(&whole[..24], &limits), whole.len());
        assert_eq!(announced_len(&whole[..27], &limits), whole.len());
        // Its header cut short: only what is there.
        assert_eq!(announced_len(&whole[..22], &limits), 22);
        // Inside the command name, its end.
        assert_eq!(announced_len(&whole[..10], &limits), 13);
        let big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\nvv";
        assert_eq!(announced_len(big, &limits), big.len() - 2 + 1_000_000 + 2);
        assert_eq!(announced_len(b"PING\r\n", &limits), 6);
        assert_eq!(announced_len(b"", &limits), 0);
    }

    #[test]
    fn skip_passes_over_one_request_in_any_cuts() {
        let limits = Limits {
            inline: 64,
            array: 8,
            bulk: 64,
        };
        let refused = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20\r\n01234567890123456789\r\n";
        let next = b"*1\r\n$4\r\nPING\r\n";
        let stream: Vec<u8> = [&refused[..], &next[..]].concat();
        for piece in 1..=stream.len() {
            let mut state = Skip::default();
            let mut buf = Vec::new();
            let mut fed = 0;
            while state != Skip::Done {
                let end = (fed + piece).min(stream.len());
                buf.extend_from_slice(&stream[fed..end]);
                fed = end;
                let used = skip(&buf, &mut state, &limits).unwrap();
                buf.drain(..used);
                assert!(fed < stream.len() || state == Skip::Done, "piece {piece}");
            }
            buf.extend_from_slice(&stream[fed..]);
            let (decoded, used) = decode(&buf, &limits).unwrap().unwrap();
            assert_eq!(decoded, args(&["PING"]), "piece {piece}");
            assert_eq!(used, buf.len());
        }
        let mut state = Skip::default();
        assert!(skip(b"*1\r\n$65\r\n", &mut state, &limits).is_err());
        let mut state = Skip::default();
        assert!(skip(b"*1\r\n:1\r\n", &mut state, &limits).is_err());
    }

    #[test]
    fn a_bulk_string_must_end_in_crlf() {
        assert!(decode(b"*1\r\n$1\r\nkXX", &LIMITS).is_err());
        assert_eq!(decode(b"*1\r\n$1\r\nk\r", &LIMITS), Ok(None));
    }
}
