//! `kvstore export | head`: when the reader of stdout goes away, the export
//! stops quietly with status 0 — no panic, no error, no summary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Store;
use mini_kvstore::{KvStore, WriteBatch};

#[test]
fn a_closed_pipe_ends_the_export_quietly() {
    let store = Store::new();
    {
        // Megabytes of dump: far more than a pipe holds, so the export is
        // still writing when the reader leaves.
        let kv = KvStore::open(store.data_dir()).unwrap();
        let mut batch = WriteBatch::new();
        for i in 0..20_000 {
            batch.set(format!("key:{i:06}"), "v".repeat(200));
        }
        kv.apply(batch).unwrap();
    }

    let mut command = Command::new(assert_cmd::cargo::cargo_bin("kvstore"));
    for var in common::env::KVSTORE_ENV {
        command.env_remove(var);
    }
    let mut child = command
        .arg("--data-dir")
        .arg(store.data_dir())
        .arg("export")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"key\":\"key:000000\""), "{first}");
    drop(stdout); // like `head -1` exiting

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert_eq!(stderr, "");
}
