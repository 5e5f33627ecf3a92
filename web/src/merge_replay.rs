//! A merge as the page replays it, step by step, after the engine ran it.
//!
//! The engine merges in one call (its `store::merge`): it copies the
//! inputs' live records (and the tombstones that must stay) into the
//! outputs and commits them, repoints the index's entries that still point
//! at the copied records (a write that raced with the copy wins), and only
//! then removes the inputs — so a read never follows an entry to a record
//! that is gone. In the browser that call is over in a moment; the page
//! shows the same three steps slowly enough to follow ([`Phase`]): the
//! outputs filling in while the inputs are still there and the index still
//! points at them, the index's entries moving to the copies a few keys at a
//! time, and the inputs going once none is pointed at.
//!
//! The replay is worked out from the layout just before the merge and the
//! one just after ([`MergeReplay::of`]): which keys moved, from which
//! record to which copy ([`Move`]). The store itself is already merged, so
//! the workload's writes meanwhile land in the active segment as ever; a
//! key written again during the replay points at its new record, and is
//! shown so (it is no longer one of the moves on show).
//!
//! Everything here is a pure function of layouts and times (the page's
//! clock, in ms), tested natively.

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::{CompactionReport, Layout, RecordState, SegmentLayout};

/// Where a record is: its segment and byte offset.
pub type Place = (u32, u64);

/// One index entry the merge repointed: the key, the input record it
/// pointed at before, and the copy in an output it points at after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The key.
    pub key: Vec<u8>,
    /// Its record in an input.
    pub from: Place,
    /// The copy in an output.
    pub to: Place,
}

/// Which step of the merge is on show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The outputs fill in with the copies; the index still points at the
    /// inputs.
    Copying,
    /// The index's entries move to the copies: after step `step` of
    /// `steps`, the first `moved` moves are done, of which those from
    /// `moved_before` on were done in this step.
    Repointing {
        /// This step, from 1.
        step: usize,
        /// How many steps there are.
        steps: usize,
        /// Moves done after this step.
        moved: usize,
        /// Moves done before it.
        moved_before: usize,
    },
    /// No entry points into the inputs any more: they are removed; the
    /// outputs stay marked a moment.
    Removed,
    /// The replay is over.
    Over,
}

/// What a record cell shows of the repointing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellRepoint {
    /// A record of an input the index still points at.
    IndexHere,
    /// A record of an input the index has left for its copy; `now` when it
    /// left in the step on show.
    IndexLeft {
        /// It left in this step.
        now: bool,
    },
    /// A copy in an output the index does not point at yet.
    AwaitsIndex,
    /// A copy the index points at now; `now` when it arrived in the step
    /// on show.
    IndexArrived {
        /// It arrived in this step.
        now: bool,
    },
}

impl CellRepoint {
    /// Its word, as `data-repoint` says it (and the CSS class after
    /// `repoint-`).
    pub fn name(self) -> &'static str {
        match self {
            CellRepoint::IndexHere => "here",
            CellRepoint::IndexLeft { .. } => "left",
            CellRepoint::AwaitsIndex => "awaits",
            CellRepoint::IndexArrived { .. } => "arrived",
        }
    }

    /// Whether it changed in the step on show (the page animates that).
    pub fn is_now(self) -> bool {
        matches!(
            self,
            CellRepoint::IndexLeft { now: true } | CellRepoint::IndexArrived { now: true }
        )
    }
}

/// What an index row shows of the repointing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRepoint {
    /// The entry still points at the input record at `from`.
    Waiting {
        /// The input record.
        from: Place,
    },
    /// The entry was repointed from `from` in the step on show.
    Moving {
        /// The input record it pointed at.
        from: Place,
    },
    /// The entry was repointed from `from` in an earlier step.
    Moved {
        /// The input record it pointed at.
        from: Place,
    },
}

impl RowRepoint {
    /// Its word, as `data-repoint` says it.
    pub fn name(self) -> &'static str {
        match self {
            RowRepoint::Waiting { .. } => "waiting",
            RowRepoint::Moving { .. } => "moving",
            RowRepoint::Moved { .. } => "moved",
        }
    }

    /// The input record the entry pointed at before the merge.
    pub fn from(self) -> Place {
        match self {
            RowRepoint::Waiting { from }
            | RowRepoint::Moving { from }
            | RowRepoint::Moved { from } => from,
        }
    }
}

