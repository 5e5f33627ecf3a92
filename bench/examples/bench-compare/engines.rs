//! One interface over the four stores, so every workload runs the same code
//! against each. Each adapter uses its store the way its documentation
//! recommends for the job: a write batch or transaction for bulk loads, the
//! store's own durable commit for durable writes, its non-durable mode
//! otherwise.

use std::path::Path;

use anyhow::{Context, Result};

/// The stores compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    MiniKvstore,
    Sled,
    Redb,
    Fjall,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [Kind::MiniKvstore, Kind::Sled, Kind::Redb, Kind::Fjall];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::MiniKvstore => "mini-kvstore",
            Kind::Sled => "sled",
            Kind::Redb => "redb",
            Kind::Fjall => "fjall",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// What a workload needs from a store.
pub(crate) trait Store: Send + Sync {
    /// Stores a value: durably (synced before returning) when the store was
    /// opened durable, otherwise in the store's non-durable mode.
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Stores many values in one batch or transaction.
    fn set_batch(&self, items: &[(Vec<u8>, Vec<u8>)]) -> Result<()>;
    /// Reads a value.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Counts the keys under `prefix`, reading their values.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<usize>;
    /// Counts the keys in `[start, end)`, reading their values, in
    /// descending key order when `reverse`: with the store's own range scan,
    /// so a reverse scan costs what the store makes it cost.
    fn range(&self, start: &[u8], end: &[u8], reverse: bool) -> Result<usize>;
    /// Reclaims space if the store has a way to ask for it; `false` if not.
    fn compact(&self) -> Result<bool>;
    /// Makes everything durable (before measuring disk usage or closing).
    fn flush(&self) -> Result<()>;
    /// Keys in the store (after a reopen, to check it found them all).
    fn len(&self) -> Result<usize>;
    /// What the store says about its own background merges, if it says
    /// anything (only mini-kvstore does: the peers do not tell when they
    /// compact).
    fn merge_activity(&self) -> Option<MergeActivity> {
        None
    }
}

/// A store's own account of its merges since it was opened.
pub(crate) struct MergeActivity {
    /// Merges finished.
    pub merges: u64,
    /// Bytes the store appended for writes.
    pub user_bytes: u64,
    /// Bytes the store appended for merges.
    pub merge_bytes: u64,
    /// The most recent merges the store remembers (it keeps a few only).
    pub recent: Vec<MergeSpan>,
}

/// When one merge ran, by the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MergeSpan {
    /// Start, in ms since the Unix epoch.
    pub start_ms: u64,
    pub duration_ms: u64,
    /// What it wrote: with the start and duration, tells two merges of the
    /// same millisecond apart.
    pub bytes_written: u64,
    pub records_copied: u64,
}

/// Walks a scan's `(key, value)` entries, touching every value, and counts them.
fn count_values<K, V, E>(entries: impl Iterator<Item = Result<(K, V), E>>) -> Result<usize>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut n = 0;
    for entry in entries {
        let (_, value) = entry?;
        std::hint::black_box(value);
        n += 1;
    }
    Ok(n)
}

/// Counts a range scan's values, given as their lengths, walking it from the
/// end when `reverse`. Each length goes through `black_box`, so no value's
/// read can be optimised away, and nothing is copied beyond what the store
/// hands out.
fn count_lens<E>(
    lens: impl DoubleEndedIterator<Item = Result<usize, E>>,
    reverse: bool,
) -> Result<usize>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn walk<E: std::error::Error + Send + Sync + 'static>(
        lens: impl Iterator<Item = Result<usize, E>>,
    ) -> Result<usize> {
        let mut n = 0;
        for len in lens {
            std::hint::black_box(len?);
            n += 1;
        }
        Ok(n)
    }
    if reverse {
        walk(lens.rev())
    } else {
        walk(lens)
    }
}

/// The length of a `(key, value)` entry's value.
fn value_len<K, V: AsRef<[u8]>, E>(entry: Result<(K, V), E>) -> Result<usize, E> {
    entry.map(|(_, value)| value.as_ref().len())
}

