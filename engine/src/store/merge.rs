//! The mechanism of a merge: copy a plan's records into new compacted
//! segments, commit, publish to the index, remove the inputs. A full
//! compaction and a merge the policy chose are the same steps; only the
//! inputs differ.
//!
//! Every step is crash-safe:
//! 1. fix the inputs: sealed segments, which never change again (a full
//!    compaction first seals the active segment, so writes go on in a new
//!    one during the rewrite);
//! 2. copy each planned record — the live puts, and the tombstones the rule
//!    keeps — CRC-checked, into new *compacted* segments, keeping its seq;
//! 3. sync them, then append a *compaction commit* record naming the inputs
//!    and sync again — from here on the inputs are obsolete, and recovery
//!    finishes their removal if a crash interrupts it;
//! 4. publish (see `publish`): repoint index entries that still point at the
//!    copied record (a write that raced with the copy wins), then remove the
//!    inputs.
//!
//! The copy holds no lock that writers need: it reads immutable sealed
//! segments and writes segments nobody else knows of yet. The writer lock is
//! taken only to rotate (full compaction), to take segment numbers, and for
//! a moment to read the segments' facts and the next seq. The index lock is
//! held a page at a time — of keys while a policy merge reads its inputs'
//! live records, of repoints while it publishes — so a writer waits for a
//! merge a fraction of a millisecond at most.
//!
//! A merge that fails — a full disk, any write error — removes its partial
//! outputs and leaves the inputs in charge: nothing was published, so the
//! store goes on as before. Such a failure does not poison the store; only
//! the writer's own syncs do.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::format::{
    self, CommitPayload, RecordKind, SEGMENT_HEADER_LEN, SegmentKind, encode_record,
};
use crate::location::{Location, TombstoneAt};
use crate::report::{CompactionReport, CompactionTrigger, InputReason};
use crate::storage::SegmentId;
use crate::telemetry::{self, Stopwatch, SyncBy};

use crate::compaction::plan::{self, CompactionPlan, Copy, LayoutSnapshot, OutputPacker, SEAL_LEN};
use crate::compaction::policy::{self, PolicyPlan};
use crate::compaction::publish::{self, CompactedOutput, Copied};

use super::read::read_segment;
use super::shared::Shared;
use super::write::{create_segment, encode_seal};

/// Survivors repointed per hold of the index lock when a merge is
/// published: a fraction of a millisecond of lookups, so a writer waits no
/// longer than that for a merge.
const REPOINTS_PER_LOCK: usize = 256;

/// Keys looked at per hold of the index lock while a merge reads its
/// inputs' live records: as for repoints, a writer waits a fraction of a
/// millisecond for a merge at most.
const KEYS_PER_LOCK: usize = 1024;

/// Bytes buffered before an append during compaction.
const COPY_CHUNK: usize = 1 << 20;

/// Rewrites the live records of every segment (the active one included)
/// into new segments and removes the old ones.
pub(crate) fn compact_all(shared: &Shared) -> Result<CompactionReport> {
    let _one_at_a_time = shared.lock_compaction();
    let _merging = MergeRuns::start(shared);
    shared.commit.check_poisoned()?;
    let started = Start::now(shared);
    let before = shared.stats();

    // Freeze the inputs: everything up to now, then a fresh active segment.
    let (snapshot, inputs, next_seq) = {
        let mut writer = shared.lock_writer();
        writer.rotate(&shared.log())?;
        let snapshot = LayoutSnapshot::of(&shared.read_index(), Some(writer.active), shared.now());
        let inputs: BTreeSet<SegmentId> = snapshot
            .segments
            .iter()
            .map(|s| s.id)
            .filter(|id| *id != writer.active)
            .collect();
        (snapshot, inputs, writer.next_seq)
    };
    let plan = plan::plan_merge(&snapshot, &inputs, shared.options.get_max_segment_size());
    let why = Why {
        trigger: CompactionTrigger::Full,
        reasons: Vec::new(),
    };
    run(shared, plan, next_seq, started, before, why)
}

/// The store's whole layout now, live records included, for showing what
/// the policy would do (a merge reads the records of its inputs only: see
/// `inputs_live`).
fn snapshot(shared: &Shared) -> LayoutSnapshot {
    let writer = shared.lock_writer();
    LayoutSnapshot::of(&shared.read_index(), Some(writer.active), shared.now())
}

