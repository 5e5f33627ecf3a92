//! The console: the output log, the command field and its history.
//!
//! What a line *does* is the page's business (`page`: parse with the REPL's
//! grammar, run against the store, refuse while the store is stopped); this
//! module only shows text and remembers lines. The log keeps its last
//! [`OUTPUT_LINES`] lines so a long session does not grow the DOM without
//! end; the history's rules are [`History`]'s.

use mini_kvstore_commands::{Line, Text, Tone};
use web_sys::Document;

use super::dom::{element, input};
use crate::history::History;
use crate::render;

/// Console lines kept; older ones are dropped from the log.
const OUTPUT_LINES: u32 = 600;
/// The log.
const OUTPUT: &str = "output";
/// The command field.
const COMMAND: &str = "command";

/// The log, the field and the lines run so far.
pub(super) struct Console {
    doc: Document,
    history: History,
}

impl Console {
    /// The console of `doc`, with an empty history.
    pub(super) fn new(doc: Document) -> Console {
        Console {
            doc,
            history: History::new(),
        }
    }

    /// Appends rendered text to the log.
    pub(super) fn print(&self, text: &Text) {
        let Ok(output) = element(&self.doc, OUTPUT) else {
            return;
        };
        let _ = output.insert_adjacent_html("beforeend", &render::text_html(text));
        while output.child_element_count() > OUTPUT_LINES {
            match output.first_element_child() {
                Some(first) => first.remove(),
                None => break,
            }
        }
        output.set_scroll_top(output.scroll_height());
    }

    /// Appends one line in one tone.
    pub(super) fn line(&self, text: impl Into<String>, tone: Tone) {
        self.print(&Line::toned(text, tone).into());
    }

    /// Shows `line` as typed, the way the REPL echoes a prompt.
    pub(super) fn echo(&self, line: &str) {
        self.print(
            &Line::toned("> ", Tone::Muted)
                .push(line, Tone::Heading)
                .into(),
        );
    }

    /// Remembers a line that is about to run.
    pub(super) fn remember(&mut self, line: &str) {
        self.history.record(line);
    }

    /// The command field's text, leaving the field empty.
    pub(super) fn take_input(&self) -> Option<String> {
        let field = input(&self.doc, COMMAND).ok()?;
        let line = field.value();
        field.set_value("");
        Some(line)
    }

    /// ArrowUp (`back`) or ArrowDown in the command field.
    pub(super) fn walk_history(&mut self, back: bool) {
        let line = if back {
            self.history.older()
        } else {
            self.history.newer()
        };
        if let (Some(line), Ok(field)) = (line, input(&self.doc, COMMAND)) {
            field.set_value(line);
        }
    }

    /// Puts `template` in the command field for the learner to finish.
    pub(super) fn fill(&self, template: &str) {
        if let Ok(field) = input(&self.doc, COMMAND) {
            field.set_value(template);
            let _ = field.focus();
        }
    }
}
