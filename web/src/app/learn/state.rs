//! The Learn panel's state: where the learner is, the tour on show, the
//! jobs waiting, the databases of a lesson and of the learner, progress.
//!
//! It lives in a thread-local because event handlers and the runner's task
//! both need it; [`learn`] lends it for the length of a closure, which
//! never calls into the page, so the page and the panel are never borrowed
//! in the wrong order.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::idb::Database;
use crate::learn::facts::Facts;
use crate::learn::progress::{Progress, Route};
use crate::learn::question::Guess;
use crate::learn::tour::Tour;

/// What the runner does next.
pub(super) enum Job {
    /// Go where a route leads; `fresh` restarts even a step on show.
    Go { route: Route, fresh: bool },
    /// Run the reveal of the question on show and judge `Guess`.
    Reveal(Guess),
}

/// Where focus goes after the next drawing of the panel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Focus {
    /// Back to the control that had it, if it is still there.
    Keep,
    /// The heading: a new step or the lesson list.
    Title,
    /// The Next button: the verdict is in.
    Next,
}

/// The Learn panel's state.
pub(super) struct Learn {
    pub(super) route: Route,
    pub(super) tour: Option<Tour>,
    pub(super) jobs: VecDeque<Job>,
    pub(super) running: bool,
    /// The learner's own database while a lesson's store is on show.
    pub(super) own_db: Option<Database>,
    /// The lesson database, once opened.
    pub(super) lesson_db: Option<Database>,
    pub(super) progress: Progress,
    /// The question on show: the facts when it was answered, and the guess.
    pub(super) asked: Option<(Facts, Guess)>,
    pub(super) focus: Focus,
}

thread_local! {
    static LEARN: RefCell<Learn> = RefCell::new(Learn {
        route: Route::Away,
        tour: None,
        jobs: VecDeque::new(),
        running: false,
        own_db: None,
        lesson_db: None,
        progress: Progress::new(),
        asked: None,
        focus: Focus::Keep,
    });
}

/// Runs `f` on the panel's state. Never calls into the page, and the page
/// never calls in here while `f` runs.
pub(super) fn learn<R>(f: impl FnOnce(&mut Learn) -> R) -> R {
    LEARN.with(|cell| f(&mut cell.borrow_mut()))
}
