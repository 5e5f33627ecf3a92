//! Publishing a finished compaction to the index: a pure function of the
//! index, what the compaction read and what it wrote.
//!
//! The outputs join the index as sealed compacted segments; each survivor is
//! repointed to its copy only if the index still points where the copy was
//! read from (a write that raced with the copy wins); the inputs, and any
//! corrupt ranges recorded in them, leave. Nothing here touches storage, so
//! the rule is tested on its own. The repoints come in parts, so that the
//! store need not hold the index lock — and every writer and reader off it
//! — for all of a merge's survivors at once.

use crate::format::SegmentKind;
use crate::index::{Index, SegmentInfo};
use crate::location::{Location, TombstoneAt};
use crate::storage::SegmentId;

use super::plan::Survivor;

/// One output segment of a compaction, sealed and synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompactedOutput {
    pub(crate) id: SegmentId,
    /// Bytes in it, header and seal included.
    pub(crate) len: u64,
    /// Of those, the bookkeeping: header, seal and (in the last output) the
    /// commit record.
    pub(crate) meta_bytes: u64,
    /// The smallest seq of the puts copied into it.
    pub(crate) min_put_seq: Option<u64>,
    /// The tombstones copied into it.
    pub(crate) tombstones: Vec<TombstoneAt>,
}

/// What a compaction wrote: where each survivor went, in the plan's order,
/// and the outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Copied {
    pub(crate) to: Vec<Location>,
    pub(crate) outputs: Vec<CompactedOutput>,
}

/// Applies a committed compaction of `inputs`, whose `survivors` were copied
/// as `copied` says, to `index`, all at once. Returns how many survivors
/// were repointed (the rest had been overwritten or deleted meanwhile).
///
/// The store applies the same three steps with the index lock let go
/// between chunks of repoints ([`admit_outputs`], [`repoint`],
/// [`retire_inputs`]): between them every entry points at an input or at
/// its copy, both present and holding the same record, so a reader cannot
/// tell, and a write that lands between two chunks still wins.
#[cfg(test)]
pub(crate) fn publish(
    index: &mut Index,
    inputs: &[SegmentId],
    survivors: &[Survivor],
    dropped_expired: &[Survivor],
    copied: &Copied,
) -> usize {
    admit_outputs(index, copied);
    let repointed = repoint(index, survivors, &copied.to);
    retire_inputs(index, inputs, dropped_expired);
    repointed
}

/// The first step of publishing: the outputs join the index as sealed
/// compacted segments, nothing pointing at them yet.
pub(crate) fn admit_outputs(index: &mut Index, copied: &Copied) {
    for output in &copied.outputs {
        let mut info =
            SegmentInfo::new(SegmentKind::Compacted, output.len, output.meta_bytes, true);
        info.min_put_seq = output.min_put_seq;
        info.tombstones = output.tombstones.clone();
        index.segments.insert(output.id, info);
    }
}

/// The second, in any number of parts: each survivor moves to its copy
/// `to` if the index still points where the copy was read from. Returns how
/// many moved.
pub(crate) fn repoint(index: &mut Index, survivors: &[Survivor], to: &[Location]) -> usize {
    debug_assert_eq!(survivors.len(), to.len());
    survivors
        .iter()
        .zip(to)
        .filter(|(survivor, to)| index.repoint(&survivor.key, survivor.from, **to))
        .count()
}

