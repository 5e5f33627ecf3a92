//! What a reload found: the engine's [`RecoveryReport`], what loading from
//! IndexedDB found, and — the part a learner cares about — which keys changed.
//!
//! The page remembers every live key's seq before it reloads, so after
//! recovery it can say in plain words what a fault cost: a key lost, a key
//! rolled back to an older value, or a deleted key back from the dead.

use std::collections::BTreeMap;

use mini_kvstore::{Layout, RecoveryReport};

use crate::view::index_rows;

/// Every live key and the seq of its record.
pub type KeySnapshot = BTreeMap<Vec<u8>, u64>;

/// The live keys of a layout.
pub fn snapshot(layout: &Layout) -> KeySnapshot {
    index_rows(layout)
        .into_iter()
        .map(|row| (row.key, row.seq))
        .collect()
}

/// How the keys differ after a reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyDiff {
    /// Keys that had a value and have none now.
    pub lost: Vec<Vec<u8>>,
    /// Keys whose value is now an older one.
    pub rolled_back: Vec<Vec<u8>>,
    /// Keys that were deleted and have a value again.
    pub resurrected: Vec<Vec<u8>>,
}

impl KeyDiff {
    /// Compares the keys before and after a reload (nothing is written in
    /// between, so every difference is recovery's doing).
    pub fn between(before: &KeySnapshot, after: &KeySnapshot) -> KeyDiff {
        let mut diff = KeyDiff::default();
        for (key, seq) in before {
            match after.get(key) {
                None => diff.lost.push(key.clone()),
                Some(now) if now < seq => diff.rolled_back.push(key.clone()),
                Some(_) => {}
            }
        }
        diff.resurrected = after
            .keys()
            .filter(|key| !before.contains_key(*key))
            .cloned()
            .collect();
        diff
    }

    /// True when every key is as it was.
    pub fn is_empty(&self) -> bool {
        self.lost.is_empty() && self.rolled_back.is_empty() && self.resurrected.is_empty()
    }
}

/// Everything the recovery panel shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// What the engine repaired.
    pub report: RecoveryReport,
    /// Damaged chunks found while loading from IndexedDB.
    pub load_problems: Vec<String>,
    /// Which keys changed.
    pub diff: KeyDiff,
}

impl Recovery {
    /// True when nothing was damaged: every stored chunk loaded and the
    /// engine cut and skipped nothing. (Removing a leftover segment repairs
    /// no damage: it finishes what a crash interrupted.)
    pub fn found_no_damage(&self) -> bool {
        self.report.is_clean() && self.load_problems.is_empty()
    }

    /// Whether opening the page shows this report unasked: when recovery
    /// did anything at all, removals included. After a reload the page
    /// always shows it, since the learner asked.
    pub fn worth_showing_at_start(&self) -> bool {
        !self.found_no_damage() || !self.report.removed_segments.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::SegmentId;

    fn keys(pairs: &[(&str, u64)]) -> KeySnapshot {
        pairs
            .iter()
            .map(|(k, s)| (k.as_bytes().to_vec(), *s))
            .collect()
    }

    #[test]
    fn differences_are_named() {
        let before = keys(&[("a", 5), ("b", 7), ("c", 9)]);
        let after = keys(&[("a", 5), ("b", 3), ("d", 2)]);
        let diff = KeyDiff::between(&before, &after);
        assert_eq!(diff.lost, vec![b"c".to_vec()]);
        assert_eq!(diff.rolled_back, vec![b"b".to_vec()]);
        assert_eq!(diff.resurrected, vec![b"d".to_vec()]);
        assert!(KeyDiff::between(&before, &before).is_empty());
    }

    #[test]
    fn removals_are_shown_at_start_but_are_not_damage() {
        let mut recovery = Recovery::default();
        assert!(recovery.found_no_damage());
        assert!(!recovery.worth_showing_at_start());

        recovery.report.removed_segments.push(SegmentId(3));
        assert!(recovery.found_no_damage());
        assert!(recovery.worth_showing_at_start());

        recovery.report.removed_segments.clear();
        recovery
            .load_problems
            .push("segment 1: a bad chunk".to_owned());
        assert!(!recovery.found_no_damage());
        assert!(recovery.worth_showing_at_start());
    }
}
