//! Proves that one directory is opened by one store at a time: a second open
//! while the first (or any clone of it) is alive fails with `Error::Locked`
//! naming the directory, leaves the first store working, and succeeds once
//! the last handle is dropped.

use anyhow::Result;
use mini_kvstore::{Error, FileStorage, KvStore, Options};

fn expect_locked(result: Result<KvStore, Error>, dir: &std::path::Path) {
    match result {
        Err(Error::Locked { path, .. }) => {
            let dir_name = dir.file_name().expect("tempdir has a name");
            assert!(
                path.iter().any(|part| part == dir_name),
                "Locked should name the directory {}, got {}",
                dir.display(),
                path.display()
            );
        }
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second store opened a locked directory"),
    }
}

#[test]
fn second_open_is_refused_until_first_is_dropped() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let first = KvStore::open(dir.path())?;
    first.set("k", "v")?;

    expect_locked(KvStore::open(dir.path()), dir.path());
    expect_locked(
        KvStore::open_with_options(dir.path(), Options::default()),
        dir.path(),
    );

    // The refused open did not disturb the first store.
    first.set("k2", "v2")?;
    assert_eq!(first.get("k")?, Some(b"v".to_vec()));

    drop(first);
    let second = KvStore::open(dir.path())?;
    assert_eq!(second.get("k2")?, Some(b"v2".to_vec()));
    Ok(())
}

#[test]
fn a_clone_keeps_the_directory_locked() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let first = KvStore::open(dir.path())?;
    let clone = first.clone();
    drop(first);
    expect_locked(KvStore::open(dir.path()), dir.path());
    clone.set("still", "open")?;
    drop(clone);
    let again = KvStore::open(dir.path())?;
    assert_eq!(again.get("still")?, Some(b"open".to_vec()));
    Ok(())
}

#[test]
fn file_storage_open_with_respects_the_lock() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let first = KvStore::open(dir.path())?;
    let second = FileStorage::open(dir.path())
        .and_then(|storage| KvStore::open_with(storage, Options::default()));
    expect_locked(second, dir.path());
    drop(first);
    let storage = FileStorage::open(dir.path())?;
    KvStore::open_with(storage, Options::default())?;
    Ok(())
}

#[test]
fn reopening_many_times_in_a_row_works() -> Result<()> {
    let dir = tempfile::tempdir()?;
    for i in 0..20u32 {
        let store = KvStore::open(dir.path())?;
        store.set(i.to_le_bytes(), b"x")?;
        assert_eq!(store.len(), i as usize + 1);
    }
    Ok(())
}
