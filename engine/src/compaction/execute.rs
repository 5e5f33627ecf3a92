//! The mechanism of a compaction: copy a plan's survivors into new
//! compacted segments, commit, publish to the index, remove the inputs.
//!
//! Every step is crash-safe:
//! 1. seal the active segment and start a new one, so inputs are immutable
//!    and writes go on during the rewrite;
//! 2. copy each surviving record, CRC-checked, into new *compacted*
//!    segments, keeping its sequence number;
//! 3. sync them, then append a *compaction commit* record naming the inputs
//!    and sync again — from here on the inputs are obsolete, and recovery
//!    finishes their removal if a crash interrupts it;
//! 4. publish (see `publish`): repoint index entries that still point at the
//!    copied record (a write that raced with the copy wins), then remove the
//!    inputs.
//!
//! The copy holds no lock that writers need: it reads immutable sealed
//! segments and writes segments nobody else knows of yet. The writer lock is
//! taken only to rotate and to take output segment numbers.

use std::collections::BTreeSet;

use tracing::warn;

use crate::error::{Error, Result};
use crate::format::{
    self, CommitPayload, RecordKind, SEGMENT_HEADER_LEN, SegmentKind, encode_record,
};
use crate::location::Location;
use crate::report::CompactionReport;
use crate::storage::SegmentId;
use crate::store::read::read_segment;
use crate::store::shared::Shared;
use crate::store::write::{create_segment, encode_seal};

use super::plan::{self, CompactionPlan, LayoutSnapshot, OutputPacker, SEAL_LEN};
use super::publish::{self, CompactedOutput, Copied};

/// Bytes buffered before an append during compaction.
const COPY_CHUNK: usize = 1 << 20;

/// Rewrites the live records of every segment (the active one included)
/// into new segments and removes the old ones.
pub(crate) fn compact_all(shared: &Shared) -> Result<CompactionReport> {
    let _one_at_a_time = shared.lock_compaction();
    shared.commit.check_poisoned()?;
    let before = shared.stats();

    // 1. Freeze the inputs: everything up to now, then a fresh active segment.
    let (inputs, next_seq_at_start) = {
        let mut writer = shared.lock_writer();
        writer.rotate(&shared.log())?;
        let active = writer.active;
        let mut inputs: Vec<SegmentId> = shared
            .read_index()
            .segments
            .keys()
            .copied()
            .filter(|id| *id != active)
            .chain(writer.leftovers.iter().copied())
            .collect();
        inputs.sort_unstable();
        inputs.dedup();
        (inputs, writer.next_seq)
    };
    let snapshot = {
        let inputs: BTreeSet<SegmentId> = inputs.iter().copied().collect();
        LayoutSnapshot::of(&shared.read_index(), None, |id| inputs.contains(&id))
    };
    let plan = plan::plan(&snapshot, shared.options.get_max_segment_size());

    // 2 + 3. Copy, seal, commit. On failure, discard the outputs: the
    // inputs are untouched, so nothing is lost.
    let mut output_ids = Vec::new();
    let copied = match write_outputs(shared, &plan, &inputs, next_seq_at_start, &mut output_ids) {
        Ok(copied) => copied,
        Err(e) => {
            for id in &output_ids {
                if let Err(remove_error) = shared.storage.remove(*id) {
                    warn!(segment = %id, error = %remove_error, "could not remove a discarded compaction output");
                }
            }
            return Err(e);
        }
    };

    // 4. Publish, then remove the inputs.
    publish::publish(&mut shared.write_index(), &inputs, &plan.survivors, &copied);
    remove_segments(shared, &inputs);
    for id in &output_ids {
        shared.write_hint_for(*id);
    }

    let after = shared.stats();
    Ok(CompactionReport {
        segments_before: before.segments,
        segments_after: after.segments,
        bytes_before: before.total_bytes,
        bytes_after: after.total_bytes,
        records_copied: copied.to.len() as u64,
        inputs,
        outputs: output_ids,
    })
}

/// The output segment being filled.
struct OpenOutput {
    id: SegmentId,
    len: u64,
}