pub(crate) fn open(kind: Kind, dir: &Path, durable: bool) -> Result<Box<dyn Store>> {
    Ok(match kind {
        Kind::MiniKvstore => Box::new(Mini::open(dir, durable)?),
        Kind::Sled => Box::new(Sled::open(dir, durable)?),
        Kind::Redb => Box::new(Redb::open(dir, durable)?),
        Kind::Fjall => Box::new(Fjall::open(dir, durable)?),
    })
}

struct Mini(mini_kvstore::KvStore);

impl Mini {
    fn open(dir: &Path, durable: bool) -> Result<Self> {
        use mini_kvstore::{Options, SyncPolicy};
        let policy = if durable {
            SyncPolicy::Always
        } else {
            SyncPolicy::Never
        };
        let options = Options::default().sync_policy(policy);
        Ok(Mini(mini_kvstore::KvStore::open_with_options(
            dir, options,
        )?))
    }
}

impl Store for Mini {
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(self.0.set(key, value)?)
    }
    fn set_batch(&self, items: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = mini_kvstore::WriteBatch::new();
        for (k, v) in items {
            batch.set(k, v);
        }
        Ok(self.0.apply(batch)?)
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key)?)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<usize> {
        let mut n = 0;
        for entry in self.0.scan_prefix(prefix) {
            entry?;
            n += 1;
        }
        Ok(n)
    }
    fn range(&self, start: &[u8], end: &[u8], reverse: bool) -> Result<usize> {
        count_lens(self.0.range(start..end).map(value_len), reverse)
    }
    fn compact(&self) -> Result<bool> {
        self.0.compact()?;
        Ok(true)
    }
    fn flush(&self) -> Result<()> {
        Ok(self.0.sync()?)
    }
    fn len(&self) -> Result<usize> {
        Ok(self.0.len())
    }
    fn merge_activity(&self) -> Option<MergeActivity> {
        let stats = self.0.stats();
        let recent = self
            .0
            .recent_compactions()
            .iter()
            .map(|r| MergeSpan {
                start_ms: r.started_at_ms,
                duration_ms: r.duration_ms,
                bytes_written: r.bytes_written,
                records_copied: r.records_copied,
            })
            .collect();
        Some(MergeActivity {
            merges: stats.compactions,
            user_bytes: stats.user_bytes_written,
            merge_bytes: stats.compaction_bytes_written,
            recent,
        })
    }
}

struct Sled {
    db: sled::Db,
    durable: bool,
}

impl Sled {
    fn open(dir: &Path, durable: bool) -> Result<Self> {
        Ok(Sled {
            db: sled::open(dir).context("open sled")?,
            durable,
        })
    }
}

impl Store for Sled {
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.insert(key, value)?;
        if self.durable {
            self.db.flush()?;
        }
        Ok(())
    }
    fn set_batch(&self, items: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (k, v) in items {
            batch.insert(k.as_slice(), v.as_slice());
        }
        self.db.apply_batch(batch)?;
        if self.durable {
            self.db.flush()?;
        }
        Ok(())
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<usize> {
        count_values(self.db.scan_prefix(prefix))
    }
    fn range(&self, start: &[u8], end: &[u8], reverse: bool) -> Result<usize> {
        count_lens(self.db.range(start..end).map(value_len), reverse)
    }
    fn compact(&self) -> Result<bool> {
        Ok(false)
    }
    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
    fn len(&self) -> Result<usize> {
        Ok(self.db.len())
    }
}

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("bench");

struct Redb {
    db: std::sync::RwLock<redb::Database>,
    durability: redb::Durability,
}

impl Redb {
    fn open(dir: &Path, durable: bool) -> Result<Self> {
        let db = redb::Database::create(dir.join("redb.db")).context("open redb")?;
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(Redb {
            db: std::sync::RwLock::new(db),
            durability: if durable {
                redb::Durability::Immediate
            } else {
                redb::Durability::None
            },
        })
    }