/// The plan of a merge of `inputs`, chosen from `facts`, with the inputs'
/// live records as they are now — read a page of keys at a time, writers
/// going on between pages — and the next seq after reading them.
/// `now` is the time the facts were taken at: a record is live or expired
/// by the same clock in both, so none that expired in between is neither
/// copied nor dropped.
///
/// Reading the records later than the facts is safe: nothing new comes to
/// point into a sealed segment while the compaction lock is held (only a
/// merge repoints, and merges run one at a time), so the records read are
/// those of the facts less some a write has since replaced — dead, and
/// dropped; and a key written between two pages points into the active
/// segment, not an input, wherever the pages stand. The next seq is read after them so that it is still above
/// every record the plan drops as dead: the merge makes every write below
/// it durable before its commit (see `write_outputs`), and the writes that
/// replaced the dropped records are among them. The facts' tombstone rule
/// holds too: every segment made since holds only newer records.
fn inputs_live(
    shared: &Shared,
    mut facts: LayoutSnapshot,
    inputs: &[SegmentId],
    now: u64,
) -> (CompactionPlan, u64) {
    let inputs: BTreeSet<SegmentId> = inputs.iter().copied().collect();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let (live, last) = plan::live_records_page(
            &shared.read_index(),
            &inputs,
            now,
            after.as_deref(),
            KEYS_PER_LOCK,
        );
        facts.live.extend(live);
        match last {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    let next_seq = shared.lock_writer().next_seq;
    let plan = plan::plan_merge(&facts, &inputs, shared.options.get_max_segment_size());
    (plan, next_seq)
}

/// What the policy would merge now.
pub(crate) fn policy_plan(shared: &Shared) -> PolicyPlan {
    choose(shared, &snapshot(shared))
}

fn choose(shared: &Shared, snapshot: &LayoutSnapshot) -> PolicyPlan {
    policy::choose(
        snapshot,
        &shared.policy,
        shared.options.get_max_segment_size(),
    )
}

/// Runs the merge the policy chooses now, if anything triggers.
pub(crate) fn compact_by_policy(shared: &Shared) -> Result<Option<CompactionReport>> {
    let _one_at_a_time = shared.lock_compaction();
    // From the choice on, not only the copy: a store past its space limit
    // is paced while the merge that brings it back is chosen too.
    let merging = MergeRuns::start(shared);
    merging.finish(policy_merge(shared))
}

/// The body of [`compact_by_policy`], under the compaction lock.
fn policy_merge(shared: &Shared) -> Result<Option<CompactionReport>> {
    shared.commit.check_poisoned()?;
    let started = Start::now(shared);
    let before = shared.stats();
    // The policy chooses from the segments' facts, taken while writers
    // wait; the live records of the inputs it chose are read after, with
    // writers going on (see `inputs_live`).
    let now = shared.now();
    let facts = {
        let writer = shared.lock_writer();
        LayoutSnapshot::facts(&shared.read_index(), Some(writer.active), now)
    };
    let choice = choose(shared, &facts);
    let Some(chosen) = choice.merge else {
        return Ok(None);
    };
    let (plan, next_seq) = inputs_live(shared, facts, &chosen.inputs, now);
    let reasons = choice
        .segments
        .iter()
        .filter(|s| s.selected)
        .filter_map(|s| {
            s.reason.map(|reason| InputReason {
                segment: s.id,
                reason,
            })
        })
        .collect();
    let why = Why {
        trigger: CompactionTrigger::Policy,
        reasons,
    };
    run(shared, plan, next_seq, started, before, why).map(Some)
}

/// When a merge started, by the store's clock (and, natively, a monotonic
/// one for pacing).
struct Start {
    at_ms: u64,
    #[cfg(not(target_arch = "wasm32"))]
    instant: std::time::Instant,
}

impl Start {
    fn now(shared: &Shared) -> Start {
        Start {
            at_ms: shared.options.get_clock().now_millis(),
            #[cfg(not(target_arch = "wasm32"))]
            instant: std::time::Instant::now(),
        }
    }

    /// The time since the merge began, where there is a monotonic clock
    /// (not on wasm, where nothing waits on it: no writer is paced there).
    fn elapsed(&self) -> Option<std::time::Duration> {
        #[cfg(not(target_arch = "wasm32"))]
        return Some(self.instant.elapsed());
        #[cfg(target_arch = "wasm32")]
        None
    }
}

/// Why a merge runs, for its report.
struct Why {
    trigger: CompactionTrigger,
    reasons: Vec<InputReason>,
}

/// Copies, commits, publishes and removes; on failure, discards the outputs
/// and counts the failure. `before` is the store as the caller found it.
fn run(
    shared: &Shared,
    plan: CompactionPlan,
    next_seq: u64,
    started: Start,
    before: crate::report::Stats,
    why: Why,
) -> Result<CompactionReport> {
    // Segments an earlier merge made obsolete but could not remove are named
    // again, so this commit keeps recovery from ever reading them.
    let mut inputs = plan.inputs.clone();
    inputs.extend(shared.lock_writer().leftovers.iter().copied());
    inputs.sort_unstable();
    inputs.dedup();

    let mut output_ids = Vec::new();
    let copied = match write_outputs(shared, &plan, &inputs, next_seq, &started, &mut output_ids) {
        Ok(copied) => copied,
        Err(e) => {
            for id in &output_ids {
                if let Err(remove_error) = shared.storage.remove(*id) {
                    warn!(segment = %id, error = %remove_error, "could not remove a discarded compaction output");
                }
            }
            warn!(error = %e, inputs = inputs.len(), "a merge failed and changed nothing");
            shared.history.failed(&e);
            return Err(e);
        }
    };

    // Published in parts (see `compaction::publish`): writers and readers
    // wait for one part of the repoints at most, not for all of them.
    let input_bytes = {
        let mut index = shared.write_index();
        publish::admit_outputs(&mut index, &copied);
        inputs
            .iter()
            .filter_map(|id| index.segments.get(id))
            .map(|info| info.len)
            .sum::<u64>()
    };
    for (survivors, to) in plan
        .survivors
        .chunks(REPOINTS_PER_LOCK)
        .zip(copied.to.chunks(REPOINTS_PER_LOCK))
    {
        publish::repoint(&mut shared.write_index(), survivors, to);
    }
    let reclaimed = {
        let mut index = shared.write_index();
        publish::retire_inputs(&mut index, &inputs, &plan.dropped_expired);
        shared
            .stall
            .note_space(index.space_bytes(), index.live_bytes());
        let output_bytes: u64 = copied.outputs.iter().map(|o| o.len).sum();
        input_bytes.saturating_sub(output_bytes)
    };
    remove_segments(shared, &inputs);
    for id in &output_ids {
        shared.write_hint_for(*id);
    }
    // The whole merge, its choice, removal and hints included: what a
    // compactor that runs merges back to back gives back per second.
    if let Some(took) = started.elapsed() {
        shared.stall.note_reclaimed(reclaimed, took);
    }

    let after = shared.stats();
    let report = CompactionReport {
        segments_before: before.segments,
        segments_after: after.segments,
        bytes_before: before.total_bytes,
        bytes_after: after.total_bytes,
        records_copied: copied.to.len() as u64,
        inputs,
        outputs: output_ids,
        trigger: why.trigger,
        reasons: why.reasons,
        tombstones_kept: plan.kept_tombstones.len() as u64,
        tombstones_dropped: plan.dropped_tombstones as u64,
        bytes_written: copied.outputs.iter().map(|o| o.len).sum(),
        started_at_ms: started.at_ms,
        duration_ms: shared
            .options
            .get_clock()
            .now_millis()
            .saturating_sub(started.at_ms),
    };
    info!(
        trigger = ?report.trigger,
        inputs = report.inputs.len(),
        outputs = report.outputs.len(),
        reclaimed = report.bytes_reclaimed(),
        "merge committed"
    );
    shared.history.finished(&report);
    Ok(report)
}

/// A merge running, for the write stall: writers are paced only while
/// merges are at work (see `stall`) — from the moment one is chosen, and on
/// after one succeeded, through the short gap before the compactor chooses
/// the next; a choice of nothing, or a merge that failed, ends it.
struct MergeRuns<'a> {
    shared: &'a Shared,
    succeeded: bool,
}

