//! `export` then `import` into another store gives back every key and
//! value byte for byte — text and binary keys, values that are not UTF-8,
//! empty, or full of newlines and quotes — and every expiry as the same
//! absolute time, however long the dump waited in between. Through a file
//! and through stdin.

mod common;

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::Store;
use mini_kvstore::KvStore;
use serde_json::Value;

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The keys and values the round trip must keep.
fn samples() -> Pairs {
    [
        (&b"greeting"[..], &b"hello world"[..]),
        (b"empty", b""),
        (b"note", b"two\nlines, \"quoted\", a \\ and a\ttab\r\n"),
        (b"invalid-utf8", b"\xc3\x28 and \xff"),
        (b"nul", b"\x00\x01\x02"),
        (
            "unicode \u{2713}".as_bytes(),
            "h\u{e9}llo \u{1f600}".as_bytes(),
        ),
        (b"\xff\x00binary key", b"binary key, text value"),
        (b"\x80\x81", b"\xfe\xfd"),
        (b"{\"json\": \"key\"}", b"{\"json\": \"value\"}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_vec(), v.to_vec()))
    .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_millis() as u64
}

fn all_pairs(store: &KvStore) -> Pairs {
    store
        .iter()
        .collect::<mini_kvstore::Result<_>>()
        .expect("the store reads back")
}

/// When `key` expires, in Unix milliseconds, as well as `ttl` can say.
fn expires_at(store: &KvStore, key: &[u8]) -> u64 {
    let left = store.ttl(key).expect("the key has an expiry");
    now_ms() + left.as_millis() as u64
}

/// A store in `dir` holding the samples, `session` expiring in an hour and
/// `gone` already expired. Returns when `session` expires.
fn fill(dir: &Path) -> u64 {
    let store = KvStore::open(dir).expect("open the source store");
    for (key, value) in samples() {
        store.set(&key, &value).expect("set a sample");
    }
    store
        .set_with_ttl("session", b"token", Duration::from_secs(3600))
        .expect("set session");
    store
        .set_with_ttl("gone", b"soon", Duration::from_millis(1))
        .expect("set gone");
    sleep(Duration::from_millis(20));
    expires_at(&store, b"session")
}

fn expected_pairs() -> Pairs {
    let mut pairs = samples();
    pairs.push((b"session".to_vec(), b"token".to_vec()));
    pairs.sort();
    pairs
}

#[test]
fn a_dump_file_round_trips_bytes_and_expiries() {
    let source = Store::new();
    let session_expires = fill(&source.data_dir());
    let dump = source.root().join("dump.jsonl");
    source
        .cmd(&["export", "--output", dump.to_str().unwrap()])
        .assert()
        .success()
        .stdout("")
        .stderr("exported 10 keys\n");

    // The dump: one object per live key, in key order, text as text and
    // other bytes as base64; the expired key is not in it.
    let text = std::fs::read_to_string(&dump).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 10, "{text}");
    let field = |i: usize, name: &str| lines[i].get(name).cloned();
    assert_eq!(
        lines[0],
        serde_json::json!({"key": "empty", "value": ""}),
        "{text}"
    );
    let session = lines
        .iter()
        .find(|line| line["key"] == "session")
        .expect("session is exported");
    let exported_at = session["expires_at_ms"].as_u64().unwrap();
    assert!(exported_at.abs_diff(session_expires) < 1000, "{text}");
    let binary = lines.len() - 2; // b"\x80\x81" and b"\xff…" sort last
    assert_eq!(field(binary, "key"), None, "{text}");
    assert_eq!(field(binary, "key_b64"), Some("gIE=".into()), "{text}");
    assert_eq!(field(binary, "value_b64"), Some("/v0=".into()), "{text}");
    assert!(!text.contains("\"gone\""), "{text}");

    // Time passes before the import: the expiry must not move with it.
    sleep(Duration::from_millis(1500));
    let target = Store::new();
    target
        .cmd(&["import", dump.to_str().unwrap()])
        .assert()
        .success()
        .stdout("imported 10 keys (0 expired skipped)\n")
        .stderr("");

    let store = KvStore::open(target.data_dir()).unwrap();
    assert_eq!(all_pairs(&store), expected_pairs());
    let imported_at = expires_at(&store, b"session");
    assert!(
        imported_at.abs_diff(session_expires) < 1000,
        "expiry moved from {session_expires} to {imported_at}"
    );
    for (key, _) in samples() {
        assert_eq!(store.ttl(&key), None, "{key:?} gained an expiry");
    }
}

#[test]
fn stdin_round_trips_too_and_keys_outside_the_dump_stay() {
    let source = Store::new();
    fill(&source.data_dir());
    let dump = source
        .cmd(&["export"])
        .assert()
        .success()
        .stderr("exported 10 keys\n")
        .get_output()
        .stdout
        .clone();

    let target = Store::new();
    {
        let store = KvStore::open(target.data_dir()).unwrap();
        store.set("greeting", b"overwritten by the dump").unwrap();
        store.set("zzz-only-here", b"kept").unwrap();
    }
    target
        .cmd(&["import", "-"])
        .write_stdin(dump)
        .assert()
        .success()
        .stdout("imported 10 keys (0 expired skipped)\n");

    let store = KvStore::open(target.data_dir()).unwrap();
    let mut expected = expected_pairs();
    expected.push((b"zzz-only-here".to_vec(), b"kept".to_vec()));
    expected.sort();
    assert_eq!(all_pairs(&store), expected);
}

#[test]
fn records_past_their_expiry_are_skipped_and_counted() {
    let store = Store::new();
    let in_an_hour = now_ms() + 3_600_000;
    let dump = format!(
        "{{\"key\":\"past\",\"value\":\"x\",\"expires_at_ms\":1}}\n\
         \n\
         {{\"key\":\"future\",\"value\":\"y\",\"expires_at_ms\":{in_an_hour}}}\r\n\
         {{\"key_b64\":\"/w==\",\"value_b64\":\"\",\"expires_at_ms\":0}}\n\
         {{\"value\":\"z\",\"key\":\"plain\"}}"
    );
    store
        .cmd(&["import", "-"])
        .write_stdin(dump)
        .assert()
        .success()
        .stdout("imported 2 keys (2 expired skipped)\n");
    assert_eq!(store.ok(&["list"]), "Keys (2): future, plain\n");
    assert_eq!(store.ok(&["ttl", "future"]), "1.0 h\n");
}

#[test]
fn many_keys_go_in_several_batches() {
    let store = Store::new();
    let mut dump = String::new();
    for i in 0..2500 {
        dump.push_str(&format!("{{\"key\":\"k{i:05}\",\"value\":\"v{i}\"}}\n"));
    }
    store
        .cmd(&["import", "-"])
        .write_stdin(dump.clone())
        .assert()
        .success()
        .stdout("imported 2500 keys (0 expired skipped)\n");
    let exported = store
        .cmd(&["export"])
        .assert()
        .success()
        .stderr("exported 2500 keys\n")
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(exported).unwrap(), dump);
}
