//! # mini-kvstore-commands
//!
//! The command language of mini-kvstore — `set`, `get`, `delete`, `expire`,
//! `ttl`, `persist`, `list`, `scan`, `compact`, `stats`, `inspect`, `verify`,
//! `load`, `help`, `quit` — as a
//! library: parse a line into a [`Command`], run it against a
//! [`KvStore`](mini_kvstore::KvStore), and get a [`Reply`] that renders as
//! text.
//!
//! It is a crate of its own because two very different programs speak the
//! language: the `kvstore` binary (one-shot commands and a REPL on a
//! terminal) and the browser playground's console (compiled to
//! `wasm32-unknown-unknown`). So it holds only what both need, and nothing
//! that only one of them has: no terminal, colour, filesystem or threads.
//! Hosts supply files and progress displays through [`Host`], and colour
//! through the [`Tone`] tags on rendered [`Text`].
//!
//! ```
//! use mini_kvstore::{KvStore, MemStorage, Options};
//! use mini_kvstore_commands::{Outcome, Sandbox, execute, parse_line};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = KvStore::open_with(MemStorage::new(), Options::default())?;
//! for line in ["set greeting 'hello world'", "set n 42", "list", "get nope"] {
//!     let Some(command) = parse_line(line)? else { continue };
//!     let reply = execute(&store, &command, &mut Sandbox)?;
//!     println!("{}", reply.to_text()); // plain text; `Tone`s say what to colour
//!     if line == "list" {
//!         assert_eq!(reply.to_text().to_string(), "Keys (2): greeting, n");
//!     }
//!     if line == "get nope" {
//!         assert_eq!(reply.outcome(), Outcome::NotFound);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `grammar` | [`Command`], its clap definition, [`parse_line`] (shlex + clap `multicall`), [`help_text`] |
//! | `duration` | times to live in words: [`parse_duration`] (`30s`) and [`human_duration`] (`29.5 s`) |
//! | `execute` | [`execute()`] a command against a store; the [`Host`] trait; [`ExecError`] |
//! | `reply` | [`Reply`] and the reports it carries; [`Outcome`] for exit statuses |
//! | `render` | [`Reply::to_text`]: the words every host shows |
//! | `inspect` | `inspect`'s segment map |
//! | `text` | [`Text`], [`Line`], [`Span`], [`Tone`]: rendered text with meaning tags |
//!
//! A host that has a command line of its own (the `kvstore` binary) flattens
//! [`Command`] into its clap parser, so `kvstore set a 1` and the REPL line
//! `set a 1` are one grammar.

mod duration;
mod execute;
mod grammar;
mod inspect;
mod render;
mod reply;
mod text;

pub use duration::{human_duration, parse_duration};
pub use execute::{ExecError, Host, Sandbox, Task, execute, execute_without_store};
pub use grammar::{
    Command, CompactArgs, InspectArgs, ListArgs, ParseError, ScanArgs, SetCondition, help_text,
    parse_line,
};
pub use inspect::MAP_WIDTH;
pub use reply::{BadLine, KeyList, LayoutView, LoadReport, Outcome, PairList, Reply};
pub use text::{Line, Span, Text, Tone, count, display_bytes, ellipsize, human_bytes};
