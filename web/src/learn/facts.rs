//! [`Facts`]: what a lesson's question is checked against — the store as
//! the page shows it, read once before a question's reveal runs and once
//! after.
//!
//! The answers are never written into the lessons: a question names a
//! function of the facts (which records the index points at, which
//! segments the merge policy picks, how many segments there are), so the
//! same lesson stays right whatever the engine's sizes and rules become.

use mini_kvstore::{
    CompactionPolicy, KvStore, Layout, PolicyPlan, RecordLayout, RecordState, SegmentLayout, Stats,
};

use crate::view::is_data;

/// A record on the map: `(segment, index)`, the index into the segment's
/// [`SegmentLayout::records`] — the same pair as a map cell's `data-i`.
pub type RecordAt = (u32, usize);

/// The store at one moment.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The layout as the map draws it.
    pub layout: Layout,
    /// What the merge policy would merge now.
    pub policy: PolicyPlan,
    /// The merge policy in force.
    pub settings: CompactionPolicy,
    /// The stats panel's numbers.
    pub stats: Stats,
    /// The store's clock (ms since the Unix epoch).
    pub now: u64,
}

impl Facts {
    /// The facts of `store`, whose map shows `layout` (the page keeps the
    /// layout a fault left on show, so it is passed in, not read again).
    pub fn read(store: &KvStore, layout: Layout) -> Facts {
        Facts {
            layout,
            policy: store.policy_plan(),
            settings: store.compaction_policy().clone(),
            stats: store.stats(),
            now: store.options().get_clock().now_millis(),
        }
    }

    /// Every record that holds a key (puts and tombstones, not seals or
    /// commits), with its place, oldest segment first.
    pub fn records(&self) -> impl Iterator<Item = (RecordAt, &RecordLayout)> {
        self.layout.segments.iter().flat_map(|segment| {
            segment
                .records
                .iter()
                .enumerate()
                .filter(|(_, record)| is_data(record))
                .map(move |(index, record)| ((segment.id.0, index), record))
        })
    }

    /// The record at `at`, if it is one that holds a key.
    pub fn record(&self, at: RecordAt) -> Option<&RecordLayout> {
        self.segment(at.0)?
            .records
            .get(at.1)
            .filter(|record| is_data(record))
    }

    /// The segment numbered `id`.
    pub fn segment(&self, id: u32) -> Option<&SegmentLayout> {
        self.layout.segments.iter().find(|s| s.id.0 == id)
    }

    /// The record of `key` the index points at (live or expired).
    pub fn indexed(&self, key: &str) -> Option<RecordAt> {
        self.records()
            .find(|(_, r)| {
                r.key == key.as_bytes()
                    && matches!(r.state, RecordState::Live | RecordState::Expired)
            })
            .map(|(at, _)| at)
    }

    /// Every record of `key`, oldest first.
    pub fn records_of<'a>(
        &'a self,
        key: &'a str,
    ) -> impl Iterator<Item = (RecordAt, &'a RecordLayout)> + 'a {
        self.records().filter(move |(_, r)| r.key == key.as_bytes())
    }

    /// The record that starts at `offset` in segment `segment` (a plan
    /// names records by location).
    pub fn at_location(&self, segment: u32, offset: u64) -> Option<RecordAt> {
        let index = self
            .segment(segment)?
            .records
            .iter()
            .position(|r| r.offset == offset)?;
        Some((segment, index))
    }

    /// The active segment.
    pub fn active(&self) -> Option<&SegmentLayout> {
        self.layout.segments.iter().find(|s| s.active)
    }

    /// How many records hold a key.
    pub fn record_count(&self) -> usize {
        self.records().count()
    }
}

/// A record in words, for a verdict: `segment 0 · record 2 (fruit, overwritten)`.
pub fn describe(at: RecordAt, record: &RecordLayout) -> String {
    format!(
        "segment {} · record {} ({}, {})",
        at.0,
        at.1 + 1,
        crate::view::show_bytes(&record.key, 24),
        match record.state {
            RecordState::Tombstone => "a tombstone",
            state => state.name(),
        }
    )
}

/// Why a record is in the state it is in, in a few words.
pub fn why_state(record: &RecordLayout) -> String {
    let key = crate::view::show_bytes(&record.key, 24);
    match record.state {
        RecordState::Live => format!("the index points here: it is {key}'s current value"),
        RecordState::Overwritten => {
            format!("a newer record of {key} exists, so this one is dead bytes")
        }
        RecordState::Tombstone => {
            format!("a delete marker for {key}: dead bytes once nothing older of {key} survives")
        }
        RecordState::Expired => format!("{key}'s time to live ran out: dead bytes, with no write"),
        RecordState::Meta => "bookkeeping, not data".to_owned(),
    }
}
