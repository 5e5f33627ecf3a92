//! Opening a store: read every segment, repair what a crash left behind,
//! rebuild the index.
//!
//! Segments are read newest first, one at a time, so memory holds one segment
//! plus the index. A sealed segment with a hint file that still fits its bytes
//! is not decoded record by record: its hint lists its keys, already sorted
//! (see `hint`). Reading newest first means a compaction commit is seen
//! before the inputs it made obsolete, which are then removed without being
//! read. Which record wins for a key is decided by its sequence number alone,
//! never by the order segments are read in.

use std::collections::BTreeSet;

use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::expiry::Expiring;
use crate::format::{self, HeaderError, SEGMENT_HEADER_LEN, SegmentKind};
use crate::hint::{self, Hint};
use crate::index::{Index, SegmentInfo};
use crate::key::IndexKey;
use crate::key_map::KeyMap;
use crate::location::Location;
use crate::location::TombstoneAt;
use crate::report::{CorruptRange, RecoveryReport, TruncatedTail};
use crate::scan::scan_segment;
use crate::storage::{SegmentId, Storage};
use crate::telemetry::{self, Stopwatch};

/// Everything `open` needs to start serving.
pub(crate) struct Recovered {
    pub index: Index,
    pub next_seq: u64,
    /// The unsealed log segment to keep appending to, if any.
    pub active: Option<SegmentId>,
    pub next_segment: SegmentId,
    pub report: RecoveryReport,
}

/// Every put and tombstone read so far, to be reduced to the newest record
/// per key. A sorted vector rather than a map: sorting once and building the
/// index from sorted input is several times faster than inserting key by key,
/// which is what makes reopening a large store quick.
#[derive(Default)]
struct Candidates {
    /// `(key, seq, location)`; `None` location for a tombstone.
    entries: Vec<(IndexKey, u64, Option<Location>)>,
    /// Length after the last reduction; reduce again when it has doubled, so
    /// memory follows the number of keys, not of records.
    reduced_len: usize,
}

impl Candidates {
    fn push(&mut self, key: &[u8], seq: u64, location: Option<Location>) {
        self.entries.push((key.into(), seq, location));
        if self.entries.len() >= (2 * self.reduced_len).max(1 << 20) {
            self.reduce();
        }
    }

    /// Keeps only the highest-seq entry per key, sorted by key.
    fn reduce(&mut self) {
        // Stable sort: it finds the runs already there (a segment written
        // in key order, a compaction output) and merges them, which is much
        // faster than sorting from scratch.
        self.entries
            .sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        self.entries.dedup_by(|later, kept| later.0 == kept.0);
        self.reduced_len = self.entries.len();
    }
}

/// What recovery learns across all segments, from hints and scans alike.
struct Gathered {
    candidates: Candidates,
    /// The expiry of every expiring put read, by seq (unique store-wide):
    /// kept apart so that the many puts without one cost nothing.
    expiries: std::collections::HashMap<u64, u64>,
    /// Inputs of committed compactions: removed, never read.
    obsolete: BTreeSet<SegmentId>,
    max_seq: u64,
    next_seq_floor: u64,
    highest_id: SegmentId,
}

impl Gathered {
    /// Takes in segment `id`'s summary.
    fn take_in(&mut self, id: SegmentId, summary: &Hint<'_>) {
        for entry in &summary.entries {
            self.max_seq = self.max_seq.max(entry.seq);
            let location = (!entry.tombstone).then_some(Location {
                offset: entry.offset,
                segment: id,
                len: entry.len,
            });
            self.candidates.push(entry.key, entry.seq, location);
            if let (Some(at), Some(_)) = (entry.expires_at, location) {
                self.expiries.insert(entry.seq, at);
            }
        }
        self.next_seq_floor = self.next_seq_floor.max(summary.next_seq);
        for &input in &summary.commit_inputs {
            self.highest_id = self.highest_id.max(input);
            // Inputs always have smaller numbers than the output holding the
            // commit; anything else is not a compaction's input and is left
            // alone.
            if input < id {
                self.obsolete.insert(input);
            }
        }
    }
}

/// `info` with the puts and tombstones `summary` lists: its smallest put
/// seq and its tombstones, for the tombstone rule of partial merges.
fn summarised(mut info: SegmentInfo, summary: &Hint<'_>) -> SegmentInfo {
    for entry in &summary.entries {
        if entry.tombstone {
            info.tombstones.push(TombstoneAt {
                offset: entry.offset,
                len: entry.len,
                seq: entry.seq,
            });
        } else {
            info.note_put(entry.seq);
        }
    }
    // A hint lists entries by key; merges walk a segment by offset.
    info.tombstones.sort_unstable_by_key(|t| t.offset);
    info
}

