//! What the learner has selected on the map: a key, every record of which is
//! outlined, and the one record of it that was clicked (or, after a click in
//! the index, the key's live record), whose details stay on show.
//!
//! The rules: clicking the picked record or the selected key again clears the
//! selection; bookkeeping records (seals, commits) hold no key and cannot be
//! selected; and after the store changes, a picked record that moved or
//! vanished is forgotten while the key stays selected. A selection belongs
//! to one opened store: the page drops it with the store (`app::store`).
//! Plain Rust over the engine's [`Layout`], so the rules are tested natively.

use mini_kvstore::{Layout, RecordState};

use crate::view::{is_data, record_at};

/// The selected key and the picked record, as `(segment, index in the
/// segment's records)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    key: Option<Vec<u8>>,
    /// When set, a record of `key`.
    record: Option<(u32, usize)>,
}

impl Selection {
    /// Nothing selected.
    pub fn new() -> Self {
        Self::default()
    }

    /// The selected key.
    pub fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }

    /// The picked record: `(segment, index)`.
    pub fn record(&self) -> Option<(u32, usize)> {
        self.record
    }

    /// A click on the record at `(segment, index)`: selects it and its key,
    /// or clears the selection when it was the picked record. `false` (and
    /// nothing changes) when there is no such record or it holds no key.
    pub fn toggle_record(&mut self, layout: &Layout, segment: u32, index: usize) -> bool {
        let Some(record) = record_at(layout, segment, index).filter(|r| is_data(r)) else {
            return false;
        };
        if self.record == Some((segment, index)) {
            *self = Selection::new();
        } else {
            self.key = Some(record.key.clone());
            self.record = Some((segment, index));
        }
        true
    }

    /// A click on `key` in the index: selects it and picks its live record
    /// (none when the key has no value), or clears the selection when it was
    /// the selected key.
    pub fn toggle_key(&mut self, layout: &Layout, key: Vec<u8>) {
        if self.key.as_ref() == Some(&key) {
            *self = Selection::new();
            return;
        }
        self.record = layout.segments.iter().find_map(|segment| {
            segment
                .records
                .iter()
                .position(|r| r.key == key && r.state == RecordState::Live)
                .map(|index| (segment.id.0, index))
        });
        self.key = Some(key);
    }

    /// After the layout changed: forgets the picked record if its place no
    /// longer holds a record of the selected key.
    pub fn follow(&mut self, layout: &Layout) {
        if let Some((segment, index)) = self.record {
            let still = record_at(layout, segment, index)
                .is_some_and(|r| Some(r.key.as_slice()) == self.key.as_deref());
            if !still {
                self.record = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options, SyncPolicy};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn store() -> Result<KvStore, mini_kvstore::Error> {
        KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(4096)
                .sync_policy(SyncPolicy::Never),
        )
    }

    #[test]
    fn clicking_a_record_selects_it_and_clicking_again_clears() -> TestResult {
        let store = store()?;
        store.set("a", "1")?;
        store.set("a", "2")?;
        let layout = store.layout()?;
        let mut selection = Selection::new();
        assert!(selection.toggle_record(&layout, 1, 0));
        assert_eq!(selection.key(), Some(&b"a"[..]));
        assert_eq!(selection.record(), Some((1, 0)));
        assert!(
            selection.toggle_record(&layout, 1, 1),
            "the key's other record"
        );
        assert_eq!(selection.record(), Some((1, 1)));
        assert!(selection.toggle_record(&layout, 1, 1));
        assert_eq!(selection, Selection::new());
        Ok(())
    }

    #[test]
    fn bookkeeping_and_missing_records_cannot_be_selected() -> TestResult {
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .sync_policy(SyncPolicy::Never),
        )?;
        for i in 0..12 {
            store.set(format!("key{i}"), "a value long enough to fill segments")?;
        }
        let layout = store.layout()?;
        let (segment, seal) = layout
            .segments
            .iter()
            .find_map(|s| {
                let index = s.records.iter().position(|r| !is_data(r))?;
                Some((s.id.0, index))
            })
            .ok_or("a sealed segment")?;
        let mut selection = Selection::new();
        assert!(!selection.toggle_record(&layout, segment, seal));
        assert!(!selection.toggle_record(&layout, 999, 0));
        assert_eq!(selection, Selection::new());
        Ok(())
    }

    #[test]
    fn a_key_from_the_index_picks_its_live_record() -> TestResult {
        let store = store()?;
        store.set("a", "1")?;
        store.set("b", "1")?;
        store.set("a", "2")?;
        store.set("gone", "1")?;
        store.delete("gone")?;
        let layout = store.layout()?;
        let mut selection = Selection::new();
        selection.toggle_key(&layout, b"a".to_vec());
        assert_eq!(selection.record(), Some((1, 2)));
        selection.toggle_key(&layout, b"gone".to_vec());
        assert_eq!(selection.key(), Some(&b"gone"[..]));
        assert_eq!(selection.record(), None, "a deleted key has no live record");
        selection.toggle_key(&layout, b"gone".to_vec());
        assert_eq!(selection, Selection::new());
        Ok(())
    }

    #[test]
    fn a_picked_record_that_moved_is_forgotten_and_the_key_kept() -> TestResult {
        let store = store()?;
        store.set("old", "1")?;
        store.set("a", "1")?;
        store.set("old", "2")?;
        let mut selection = Selection::new();
        selection.toggle_key(&store.layout()?, b"a".to_vec());
        assert_eq!(selection.record(), Some((1, 1)));

        selection.follow(&store.layout()?);
        assert_eq!(selection.record(), Some((1, 1)), "nothing moved");

        store.compact()?;
        let layout = store.layout()?;
        selection.follow(&layout);
        assert_eq!(selection.record(), None);
        assert_eq!(selection.key(), Some(&b"a"[..]));
        Ok(())
    }
}
