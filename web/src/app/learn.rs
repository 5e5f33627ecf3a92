//! The Learn panel on the page: lessons run on a store of their own, their
//! highlights, their predictions and the addresses of their steps.
//!
//! What a lesson says and does, how a question finds its answer and how a
//! tour moves from phase to phase are `crate::learn`'s, plain Rust tested
//! natively; this module only applies them. Each action of a step goes
//! through the page's own paths — a console line through
//! [`Page::run_line`], Plan and Step and the fault buttons through their
//! handlers, Reload through [`reload`] — so a lesson shows exactly what the
//! learner can then do by hand.
//!
//! ## The learner's store is set aside
//! A lesson runs on a fresh store in a database of its own
//! ([`LESSON_DATABASE`]). Going in, while holding the flusher's turn: the
//! learner's store is flushed to its own database, the flusher is pointed
//! at the lesson's database (cleared) and the lesson's empty store goes in
//! through [`Page::replace_store_sized`]. Coming out, again holding the
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
//! they are kept in [`Marks`] and laid again after every drawing of the
//! map or the index (the hook [`Page::after_drawing`] calls); that hook
//! runs while the page is borrowed and so touches only the DOM and the
//! marks.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};

use js_sys::Promise;
use mini_kvstore_commands::{Tone, count};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Document, Element, HtmlElement, ScrollBehavior, ScrollIntoViewOptions};

use super::dom::{PageError, document, set_body_flag, set_flag};
use super::page::{Page, with_page};
use super::reopen::reload;
use super::settings::SegmentSize;
use super::store::OpenStore;
use crate::idb::Database;
use crate::learn::action::{Action, Target, arrow_head};
use crate::learn::facts::Facts;
use crate::learn::lessons::SEGMENT_SIZE;
use crate::learn::panel::{StepContext, menu_html, step_html};
use crate::learn::progress::{Position, Progress, Route};
use crate::learn::question::{Ask, Guess};
use crate::learn::tour::{Phase, Tour, Way, way_to};
use crate::recovery::KeyDiff;
use crate::storage::IdbStorage;
use crate::view::PlanOverlay;

/// The database lessons keep their store in, apart from the learner's.
const LESSON_DATABASE: &str = "mini-kvstore-playground-lesson";
/// The `localStorage` key of the steps done.
const PROGRESS_KEY: &str = "mini-kvstore.learn-progress";
/// The panel and the part of it this module fills.
const PANEL: &str = "learn-panel";
const BODY: &str = "learn-body";
/// The link in the header that opens the panel.
const OPENER: &str = "learn-open";
/// Every class this module lays over the page's elements.
const MARK_CLASSES: [&str; 5] = [
    "learn-highlight",
    "learn-pick",
    "learn-right",
    "learn-wrong",
    "learn-missed",
];

/// What the runner does next.
enum Job {
    /// Go where a route leads; `fresh` restarts even a step on show.
    Go { route: Route, fresh: bool },
    /// Run the reveal of the question on show and judge `Guess`.
    Reveal(Guess),
}

/// Where focus goes after the next drawing of the panel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Focus {
    /// Back to the control that had it, if it is still there.
    Keep,
    /// The heading: a new step or the lesson list.
    Title,
    /// The Next button: the verdict is in.
    Next,
}

/// The Learn panel's state.
struct Learn {
    route: Route,
    tour: Option<Tour>,
    jobs: VecDeque<Job>,
    running: bool,
    /// The learner's own database while a lesson's store is on show.
    own_db: Option<Database>,
    /// The lesson database, once opened.
    lesson_db: Option<Database>,
    progress: Progress,
    /// The question on show: the facts when it was answered, and the guess.
    asked: Option<(Facts, Guess)>,
    focus: Focus,
}

