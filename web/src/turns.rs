//! Whose turn it is to write to IndexedDB: one holder at a time, the others
//! served in the order they asked.
//!
//! Two flushes in flight at once could commit out of order, and a reload or
//! reset must not have a flush land in the middle of it (a flush after the
//! database was cleared would bring the old segments back). So every writer
//! — the background flush, Reload, Reset — takes the turn first
//! (`app::flusher`). This is the rule, with no browser types: a waiter is
//! whatever wakes a waiting task (in the page, the `resolve` function of a
//! promise it awaits), and a released turn passes straight to the first
//! waiter, so nobody can slip in between and nobody polls.

use std::collections::VecDeque;

/// The turn and the queue of those waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turns<W> {
    held: bool,
    waiting: VecDeque<W>,
}

impl<W> Default for Turns<W> {
    fn default() -> Self {
        Turns {
            held: false,
            waiting: VecDeque::new(),
        }
    }
}

impl<W> Turns<W> {
    /// Nobody holds the turn.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the turn if nobody holds it. `false`: someone does, so
    /// [`wait`](Self::wait) for it.
    pub fn try_take(&mut self) -> bool {
        if self.held {
            false
        } else {
            self.held = true;
            true
        }
    }

    /// Queues `waker`; [`release`](Self::release) hands it the turn.
    pub fn wait(&mut self, waker: W) {
        self.waiting.push_back(waker);
    }

    /// Gives the turn up. `Some(waker)`: the turn now belongs to that waiter,
    /// so wake it; `None`: nobody was waiting and the turn is free.
    pub fn release(&mut self) -> Option<W> {
        let next = self.waiting.pop_front();
        self.held = next.is_some();
        next
    }

    /// Whether someone holds the turn.
    pub fn is_held(&self) -> bool {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_turn_is_taken_at_once() {
        let mut turns: Turns<&str> = Turns::new();
        assert!(turns.try_take());
        assert!(turns.is_held());
        assert!(!turns.try_take(), "one holder at a time");
        assert_eq!(turns.release(), None);
        assert!(!turns.is_held());
        assert!(turns.try_take());
    }

    #[test]
    fn the_turn_passes_to_waiters_in_order_without_a_gap() {
        let mut turns = Turns::new();
        assert!(turns.try_take());
        turns.wait("reload");
        turns.wait("flush");
        assert_eq!(turns.release(), Some("reload"));
        assert!(turns.is_held(), "handed over, not freed");
        assert!(!turns.try_take(), "nobody slips in between");
        turns.wait("reset");
        assert_eq!(turns.release(), Some("flush"));
        assert_eq!(turns.release(), Some("reset"));
        assert_eq!(turns.release(), None);
        assert!(!turns.is_held());
    }
}
