//! `kvstore export` and `kvstore import`: the store as a dump file, and
//! back.
//!
//! # The dump format
//!
//! A dump is newline-delimited JSON (JSON Lines): one record per line, one
//! JSON object per record, in key order when `export` wrote it.
//!
//! ```text
//! {"key":"greeting","value":"hello world"}
//! {"key":"note","value":"two\nlines, \"quoted\""}
//! {"key":"session:1","value":"token","expires_at_ms":1767225600000}
//! {"key":"tiny","value":""}
//! {"key_b64":"/wBiaW4=","value_b64":"wyg="}
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `key` | the key, when it is valid UTF-8: a JSON string |
//! | `key_b64` | the key otherwise: its bytes in base64 (standard alphabet, `=` padding) |
//! | `value` | the value, when it is valid UTF-8 (the empty value too): a JSON string |
//! | `value_b64` | the value otherwise, in base64 |
//! | `expires_at_ms` | when the key expires, in milliseconds since the Unix epoch; absent when it never does |
//!
//! Each record has exactly one of `key` and `key_b64`, and exactly one of
//! `value` and `value_b64`. `export` uses the text form whenever the bytes
//! are UTF-8, so a dump of text keys is readable and greppable (`jq .key`);
//! `import` takes either form for any bytes. The expiry is an absolute time,
//! not a time to live, so a dump imported an hour later expires its keys
//! when the original store would have: a record already past its expiry is
//! skipped on import, and counted. Any other field is an error (a typo such
//! as `"vaule"` must not import a key without its value), as is `null` in
//! any field. Blank lines are ignored; a line ends in `\n` or `\r\n`.
//!
//! # Import: all or nothing
//!
//! `import` reads its input twice. The first pass checks every line — JSON,
//! the fields above, base64, the store's key and value limits — and writes
//! nothing; if any line is bad it reports each one (`line 3: …`) and the
//! store is left exactly as it was. The second pass applies the records in
//! write batches (each atomic in the engine, so even a crash mid-import
//! leaves no record half-written) and syncs once at the end, before the
//! summary is printed. Standard input (`import -`) cannot be read twice, so
//! the first pass copies it to an unnamed temporary file that the second
//! pass reads back; it costs disk space the size of the dump, never memory.
//! Export and import both stream: neither holds more than one line (or one
//! batch) in memory.
//!
//! | module | what |
//! |---|---|
//! | `record` | one line of a dump: [`DumpRecord`](record::DumpRecord), its encoder and decoder, [`LineError`](record::LineError) |
//! | `export` | `kvstore export`: the store's keys, in order, to stdout or a file |
//! | `import` | `kvstore import`: check every line, then apply them in batches |

mod export;
mod import;
mod record;

pub(crate) use export::{ExportArgs, run as export};
pub(crate) use import::{ImportArgs, run as import};
