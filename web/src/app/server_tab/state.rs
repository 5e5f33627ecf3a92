//! The Server tab's state, the thread-local it lives in, and the stream
//! it owns.
//!
//! The state is a file of its own so that every part of the tab's `impl`
//! (one a file beside this one) can import it while it imports none of
//! them.

use std::cell::RefCell;

use wasm_bindgen::closure::Closure;
use web_sys::{Document, Element, Event, EventSource};

use crate::app::dom::element;
use crate::server_view::{DrawnStrips, RecordCursor, Summary};

/// Whether the page is a `kvstore` server's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Presence {
    /// `/health` has not been asked yet.
    Unknown,
    /// It has not answered yet.
    Looking,
    /// It is.
    Kvstore,
    /// It is not.
    Absent,
}

/// The `EventSource` on `/events` and its listeners, which live as long
/// as it does: dropping a `Feed` closes the stream first, so no listener
/// is called after it is gone.
pub(super) struct Feed {
    pub(super) source: EventSource,
    pub(super) _listeners: Vec<Closure<dyn FnMut(Event)>>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The tab's state.
pub(super) struct ServerTab {
    pub(super) doc: Document,
    pub(super) presence: Presence,
    /// The tab is on show.
    pub(super) showing: bool,
    pub(super) feed: Option<Feed>,
    pub(super) strips: DrawnStrips,
    pub(super) summary: Option<Summary>,
    /// The segment whose records are listed.
    pub(super) open_segment: Option<u32>,
    /// The strip that is the Tab stop.
    pub(super) tab_stop: Option<u32>,
    /// The records page on show, and the one Next asks for.
    pub(super) cursor: Option<RecordCursor>,
    pub(super) next_cursor: Option<RecordCursor>,
    /// Counts records requests, so an answer to an older one is dropped.
    pub(super) request: u64,
    /// Merges logged since the tab first connected.
    pub(super) merges: u64,
    /// Entries in the log (at most `updates::LOG_LIMIT`).
    pub(super) logged: usize,
    /// `stats.compactions` at the first `stats` event after connecting.
    pub(super) merges_before: Option<u64>,
    /// The first `segments` event after connecting is still to come.
    pub(super) awaiting_first_draw: bool,
    /// What the stats and the next merge show, to touch only what changed.
    pub(super) stat_values: Vec<(&'static str, String)>,
    pub(super) next_html: String,
}

thread_local! {
    pub(super) static TAB: RefCell<Option<ServerTab>> = const { RefCell::new(None) };
}

/// Runs `f` on the tab, if it is set up (and not already borrowed: every
/// caller is an event handler or a task, never another call in here).
pub(super) fn with_tab<R>(f: impl FnOnce(&mut ServerTab) -> R) -> Option<R> {
    TAB.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

impl ServerTab {
    pub(super) fn el(&self, id: &'static str) -> Option<Element> {
        element(&self.doc, id).ok()
    }

    pub(super) fn set_html(&self, id: &'static str, html: &str) {
        if let Some(el) = self.el(id) {
            el.set_inner_html(html);
        }
    }
}
