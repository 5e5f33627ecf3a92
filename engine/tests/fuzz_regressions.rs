//! Replays every input under `engine/fuzz/regressions/` through the same
//! checks the fuzz targets run (`mini_kvstore::fuzzing`), on the stable
//! toolchain: hand-made seeds (valid, torn, flipped, foreign) and any input
//! that ever made a fuzzer fail. A failing input names its file.

use std::fs;
use std::panic;
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    inputs
}

fn replay(target: &str, check: fn(&[u8])) {
    let mut failed = Vec::new();
    let inputs = corpus(target);
    for (path, bytes) in &inputs {
        if panic::catch_unwind(|| check(bytes)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target} fails on: {failed:?}");
    println!("{target}: {} regression inputs pass", inputs.len());
}

#[test]
fn decode_record_regressions() {
    replay("decode_record", mini_kvstore::fuzzing::decode_record);
}

#[test]
fn decode_hint_regressions() {
    replay("decode_hint", mini_kvstore::fuzzing::decode_hint);
}

#[test]
fn open_directory_regressions() {
    replay("open_directory", mini_kvstore::fuzzing::open_directory);
}