    fn write(&self, f: impl FnOnce(&mut redb::Table<&[u8], &[u8]>) -> Result<()>) -> Result<()> {
        let db = self
            .db
            .read()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        let mut txn = db.begin_write()?;
        txn.set_durability(self.durability)?;
        {
            let mut table = txn.open_table(TABLE)?;
            f(&mut table)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn read<R>(
        &self,
        f: impl FnOnce(&redb::ReadOnlyTable<&[u8], &[u8]>) -> Result<R>,
    ) -> Result<R> {
        use redb::ReadableDatabase;
        let db = self
            .db
            .read()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        let txn = db.begin_read()?;
        f(&txn.open_table(TABLE)?)
    }
}

impl Store for Redb {
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(|table| {
            table.insert(key, value)?;
            Ok(())
        })
    }
    fn set_batch(&self, items: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        self.write(|table| {
            for (k, v) in items {
                table.insert(k.as_slice(), v.as_slice())?;
            }
            Ok(())
        })
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.read(|table| Ok(table.get(key)?.map(|v| v.value().to_vec())))
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<usize> {
        self.read(|table| {
            let mut n = 0;
            for entry in table.range(prefix..)? {
                let (k, v) = entry?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                std::hint::black_box(v.value());
                n += 1;
            }
            Ok(n)
        })
    }
    fn range(&self, start: &[u8], end: &[u8], reverse: bool) -> Result<usize> {
        self.read(|table| {
            let entries = table.range(start..end)?;
            count_lens(entries.map(|e| e.map(|(_, v)| v.value().len())), reverse)
        })
    }
    fn compact(&self) -> Result<bool> {
        // `compact` needs the database to itself: no transaction may run
        // meanwhile, so writes wait for it.
        let mut db = self
            .db
            .write()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        // Make the non-durable commits durable first; compaction needs it.
        commit_durably(&db)?;
        while db.compact()? {}
        Ok(true)
    }
    fn flush(&self) -> Result<()> {
        let db = self
            .db
            .read()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        commit_durably(&db)
    }
    fn len(&self) -> Result<usize> {
        use redb::{ReadableDatabase, ReadableTableMetadata};
        let db = self
            .db
            .read()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        let txn = db.begin_read()?;
        Ok(txn.open_table(TABLE)?.len()? as usize)
    }
}

/// An empty write transaction committed with `Immediate` durability, which
/// makes every earlier non-durable commit durable too.
fn commit_durably(db: &redb::Database) -> Result<()> {
    let mut txn = db.begin_write()?;
    txn.set_durability(redb::Durability::Immediate)?;
    txn.commit()?;
    Ok(())
}

struct Fjall {
    keyspace: fjall::Keyspace,
    partition: fjall::PartitionHandle,
    durable: bool,
}

impl Fjall {
    fn open(dir: &Path, durable: bool) -> Result<Self> {
        let keyspace = fjall::Config::new(dir).open().context("open fjall")?;
        let partition =
            keyspace.open_partition("bench", fjall::PartitionCreateOptions::default())?;
        Ok(Fjall {
            keyspace,
            partition,
            durable,
        })
    }

    fn persist_if_durable(&self) -> Result<()> {
        if self.durable {
            self.keyspace.persist(fjall::PersistMode::SyncAll)?;
        }
        Ok(())
    }
}

impl Store for Fjall {
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.partition.insert(key, value)?;
        self.persist_if_durable()
    }
    fn set_batch(&self, items: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let mut batch = self.keyspace.batch();
        for (k, v) in items {
            batch.insert(&self.partition, k.as_slice(), v.as_slice());
        }
        batch.commit()?;
        self.persist_if_durable()
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.partition.get(key)?.map(|v| v.to_vec()))
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<usize> {
        count_values(self.partition.prefix(prefix))
    }
    fn range(&self, start: &[u8], end: &[u8], reverse: bool) -> Result<usize> {
        count_lens(self.partition.range(start..end).map(value_len), reverse)
    }
    fn compact(&self) -> Result<bool> {
        self.partition.major_compact()?;
        Ok(true)
    }
    fn flush(&self) -> Result<()> {
        self.keyspace.persist(fjall::PersistMode::SyncAll)?;
        Ok(())
    }
    fn len(&self) -> Result<usize> {
        Ok(self.partition.len()?)
    }
}
