//! Proves that large values round trip byte for byte: several 1 MiB values
//! (with a position-dependent pattern, so a shifted or truncated read shows),
//! through reopen and compaction, including values larger than the segment
//! size limit.

use anyhow::Result;
use mini_kvstore::{CompactionPolicy, KvStore, Options, SyncPolicy};

const MIB: usize = 1 << 20;

/// A value whose every byte depends on its position and on `seed`.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

#[test]
fn one_mib_values_round_trip() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        for seed in 0..4u8 {
            store.set(format!("big-{seed}"), pattern(MIB, seed))?;
        }
        store.set("small", "between the giants")?;
        for seed in 0..4u8 {
            let got = store.get(format!("big-{seed}"))?.unwrap_or_default();
            assert_eq!(got.len(), MIB);
            assert!(
                got == pattern(MIB, seed),
                "big-{seed} differs before reopen"
            );
        }
    }
    let store = KvStore::open(dir.path())?;
    for seed in 0..4u8 {
        let got = store.get(format!("big-{seed}"))?.unwrap_or_default();
        assert_eq!(got.len(), MIB, "big-{seed} length after reopen");
        assert!(got == pattern(MIB, seed), "big-{seed} differs after reopen");
    }
    assert_eq!(store.get("small")?, Some(b"between the giants".to_vec()));
    assert!(store.stats().total_bytes >= 4 * MIB as u64);
    Ok(())
}

#[test]
fn values_larger_than_a_segment_round_trip() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || {
        // The test compacts by hand; no background merge beats it to it.
        Options::default()
            .max_segment_size(64 * 1024)
            .sync_policy(SyncPolicy::Never)
            .compaction_policy(CompactionPolicy::default().background(false))
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        store.set("before", "b")?;
        store.set("big", pattern(MIB, 7))?;
        store.set("after", "a")?;
        // Overwrite it so compaction has a large dead record to drop.
        store.set("big", pattern(MIB + 3, 9))?;
        store.sync()?;
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert!(
        store.get("big")? == Some(pattern(MIB + 3, 9)),
        "big after reopen"
    );
    let before = store.stats().total_bytes;
    store.compact()?;
    assert!(
        store.stats().total_bytes < before - MIB as u64 / 2,
        "the dead 1 MiB was reclaimed"
    );
    assert!(
        store.get("big")? == Some(pattern(MIB + 3, 9)),
        "big after compaction"
    );
    drop(store);
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert!(
        store.get("big")? == Some(pattern(MIB + 3, 9)),
        "big after compaction + reopen"
    );
    assert_eq!(store.get("before")?, Some(b"b".to_vec()));
    assert_eq!(store.get("after")?, Some(b"a".to_vec()));
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn scans_return_large_values_whole() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("a", pattern(MIB, 1))?;
    store.set("b", pattern(MIB / 2 + 1, 2))?;
    let all = store.iter().collect::<Result<Vec<_>, _>>()?;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0, b"a".to_vec());
    assert!(all[0].1 == pattern(MIB, 1));
    assert_eq!(all[1].0, b"b".to_vec());
    assert!(all[1].1 == pattern(MIB / 2 + 1, 2));
    Ok(())
}

/// Values around the size where a get reads the value straight into the
/// buffer it returns, with and without an expiry (whose 8 bytes come
/// between key and value), read back exactly.
#[test]
fn values_either_side_of_the_direct_read_round_trip() -> Result<()> {
    let store = KvStore::open_with(mini_kvstore::MemStorage::new(), Options::default())?;
    let sizes = [
        0,
        1,
        7,
        8,
        9,
        16 * 1024 - 1,
        16 * 1024,
        16 * 1024 + 9,
        100_000,
    ];
    for (i, &len) in sizes.iter().enumerate() {
        store.set(format!("plain-{len}"), pattern(len, i as u8))?;
        store.set_with_ttl(
            format!("expiring-{len}"),
            pattern(len, !(i as u8)),
            std::time::Duration::from_secs(3600),
        )?;
    }
    for (i, &len) in sizes.iter().enumerate() {
        assert!(
            store.get(format!("plain-{len}"))? == Some(pattern(len, i as u8)),
            "plain {len}"
        );
        let expiring = store.get_versioned(format!("expiring-{len}"))?;
        assert!(
            expiring.map(|v| v.value) == Some(pattern(len, !(i as u8))),
            "expiring {len}"
        );
    }
    Ok(())
}

/// One flipped bit anywhere in a large record — its header, its key, its
/// expiry or deep in its value — is a corruption error, never a wrong value.
#[test]
fn a_flipped_bit_in_a_large_value_is_caught() -> Result<()> {
    let storage = mini_kvstore::storage::FaultyStorage::new(mini_kvstore::MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), Options::default())?;
    let value = pattern(64 * 1024, 3);
    store.set("big", &value)?;
    store.set_with_ttl("big-expiring", &value, std::time::Duration::from_secs(3600))?;
    let layout = store.layout()?;
    for key in ["big", "big-expiring"] {
        let record = layout
            .segments
            .iter()
            .flat_map(|segment| segment.records.iter().map(move |r| (segment.id, r)))
            .find(|(_, r)| r.key == key.as_bytes())
            .map(|(id, r)| (id, r.offset, r.len))
            .ok_or_else(|| anyhow::anyhow!("no record for {key}"))?;
        let (segment, offset, len) = record;
        for at in [2, 5, 21, 22 + key.len() as u64, 40, len / 2, len - 1] {
            storage.flip_bit(segment, offset + at, 1)?;
            let read = store.get(key);
            assert!(
                matches!(read, Err(mini_kvstore::Error::Corruption { .. })),
                "{key}: a bit flipped {at} bytes in read as {:?}",
                read.map(|v| v.map(|v| v.len()))
            );
            storage.flip_bit(segment, offset + at, 1)?;
        }
        assert!(
            store.get(key)? == Some(value.clone()),
            "{key} after the bits went back"
        );
    }
    Ok(())
}