/// One merge, replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeReplay {
    /// The inputs as they were just before the merge: drawn until the
    /// index has left them.
    pub inputs: Vec<SegmentLayout>,
    /// The segments the merge wrote.
    pub outputs: BTreeSet<u32>,
    /// The index entries it repointed, in the order their copies were
    /// written (so the index follows the outputs as they filled in).
    pub moves: Vec<Move>,
    /// When the merge ran (the page's clock, ms).
    pub ran_at: u64,
}

impl MergeReplay {
    /// How long the outputs take to fill in (`style.css`'s `merge-fill`).
    pub const COPY_MS: u64 = 900;
    /// How long each repointing step is on show.
    pub const STEP_MS: u64 = 400;
    /// The most steps the repointing takes: a merge of many keys moves
    /// them in batches, so a replay never drags on.
    pub const MAX_STEPS: usize = 6;
    /// How long the outputs stay marked once the inputs are gone.
    pub const REMOVED_MS: u64 = 1200;

    /// The replay of the merge `report` describes, from the layouts just
    /// `before` and `after` it, run at `ran_at`.
    pub fn of(
        before: &Layout,
        report: &CompactionReport,
        after: &Layout,
        ran_at: u64,
    ) -> MergeReplay {
        let inputs: BTreeSet<u32> = report.inputs.iter().map(|id| id.0).collect();
        let outputs: BTreeSet<u32> = report.outputs.iter().map(|id| id.0).collect();
        let copies: BTreeMap<&[u8], Place> = live_places(after)
            .into_iter()
            .filter(|(_, (segment, _))| outputs.contains(segment))
            .collect();
        let input_layouts: Vec<SegmentLayout> = before
            .segments
            .iter()
            .filter(|s| inputs.contains(&s.id.0))
            .cloned()
            .collect();
        let mut moves: Vec<Move> = input_layouts
            .iter()
            .flat_map(|segment| {
                segment
                    .records
                    .iter()
                    .filter(|r| r.state == RecordState::Live)
                    .map(move |r| (segment.id.0, r))
            })
            .filter_map(|(segment, record)| {
                Some(Move {
                    key: record.key.clone(),
                    from: (segment, record.offset),
                    to: *copies.get(record.key.as_slice())?,
                })
            })
            .collect();
        moves.sort_by_key(|m| m.to);
        MergeReplay {
            inputs: input_layouts,
            outputs,
            moves,
            ran_at,
        }
    }

    /// How many repointing steps there are: one a key, at most
    /// [`MAX_STEPS`](Self::MAX_STEPS).
    pub fn steps(&self) -> usize {
        self.moves.len().min(Self::MAX_STEPS)
    }

    /// Moves done after `step` steps: spread evenly, so every step moves at
    /// least one key.
    fn moved_after(&self, step: usize) -> usize {
        let steps = self.steps();
        if steps == 0 {
            return 0;
        }
        (step * self.moves.len()).div_ceil(steps)
    }

    /// When (the page's clock) the repointing starts, and when the inputs
    /// go.
    fn bounds(&self) -> (u64, u64) {
        let repoint_at = self.ran_at + Self::COPY_MS;
        (repoint_at, repoint_at + self.steps() as u64 * Self::STEP_MS)
    }

    /// The step on show at `now`.
    pub fn phase(&self, now: u64) -> Phase {
        let (repoint_at, removed_at) = self.bounds();
        if now < repoint_at {
            Phase::Copying
        } else if now < removed_at {
            let step = ((now - repoint_at) / Self::STEP_MS) as usize + 1;
            Phase::Repointing {
                step,
                steps: self.steps(),
                moved: self.moved_after(step),
                moved_before: self.moved_after(step - 1),
            }
        } else if now < removed_at + Self::REMOVED_MS {
            Phase::Removed
        } else {
            Phase::Over
        }
    }

    /// When what is on show next changes after `now`: the next step, the
    /// inputs' removal, the end; `None` once it is over.
    pub fn next_change(&self, now: u64) -> Option<u64> {
        let (repoint_at, removed_at) = self.bounds();
        let over_at = removed_at + Self::REMOVED_MS;
        if now < repoint_at {
            Some(repoint_at)
        } else if now < removed_at {
            let step = (now - repoint_at) / Self::STEP_MS + 1;
            Some(repoint_at + step * Self::STEP_MS)
        } else if now < over_at {
            Some(over_at)
        } else {
            None
        }
    }

