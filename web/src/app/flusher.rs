//! The one writer to IndexedDB: when the page's in-memory segments are
//! copied there, and who may write meanwhile.
//!
//! The engine runs with `SyncPolicy::Never` and the page decides when to
//! flush: right away when the engine asked for durability (a command's
//! `sync`, a segment rotation, a compaction, a removal), after
//! [`FLUSH_DEBOUNCE_MS`] when it did not (the random writes, so a burst
//! becomes one transaction and the learner sees the unflushed count), and
//! when the page is hidden or closed.
//!
//! Everything that touches the database holds the [`Turn`] while it does:
//! a background flush, Reload (its last flush, the load and the store
//! swap), Reset (the clear and the swap). Turns pass in the order they were
//! asked for ([`Turns`]), straight from one holder to the next, so two
//! flushes never overlap, no flush of the old store lands after a reset
//! cleared the database, and nothing polls. A flush that had to wait writes
//! whatever is still unwritten when its turn comes, which is often nothing.
//!
//! The flusher does not hold the storage it writes: it asks the page for
//! the current one each time ([`Hooks::storage`]), so after Reload or Reset
//! no flush can write a store that is gone. The database it writes to can
//! change too — a lesson's store has a database of its own — but only in
//! the hands of the turn's holder ([`Turn::use_database`]), who swaps the
//! store in the same breath. `tests.rs` beside this file runs that switch,
//! as the Learn panel does it, against a real IndexedDB.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};

use crate::idb::{Database, IdbError};
use crate::storage::IdbStorage;
use crate::turns::Turns;

/// How long writes that did not ask for durability wait before a flush.
const FLUSH_DEBOUNCE_MS: i32 = 800;

/// What the flusher needs from the page, supplied by whoever builds it, so
/// this module imports nothing of the page's.
pub(super) struct Hooks {
    /// The storage of the store open now (`None` once there is no page).
    /// Called outside any borrow of the page's state: from a flush's task
    /// or from Reload and Reset, never from an event handler.
    pub(super) storage: Box<dyn Fn() -> Option<IdbStorage>>,
    /// Called after every flush, to redraw the flush status.
    pub(super) settled: Box<dyn Fn()>,
}

/// A handle on the flusher; clones share it.
#[derive(Clone)]
pub(super) struct Flusher(Rc<Shared>);

struct Shared {
    /// Changed only by the turn's holder, with the store it belongs to.
    db: RefCell<Database>,
    hooks: Hooks,
    state: RefCell<State>,
    /// Starts a flush when the debounce timer fires; made once for the
    /// page's life (a closure per timer would leak with every cancelled one).
    timer_callback: Function,
}

struct State {
    /// Each waiter is the `resolve` of the promise its task awaits.
    turns: Turns<Function>,
    timer: Option<i32>,
    last_error: Option<String>,
}

impl Flusher {
    /// The flusher for `db`.
    pub(super) fn new(db: Database, hooks: Hooks) -> Flusher {
        Flusher(Rc::new_cyclic(|shared: &Weak<Shared>| {
            let shared = shared.clone();
            let timer_callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(shared) = shared.upgrade() {
                    shared.state.borrow_mut().timer = None;
                    Flusher(shared).flush_soon();
                }
            })
            .into_js_value()
            .unchecked_into::<Function>();
            Shared {
                db: RefCell::new(db),
                hooks,
                state: RefCell::new(State {
                    turns: Turns::new(),
                    timer: None,
                    last_error: None,
                }),
                timer_callback,
            }
        }))
    }

    /// The database it writes to (a handle).
    pub(super) fn db(&self) -> Database {
        self.0.db.borrow().clone()
    }

    /// Why the last flush failed, if it did.
    pub(super) fn last_error(&self) -> Option<String> {
        self.0.state.borrow().last_error.clone()
    }

    /// After a change to `storage`: a flush now if the engine asked for
    /// durability, after the debounce if something else changed.
    pub(super) fn schedule(&self, storage: &IdbStorage) {
        if storage.flush_is_urgent() {
            self.cancel_timer();
            self.flush_soon();
        } else if storage.needs_flush() {
            self.cancel_timer();
            if let Some(window) = web_sys::window() {
                let timer = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        &self.0.timer_callback,
                        FLUSH_DEBOUNCE_MS,
                    )
                    .ok();
                self.0.state.borrow_mut().timer = timer;
            }
        }
    }

    /// Flushes as soon as it is this flush's turn.
    pub(super) fn flush_soon(&self) {
        let flusher = self.clone();
        spawn_local(async move {
            // A failure is shown in the status line and retried with the
            // next change, not in a loop.
            let _ = flusher.claim().await.flush().await;
        });
    }

    fn cancel_timer(&self) {
        let timer = self.0.state.borrow_mut().timer.take();
        if let (Some(timer), Some(window)) = (timer, web_sys::window()) {
            window.clear_timeout_with_handle(timer);
        }
    }

    /// Waits for the turn to write to the database; it is given back when
    /// the [`Turn`] is dropped. The task awaiting this must run to the end
    /// (every task the page spawns does): the turn is handed to it while it
    /// waits.
    pub(super) async fn claim(&self) -> Turn {
        let waiting = {
            let mut state = self.0.state.borrow_mut();
            if state.turns.try_take() {
                None
            } else {
                Some(Promise::new(&mut |resolve, _reject| {
                    state.turns.wait(resolve);
                }))
            }
        };
        if let Some(handed_over) = waiting {
            // Resolved by the previous holder's `Turn::drop`, which has
            // already made the turn this task's.
            let _ = JsFuture::from(handed_over).await;
        }
        Turn {
            flusher: self.clone(),
        }
    }
}

/// The right to write to the database, until dropped.
pub(super) struct Turn {
    flusher: Flusher,
}

impl Turn {
    /// The database.
    pub(super) fn db(&self) -> Database {
        self.flusher.db()
    }

    /// From now on, flushes write to `db`. The caller puts the store that
    /// belongs to `db` in place before giving the turn back, so no flush
    /// ever writes one store into the other's database.
    pub(super) fn use_database(&self, db: Database) {
        *self.flusher.0.db.borrow_mut() = db;
    }

    /// Writes what the current store has not written yet, in one
    /// transaction, and redraws the flush status.
    pub(super) async fn flush(&self) -> Result<u64, IdbError> {
        let shared = &self.flusher.0;
        let Some(storage) = (shared.hooks.storage)() else {
            return Ok(0);
        };
        let db = self.db();
        let result = db.flush(&storage).await;
        shared.state.borrow_mut().last_error = result.as_ref().err().map(ToString::to_string);
        (shared.hooks.settled)();
        result
    }

    /// Flushes until IndexedDB holds what memory holds.
    pub(super) async fn flush_all(&self) -> Result<(), IdbError> {
        while (self.flusher.0.hooks.storage)().is_some_and(|storage| storage.needs_flush()) {
            self.flush().await?;
        }
        Ok(())
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let next = self.flusher.0.state.borrow_mut().turns.release();
        if let Some(wake) = next {
            // Resolving only queues the waiter's continuation; it runs
            // after this task yields.
            let _ = wake.call0(&JsValue::NULL);
        }
    }
}

#[cfg(test)]
mod tests;
