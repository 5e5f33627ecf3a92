//! Where the learner is and what they have done: [`Position`] and its
//! address (`#learn/6/3`, both ways), and [`Progress`], the completed
//! steps as the text the page keeps in `localStorage`.
//!
//! Numbers in addresses and in the progress text are the ones the learner
//! sees: lessons and steps count from 1.

use std::collections::BTreeSet;
use std::fmt;

use super::lessons::{LESSONS, Lesson};

/// The address prefix of the Learn panel.
const PREFIX: &str = "#learn";

/// A step of a lesson, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The lesson, 1 to [`LESSONS`]`.len()`.
    pub lesson: usize,
    /// The step, 1 to the lesson's step count.
    pub step: usize,
}

impl Position {
    /// Step `step` of lesson `lesson`, if both exist.
    pub fn new(lesson: usize, step: usize) -> Option<Position> {
        let steps = lesson_at(lesson)?.steps.len();
        (1..=steps)
            .contains(&step)
            .then_some(Position { lesson, step })
    }

    /// The first step of `lesson`, if it exists.
    pub fn start(lesson: usize) -> Option<Position> {
        Position::new(lesson, 1)
    }

    /// The lesson.
    pub fn lesson(self) -> &'static Lesson {
        // `Position::new` is the only way to make one with a lesson that
        // exists; the fallback only keeps this free of a panic.
        lesson_at(self.lesson).unwrap_or(&LESSONS[0])
    }

    /// The address of this step: `#learn/6/3`.
    pub fn hash(self) -> String {
        format!("{PREFIX}/{}/{}", self.lesson, self.step)
    }

    /// The next step of the same lesson, if there is one.
    pub fn next(self) -> Option<Position> {
        Position::new(self.lesson, self.step + 1)
    }

    /// The step before, in the same lesson, if there is one.
    pub fn previous(self) -> Option<Position> {
        Position::new(self.lesson, self.step.checked_sub(1)?)
    }

    /// Whether this is the lesson's last step.
    pub fn is_last(self) -> bool {
        self.next().is_none()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lesson {}, step {}", self.lesson, self.step)
    }
}

fn lesson_at(lesson: usize) -> Option<&'static Lesson> {
    LESSONS.get(lesson.checked_sub(1)?)
}

/// Where an address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not the Learn panel: the learner's own playground.
    Away,
    /// The list of lessons (`#learn`, or an address naming no lesson).
    Menu,
    /// A step (`#learn/6/3`; `#learn/6` is its first step, and a step past
    /// the end is the last one).
    Step(Position),
}

impl Route {
    /// Where `hash` (`location.hash`, with its `#`) leads.
    pub fn parse(hash: &str) -> Route {
        let Some(rest) = hash.strip_prefix(PREFIX) else {
            return Route::Away;
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            // `#learning` is some other address.
            return Route::Away;
        }
        let mut parts = rest.split('/').skip(1).filter(|p| !p.is_empty());
        let Some(lesson) = parts.next().and_then(|p| p.parse::<usize>().ok()) else {
            return Route::Menu;
        };
        let Some(found) = lesson_at(lesson) else {
            return Route::Menu;
        };
        let step = parts
            .next()
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, found.steps.len().max(1));
        Position::new(lesson, step).map_or(Route::Menu, Route::Step)
    }

    /// The address of this route, as it should read: `""` for
    /// [`Away`](Route::Away).
    pub fn hash(self) -> String {
        match self {
            Route::Away => String::new(),
            Route::Menu => PREFIX.to_owned(),
            Route::Step(at) => at.hash(),
        }
    }
}

/// The steps the learner has completed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    done: BTreeSet<Position>,
}

impl Progress {
    /// No step done.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// The progress `text` says (as [`to_text`](Self::to_text) writes it:
    /// `1:1,2,3;6:1`). Anything that is not a step of a lesson is left out,
    /// so a stale or edited entry cannot break the page.
    pub fn parse(text: &str) -> Progress {
        let done = text
            .split(';')
            .filter_map(|part| part.split_once(':'))
            .flat_map(|(lesson, steps)| {
                let lesson = lesson.trim().parse::<usize>().ok();
                steps
                    .split(',')
                    .filter_map(move |step| Position::new(lesson?, step.trim().parse().ok()?))
            })
            .collect();
        Progress { done }
    }

    /// The text to keep: lessons by `;`, each `lesson:step,step`.
    pub fn to_text(&self) -> String {
        let mut lessons: Vec<String> = Vec::new();
        let mut current: Option<(usize, Vec<String>)> = None;
        for at in &self.done {
            match &mut current {
                Some((lesson, steps)) if *lesson == at.lesson => steps.push(at.step.to_string()),
                _ => {
                    if let Some((lesson, steps)) = current.take() {
                        lessons.push(format!("{lesson}:{}", steps.join(",")));
                    }
                    current = Some((at.lesson, vec![at.step.to_string()]));
                }
            }
        }
        if let Some((lesson, steps)) = current {
            lessons.push(format!("{lesson}:{}", steps.join(",")));
        }
        lessons.join(";")
    }

    /// Marks `at` done; `false` when it was already.
    pub fn complete(&mut self, at: Position) -> bool {
        self.done.insert(at)
    }

    /// Whether `at` is done.
    pub fn is_done(&self, at: Position) -> bool {
        self.done.contains(&at)
    }

    /// How many steps of `lesson` are done.
    pub fn steps_done(&self, lesson: usize) -> usize {
        self.done.iter().filter(|at| at.lesson == lesson).count()
    }

    /// Whether every step of `lesson` is done.
    pub fn lesson_done(&self, lesson: usize) -> bool {
        lesson_at(lesson).is_some_and(|l| self.steps_done(lesson) == l.steps.len())
    }

    /// Where to pick `lesson` up: its first step not done (its first step
    /// when all are).
    pub fn resume(&self, lesson: usize) -> Option<Position> {
        let steps = lesson_at(lesson)?.steps.len();
        (1..=steps)
            .filter_map(|step| Position::new(lesson, step))
            .find(|at| !self.is_done(*at))
            .or_else(|| Position::start(lesson))
    }

    /// Forgets every step of `lesson`.
    pub fn forget(&mut self, lesson: usize) {
        self.done.retain(|at| at.lesson != lesson);
    }
}