pub(crate) fn recover(storage: &dyn Storage) -> Result<Recovered> {
    let took = Stopwatch::start();
    let mut ids = storage.list().map_err(|e| Error::io("list segments", e))?;
    ids.sort_unstable();

    let mut report = RecoveryReport::default();
    let mut index = Index::default();
    let mut gathered = Gathered {
        candidates: Candidates::default(),
        expiries: std::collections::HashMap::new(),
        obsolete: BTreeSet::new(),
        max_seq: 0,
        next_seq_floor: 1,
        highest_id: ids.last().copied().unwrap_or(SegmentId(0)),
    };

    for &id in ids.iter().rev() {
        if gathered.obsolete.contains(&id) {
            info!(segment = %id, "removing a segment left over from a committed compaction");
            storage
                .remove(id)
                .map_err(|e| Error::io(format!("remove obsolete segment {id}"), e))?;
            report.removed_segments.push(id);
            continue;
        }

        let len = storage
            .len(id)
            .map_err(|e| Error::io(format!("size of segment {id}"), e))?;

        let len_usize = usize::try_from(len).map_err(|_| Error::ForeignFile {
            segment: id,
            detail: format!("{len} bytes is too large for this platform"),
        })?;
        let mut bytes = vec![0u8; len_usize];
        storage
            .read_at(id, 0, &mut bytes)
            .map_err(|e| Error::io(format!("read segment {id}"), e))?;

        // A sealed segment whose hint fits its bytes exactly need not be
        // decoded record by record: the hint has its keys, already sorted.
        if let Some(hint_bytes) = storage.read_hint(id).ok().flatten()
            && let Some(hint) = hint::decode(&hint_bytes)
            && hint.fits(&bytes)
        {
            gathered.take_in(id, &hint);
            report.segments += 1;
            report.hinted_segments += 1;
            report.records += hint.records;
            let mut info = summarised(
                SegmentInfo::new(hint.kind, len, hint.meta_bytes, true),
                &hint,
            );
            info.hint_bytes = hint_bytes.len() as u64;
            index.segments.insert(id, info);
            continue;
        }

        // Zeros only: space preallocated for a segment whose header never
        // reached the file (the process died with it still buffered). No
        // record was ever acknowledged there: any sync writes the header.
        let header = if bytes.iter().all(|&b| b == 0) {
            Err(HeaderError::Unfinished)
        } else {
            format::decode_segment_header(&bytes[..bytes.len().min(16)])
        };
        let kind = match header {
            Ok(kind) => kind,
            Err(HeaderError::Unfinished) => {
                info!(segment = %id, "removing a segment whose creation was interrupted");
                storage
                    .remove(id)
                    .map_err(|e| Error::io(format!("remove unfinished segment {id}"), e))?;
                report.removed_segments.push(id);
                continue;
            }
            Err(HeaderError::Foreign(detail)) => {
                return Err(Error::ForeignFile {
                    segment: id,
                    detail,
                });
            }
            Err(HeaderError::Version(found)) => {
                return Err(Error::UnsupportedVersion {
                    segment: id,
                    found,
                    supported: format::FORMAT_VERSION,
                });
            }
        };

        let mut summary = Hint::new(kind);
        let scan = scan_segment(&bytes, |offset, record| summary.observe(offset, record));
        gathered.take_in(id, &summary);
        let mut info = summarised(
            SegmentInfo::new(kind, len, summary.meta_bytes, scan.sealed),
            &summary,
        );
        report.segments += 1;
        report.records += summary.records;
        for &(offset, len) in &scan.corrupt {
            warn!(segment = %id, offset, len, "skipping corrupt bytes; the valid records after them are kept");
            let range = CorruptRange {
                segment: id,
                offset,
                len,
            };
            report.corrupt.push(range);
            index.corrupt.push(range);
        }
        let mut segment_len = len;
        if let Some(offset) = scan.torn_tail {
            let bytes_cut = len - offset;
            warn!(segment = %id, offset, bytes_cut, "cutting off a torn tail");
            storage
                .truncate(id, offset)
                .and_then(|()| storage.sync(id))
                .map_err(|e| Error::io(format!("cut the torn tail of segment {id}"), e))?;
            report.truncated.push(TruncatedTail {
                segment: id,
                offset,
                bytes_cut,
            });
            segment_len = offset;
        } else if let Some(offset) = scan.unused_from {
            // Space preallocated for appends that never came (the process
            // stopped without closing the store): nothing was lost. Not
            // synced: should the cut be lost, the zeros are found again.
            debug!(segment = %id, offset, "giving back unused preallocated space");
            storage
                .truncate(id, offset)
                .map_err(|e| Error::io(format!("cut unused space off segment {id}"), e))?;
            segment_len = offset;
        }
        if scan.whole_and_sealed() {
            // Next time, this segment need not be read: leave a hint. Only a
            // cache, so a failure to write one changes nothing.
            let hint = summary.encode_for(&bytes[..segment_len as usize]);
            if storage.write_hint(id, &hint).is_ok() {
                info.hint_bytes = hint.len() as u64;
            }
        }
        debug_assert!(segment_len >= SEGMENT_HEADER_LEN);
        info.len = segment_len;
        index.segments.insert(id, info);
    }

    let Gathered {
        mut candidates,
        expiries,
        max_seq,
        next_seq_floor,
        highest_id,
        ..
    } = gathered;
    candidates.reduce();
    let mut live: Vec<(IndexKey, Location)> = Vec::with_capacity(candidates.entries.len());
    for (key, seq, location) in candidates.entries {
        let Some(location) = location else { continue };
        if let Some(&at) = expiries.get(&seq) {
            index.expiry.set(&key, Some(Expiring { at, seq }));
        }
        live.push((key, location));
    }
    for (_, location) in &live {
        if let Some(info) = index.segments.get_mut(&location.segment) {
            info.live_bytes += u64::from(location.len);
        }
    }
    // Sorted and unique: the map is built in one pass, not key by key.
    index.keys = KeyMap::from_sorted(live);
    // Segments were read newest first; report in the order a reader expects.
    report.removed_segments.sort_unstable();
    report.corrupt.sort_by_key(|r| (r.segment, r.offset));
    report.truncated.sort_by_key(|t| t.segment);
    index.corrupt.sort_by_key(|r| (r.segment, r.offset));

    let active = index
        .segments
        .iter()
        .rev()
        .find(|(_, info)| info.kind == SegmentKind::Log && !info.sealed)
        .map(|(id, _)| *id);

    telemetry::recovered(took);
    Ok(Recovered {
        index,
        next_seq: next_seq_floor.max(max_seq + 1),
        active,
        next_segment: highest_id.next(),
        report,
    })
}
