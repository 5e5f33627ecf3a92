//! The Learn panel on the page: lessons run on a store of their own, their
//! highlights, their predictions and the addresses of their steps.
//!
//! What a lesson says and does, how a question finds its answer and how a
//! tour moves from phase to phase are `crate::learn`'s, plain Rust tested
//! natively; this module only applies them. Each action of a step goes
//! through the page's own paths — a console line through
//! `Page::run_line`, Plan and Step and the fault buttons through their
//! handlers, Reload through `reopen::reload` — so a lesson shows exactly what the
//! learner can then do by hand.
//!
//! ## The learner's store is set aside
//! A lesson runs on a fresh store in a database of its own
//! (`stores::LESSON_DATABASE`). Going in, while holding the flusher's turn: the
//! learner's store is flushed to its own database, the flusher is pointed
//! at the lesson's database (cleared) and the lesson's empty store goes in
//! through `Page::replace_store_sized`. Coming out, again holding the
//! turn: the learner's store is loaded back from its database and swapped
//! in, and the lesson's database is cleared. No flush can run in between,
//! so one store's bytes never reach the other's database, and a tab
//! reloaded half-way through a lesson opens the learner's own keys (then
//! replays the lesson to the step in its address). Reload and Reset during
//! a lesson act on the lesson's database: it is the flusher's then. A
//! lesson's store opens with the lessons' segment size and the engine's
//! default merge policy, whatever the settings and the policy panel say, so
//! what its texts describe is what happens; the learner's store comes back
//! with the learner's settings.
//!
//! ## One thing at a time
//! Going to a step (from its address: `hashchange` and the address the page
//! opened with) and revealing an answer are jobs in one queue, run by one
//! task, because both wait for the browser (IndexedDB, timers). A newer
//! address replaces any older one still queued, and a replay that sees a
//! newer address waiting stops between two actions.
//!
//! ## Marks
//! Highlights (`learn-highlight`), picks (`learn-pick`), judged picks
//! (`learn-right`, `learn-wrong`, `learn-missed`) and the arrow from an
//! index row to its record are laid over elements the page redraws, so
//! they are kept in `marks::Marks` and laid again after every drawing of the
//! map or the index (the hook `Page::after_drawing` calls); that hook
//! runs while the page is borrowed and so touches only the DOM and the
//! marks.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | here | what the page calls: start-up, the address changed, Esc, the panel's buttons, picks on the map |
//! | `runner` | the one queue of jobs: going to a step (replaying the ones before), revealing an answer, each action through the page's paths |
//! | `panel` | drawing the panel (the lesson list or a step) and where focus goes |
//! | `stores` | the learner's store set aside for a lesson's and brought back, holding the flusher's turn |
//! | `marks` | highlights and picks laid over the map and the index, again after every drawing |
//! | `arrow` | the arrow from an index row to its record |
//! | `address` | `#learn/L/S` in the address bar, `localStorage` |
//! | `state` | the panel's state, which all of them read and write |
//!
//! Imports run down that table: this file calls `runner`, which drives
//! `panel`, `stores` and `marks`; `marks` draws through `arrow`; every one
//! reads `state`, which imports none of them, and `address` imports
//! nothing of the panel's.

mod address;
mod arrow;
mod marks;
mod panel;
mod runner;
mod state;
mod stores;

use super::page::with_page;
use crate::learn::progress::{Position, Progress, Route};
use crate::learn::question::{Ask, Guess};
use address::{current_hash, local_storage, navigate, replace_hash};
use marks::mark_again;
use runner::{answer, picks_changed, queue};
use state::{Job, learn};

/// The `localStorage` key of the steps done.
const PROGRESS_KEY: &str = "mini-kvstore.learn-progress";

/// Starts the panel once the page is up: the progress kept from earlier
/// visits, the marks hook, and the address the page was opened at.
pub(super) fn start() {
    let progress = local_storage()
        .and_then(|s| s.get_item(PROGRESS_KEY).ok().flatten())
        .map(|text| Progress::parse(&text))
        .unwrap_or_default();
    learn(|l| l.progress = progress);
    with_page(|page| page.after_drawing(mark_again));
    follow_hash();
}