impl<'a> MergeRuns<'a> {
    fn start(shared: &'a Shared) -> Self {
        shared.stall.note_merging(true);
        MergeRuns {
            shared,
            succeeded: false,
        }
    }

    /// Passes `result` on, keeping writers paced after a merge that
    /// succeeded: another is likely due.
    fn finish<T>(mut self, result: Result<Option<T>>) -> Result<Option<T>> {
        self.succeeded = matches!(result, Ok(Some(_)));
        result
    }
}

impl Drop for MergeRuns<'_> {
    fn drop(&mut self) {
        if !self.succeeded {
            self.shared.stall.note_merging(false);
        }
    }
}

/// The output segment being filled.
struct OpenOutput {
    id: SegmentId,
    len: u64,
    min_put_seq: Option<u64>,
    tombstones: Vec<TombstoneAt>,
}

impl OpenOutput {
    fn new(id: SegmentId) -> Self {
        OpenOutput {
            id,
            len: SEGMENT_HEADER_LEN,
            min_put_seq: None,
            tombstones: Vec::new(),
        }
    }

    /// The output once sealed at `len` bytes, `meta_bytes` of them
    /// bookkeeping.
    fn finished(self, len: u64, meta_bytes: u64) -> CompactedOutput {
        CompactedOutput {
            id: self.id,
            len,
            meta_bytes,
            min_put_seq: self.min_put_seq,
            tombstones: self.tombstones,
        }
    }
}