    /// The inputs still on show at `now` (none once they are removed).
    pub fn inputs_on_show(&self, now: u64) -> &[SegmentLayout] {
        match self.phase(now) {
            Phase::Copying | Phase::Repointing { .. } => &self.inputs,
            Phase::Removed | Phase::Over => &[],
        }
    }

    /// The moves on show at `now` against the store's `current` layout,
    /// each with where it is: waiting, moving in this step, or moved. A
    /// key whose index entry no longer points at its copy (it was written
    /// again, deleted or expired since) is left out: its row and records
    /// show what the index says now.
    fn moves_on_show(&self, now: u64, current: &Layout) -> Vec<(&Move, RowRepoint)> {
        let (moved_before, moved) = match self.phase(now) {
            Phase::Copying => (0, 0),
            Phase::Repointing {
                moved,
                moved_before,
                ..
            } => (moved_before, moved),
            Phase::Removed => (self.moves.len(), self.moves.len()),
            Phase::Over => return Vec::new(),
        };
        let live = live_places(current);
        self.moves
            .iter()
            .enumerate()
            .filter(|(_, m)| live.get(m.key.as_slice()) == Some(&m.to))
            .map(|(i, m)| {
                let row = if i >= moved {
                    RowRepoint::Waiting { from: m.from }
                } else if i >= moved_before {
                    RowRepoint::Moving { from: m.from }
                } else {
                    RowRepoint::Moved { from: m.from }
                };
                (m, row)
            })
            .collect()
    }

    /// What the index rows show at `now`, by key, against the store's
    /// `current` layout.
    pub fn rows(&self, now: u64, current: &Layout) -> BTreeMap<Vec<u8>, RowRepoint> {
        self.moves_on_show(now, current)
            .into_iter()
            .map(|(m, row)| (m.key.clone(), row))
            .collect()
    }

    /// What the record cells show at `now`, by place: the inputs' records
    /// (while they are on show) and the outputs' copies.
    pub fn cells(&self, now: u64, current: &Layout) -> BTreeMap<Place, CellRepoint> {
        let mut cells = BTreeMap::new();
        let inputs_shown = !self.inputs_on_show(now).is_empty();
        let on_show = self.moves_on_show(now, current);
        let shown: BTreeSet<Place> = on_show.iter().map(|(m, _)| m.from).collect();
        for (m, row) in on_show {
            let (from, to) = match row {
                RowRepoint::Waiting { .. } => (CellRepoint::IndexHere, CellRepoint::AwaitsIndex),
                RowRepoint::Moving { .. } => (
                    CellRepoint::IndexLeft { now: true },
                    CellRepoint::IndexArrived { now: true },
                ),
                RowRepoint::Moved { .. } => (
                    CellRepoint::IndexLeft { now: false },
                    CellRepoint::IndexArrived { now: false },
                ),
            };
            if inputs_shown {
                cells.insert(m.from, from);
            }
            cells.insert(m.to, to);
        }
        if inputs_shown {
            // A key written again since the merge: the index left its input
            // record for a newer one, not for the copy.
            for m in &self.moves {
                if !shown.contains(&m.from) {
                    cells.insert(m.from, CellRepoint::IndexLeft { now: false });
                }
            }
        }
        cells
    }

    /// How many index entries still point into the inputs at `now`, of the
    /// moves still on show (for the words).
    pub fn waiting(&self, now: u64, current: &Layout) -> (usize, usize) {
        let on_show = self.moves_on_show(now, current);
        let waiting = on_show
            .iter()
            .filter(|(_, row)| matches!(row, RowRepoint::Waiting { .. }))
            .count();
        (waiting, on_show.len())
    }
}

