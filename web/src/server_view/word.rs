//! The engine's enums as the words the server's JSON spells them in, and
//! back: a word this build does not know stays a word instead of failing
//! the whole event, so a newer server never blanks the tab.
//!
//! The words are the engine's own (`RecordState::name` and the like), so
//! the tab names states, kinds and reasons as the map, `inspect` and the
//! server do.

use mini_kvstore::{CompactionTrigger, MergeReason, RecordKind, RecordState, SegmentKind};
use serde::Deserialize;
use serde::de::Deserializer;

use crate::merge_policy::reason_name;

/// One of the engine's enums as its word: the engine's name for each value,
/// which is also what its JSON says.
pub trait Named: Copy + Sized + 'static {
    /// Every value this build knows.
    const ALL: &'static [Self];
    /// The value's word in the server's JSON.
    fn word(self) -> &'static str;
}

impl Named for RecordState {
    const ALL: &'static [Self] = &[
        RecordState::Live,
        RecordState::Overwritten,
        RecordState::Tombstone,
        RecordState::Meta,
        RecordState::Expired,
    ];
    fn word(self) -> &'static str {
        self.name()
    }
}

impl Named for RecordKind {
    const ALL: &'static [Self] = &[
        RecordKind::Put,
        RecordKind::Tombstone,
        RecordKind::Seal,
        RecordKind::CompactionCommit,
    ];
    fn word(self) -> &'static str {
        // `name` says `commit`, as every front shows it; JSON spells it out.
        match self {
            RecordKind::CompactionCommit => "compaction_commit",
            other => other.name(),
        }
    }
}

impl Named for SegmentKind {
    const ALL: &'static [Self] = &[SegmentKind::Log, SegmentKind::Compacted];
    fn word(self) -> &'static str {
        self.name()
    }
}

impl Named for MergeReason {
    const ALL: &'static [Self] = &[
        MergeReason::FragmentationTrigger,
        MergeReason::DeadBytesTrigger,
        MergeReason::FragmentationThreshold,
        MergeReason::DeadBytesThreshold,
        MergeReason::SmallSegment,
    ];
    fn word(self) -> &'static str {
        reason_name(self)
    }
}

impl Named for CompactionTrigger {
    const ALL: &'static [Self] = &[CompactionTrigger::Full, CompactionTrigger::Policy];
    fn word(self) -> &'static str {
        match self {
            CompactionTrigger::Full => "full",
            CompactionTrigger::Policy => "policy",
            _ => "other",
        }
    }
}

/// A word the server sent for one of the engine's enums: the engine's
/// value when this build knows the word, else the word itself (a newer
/// server may know more), so one new word never makes a whole event
/// unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word<T> {
    /// A value this build knows.
    Known(T),
    /// A word it does not.
    Unknown(String),
}

impl<T: Named> Word<T> {
    /// The engine's value, if the word is known.
    pub fn known(&self) -> Option<T> {
        match self {
            Word::Known(value) => Some(*value),
            Word::Unknown(_) => None,
        }
    }

    /// The word as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Word::Known(value) => value.word(),
            Word::Unknown(word) => word,
        }
    }
}

impl<'de, T: Named> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        Ok(T::ALL
            .iter()
            .find(|value| value.word() == word)
            .map_or(Word::Unknown(word), |value| Word::Known(*value)))
    }
}
