//! The Server tab as data: the `kvstore` server's JSON read into types,
//! and what the tab draws of it — a strip per segment in proportions, the
//! stats, the next merge, the log of compactions and a page of records —
//! as attributes and HTML strings.
//!
//! The server sends three things the tab reads (`server/README.md`,
//! "Segments in numbers, a page at a time, and live"): `/events`' `stats`
//! ([`ServerStats`], `/stats`' JSON), `segments` ([`Summary`],
//! `/segments?summary=true`'s JSON: each segment in numbers, no record)
//! and `compaction` ([`CompactionEvent`], a merge's report); and, when a
//! segment is opened, `/segments/{id}/records` a page at a time
//! ([`RecordPage`]). The engine's types only serialize, so these mirror
//! their shapes; the words in them (a record's state, a segment's kind, a
//! merge's reason) are read back into the engine's own enums ([`Word`]),
//! so the tab names them as the map, `inspect` and the server do.
//!
//! ## Drawn to stay fast with 1,000 segments
//! A strip is one element with no child elements: its label is its text,
//! its parts — live, overwritten, tombstone, expired, corrupt,
//! bookkeeping — are the background layers of its `::before` (each a
//! pattern from `style.css`), sized and placed by the custom properties
//! [`StripView::style`] sets, and the shares are an attribute its `::after`
//! shows (`data-parts`); the accessibility tree reads `aria-label`. All of
//! it is the element's content, so a strip scrolled out of view is not
//! painted at all (`content-visibility: auto`).
//! [`DrawnStrips`] remembers each strip's attributes and, for the next
//! summary, says which strips to insert, remove or change
//! ([`StripChange`]): a write, which changes the active segment alone,
//! touches one element.
//!
//! Everything here is plain Rust and tested natively; `app::server_tab`
//! fetches, listens and puts the results on the page.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `word` | [`Named`] and [`Word`]: the engine's enums read back from their words |
//! | `json` | the server's answers as types ([`Summary`], [`ServerStats`], [`CompactionEvent`], [`RecordPage`], [`Health`]) and [`parse`] |
//! | `strip` | one segment's strip: its parts in proportion ([`StripView::style`]), its words and its one element ([`strip_html`]) |
//! | `drawn` | the strips on the page and what a new summary changes of them ([`DrawnStrips`], [`StripChange`]) |
//! | `tab_stop` | where the arrow keys move the one Tab stop among the strips ([`moved`]) |
//! | `panels` | the stats, the next merge, the log of merges and the "no server" message, as HTML |
//! | `records` | a segment's records a page at a time along the server's cursor ([`RecordCursor`], [`records_html`]) |
//!
//! Imports run down that table: `json` reads words through `word`,
//! `strip` draws `json`'s summaries, `drawn` keeps `strip`'s elements,
//! `panels` and `records` put `json`'s answers in words; no child imports
//! this file, which only re-exports them, so every path the page uses
//! (`crate::server_view::…`) names one item in one place.

mod drawn;
mod json;
mod panels;
mod records;
mod strip;
mod tab_stop;
mod word;

#[cfg(test)]
mod fixtures;

pub use drawn::{DrawnStrips, StripChange};
pub use json::{
    Assessment, Bytes, CompactionEvent, Health, InputReason, ParseError, Record, RecordPage,
    SegmentSummary, ServerStats, Summary, parse,
};
pub use panels::{
    ABSENT_HTML, compaction_html, empty_log_html, grouped, next_merge_html, stat_values,
};
pub use records::{RecordCursor, records_html};
pub use strip::{LAYERS, Part, StripView, scale_of, strip_html, strips};
pub use tab_stop::moved;
pub use word::{Named, Word};
