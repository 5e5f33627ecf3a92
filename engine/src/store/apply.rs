//! Write batches: checking every key, value and condition first, then one
//! append for the whole batch and one index update, so readers and a crash
//! see all of it or none of it.

use std::collections::HashMap;

use super::KvStore;
use super::write::{Change, check_key, check_value};
use crate::batch::{BatchOp, WriteBatch};
use crate::error::Result;
use crate::format::RecordKind;
use crate::location::TombstoneAt;

impl KvStore {
    /// Applies every change in `batch` together: readers see all of it at
    /// once, and a crash leaves all of it or none of it. The batch is one
    /// append and, under [`SyncPolicy::Always`](crate::SyncPolicy::Always), one fsync — the fast way to
    /// load many keys. Nothing is written if any key or value breaks a limit.
    pub fn apply(&self, batch: WriteBatch) -> Result<()> {
        let max = self.shared.options.get_max_value_size();
        for op in batch.ops() {
            match op {
                BatchOp::Set(key, value, _) => {
                    check_key(key)?;
                    check_value(value, max)?;
                }
                BatchOp::Delete(key) => check_key(key)?,
            }
        }
        let last_seq = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            // Every condition against the store as it is before the batch;
            // one that fails leaves everything unwritten.
            for (key, expect) in batch.expectations() {
                self.check_expected(key, expect)?;
            }
            // Under the writer lock no other write can change which deletes
            // find their key: those that do not write nothing.
            let now = self.shared.now();
            let changes: Vec<Change<'_>> = if !batch.has_deletes() {
                batch.ops().map(|op| op.change(now)).collect()
            } else {
                let index = self.shared.read_index();
                let mut present: HashMap<&[u8], bool> = HashMap::new();
                batch
                    .ops()
                    .filter(|op| match *op {
                        BatchOp::Set(key, _, _) => {
                            present.insert(key, true);
                            true
                        }
                        BatchOp::Delete(key) => {
                            // A delete writes a tombstone only if the key
                            // exists now or is set earlier in the batch.
                            present
                                .insert(key, false)
                                .unwrap_or_else(|| index.contains(key, now))
                        }
                    })
                    .map(|op| op.change(now))
                    .collect()
            };
            if changes.is_empty() {
                return Ok(());
            }
            let mut locations = Vec::with_capacity(changes.len());
            let last_seq = writer.append(&log, &changes, |_, location| locations.push(location))?;
            let mut index = writer.index_after_append(&log);
            let first_seq = last_seq + 1 - changes.len() as u64;
            let seqs = first_seq..=last_seq;
            let is_put = |change: &Change<'_>| change.kind != RecordKind::Tombstone;
            let first_put_seq = changes.iter().zip(seqs.clone()).find(|(c, _)| is_put(c));
            let tombstones = changes
                .iter()
                .zip(&locations)
                .zip(seqs)
                .filter(|((change, _), _)| !is_put(change))
                .map(|((_, at), seq)| TombstoneAt {
                    offset: at.offset,
                    len: at.len,
                    seq,
                });
            // A batch is one append: every record is in one segment.
            index.note_appended(writer.active, first_put_seq.map(|(_, seq)| seq), tombstones);
            index.apply_batch(
                changes
                    .iter()
                    .zip(&locations)
                    .map(|(change, location)| (change.key, is_put(change).then_some(*location))),
            );
            for (change, seq) in changes.iter().zip(first_seq..) {
                if is_put(change) {
                    let expiring = change
                        .expires_at
                        .map(|at| crate::expiry::Expiring { at, seq });
                    index.expiry.set(change.key, expiring);
                }
            }
            last_seq
        };
        self.after_write(last_seq)
    }
}
