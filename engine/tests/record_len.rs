//! `KvStore::record_len`: how much a `get` will read, from the index
//! alone — the record's whole length while the key has a value, `None`
//! once it is deleted or expired.

use std::sync::Arc;
use std::time::Duration;

use mini_kvstore::{KvStore, ManualClock, MemStorage, Options, format};

#[test]
fn record_len_follows_the_key_s_current_record() -> Result<(), mini_kvstore::Error> {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let store = KvStore::open_with(
        MemStorage::new(),
        Options::default().clock(Arc::clone(&clock)),
    )?;
    assert_eq!(store.record_len("k"), None);
    store.set("k", vec![b'v'; 100])?;
    let plain = format::record_len(1, 100) as u32;
    assert_eq!(store.record_len("k"), Some(plain));
    store.set("k", vec![b'v'; 10])?;
    assert_eq!(
        store.record_len("k"),
        Some(format::record_len(1, 10) as u32)
    );
    store.set_with_ttl("k", vec![b'v'; 10], Duration::from_secs(5))?;
    assert_eq!(
        store.record_len("k"),
        Some((format::record_len(1, 10) + format::EXPIRY_LEN) as u32),
        "an expiring record carries its expiry too"
    );
    clock.advance(6_000);
    assert_eq!(store.record_len("k"), None, "expired");
    store.set("gone", "x")?;
    store.delete("gone")?;
    assert_eq!(store.record_len("gone"), None, "deleted");
    Ok(())
}
