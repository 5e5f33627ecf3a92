//! [`Page`] itself: what the page knows, the thread-local it lives in
//! (the browser has one thread, and event handlers need a way back to
//! it), and the one way a store is replaced.
//!
//! The state is a file of its own so that every part of the page's `impl`
//! (one a file beside this one) can import it while it imports none of
//! them.

use std::cell::RefCell;

use mini_kvstore_commands::Tone;
use web_sys::Document;

use crate::app::console::Console;
use crate::app::dom::set_body_flag;
use crate::app::flusher::Flusher;
use crate::app::map::MapPanel;
use crate::app::policy::PolicyPanel;
use crate::app::settings::SegmentSize;
use crate::app::store::OpenStore;
use crate::app::ticker::Ticker;
use crate::render::map::CellId;
use crate::sample::Rng;

/// Everything the page knows.
pub(crate) struct Page {
    pub(super) doc: Document,
    pub(super) console: Console,
    pub(super) map: MapPanel,
    pub(super) flusher: Flusher,
    pub(super) ticker: Ticker,
    pub(super) segment_size: SegmentSize,
    pub(super) open: OpenStore,
    /// The cell under the pointer, which the details panel shows.
    pub(super) hovered: Option<CellId>,
    /// Reload or Reset is replacing the store: commands wait.
    pub(super) busy: bool,
    pub(super) rng: Rng,
    /// The policy panel: auto compaction, the workload, the chart.
    pub(super) policy: PolicyPanel,
    /// Called after the map or the index was drawn: the Learn panel marks
    /// cells and rows again (see [`Page::after_drawing`]).
    pub(super) drawn: Option<Box<dyn Fn()>>,
}

thread_local! {
    static PAGE: RefCell<Option<Page>> = const { RefCell::new(None) };
}

/// Makes `page` the page [`with_page`] finds.
pub(crate) fn install(page: Page) {
    PAGE.with(|cell| *cell.borrow_mut() = Some(page));
}

/// Runs `f` on the page, if it is up and not already borrowed (an event
/// cannot arrive in the middle of another handler, so that never happens).
pub(crate) fn with_page<R>(f: impl FnOnce(&mut Page) -> R) -> Option<R> {
    PAGE.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

impl Page {
    /// The page over `doc`, showing `open`.
    pub(crate) fn new(
        doc: Document,
        flusher: Flusher,
        segment_size: SegmentSize,
        open: OpenStore,
    ) -> Page {
        Page {
            console: Console::new(doc.clone()),
            policy: PolicyPanel::new(doc.clone(), segment_size.bytes(), || {
                with_page(Page::policy_tick);
            }),
            doc,
            map: MapPanel::default(),
            flusher,
            ticker: Ticker::new(|| {
                with_page(Page::tick);
            }),
            segment_size,
            open,
            hovered: None,
            busy: false,
            rng: Rng::new(js_sys::Date::now() as u64),
            drawn: None,
        }
    }

    /// Calls `hook` after every drawing of the map or the index, for marks
    /// laid over them by a module above this one (the Learn panel's
    /// highlights). It runs while the page is borrowed, so it must not
    /// reach the page.
    pub(crate) fn after_drawing(&mut self, hook: impl Fn() + 'static) {
        self.drawn = Some(Box::new(hook));
    }

    pub(super) fn drew(&self) {
        if let Some(hook) = &self.drawn {
            hook();
        }
    }

    /// The open store.
    pub(crate) fn store(&self) -> &OpenStore {
        &self.open
    }

    /// The flusher.
    pub(crate) fn flusher(&self) -> &Flusher {
        &self.flusher
    }

    /// The segment size stores open with.
    pub(crate) fn segment_size(&self) -> SegmentSize {
        self.segment_size
    }

    /// Puts `open` in place of the store shown now — after a reload, a
    /// reset, a new segment size — and draws it. Everything about the old
    /// store goes with it (see `store`); the map forgets its strips, which
    /// were the old store's.
    pub(crate) fn replace_store(&mut self, open: OpenStore) {
        self.open = open;
        self.policy.store_replaced(&self.open);
        self.map.redraw_all();
        self.after_change();
    }

    /// [`replace_store`](Self::replace_store) with a store of `size`
    /// segments — a lesson's, or the learner's own after one — shown in the
    /// setting but not saved as the learner's choice.
    pub(crate) fn replace_store_sized(&mut self, open: OpenStore, size: SegmentSize) {
        self.segment_size = size;
        size.show(&self.doc);
        self.replace_store(open);
    }

    /// Whether Reload or Reset is running.
    pub(crate) fn is_busy(&self) -> bool {
        self.busy
    }

    /// Marks Reload or Reset as running (`<body data-busy>`), or done.
    pub(crate) fn set_busy(&mut self, busy: bool) {
        self.busy = busy;
        set_body_flag(&self.doc, "busy", busy.then_some("true"));
    }

    /// Whether the store takes no work now: a reload runs, or a fault
    /// stopped it.
    pub(super) fn is_stopped(&self) -> bool {
        self.busy || self.open.crash.is_some()
    }

    /// Refuses work while a fault has stopped the store or a reload runs.
    pub(super) fn refuse_if_stopped(&self) -> bool {
        if self.busy {
            self.print_line("One moment: the store is reopening.", Tone::Warning);
            true
        } else if self.open.crash.is_some() {
            self.print_line(
                "The store is stopped: a fault damaged its bytes, as if the machine had crashed. Press “Reload” to restart it and see what recovery finds.",
                Tone::Warning,
            );
            true
        } else {
            false
        }
    }
}
