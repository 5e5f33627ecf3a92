//! The console: a line typed (or sent by a button, or by a lesson) runs
//! through the REPL's own grammar, so the page speaks exactly the CLI's
//! language; and the two buttons that write in bulk.

use mini_kvstore_commands::{
    Command, Reply, Sandbox, Tone, execute, execute_without_store, parse_line,
};

use super::state::Page;
use crate::sample::{RandomWrite, SAMPLE_LINES};
use crate::view::PlanOverlay;

impl Page {
    /// Prints one line in one tone.
    pub(crate) fn print_line(&self, text: impl Into<String>, tone: Tone) {
        self.console.line(text, tone);
    }

    /// Echoes what a button does as if it had been typed.
    pub(crate) fn echo(&self, line: &str) {
        self.console.echo(line);
    }

    /// Runs what is in the command field.
    pub(crate) fn run_command_input(&mut self) {
        if let Some(line) = self.console.take_input() {
            self.run_line(&line);
        }
    }

    /// Runs one console line: parse with the REPL grammar, execute, show.
    pub(crate) fn run_line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        self.console.echo(line);
        self.console.remember(line);
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => return,
            Err(error) => {
                self.print_line(error.to_string(), Tone::Bad);
                return;
            }
        };
        if let Some(reply) = execute_without_store(&command) {
            match reply {
                Ok(Reply::Quit) => self.print_line(
                    "There is nothing to quit here: close the tab whenever you like — your data stays in IndexedDB.",
                    Tone::Muted,
                ),
                Ok(reply) => self.console.print(&reply.to_text()),
                Err(error) => self.print_line(error.to_string(), Tone::Bad),
            }
            return;
        }
        if self.refuse_if_stopped() {
            return;
        }
        if let Command::Load { .. } = command {
            self.print_line(
                "load reads a file, and a web page has no files to read: try “Load sample data” or “random writes ×100” instead.",
                Tone::Warning,
            );
            return;
        }
        // A merge is replayed on the map from the layout just before it.
        let before = matches!(command, Command::Compact(_))
            .then(|| self.open.store.layout().ok())
            .flatten();
        match execute(&self.open.store, &command, &mut Sandbox) {
            Ok(reply) => {
                self.console.print(&reply.to_text());
                if let (Reply::Compacted(report), Some(before)) = (&reply, &before) {
                    self.policy.replay_merge(before, report, &self.open);
                }
            }
            Err(error) => self.print_line(format!("error: {error}"), Tone::Bad),
        }
        if command.writes() {
            self.open.overlay = PlanOverlay::Off;
        }
        self.after_change();
    }

    /// ArrowUp (`back`) or ArrowDown in the command field.
    pub(crate) fn walk_history(&mut self, back: bool) {
        self.console.walk_history(back);
    }

    /// A command button with a template: fill the field, let the learner finish.
    pub(crate) fn fill_command(&self, template: &str) {
        self.console.fill(template);
    }

    /// "Load sample data": the sample session, through the console.
    pub(crate) fn load_sample(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        self.print_line("# the sample session:", Tone::Muted);
        for line in SAMPLE_LINES {
            self.run_line(line);
        }
    }

    /// "Random writes ×100": straight to the engine, summed up in one line.
    pub(crate) fn random_writes(&mut self, count: usize) {
        if self.refuse_if_stopped() {
            return;
        }
        let writes = self.rng.writes(count);
        let (mut sets, mut deletes, mut missed) = (0, 0, 0);
        let mut failure = None;
        let store = &self.open.store;
        for write in writes {
            let result = match write {
                RandomWrite::Set { key, value } => store.set(&key, &value).map(|()| sets += 1),
                RandomWrite::Delete { key } => store.delete(&key).map(|found| {
                    if found {
                        deletes += 1;
                    } else {
                        missed += 1;
                    }
                }),
            };
            if let Err(error) = result {
                failure = Some(error);
                break;
            }
        }
        self.echo(&format!("random writes ×{count}"));
        self.print_line(
            format!(
                "{sets} sets and {deletes} deletes on item:00…item:24 ({missed} deletes found no key and wrote nothing). Not synced: watch the unflushed bytes.",
            ),
            Tone::Good,
        );
        if let Some(error) = failure {
            self.print_line(format!("error: {error}"), Tone::Bad);
        }
        self.open.overlay = PlanOverlay::Off;
        self.after_change();
    }
}