/// What is laid over the page's elements.
#[derive(Debug, Clone, Default)]
struct Marks {
    /// Selectors of the elements to highlight, the first to scroll to first.
    highlight: Vec<String>,
    /// The key whose index row gets an arrow to its record.
    arrow: Option<&'static str>,
    /// Selectors with the class each gets.
    picks: Vec<(String, &'static str)>,
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
    static MARKS: RefCell<Marks> = RefCell::new(Marks::default());
}

/// Runs `f` on the panel's state. Never calls into the page, and the page
/// never calls in here while `f` runs.
fn learn<R>(f: impl FnOnce(&mut Learn) -> R) -> R {
    LEARN.with(|cell| f(&mut cell.borrow_mut()))
}

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

// ---- the runner -----------------------------------------------------

fn queue(job: Job) {
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
fn answer(chosen: Option<Guess>) {
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

fn picks_changed() {
    let marks = learn(|l| marks_for(l));
    set_marks(marks);
    render();
}

// ---- the stores -----------------------------------------------------

fn lesson_size() -> SegmentSize {
    SegmentSize::parse(&SEGMENT_SIZE.to_string()).unwrap_or_else(SegmentSize::saved)
}

/// Puts a fresh lesson store on show, setting the learner's aside if it is
/// on show (see the module docs).
async fn fresh_lesson_store() -> Result<(), PageError> {
    let Some(flusher) = with_page(|page| {
        page.set_busy(true);
        page.flusher().clone()
    }) else {
        return Ok(());
    };
    let turn = flusher.claim().await;
    let prepared = async {
        let in_lesson = learn(|l| l.own_db.is_some());
        if !in_lesson {
            // The learner's keys reach their own database before it is
            // set aside.
            turn.flush_all().await?;
        }
        let db = match learn(|l| l.lesson_db.clone()) {
            Some(db) => db,
            None => {
                let db = Database::open(LESSON_DATABASE).await?;
                learn(|l| l.lesson_db = Some(db.clone()));
                db
            }
        };
        db.clear().await?;
        let open = OpenStore::open(IdbStorage::new(), lesson_size())?;
        Ok::<_, PageError>((db, open, in_lesson))
    }
    .await;
    let result = match prepared {
        Ok((db, open, in_lesson)) => {
            if !in_lesson {
                let own = turn.db();
                learn(|l| l.own_db = Some(own));
            }
            turn.use_database(db);
            with_page(|page| {
                page.set_busy(false);
                page.replace_store_sized(open, lesson_size());
            });
            Ok(())
        }
        Err(error) => {
            with_page(|page| page.set_busy(false));
            Err(error)
        }
    };
    drop(turn);
    result
}

/// Brings the learner's own store back, if a lesson's is on show.
async fn restore_own_store() {
    let Some(own) = learn(|l| l.own_db.clone()) else {
        return;
    };
    let size = SegmentSize::saved();
    let Some((flusher, options)) = with_page(|page| {
        page.set_busy(true);
        // The learner's settings (segment size, the policy panel's policy).
        (page.flusher().clone(), page.store_options(size))
    }) else {
        return;
    };
    let turn = flusher.claim().await;
    let reopened = async {
        let (storage, loaded) = own.load().await?;
        let mut open = OpenStore::open_with(storage, options)?;
        let recovery = open.recovery_found(loaded.problems, KeyDiff::default());
        open.recovery = recovery.worth_showing_at_start().then_some(recovery);
        Ok::<_, PageError>(open)
    }
    .await;
    match reopened {
        Ok(open) => {
            turn.use_database(own);
            learn(|l| l.own_db = None);
            let keys = open.store.len();
            with_page(|page| {
                page.set_busy(false);
                page.print_line(
                    format!(
                        "# Your own store is back: {}, as you left it.",
                        count(keys as u64, "key")
                    ),
                    Tone::Muted,
                );
                page.replace_store_sized(open, size);
            });
            // The lesson's bytes are of no more use.
            if let Some(db) = learn(|l| l.lesson_db.clone()) {
                let _ = db.clear().await;
            }
        }
        Err(error) => {
            // Stay on the lesson's database: an empty store pointed at the
            // learner's would overwrite their segments with its own.
            with_page(|page| {
                page.set_busy(false);
                page.print_line(
                    format!("Your own store could not be loaded back: {error}. Reload the page to try again."),
                    Tone::Bad,
                );
            });
        }
    }
    drop(turn);
}

fn read_facts() -> Option<Facts> {
    with_page(|page| Facts::read(&page.store().store, page.store().layout.clone()))
}

// ---- drawing --------------------------------------------------------

/// Draws the panel as the state says: hidden, the lesson list, or a step.
fn render() {
    let Some(doc) = document() else {
        return;
    };
    let Some(panel) = doc.get_element_by_id(PANEL) else {
        return;
    };
    let needs_facts = learn(|l| l.tour.is_some());
    let facts = if needs_facts { read_facts() } else { None };
    let (html, phase, at, focus) = learn(|l| {
        let focus = std::mem::replace(&mut l.focus, Focus::Keep);
        match (&l.tour, l.route) {
            (_, Route::Away) => (None, "closed", None, focus),
            (None, _) => (Some(menu_html(&l.progress)), "menu", None, focus),
            (Some(tour), _) => {
                let busy = matches!(tour.phase, Phase::Running | Phase::Revealing(_));
                let html = step_html(
                    tour,
                    StepContext {
                        facts: facts.as_ref(),
                        progress: &l.progress,
                        busy,
                    },
                );
                (Some(html), tour.phase.name(), Some(tour.at), focus)
            }
        }
    });
    let was_open = doc.body().is_some_and(|b| b.has_attribute("data-learn"));
    let _ = panel.set_attribute("data-phase", phase);
    set_flag(&panel, "hidden", html.is_none());
    set_body_flag(
        &doc,
        "learn",
        match (html.is_some(), at.is_some()) {
            (false, _) => None,
            (true, false) => Some("menu"),
            (true, true) => Some("lesson"),
        },
    );
    if was_open != html.is_some() {
        // The page made room for the panel, or took it back: the map's
        // strips changed width.
        with_page(Page::redraw_map);
    }
    match at {
        Some(at) => {
            let _ = panel.set_attribute("data-lesson", &at.lesson.to_string());
            let _ = panel.set_attribute("data-step", &at.step.to_string());
        }
        None => {
            let _ = panel.remove_attribute("data-lesson");
            let _ = panel.remove_attribute("data-step");
        }
    }
    let Some(html) = html else {
        return;
    };
    let Some(body) = doc.get_element_by_id(BODY) else {
        return;
    };
    let kept = doc
        .active_element()
        .filter(|e| body.contains(Some(e)))
        .and_then(|e| {
            if !e.id().is_empty() {
                return Some(format!("#{}", e.id()));
            }
            let what = e.get_attribute("data-learn")?;
            Some(match e.get_attribute("data-arg") {
                Some(arg) => format!(r#"[data-learn="{what}"][data-arg="{arg}"]"#),
                None => format!(r#"[data-learn="{what}"]"#),
            })
        });
    body.set_inner_html(&html);
    let target = match focus {
        Focus::Title => body
            .query_selector("#learn-step-title, #learn-title")
            .ok()
            .flatten(),
        Focus::Next => body.query_selector(r#"[data-learn="next"]"#).ok().flatten(),
        Focus::Keep => kept.and_then(|selector| {
            body.query_selector(&selector)
                .ok()
                .flatten()
                .filter(|e| !e.has_attribute("disabled"))
        }),
    };
    if let Some(element) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// The marks for the tour on show.
fn marks_for(l: &Learn) -> Marks {
    let Some(tour) = &l.tour else {
        return Marks::default();
    };
    let step = tour.step();
    let targets = match tour.phase {
        Phase::Running => return Marks::default(),
        Phase::Answered(_) if !step.highlight_after.is_empty() => step.highlight_after,
        _ => step.highlight,
    };
    let mut marks = Marks {
        highlight: targets.iter().map(|t| t.selector()).collect(),
        arrow: targets.iter().find_map(|t| match t {
            Target::Arrow(key) => Some(*key),
            _ => None,
        }),
        picks: Vec::new(),
    };
    let record = |at: (u32, usize)| format!(r#"#map-strips [data-i="{}:{}"]"#, at.0, at.1);
    match (&tour.phase, tour.picks()) {
        (_, Some(Guess::Records(picked))) => {
            marks
                .picks
                .extend(picked.iter().map(|at| (record(*at), "learn-pick")));
        }
        (_, Some(Guess::Segments(picked))) => {
            marks.picks.extend(picked.iter().map(|id| {
                (
                    format!(r#"#map-strips [data-segment="{id}"]"#),
                    "learn-pick",
                )
            }));
        }
        (Phase::Answered(_), _) => {
            // Judged picks, for record questions: the reveals of those
            // leave the map's records where they were.
            if let (Some((before, Guess::Records(picked))), Some(question)) =
                (&l.asked, step.question)
                && let Ask::Records { answer, .. } = question.ask
            {
                let answer: BTreeSet<_> = answer(before);
                for at in picked.union(&answer) {
                    let class = match (picked.contains(at), answer.contains(at)) {
                        (true, true) => "learn-right",
                        (true, false) => "learn-wrong",
                        _ => "learn-missed",
                    };
                    marks.picks.push((record(*at), class));
                }
            }
        }
        _ => {}
    }
    marks
}

fn set_marks(marks: Marks) {
    MARKS.with(|m| *m.borrow_mut() = marks);
    mark_again();
}

/// Lays the marks again: after the panel changed them, and after every
/// drawing of the map or the index (the page's hook, so no page access).
fn mark_again() {
    let Some(doc) = document() else {
        return;
    };
    MARKS.with(|marks| {
        let Ok(marks) = marks.try_borrow() else {
            return;
        };
        for class in MARK_CLASSES {
            for element in all(&doc, &format!(".{class}")) {
                let _ = element.class_list().remove_1(class);
            }
        }
        for selector in &marks.highlight {
            for element in all(&doc, selector) {
                let _ = element.class_list().add_1("learn-highlight");
            }
        }
        for (selector, class) in &marks.picks {
            for element in all(&doc, selector) {
                let _ = element.class_list().add_1(class);
            }
        }
        draw_arrow(&doc, marks.arrow);
    });
}

/// The elements `selector` matches.
fn all(doc: &Document, selector: &str) -> Vec<Element> {
    let Ok(list) = doc.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// An arrow from `key`'s index row to the record the index names, drawn
/// in page coordinates over everything, or none.
fn draw_arrow(doc: &Document, key: Option<&'static str>) {
    let layer = match doc.get_element_by_id("learn-arrow") {
        Some(layer) => layer,
        None => {
            let (Ok(layer), Some(body)) = (doc.create_element("div"), doc.body()) else {
                return;
            };
            layer.set_id("learn-arrow");
            let _ = layer.set_attribute("aria-hidden", "true");
            let _ = body.append_child(&layer);
            layer
        }
    };
    let ends = key.and_then(|key| {
        let row = doc
            .query_selector(&Target::IndexRow(key).selector())
            .ok()??;
        let head = doc.query_selector(&arrow_head(key)).ok()??;
        Some((
            row.get_bounding_client_rect(),
            head.get_bounding_client_rect(),
        ))
    });
    let Some((row, head)) = ends else {
        layer.set_inner_html("");
        return;
    };
    let (sx, sy) = web_sys::window()
        .map(|w| (w.scroll_x().unwrap_or(0.0), w.scroll_y().unwrap_or(0.0)))
        .unwrap_or((0.0, 0.0));
    let end = (head.left() + head.width() / 2.0 + sx, head.top() + sy - 3.0);
    // Beside each other (wide screens): from the row's right end. Stacked
    // (narrow screens): from under the row.
    let start = if end.0 > row.right() + sx {
        (row.right() + sx, row.top() + row.height() / 2.0 + sy)
    } else {
        (row.left() + row.width() / 2.0 + sx, row.bottom() + sy)
    };
    let bend = (end.0, end.1 - 50.0);
    layer.set_inner_html(&format!(
        r#"<svg class="learn-arrow-svg" xmlns="http://www.w3.org/2000/svg"><defs><marker id="learn-arrow-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs><path d="M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" marker-end="url(#learn-arrow-head)"/><circle cx="{:.1}" cy="{:.1}" r="4"/></svg>"#,
        start.0,
        start.1,
        (start.0 + end.0) / 2.0,
        start.1,
        bend.0,
        bend.1,
        end.0,
        end.1,
        start.0,
        start.1,
    ));
}

/// Brings the first highlighted element into view.
fn scroll_to_marks() {
    let Some(doc) = document() else {
        return;
    };
    // A panel's explanation is already on show beside the lesson: scroll
    // to the part of it that changes (the strips, the index rows).
    let part = |selector: &str| match selector {
        "#map-panel" => "#map-strips".to_owned(),
        "#index-panel" => "#index".to_owned(),
        other => other.to_owned(),
    };
    let first = MARKS.with(|m| {
        m.borrow()
            .highlight
            .iter()
            .find_map(|selector| doc.query_selector(&part(selector)).ok().flatten())
    });
    let Some(first) = first else {
        return;
    };
    let options = ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
    options.set_behavior(if reduced_motion() {
        ScrollBehavior::Auto
    } else {
        ScrollBehavior::Smooth
    });
    first.scroll_into_view_with_scroll_into_view_options(&options);
}

fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

fn focus_opener() {
    if let Some(opener) = document()
        .and_then(|doc| doc.get_element_by_id(OPENER))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = opener.focus();
    }
}

// ---- the address ----------------------------------------------------

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Goes to `route` through the address, so Back and Forward work and
/// `hashchange` does the rest.
fn navigate(route: Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.hash());
    }
}

/// Rewrites the address without a new history entry or a `hashchange`.
fn replace_hash(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let url = if hash.is_empty() {
        let location = window.location();
        format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        )
    } else {
        hash.to_owned()
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
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
