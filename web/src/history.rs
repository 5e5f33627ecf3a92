//! The console's command history: the lines ArrowUp and ArrowDown walk
//! through.
//!
//! It follows the REPL's rules (rustyline's defaults): a line is remembered
//! once however often it is run in a row, walking back stops at the oldest
//! line, and walking forward past the newest gives an empty field to type a
//! new one. The page (`app::console`) only copies the result into the input;
//! the rules live here, in plain Rust, so they are tested natively.

/// The lines run so far, oldest first, and where the walk through them is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    lines: Vec<String>,
    /// An index into `lines`; `lines.len()` is the empty line after the
    /// newest one, where every walk starts.
    cursor: usize,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a line that was run (unless it repeats the newest one) and
    /// starts the next walk from the newest line.
    pub fn record(&mut self, line: &str) {
        if self.lines.last().map(String::as_str) != Some(line) {
            self.lines.push(line.to_owned());
        }
        self.cursor = self.lines.len();
    }

    /// One line further back (ArrowUp), staying at the oldest; `None` when
    /// nothing was run yet.
    pub fn older(&mut self) -> Option<&str> {
        if self.lines.is_empty() {
            return None;
        }
        self.cursor = self.cursor.saturating_sub(1);
        self.current()
    }

    /// One line forward (ArrowDown); past the newest line, the empty line.
    /// `None` when nothing was run yet.
    pub fn newer(&mut self) -> Option<&str> {
        if self.lines.is_empty() {
            return None;
        }
        self.cursor = (self.cursor + 1).min(self.lines.len());
        self.current()
    }

    fn current(&self) -> Option<&str> {
        Some(self.lines.get(self.cursor).map_or("", String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(lines: &[&str]) -> History {
        let mut history = History::new();
        for line in lines {
            history.record(line);
        }
        history
    }

    #[test]
    fn an_empty_history_leaves_the_field_alone() {
        let mut history = History::new();
        assert_eq!(history.older(), None);
        assert_eq!(history.newer(), None);
    }

    #[test]
    fn walking_back_stops_at_the_oldest_line() {
        let mut history = ran(&["set a 1", "get a"]);
        assert_eq!(history.older(), Some("get a"));
        assert_eq!(history.older(), Some("set a 1"));
        assert_eq!(history.older(), Some("set a 1"));
    }

    #[test]
    fn walking_forward_ends_on_an_empty_line() {
        let mut history = ran(&["set a 1", "get a"]);
        assert_eq!(history.older(), Some("get a"));
        assert_eq!(history.older(), Some("set a 1"));
        assert_eq!(history.newer(), Some("get a"));
        assert_eq!(history.newer(), Some(""));
        assert_eq!(history.newer(), Some(""));
    }

    #[test]
    fn a_repeated_line_is_remembered_once() {
        let mut history = ran(&["stats", "stats", "list", "stats"]);
        assert_eq!(history.older(), Some("stats"));
        assert_eq!(history.older(), Some("list"));
        assert_eq!(history.older(), Some("stats"));
        assert_eq!(history.older(), Some("stats"), "the oldest line");
    }

    #[test]
    fn running_a_line_restarts_the_walk_from_the_newest() {
        let mut history = ran(&["one", "two", "three"]);
        assert_eq!(history.older(), Some("three"));
        assert_eq!(history.older(), Some("two"));
        history.record("two");
        assert_eq!(history.older(), Some("two"));
        assert_eq!(history.older(), Some("three"));
    }
}