/// The address changed (or the page opened at one): go where it leads.
pub(super) fn follow_hash() {
    let hash = current_hash();
    let route = Route::parse(&hash);
    if route != Route::Away && route.hash() != hash {
        // `#learn/1/99` reads `#learn/1/4`.
        replace_hash(&route.hash());
    }
    let lone_hash = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .is_some_and(|href| href.ends_with('#'));
    if lone_hash {
        // What leaving the panel leaves behind.
        replace_hash("");
    }
    queue(Job::Go {
        route,
        fresh: false,
    });
}

/// Esc: leave the lesson (or the lesson list) for the learner's own store.
pub(super) fn escape() {
    if learn(|l| l.route != Route::Away) {
        navigate(Route::Away);
    }
}

/// A click on a `data-learn` button of the panel; `arg` is its `data-arg`.
pub(super) fn press(what: &str, arg: Option<&str>) {
    match what {
        "next" => {
            let done = learn(|l| {
                let tour = l.tour.as_ref().filter(|t| t.can_go_on())?;
                let at = tour.at;
                l.progress.complete(at);
                Some((at, l.progress.to_text()))
            });
            if let Some((at, text)) = done {
                if let Some(storage) = local_storage() {
                    let _ = storage.set_item(PROGRESS_KEY, &text);
                }
                navigate(at.next().map_or(Route::Menu, Route::Step));
            }
        }
        "back" => {
            if let Some(previous) = learn(|l| l.tour.as_ref().and_then(|t| t.at.previous())) {
                navigate(Route::Step(previous));
            }
        }
        "restart" => {
            if let Some(start) =
                learn(|l| l.tour.as_ref().and_then(|t| Position::start(t.at.lesson)))
            {
                let route = Route::Step(start);
                if current_hash() == route.hash() {
                    queue(Job::Go { route, fresh: true });
                } else {
                    navigate(route);
                }
            }
        }
        "leave" => navigate(Route::Away),
        "menu" => navigate(Route::Menu),
        "pick" => {
            let at = arg.and_then(|a| {
                let (segment, index) = a.split_once(':')?;
                Some((segment.parse().ok()?, index.parse().ok()?))
            });
            if let Some(at) = at
                && learn(|l| l.tour.as_mut().is_some_and(|t| t.toggle_record(at)))
            {
                picks_changed();
            }
        }
        "pick-segment" => {
            if let Some(id) = arg.and_then(|a| a.parse().ok())
                && learn(|l| l.tour.as_mut().is_some_and(|t| t.toggle_segment(id)))
            {
                picks_changed();
            }
        }
        "check" => answer(None),
        "choose" => {
            if let Some(i) = arg.and_then(|a| a.parse().ok()) {
                answer(Some(Guess::Choice(i)));
            }
        }
        "count" => {
            if let Some(n) = arg.and_then(|a| a.parse().ok()) {
                answer(Some(Guess::Count(n)));
            }
        }
        _ => {}
    }
}

/// A click on the map while the panel may be asking for picks: `record`
/// is the `data-i` of the record cell clicked, `segment` the
/// `data-segment` of its strip. `true` when the click was a pick (the
/// page's own selection must not see it).
pub(super) fn pick_on_map(record: Option<&str>, segment: Option<&str>) -> bool {
    let picked = learn(|l| {
        let Some(tour) = l.tour.as_mut() else {
            return false;
        };
        match tour.step().question.map(|q| q.ask) {
            Some(Ask::Records { .. }) => record
                .and_then(|id| {
                    let (segment, index) = id.split_once(':')?;
                    Some((segment.parse().ok()?, index.parse().ok()?))
                })
                .is_some_and(|at| tour.toggle_record(at)),
            Some(Ask::Segments { .. }) => segment
                .and_then(|id| id.parse().ok())
                .is_some_and(|id| tour.toggle_segment(id)),
            _ => false,
        }
    });
    if picked {
        picks_changed();
    }
    picked
}
