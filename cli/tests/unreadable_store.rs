//! A data directory the engine refuses (a foreign file named like a
//! segment): one clear line and status 1, never a panic.

mod common;

use common::Store;

#[test]
fn a_foreign_segment_gives_one_line() {
    let store = Store::new();
    std::fs::create_dir_all(store.data_dir()).unwrap();
    std::fs::write(store.segment(1), b"this is not a segment file at all").unwrap();
    for output in [
        store
            .cmd(&["list"])
            .assert()
            .code(1)
            .stdout("")
            .get_output()
            .clone(),
        store
            .repl("list\n")
            .assert()
            .code(1)
            .stdout("")
            .get_output()
            .clone(),
    ] {
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("kvstore: cannot open the store in "),
            "{stderr}"
        );
        assert!(
            stderr.contains("segment 1 is not a mini-kvstore segment"),
            "{stderr}"
        );
    }
}