/// Copies the plan's survivors into new compacted segments, then makes
/// them durable and commits. Output ids are pushed to `output_ids` as they
/// are created, so the caller can discard them on failure.
fn write_outputs(
    shared: &Shared,
    plan: &CompactionPlan,
    inputs: &[SegmentId],
    next_seq: u64,
    output_ids: &mut Vec<SegmentId>,
) -> Result<Copied> {
    let mut packer = OutputPacker::new(shared.options.get_max_segment_size());
    let mut copied = Copied {
        to: Vec::with_capacity(plan.survivors.len()),
        outputs: Vec::new(),
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut current: Option<OpenOutput> = None;
    let mut loaded: Option<(SegmentId, Vec<u8>)> = None;

    for survivor in &plan.survivors {
        let from = survivor.from;
        if loaded.as_ref().map(|(id, _)| *id) != Some(from.segment) {
            let len = shared
                .read_index()
                .segments
                .get(&from.segment)
                .map_or(0, |s| s.len);
            let bytes =
                read_segment(shared.storage.as_ref(), from.segment, len)?.unwrap_or_default();
            loaded = Some((from.segment, bytes));
        }
        let bytes = loaded
            .as_ref()
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default();
        let record_bytes = usize::try_from(from.offset)
            .ok()
            .and_then(|start| bytes.get(start..start + from.len as usize))
            .ok_or_else(|| Error::Corruption {
                segment: from.segment,
                offset: from.offset,
                detail: "record lies beyond the end of its segment".into(),
            })?;
        match format::decode_record(record_bytes) {
            Ok(r) if r.key == survivor.key.as_slice() && r.kind == RecordKind::Put => {}
            _ => {
                return Err(Error::Corruption {
                    segment: from.segment,
                    offset: from.offset,
                    detail: "a live record failed its check during compaction".into(),
                });
            }
        }

        let placement = packer.place(u64::from(from.len));
        if placement.new_segment {
            if let Some(full) = current.take() {
                flush(shared, full.id, &mut pending)?;
                let len = seal(shared, full.id, full.len, next_seq)?;
                copied.outputs.push(CompactedOutput {
                    id: full.id,
                    len,
                    meta_bytes: SEGMENT_HEADER_LEN + SEAL_LEN,
                });
            }
            current = Some(OpenOutput {
                id: new_output(shared, output_ids)?,
                len: SEGMENT_HEADER_LEN,
            });
        }
        let Some(output) = current.as_mut() else {
            unreachable!("a placement always has an output segment");
        };
        debug_assert_eq!(output.len, placement.offset);
        let start = pending.len();
        pending.extend_from_slice(record_bytes);
        // Its batch is committed; alone in the output it must not wait
        // for the rest of it.
        format::clear_batch_flags(&mut pending[start..]);
        copied.to.push(Location {
            offset: placement.offset,
            segment: output.id,
            len: from.len,
        });
        output.len += u64::from(from.len);
        if pending.len() >= COPY_CHUNK {
            flush(shared, output.id, &mut pending)?;
        }
    }

    // The last output (made now if nothing survived) carries the commit.
    let last = match current {
        Some(output) => output,
        None => OpenOutput {
            id: new_output(shared, output_ids)?,
            len: SEGMENT_HEADER_LEN,
        },
    };
    flush(shared, last.id, &mut pending)?;
    // Records first, durably; only then the commit that makes the inputs
    // obsolete. A crash can persist a later write without an earlier one,
    // so one sync for both would not do.
    sync(shared, last.id)?;
    let commit = CommitPayload {
        next_seq,
        inputs: inputs.to_vec(),
    };
    encode_record(
        &mut pending,
        RecordKind::CompactionCommit,
        0,
        b"",
        &commit.encode(),
    );
    let commit_len = pending.len() as u64;
    flush(shared, last.id, &mut pending)?;
    let len = seal(shared, last.id, last.len + commit_len, next_seq)?;
    copied.outputs.push(CompactedOutput {
        id: last.id,
        len,
        meta_bytes: SEGMENT_HEADER_LEN + commit_len + SEAL_LEN,
    });
    Ok(copied)
}

fn new_output(shared: &Shared, output_ids: &mut Vec<SegmentId>) -> Result<SegmentId> {
    let id = shared.lock_writer().take_segment_id();
    create_segment(shared.storage.as_ref(), id, SegmentKind::Compacted)?;
    output_ids.push(id);
    Ok(id)
}

fn flush(shared: &Shared, id: SegmentId, pending: &mut Vec<u8>) -> Result<()> {
    if !pending.is_empty() {
        shared
            .storage
            .append(id, pending)
            .map_err(|e| Error::io(format!("append to compaction output {id}"), e))?;
        pending.clear();
    }
    Ok(())
}

fn sync(shared: &Shared, id: SegmentId) -> Result<()> {
    shared
        .storage
        .sync(id)
        .map_err(|e| Error::io(format!("sync compaction output {id}"), e))
}

/// Appends the seal and syncs; returns the output's final length.
fn seal(shared: &Shared, id: SegmentId, len: u64, next_seq: u64) -> Result<u64> {
    flush(shared, id, &mut encode_seal(next_seq))?;
    sync(shared, id)?;
    Ok(len + SEAL_LEN)
}

/// Removes obsolete segments. A failure is not fatal — the commit already
/// makes them obsolete, and recovery removes what is left — but they are
/// remembered so the next compaction names them again.
fn remove_segments(shared: &Shared, ids: &[SegmentId]) {
    let held = shared.commit.hold_off_syncs();
    let mut failed = Vec::new();
    for id in ids {
        match shared.storage.remove(*id) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!(segment = %id, error = %e, "could not remove a compacted segment; it will be removed later");
                failed.push(*id);
            }
        }
    }
    drop(held);
    let mut writer = shared.lock_writer();
    for id in ids {
        writer.leftovers.remove(id);
    }
    writer.leftovers.extend(failed);
}