/// Where the index points for every live key of `layout` (its live records
/// are exactly the index's targets).
fn live_places(layout: &Layout) -> BTreeMap<&[u8], Place> {
    layout
        .segments
        .iter()
        .flat_map(|segment| {
            segment
                .records
                .iter()
                .filter(|r| r.state == RecordState::Live)
                .map(move |r| (r.key.as_slice(), (segment.id.0, r.offset)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options};
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A store with sealed segments worth merging: `keys` keys written,
    /// then most of them overwritten, so the first segments are mostly
    /// dead and the policy has a merge.
    fn fragmented(keys: usize) -> Result<KvStore, mini_kvstore::Error> {
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(CompactionPolicy::default().background(false)),
        )?;
        for round in 0..3 {
            for i in 0..keys {
                if round == 0 || i % 3 != 0 {
                    store.set(format!("k{i:02}"), format!("value {round} of k{i:02}"))?;
                }
            }
        }
        Ok(store)
    }

    /// Runs the policy's merge on `store` and replays it from `ran_at`.
    fn merged(
        store: &KvStore,
        ran_at: u64,
    ) -> Result<(MergeReplay, Layout), Box<dyn std::error::Error>> {
        let before = store.layout()?;
        let report = store.compact_by_policy()?.ok_or("the policy has a merge")?;
        let after = store.layout()?;
        Ok((MergeReplay::of(&before, &report, &after, ran_at), after))
    }

    #[test]
    fn the_moves_are_the_inputs_live_keys_and_their_copies() -> TestResult {
        let store = fragmented(12)?;
        let before = store.layout()?;
        let (replay, after) = merged(&store, 0)?;
        assert!(!replay.moves.is_empty());
        let inputs: BTreeSet<u32> = replay.inputs.iter().map(|s| s.id.0).collect();
        assert!(!inputs.is_empty() && !replay.outputs.is_empty());
        // Every live key of the inputs moved, and nothing else did.
        let expected: BTreeSet<Vec<u8>> = before
            .segments
            .iter()
            .filter(|s| inputs.contains(&s.id.0))
            .flat_map(|s| &s.records)
            .filter(|r| r.state == RecordState::Live)
            .map(|r| r.key.clone())
            .collect();
        let moved: BTreeSet<Vec<u8>> = replay.moves.iter().map(|m| m.key.clone()).collect();
        assert_eq!(moved, expected);
        let now = live_places(&after);
        for m in &replay.moves {
            assert!(inputs.contains(&m.from.0), "{m:?} from an input");
            assert!(replay.outputs.contains(&m.to.0), "{m:?} to an output");
            assert_eq!(
                now.get(m.key.as_slice()),
                Some(&m.to),
                "the index points at the copy"
            );
        }
        // In the order the copies were written.
        assert!(replay.moves.windows(2).all(|w| w[0].to < w[1].to));
        // The inputs as they were: gone from the store, kept for the replay.
        assert!(after.segments.iter().all(|s| !inputs.contains(&s.id.0)));
        assert_eq!(replay.inputs.len(), inputs.len());
        Ok(())
    }

    #[test]
    fn the_phases_run_copy_then_repoint_step_by_step_then_remove() -> TestResult {
        let store = fragmented(12)?;
        let (replay, after) = merged(&store, 10_000)?;
        let n = replay.moves.len();
        let steps = replay.steps();
        assert_eq!(steps, n.min(MergeReplay::MAX_STEPS));
        assert!(steps >= 2, "{n} moves");

        let at = |ms: u64| 10_000 + ms;
        assert_eq!(replay.phase(at(0)), Phase::Copying);
        assert_eq!(replay.next_change(at(0)), Some(at(MergeReplay::COPY_MS)));
        assert_eq!(replay.inputs_on_show(at(0)).len(), replay.inputs.len());
        // Copying: every entry still points into the inputs.
        let rows = replay.rows(at(0), &after);
        assert_eq!(rows.len(), n);
        assert!(
            rows.values()
                .all(|r| matches!(r, RowRepoint::Waiting { .. }))
        );
        assert_eq!(replay.waiting(at(0), &after), (n, n));

        // Each step moves the next batch, and every key moves exactly once.
        let mut seen_moving = BTreeSet::new();
        let mut last_moved = 0;
        for step in 1..=steps {
            let t = at(MergeReplay::COPY_MS + (step as u64 - 1) * MergeReplay::STEP_MS);
            let Phase::Repointing {
                step: on_show,
                moved,
                moved_before,
                ..
            } = replay.phase(t)
            else {
                panic!("step {step} is a repointing step");
            };
            assert_eq!(on_show, step);
            assert_eq!(moved_before, last_moved);
            assert!(moved > moved_before, "step {step} moves a key");
            last_moved = moved;
            let rows = replay.rows(t, &after);
            let moving: Vec<&Vec<u8>> = rows
                .iter()
                .filter(|(_, r)| matches!(r, RowRepoint::Moving { .. }))
                .map(|(k, _)| k)
                .collect();
            assert_eq!(moving.len(), moved - moved_before);
            for key in moving {
                assert!(seen_moving.insert(key.clone()), "{key:?} moves once");
            }
            assert_eq!(replay.waiting(t, &after).0, n - moved);
            // While any entry waits, the inputs are still there.
            assert_eq!(replay.inputs_on_show(t).len(), replay.inputs.len());
            assert_eq!(
                replay.next_change(t),
                Some(at(MergeReplay::COPY_MS + step as u64 * MergeReplay::STEP_MS))
            );
        }
        assert_eq!(last_moved, n);
        assert_eq!(seen_moving.len(), n);

        // Then the inputs go, and every entry points at its copy.
        let removed = at(MergeReplay::COPY_MS + steps as u64 * MergeReplay::STEP_MS);
        assert_eq!(replay.phase(removed), Phase::Removed);
        assert!(replay.inputs_on_show(removed).is_empty());
        let rows = replay.rows(removed, &after);
        assert!(rows.values().all(|r| matches!(r, RowRepoint::Moved { .. })));
        let cells = replay.cells(removed, &after);
        assert!(
            cells
                .iter()
                .all(|(place, c)| replay.outputs.contains(&place.0)
                    && *c == CellRepoint::IndexArrived { now: false })
        );
        let over = removed + MergeReplay::REMOVED_MS;
        assert_eq!(replay.next_change(removed), Some(over));
        assert_eq!(replay.phase(over), Phase::Over);
        assert_eq!(replay.next_change(over), None);
        assert!(replay.rows(over, &after).is_empty());
        Ok(())
    }

    #[test]
    fn cells_mark_both_ends_of_each_move() -> TestResult {
        let store = fragmented(12)?;
        let (replay, after) = merged(&store, 0)?;
        let cells = replay.cells(0, &after);
        for m in &replay.moves {
            assert_eq!(cells.get(&m.from), Some(&CellRepoint::IndexHere));
            assert_eq!(cells.get(&m.to), Some(&CellRepoint::AwaitsIndex));
        }
        let first = MergeReplay::COPY_MS;
        let cells = replay.cells(first, &after);
        let m = &replay.moves[0];
        assert_eq!(
            cells.get(&m.from),
            Some(&CellRepoint::IndexLeft { now: true })
        );
        assert!(cells.get(&m.to).is_some_and(|c| c.is_now()));
        assert_eq!(CellRepoint::IndexArrived { now: true }.name(), "arrived");
        let last = replay.moves.last().ok_or("a move")?;
        assert_eq!(cells.get(&last.from), Some(&CellRepoint::IndexHere));
        Ok(())
    }

    #[test]
    fn a_key_written_during_the_replay_leaves_it() -> TestResult {
        let store = fragmented(12)?;
        let (replay, _) = merged(&store, 0)?;
        let first = replay.moves.first().ok_or("a move")?.clone();
        // The workload writes the key again while the replay is on show:
        // its entry now points at the active segment, not at the copy.
        store.set(first.key.clone(), "written during the merge")?;
        let current = store.layout()?;
        let rows = replay.rows(0, &current);
        assert!(!rows.contains_key(&first.key));
        assert_eq!(rows.len(), replay.moves.len() - 1);
        let cells = replay.cells(0, &current);
        assert_eq!(
            cells.get(&first.from),
            Some(&CellRepoint::IndexLeft { now: false }),
            "the index left the input record"
        );
        assert_eq!(cells.get(&first.to), None, "the copy is dead, not waiting");
        assert_eq!(replay.waiting(0, &current), (rows.len(), rows.len()));
        Ok(())
    }

    #[test]
    fn a_merge_that_moves_no_key_skips_the_repointing() -> TestResult {
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(CompactionPolicy::default().background(false)),
        )?;
        for i in 0..12 {
            store.set(format!("k{i:02}"), "a value of some length")?;
        }
        for i in 0..12 {
            store.delete(format!("k{i:02}"))?;
        }
        let before = store.layout()?;
        let report = store.compact()?;
        let after = store.layout()?;
        let replay = MergeReplay::of(&before, &report, &after, 0);
        assert!(replay.moves.is_empty());
        assert_eq!(replay.steps(), 0);
        assert_eq!(replay.phase(MergeReplay::COPY_MS), Phase::Removed);
        assert_eq!(
            replay.next_change(0),
            Some(MergeReplay::COPY_MS),
            "straight from copying to the removal"
        );
        Ok(())
    }
}
