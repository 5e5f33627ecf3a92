//! The Server tab (`#server`): the store of the `kvstore` process that
//! served this page, drawn live — not the page's own store in IndexedDB.
//!
//! The first time the tab opens it asks the page's own origin for
//! `/health` (not at start-up: a page that never opens the tab sends no
//! request a static server would log as a 404); only `kvstore`'s answer (a
//! JSON object with `status` and `volume_id`) makes it a server page
//! (`<body data-server="kvstore">`). Under `trunk serve` or a static
//! server there is none (`data-server="absent"`), and the tab says so
//! plainly.
//!
//! While the tab is open — and only then, since every subscriber costs the
//! server a look at the store every 200 ms — an `EventSource` on
//! `/events` brings `stats`, `segments` (the per-segment summary) and
//! `compaction` events; nothing is polled, and the full `/segments` (every
//! record) is never asked for. Each `segments` event goes through
//! [`DrawnStrips`], which says which strips to insert, remove or change:
//! one element per segment, and a write touches only the active one.
//! Clicking a strip, or Enter on it, lists its records from
//! `/segments/{id}/records`, a page at a time along the server's cursor.
//! One strip at a time is a Tab stop; the arrow keys, Page Up and Down,
//! Home and End move it.
//!
//! Every handler is timed with the User Timing API (`performance.measure`,
//! names starting `server-tab:`): the first draw after connecting, each
//! `segments` and `stats` event, each records page. The developer tools
//! show them, and `tests/e2e/measure-server-tab.mjs` reads them.
//!
//! Like `learn`, the tab keeps its state in a thread-local of its own; it
//! needs nothing of the page's store, so it imports only `dom`, and
//! `events` and `startup` call it.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | here | what `events` and `startup` call: start-up, the address changed, the strips' keys and clicks, the records' buttons |
//! | `connection` | `/health` asked once, the tab shown and hidden, the `/events` stream opened, lost and closed |
//! | `updates` | each event of the stream drawn: `stats`, `segments`, `compaction` |
//! | `strips` | the strips drawn incrementally, the one Tab stop among them and the keys that move it |
//! | `records` | a segment's records, a page at a time along the server's cursor |
//! | `http` | `GET` on the page's own origin |
//! | `timing` | the User Timing marks and measures |
//! | `state` | the tab's state and the thread-local it lives in |
//!
//! Every file from `connection` to `records` is one part of the tab's
//! `impl`, split by what it talks to (the server's stream, the strips,
//! the records). They call each other's methods, but of this folder they
//! import only `state`, `http` and `timing`, which import none of them;
//! this file imports `state` alone: no two files import each other.

mod connection;
mod http;
mod records;
mod state;
mod strips;
mod timing;
mod updates;

use web_sys::Document;

use super::dom::element;
use crate::server_view::{DrawnStrips, RecordCursor};
use state::{Presence, ServerTab, TAB, with_tab};

/// The tab's address.
const HASH: &str = "#server";

/// Sets the tab up over `doc`, and opens it if the address is `#server`.
pub(super) fn start(doc: &Document) {
    if element(doc, "server-panel").is_err() {
        return;
    }
    TAB.with(|cell| {
        *cell.borrow_mut() = Some(ServerTab {
            doc: doc.clone(),
            presence: Presence::Unknown,
            showing: false,
            feed: None,
            strips: DrawnStrips::default(),
            summary: None,
            open_segment: None,
            tab_stop: None,
            cursor: None,
            next_cursor: None,
            request: 0,
            merges: 0,
            logged: 0,
            merges_before: None,
            awaiting_first_draw: false,
            stat_values: Vec::new(),
            next_html: String::new(),
        });
    });
    follow_hash();
}

/// The address changed: show the tab at `#server`, hide it elsewhere.
/// `true` when the tab was just left (the page's own panels, hidden
/// meanwhile, have to measure themselves again).
pub(super) fn follow_hash() -> bool {
    let wanted = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|hash| hash == HASH);
    with_tab(|tab| {
        let was = tab.showing;
        tab.show(wanted);
        was && !wanted
    })
    .unwrap_or(false)
}

/// A click on a strip, or Enter on it: list segment `id`'s records.
pub(super) fn open_segment(id: u32) {
    with_tab(|tab| tab.open(id));
}

/// A key on strip `id`; `true` when the tab took it (the page should not
/// scroll as well).
pub(super) fn strip_key(id: u32, key: &str) -> bool {
    with_tab(|tab| tab.key(id, key)).unwrap_or(false)
}

/// "Next page".
pub(super) fn next_page() {
    with_tab(|tab| {
        if let Some(cursor) = tab.next_cursor {
            tab.load(cursor);
        }
    });
}

/// "First page".
pub(super) fn first_page() {
    with_tab(|tab| {
        if let Some(segment) = tab.open_segment {
            tab.load(RecordCursor::first(segment));
        }
    });
}

/// "Close": no segment's records listed.
pub(super) fn close_records() {
    with_tab(ServerTab::close_records);
}