/// Copies the plan's records into new compacted segments, then makes them
/// durable and commits `inputs`. Output ids are pushed to `output_ids` as
/// they are created, so the caller can discard them on failure.
fn write_outputs(
    shared: &Shared,
    plan: &CompactionPlan,
    inputs: &[SegmentId],
    next_seq: u64,
    started: &Start,
    output_ids: &mut Vec<SegmentId>,
) -> Result<Copied> {
    let mut packer = OutputPacker::new(shared.options.get_max_segment_size());
    let mut copied = Copied {
        to: Vec::with_capacity(plan.survivors.len()),
        outputs: Vec::new(),
    };
    let mut out = Output {
        shared,
        pending: Vec::new(),
        written: 0,
        started,
    };
    let mut current: Option<OpenOutput> = None;
    let mut loaded: Option<(SegmentId, Vec<u8>)> = None;

    for copy in plan.copies() {
        let from = copy.from();
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
        let seq = check_copy(&copy, record_bytes)?;

        let placement = packer.place(u64::from(from.len));
        if placement.new_segment {
            if let Some(full) = current.take() {
                out.flush(full.id)?;
                let len = out.seal(full.id, full.len, next_seq)?;
                copied
                    .outputs
                    .push(full.finished(len, SEGMENT_HEADER_LEN + SEAL_LEN));
            }
            current = Some(OpenOutput::new(new_output(shared, output_ids)?));
        }
        let Some(output) = current.as_mut() else {
            unreachable!("a placement always has an output segment");
        };
        debug_assert_eq!(output.len, placement.offset);
        let start = out.pending.len();
        out.pending.extend_from_slice(record_bytes);
        // Its batch is committed; alone in the output it must not wait
        // for the rest of it.
        format::clear_batch_flags(&mut out.pending[start..]);
        let to = Location {
            offset: placement.offset,
            segment: output.id,
            len: from.len,
        };
        match copy {
            Copy::Put(_) => {
                copied.to.push(to);
                output.min_put_seq = Some(output.min_put_seq.map_or(seq, |m| m.min(seq)));
            }
            Copy::Tombstone(_) => output.tombstones.push(TombstoneAt {
                offset: to.offset,
                len: to.len,
                seq,
            }),
        }
        output.len += u64::from(from.len);
        if out.pending.len() >= COPY_CHUNK {
            out.flush(output.id)?;
        }
    }

    // The last output (made now if nothing survived) carries the commit.
    let last = match current {
        Some(output) => output,
        None => OpenOutput::new(new_output(shared, output_ids)?),
    };
    out.flush(last.id)?;
    // Records first, durably; only then the commit that makes the inputs
    // obsolete. A crash can persist a later write without an earlier one,
    // so one sync for both would not do.
    out.sync(last.id)?;
    // The inputs' dead records are dead because newer ones replaced them,
    // perhaps in the active segment and not yet durable (under
    // `SyncPolicy::Never` or `EveryMillis`). Once the commit drops the old
    // ones, a crash must not take the new ones too: make every write the
    // plan saw durable first. (After a full compaction's rotation it is.)
    shared
        .commit
        .wait_durable(shared.storage.as_ref(), next_seq - 1, false)?;
    let commit = CommitPayload {
        next_seq,
        inputs: inputs.to_vec(),
    };
    encode_record(
        &mut out.pending,
        RecordKind::CompactionCommit,
        0,
        b"",
        &commit.encode(),
    );
    let commit_len = out.pending.len() as u64;
    out.flush(last.id)?;
    let len = out.seal(last.id, last.len + commit_len, next_seq)?;
    copied
        .outputs
        .push(last.finished(len, SEGMENT_HEADER_LEN + commit_len + SEAL_LEN));
    Ok(copied)
}

