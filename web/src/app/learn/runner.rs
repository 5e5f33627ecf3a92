//! The one queue of jobs: going to a step and revealing an answer.
//!
//! Both wait for the browser (IndexedDB, timers), so they run one at a
//! time on one task. A newer address replaces any older one still queued,
//! and a replay that sees a newer address waiting stops between two
//! actions ([`superseded`]). Every action goes through the page's own
//! paths, so a lesson does exactly what the learner can then do by hand.

use js_sys::Promise;
use mini_kvstore_commands::Tone;
use wasm_bindgen_futures::{JsFuture, spawn_local};

use super::marks::{Marks, marks_for, scroll_to_marks, set_marks};
use super::panel::{focus_opener, render};
use super::state::{Focus, Job, learn};
use super::stores::{fresh_lesson_store, read_facts, restore_own_store};
use crate::app::page::{Page, with_page};
use crate::app::reopen::reload;
use crate::learn::action::Action;
use crate::learn::progress::Route;
use crate::learn::question::Guess;
use crate::learn::tour::{Phase, Tour, Way, way_to};
use crate::view::PlanOverlay;

pub(super) fn queue(job: Job) {
    let start = learn(|l| {
        if matches!(job, Job::Go { .. }) {
            l.jobs.retain(|j| !matches!(j, Job::Go { .. }));
        }
        l.jobs.push_back(job);
        !std::mem::replace(&mut l.running, true)
    });
    if start {
        spawn_local(run_jobs());
    }
}

async fn run_jobs() {
    loop {
        let job = learn(|l| {
            let job = l.jobs.pop_front();
            if job.is_none() {
                l.running = false;
            }
            job
        });
        match job {
            Some(Job::Go { route, fresh }) => go(route, fresh).await,
            Some(Job::Reveal(guess)) => reveal(guess).await,
            None => break,
        }
        render();
    }
}

/// A newer address waits: what runs now should stop.
fn superseded() -> bool {
    learn(|l| l.jobs.iter().any(|j| matches!(j, Job::Go { .. })))
}

async fn go(route: Route, fresh: bool) {
    let Route::Step(at) = route else {
        let was = learn(|l| {
            let was = l.route;
            l.route = route;
            l.tour = None;
            l.asked = None;
            l.focus = Focus::Title;
            was
        });
        set_marks(Marks::default());
        render();
        restore_own_store().await;
        if route == Route::Away && was != Route::Away {
            focus_opener();
        }
        return;
    };
    let way = learn(|l| {
        l.route = route;
        if fresh {
            Way::Fresh
        } else {
            way_to(l.tour.as_ref(), at)
        }
    });
    if way == Way::Stay {
        return;
    }
    learn(|l| {
        l.tour = Some(Tour::arrive(at));
        l.asked = None;
        l.focus = Focus::Title;
    });
    set_marks(Marks::default());
    render();
    let lesson = at.lesson();
    if way == Way::Fresh {
        if let Err(error) = fresh_lesson_store().await {
            with_page(|page| {
                page.print_line(format!("The lesson could not start: {error}"), Tone::Bad)
            });
            learn(|l| l.tour = None);
            return;
        }
        with_page(|page| {
            page.print_line(
                format!(
                    "# Lesson {} · {} — on a fresh store of its own; your keys are kept aside until you leave.{}",
                    at.lesson,
                    lesson.title,
                    match at.step {
                        1 => String::new(),
                        2 => " Replaying step 1 to get to step 2.".to_owned(),
                        n => format!(" Replaying steps 1–{} to get to step {n}.", n - 1),
                    }
                ),
                Tone::Muted,
            );
        });
        for before in &lesson.steps[..at.step - 1] {
            for action in before.replay() {
                if !perform(action).await {
                    return;
                }
            }
        }
    }
    let step = &lesson.steps[at.step - 1];
    for action in step.actions {
        if !perform(*action).await {
            return;
        }
    }
    learn(|l| {
        if let Some(tour) = l.tour.as_mut() {
            tour.actions_done();
        }
    });
    let marks = learn(|l| marks_for(l));
    set_marks(marks);
    scroll_to_marks();
}

/// Runs the reveal of the question on show, then judges `guess` against
/// the facts from before (read when the learner answered) and after.
async fn reveal(guess: Guess) {
    let question = learn(|l| {
        let tour = l.tour.as_ref()?;
        matches!(tour.phase, Phase::Revealing(_))
            .then_some(())
            .and(tour.step().question)
    });
    let Some(question) = question else {
        return;
    };
    for action in question.reveal {
        if !perform(*action).await {
            return;
        }
    }
    let Some(after) = read_facts() else {
        return;
    };
    learn(|l| {
        let verdict = l
            .asked
            .as_ref()
            .map(|(before, _)| question.check(&guess, before, &after));
        if let (Some(verdict), Some(tour)) = (verdict, l.tour.as_mut()) {
            tour.revealed(verdict);
            l.focus = Focus::Next;
        }
    });
    let marks = learn(|l| marks_for(l));
    set_marks(marks);
    scroll_to_marks();
}

/// Runs one action through the page's own paths. `false` when a newer
/// address is waiting (or the page is gone): the caller stops, and the tour
/// is dropped so that going back to it starts afresh.
async fn perform(action: Action) -> bool {
    if superseded() {
        learn(|l| l.tour = None);
        return false;
    }
    let page_up = match action {
        Action::Run(line) => with_page(|page| page.run_line(line)),
        Action::Plan => with_page(|page| {
            page.print_line("# Plan", Tone::Muted);
            page.set_overlay(PlanOverlay::Plan);
        }),
        Action::Step => with_page(|page| {
            page.print_line("# Step ▸", Tone::Muted);
            page.step_walk();
        }),
        Action::Select(key) => with_page(|page| {
            if page.store().selection.key() != Some(key.as_bytes()) {
                page.click_index_key(key.as_bytes().to_vec());
            }
        }),
        Action::Tear => with_page(Page::tear_last_write),
        Action::Flip => with_page(Page::flip_a_bit),
        Action::Reload => {
            reload().await;
            Some(())
        }
        Action::Wait(ms) => {
            with_page(|page| {
                page.print_line(
                    format!("# waiting {:.1} s…", f64::from(ms) / 1000.0),
                    Tone::Muted,
                )
            });
            sleep(ms).await;
            Some(())
        }
    };
    page_up.is_some()
}

/// The learner answered (`None`: check the picks): read the facts the
/// answer is judged against, then queue the reveal.
pub(super) fn answer(chosen: Option<Guess>) {
    let Some(before) = read_facts() else {
        return;
    };
    let guess = learn(|l| {
        let guess = l.tour.as_mut()?.answer(chosen)?;
        l.asked = Some((before, guess.clone()));
        Some(guess)
    });
    if let Some(guess) = guess {
        render();
        queue(Job::Reveal(guess));
    }
}

pub(super) fn picks_changed() {
    let marks = learn(|l| marks_for(l));
    set_marks(marks);
    render();
}

async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                i32::try_from(ms).unwrap_or(i32::MAX),
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}
