//! The page's one timer for the time itself: while something on show
//! depends on the clock — a record counting down to its expiry — it wakes
//! the page, so the map turns the record dead when its time comes and the
//! details panel's countdown moves on.
//!
//! One timeout at a time, never an interval and never polling: each wake-up
//! is asked for with the delay until the next thing changes (the page
//! computes it with `expiry::next_change`), and a page that finds nothing
//! depending on the time asks for none, so the loop stops by itself. A
//! request for a sooner wake-up replaces the pending one; a later one
//! leaves it. Like the flusher, it reaches the page only through the
//! callback it was built with, so it imports nothing of the page's.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A handle on the timer.
pub(super) struct Ticker(Rc<Shared>);

struct Shared {
    /// The pending timeout and when it fires (`Date.now()` ms).
    pending: Cell<Option<(i32, f64)>>,
    /// Calls the page's tick; made once for the page's life (a closure per
    /// timeout would leak with every one replaced).
    callback: Function,
}

impl Ticker {
    /// A timer that calls `tick` when it fires.
    pub(super) fn new(tick: impl Fn() + 'static) -> Ticker {
        Ticker(Rc::new_cyclic(|shared: &Weak<Shared>| {
            let shared = shared.clone();
            let callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(shared) = shared.upgrade() {
                    shared.pending.set(None);
                }
                tick();
            })
            .into_js_value()
            .unchecked_into::<Function>();
            Shared {
                pending: Cell::new(None),
                callback,
            }
        }))
    }

    /// Wakes the page in `delay_ms`, unless a wake-up is already due by then.
    pub(super) fn wake_in(&self, delay_ms: u32) {
        let due = js_sys::Date::now() + f64::from(delay_ms);
        if self.0.pending.get().is_some_and(|(_, at)| at <= due) {
            return;
        }
        self.stop();
        let Some(window) = web_sys::window() else {
            return;
        };
        let delay = i32::try_from(delay_ms).unwrap_or(i32::MAX);
        if let Ok(handle) =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(&self.0.callback, delay)
        {
            self.0.pending.set(Some((handle, due)));
        }
    }

    /// Cancels the pending wake-up, if there is one.
    pub(super) fn stop(&self) {
        if let (Some((handle, _)), Some(window)) = (self.0.pending.take(), web_sys::window()) {
            window.clear_timeout_with_handle(handle);
        }
    }
}