/// Checks that the bytes are the record the plan means (a put of the
/// survivor's key, or a tombstone of the planned seq); returns its seq.
fn check_copy(copy: &Copy<'_>, bytes: &[u8]) -> Result<u64> {
    let from = copy.from();
    let matches = match (format::decode_record(bytes), copy) {
        (Ok(r), Copy::Put(survivor)) => {
            (r.kind == RecordKind::Put && r.key == survivor.key.as_slice()).then_some(r.seq)
        }
        (Ok(r), Copy::Tombstone(tombstone)) => {
            (r.kind == RecordKind::Tombstone && r.seq == tombstone.seq).then_some(r.seq)
        }
        (Err(_), _) => None,
    };
    matches.ok_or_else(|| Error::Corruption {
        segment: from.segment,
        offset: from.offset,
        detail: "a record failed its check during compaction".into(),
    })
}

/// Writes to the outputs: buffers, appends, syncs, and paces the copy.
struct Output<'a> {
    shared: &'a Shared,
    pending: Vec<u8>,
    /// Bytes appended so far, for the rate limit.
    written: u64,
    started: &'a Start,
}

impl Output<'_> {
    fn flush(&mut self, id: SegmentId) -> Result<()> {
        if self.shared.stop_merges.load(Ordering::Acquire) {
            return Err(Error::Closing);
        }
        if !self.pending.is_empty() {
            self.shared
                .storage
                .append(id, &self.pending)
                .map_err(|e| Error::io(format!("append to compaction output {id}"), e))?;
            let bytes = self.pending.len() as u64;
            self.written += bytes;
            self.shared.history.wrote(bytes);
            self.pending.clear();
            self.pace()?;
        }
        Ok(())
    }

    fn sync(&self, id: SegmentId) -> Result<()> {
        let took = Stopwatch::start();
        self.shared
            .storage
            .sync(id)
            .map_err(|e| Error::io(format!("sync compaction output {id}"), e))?;
        telemetry::synced(SyncBy::Compaction, took);
        Ok(())
    }

    /// Appends the seal and syncs; returns the output's final length.
    fn seal(&mut self, id: SegmentId, len: u64, next_seq: u64) -> Result<u64> {
        self.pending.extend_from_slice(&encode_seal(next_seq));
        self.flush(id)?;
        self.sync(id)?;
        Ok(len + SEAL_LEN)
    }

    /// Sleeps until the bytes written so far fit the rate limit, in short
    /// naps so that closing the store is never kept waiting long.
    #[cfg(not(target_arch = "wasm32"))]
    fn pace(&self) -> Result<()> {
        let Some(rate) = self.shared.policy.get_rate_limit() else {
            return Ok(());
        };
        let due = std::time::Duration::from_secs_f64(self.written as f64 / rate as f64);
        loop {
            if self.shared.stop_merges.load(Ordering::Acquire) {
                return Err(Error::Closing);
            }
            let elapsed = self.started.instant.elapsed();
            if elapsed >= due {
                return Ok(());
            }
            std::thread::sleep((due - elapsed).min(std::time::Duration::from_millis(50)));
        }
    }

    /// No threads to pace on wasm: merges there run when the host asks.
    #[cfg(target_arch = "wasm32")]
    fn pace(&self) -> Result<()> {
        let _ = (self.written, self.started.at_ms);
        Ok(())
    }
}

fn new_output(shared: &Shared, output_ids: &mut Vec<SegmentId>) -> Result<SegmentId> {
    let id = shared.lock_writer().take_segment_id();
    output_ids.push(id);
    create_segment(shared.storage.as_ref(), id, SegmentKind::Compacted)?;
    shared.history.wrote(SEGMENT_HEADER_LEN);
    Ok(id)
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