/// The last: expired puts the merge dropped leave (unless a write replaced
/// them meanwhile), and so do the inputs with their corrupt ranges.
pub(crate) fn retire_inputs(index: &mut Index, inputs: &[SegmentId], dropped_expired: &[Survivor]) {
    for dropped in dropped_expired {
        if index.get(&dropped.key) == Some(dropped.from) {
            index.remove(&dropped.key);
        }
    }
    for id in inputs {
        index.segments.remove(id);
    }
    index
        .corrupt
        .retain(|range| !inputs.contains(&range.segment));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CorruptRange;

    fn at(segment: u32, offset: u64, len: u32) -> Location {
        Location {
            offset,
            segment: SegmentId(segment),
            len,
        }
    }

    fn segment(len: u64) -> SegmentInfo {
        SegmentInfo::new(SegmentKind::Log, len, 16, true)
    }

    fn output(id: u32, len: u64, meta_bytes: u64) -> CompactedOutput {
        CompactedOutput {
            id: SegmentId(id),
            len,
            meta_bytes,
            min_put_seq: Some(1),
            tombstones: vec![TombstoneAt {
                offset: 86,
                len: 20,
                seq: 9,
            }],
        }
    }

    /// Segments 1 and 2 are inputs, 3 is active; `a` and `b` live in the
    /// inputs, `c` in the active segment.
    fn index() -> Index {
        let mut index = Index::default();
        for id in [1, 2, 3] {
            index.segments.insert(SegmentId(id), segment(1000));
        }
        index.insert(b"a", at(1, 16, 30));
        index.insert(b"b", at(2, 16, 40));
        index.insert(b"c", at(3, 16, 50));
        index.corrupt.push(CorruptRange {
            segment: SegmentId(2),
            offset: 500,
            len: 10,
        });
        index
    }

    fn survivor(key: &[u8], from: Location) -> Survivor {
        Survivor {
            key: key.to_vec(),
            from,
        }
    }

    /// A merge of segments 1 and 2 that copied `a` and `b` into segment 4.
    fn merge_of_a_and_b() -> ([Survivor; 2], Copied, [SegmentId; 2]) {
        let survivors = [survivor(b"a", at(1, 16, 30)), survivor(b"b", at(2, 16, 40))];
        let copied = Copied {
            to: vec![at(4, 16, 30), at(4, 46, 40)],
            outputs: vec![output(4, 150, 80)],
        };
        (survivors, copied, [SegmentId(1), SegmentId(2)])
    }

    #[test]
    fn outputs_replace_inputs_and_survivors_move_to_their_copies() {
        let mut index = index();
        let (survivors, copied, inputs) = merge_of_a_and_b();
        assert_eq!(publish(&mut index, &inputs, &survivors, &[], &copied), 2);

        let ids: Vec<SegmentId> = index.segments.keys().copied().collect();
        assert_eq!(ids, vec![SegmentId(3), SegmentId(4)]);
        let output = &index.segments[&SegmentId(4)];
        assert_eq!(
            (output.kind, output.len, output.sealed),
            (SegmentKind::Compacted, 150, true)
        );
        assert_eq!(output.live_bytes, 70, "both copies are live");
        assert_eq!(output.min_put_seq, Some(1));
        assert_eq!(output.tombstones.len(), 1, "the kept tombstone is known");
        assert_eq!(index.get(b"a"), Some(at(4, 16, 30)));
        assert_eq!(index.get(b"b"), Some(at(4, 46, 40)));
        assert_eq!(index.get(b"c"), Some(at(3, 16, 50)), "untouched");
        assert!(
            index.corrupt.is_empty(),
            "the input's corrupt range left with it"
        );
    }

    #[test]
    fn a_write_that_raced_with_the_copy_wins() {
        let mut index = index();
        // `a` was overwritten into the active segment after the copy read it.
        index.insert(b"a", at(3, 66, 31));
        let (survivors, copied, inputs) = merge_of_a_and_b();
        assert_eq!(publish(&mut index, &inputs, &survivors, &[], &copied), 1);
        assert_eq!(index.get(b"a"), Some(at(3, 66, 31)));
        assert_eq!(
            index.segments[&SegmentId(4)].live_bytes,
            40,
            "only b's copy is live"
        );
    }

    #[test]
    fn published_in_parts_a_write_between_parts_still_wins() {
        let mut index = index();
        let (survivors, copied, inputs) = merge_of_a_and_b();
        admit_outputs(&mut index, &copied);
        assert_eq!(repoint(&mut index, &survivors[..1], &copied.to[..1]), 1);
        // Between the parts, both the input and the copy are in the index:
        // `b` still reads from its input.
        assert!(index.segments.contains_key(&SegmentId(2)));
        assert_eq!(index.get(b"b"), Some(at(2, 16, 40)));
        // `b` is overwritten before its part comes.
        index.insert(b"b", at(3, 66, 41));
        assert_eq!(repoint(&mut index, &survivors[1..], &copied.to[1..]), 0);
        retire_inputs(&mut index, &inputs, &[]);

        assert_eq!(index.get(b"a"), Some(at(4, 16, 30)));
        assert_eq!(index.get(b"b"), Some(at(3, 66, 41)));
        let ids: Vec<SegmentId> = index.segments.keys().copied().collect();
        assert_eq!(ids, vec![SegmentId(3), SegmentId(4)]);
        assert_eq!(
            index.segments[&SegmentId(4)].live_bytes,
            30,
            "only a's copy is live"
        );
        assert!(index.corrupt.is_empty());
    }
}
