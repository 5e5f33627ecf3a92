//! Unit tests of `execute`, beside it so that the module itself reads as
//! one concern.

use super::*;
use crate::parse_line;
use mini_kvstore::{MemStorage, Options};

struct Files {
    content: Vec<u8>,
    events: Vec<String>,
}

impl Host for Files {
    fn read_file(&mut self, _path: &str) -> io::Result<Vec<u8>> {
        Ok(self.content.clone())
    }
    fn task_started(&mut self, task: Task, total: Option<u64>) {
        self.events.push(format!("start {task:?} {total:?}"));
    }
    fn task_advanced(&mut self, steps: u64) {
        self.events.push(format!("+{steps}"));
    }
    fn task_finished(&mut self) {
        self.events.push("end".into());
    }
}

fn store() -> KvStore {
    KvStore::open_with(MemStorage::new(), Options::default()).unwrap()
}

fn run(store: &KvStore, line: &str) -> Result<Reply, ExecError> {
    execute(store, &parse_line(line).unwrap().unwrap(), &mut Sandbox)
}

#[test]
fn set_get_delete() {
    let store = store();
    assert_eq!(run(&store, "set a 1").unwrap(), Reply::Ok);
    assert_eq!(run(&store, "get a").unwrap(), Reply::Value(b"1".to_vec()));
    assert_eq!(run(&store, "del a").unwrap(), Reply::Deleted);
    assert_eq!(run(&store, "get a").unwrap(), Reply::NotFound("a".into()));
    assert_eq!(run(&store, "rm a").unwrap(), Reply::NotFound("a".into()));
}

#[test]
fn conditional_sets_and_deletes_write_only_when_the_key_is_as_expected() {
    let store = store();
    let Reply::Stored { version } = run(&store, "set k a --if-absent").unwrap() else {
        panic!("not stored");
    };
    let conflict = |expected, current| Reply::Conflict {
        key: "k".into(),
        expected,
        current,
    };
    assert_eq!(
        run(&store, "set k b --if-absent").unwrap(),
        conflict(Expect::Absent, Some(version))
    );
    let stale = version + 10;
    assert_eq!(
        run(&store, &format!("set k b --if-version {stale}")).unwrap(),
        conflict(Expect::Version(stale), Some(version))
    );
    assert_eq!(store.get("k").unwrap(), Some(b"a".to_vec()));
    let Reply::Stored { version: second } =
        run(&store, &format!("set k b --if-version {version}")).unwrap()
    else {
        panic!("not stored");
    };
    assert!(second > version);
    assert_eq!(
        run(&store, &format!("del k --if-version {version}")).unwrap(),
        conflict(Expect::Version(version), Some(second))
    );
    assert_eq!(
        run(&store, &format!("del k --if-version {second}")).unwrap(),
        Reply::Deleted
    );
    assert_eq!(
        run(&store, &format!("del k --if-version {second}")).unwrap(),
        conflict(Expect::Version(second), None)
    );
    // An unconditional set still answers a plain OK.
    assert_eq!(run(&store, "set k c").unwrap(), Reply::Ok);
}

#[test]
fn expiry_follows_the_store_clock() {
    use mini_kvstore::ManualClock;
    use std::sync::Arc;
    use std::time::Duration;

    let clock = Arc::new(ManualClock::new(1_000_000));
    let store =
        KvStore::open_with(MemStorage::new(), Options::default().clock(clock.clone())).unwrap();
    assert_eq!(run(&store, "set k v --ttl 30s").unwrap(), Reply::Ok);
    assert_eq!(
        run(&store, "ttl k").unwrap(),
        Reply::Ttl(Some(Duration::from_secs(30)))
    );
    clock.advance(500);
    assert_eq!(
        run(&store, "ttl k").unwrap().to_text().to_string(),
        "29.5 s"
    );
    assert_eq!(run(&store, "expire k 1m").unwrap(), Reply::Ok);
    assert_eq!(
        run(&store, "ttl k").unwrap(),
        Reply::Ttl(Some(Duration::from_secs(60)))
    );
    assert_eq!(run(&store, "persist k").unwrap(), Reply::Ok);
    assert_eq!(run(&store, "ttl k").unwrap(), Reply::Ttl(None));
    assert_eq!(run(&store, "persist k").unwrap(), Reply::NoExpiry);
    clock.advance(3_600_000);
    assert_eq!(run(&store, "get k").unwrap(), Reply::Value(b"v".to_vec()));

    assert_eq!(run(&store, "expire k 1s").unwrap(), Reply::Ok);
    clock.advance(1_000);
    let gone = Reply::NotFound("k".into());
    for line in ["get k", "ttl k", "persist k", "expire k 1d"] {
        assert_eq!(run(&store, line).unwrap(), gone, "{line}");
    }
    assert_eq!(
        run(&store, "list").unwrap().to_text().to_string(),
        "Keys (0)"
    );

    // A set without --ttl stores a value that does not expire.
    run(&store, "set k v --ttl 1s").unwrap();
    run(&store, "set k w").unwrap();
    assert_eq!(run(&store, "ttl k").unwrap(), Reply::Ttl(None));
}

#[test]
fn a_ttl_with_a_condition_is_refused_unwritten() {
    let store = store();
    let command = Command::Set {
        key: "k".into(),
        value: "v".into(),
        condition: crate::SetCondition {
            if_version: None,
            if_absent: true,
        },
        ttl: Some(std::time::Duration::from_secs(5)),
    };
    let error = execute(&store, &command, &mut Sandbox).unwrap_err();
    assert!(matches!(error, ExecError::ConditionalTtl), "{error}");
    assert_eq!(store.get("k").unwrap(), None);
}

fn scanned(store: &KvStore, line: &str) -> PairList {
    match run(store, line) {
        Ok(Reply::Pairs(list)) => list,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn keys_of(list: &PairList) -> Vec<&str> {
    list.entries
        .iter()
        .map(|(k, _)| std::str::from_utf8(k).unwrap())
        .collect()
}

#[test]
fn scan_walks_a_half_open_range_either_way() {
    let store = store();
    for key in ["a", "b", "c", "d", "e"] {
        store.set(key, key.to_uppercase()).unwrap();
    }
    let all = scanned(&store, "scan");
    assert_eq!(keys_of(&all), ["a", "b", "c", "d", "e"]);
    assert_eq!(all.entries[0].1.as_deref(), Some(&b"A"[..]));
    assert!(!all.more);
    assert_eq!(keys_of(&scanned(&store, "scan b d")), ["b", "c"]);
    assert_eq!(keys_of(&scanned(&store, "scan b d --rev")), ["c", "b"]);
    assert_eq!(keys_of(&scanned(&store, "scan '' c")), ["a", "b"]);
    assert_eq!(keys_of(&scanned(&store, "scan c")), ["c", "d", "e"]);
    assert_eq!(keys_of(&scanned(&store, "scan bb bb")), Vec::<&str>::new());
    let keys = scanned(&store, "scan --rev --keys-only --limit 2");
    assert_eq!(keys_of(&keys), ["e", "d"]);
    assert!(keys.entries.iter().all(|(_, v)| v.is_none()));
    assert!(keys.more);
    // A limit that the range meets exactly: nothing more follows.
    assert!(!scanned(&store, "scan a c --limit 2").more);
    assert!(matches!(
        run(&store, "scan d b"),
        Err(ExecError::BackwardRange { from, to }) if from == "d" && to == "b"
    ));
}

#[test]
fn list_filters_and_limits_but_counts_every_match() {
    let store = store();
    for key in ["user:2", "user:1", "other", "user:3"] {
        store.set(key, "x").unwrap();
    }
    let Reply::Keys(list) = run(&store, "list --prefix user: --limit 2").unwrap() else {
        panic!("not a key list");
    };
    assert_eq!(list.keys, vec![b"user:1".to_vec(), b"user:2".to_vec()]);
    assert_eq!(list.matched, 3);
}

#[test]
fn inspect_narrows_to_one_segment_or_says_it_is_missing() {
    let store = store();
    store.set("a", "1").unwrap();
    let Reply::Layout(view) = run(&store, "inspect --segment 1").unwrap() else {
        panic!("not a layout");
    };
    assert_eq!(view.layout.segments.len(), 1);
    assert!(matches!(
        run(&store, "inspect --segment 9"),
        Err(ExecError::NoSuchSegment(9))
    ));
}

#[test]
fn load_stores_good_lines_and_numbers_bad_ones() {
    let store = store();
    let mut host = Files {
        content: b"a\t1\r\nno tab here\n\nb\tx\ty\n\t5\nc\t\xff\n".to_vec(),
        events: Vec::new(),
    };
    let command = parse_line("load pairs.tsv").unwrap().unwrap();
    let Reply::Loaded(report) = execute(&store, &command, &mut host).unwrap() else {
        panic!("not a load report");
    };
    assert_eq!(report.loaded, 2);
    let bad: Vec<(u64, &str)> = report
        .bad_lines
        .iter()
        .map(|b| (b.line, b.reason.as_str()))
        .collect();
    assert_eq!(
        bad,
        vec![
            (2, "no tab between key and value"),
            (5, "empty key"),
            (6, "not valid UTF-8")
        ]
    );
    assert_eq!(store.get("a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.get("b").unwrap(), Some(b"x\ty".to_vec()));
    // One step per line, blank and bad lines included, between start and end.
    let mut expected = vec!["start Load Some(6)".to_owned()];
    expected.extend(std::iter::repeat_n("+1".to_owned(), 6));
    expected.push("end".to_owned());
    assert_eq!(host.events, expected);
}

#[test]
fn load_without_files_says_so() {
    let store = store();
    let error = run(&store, "load x.tsv").unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot read x.tsv: there are no files to read here (x.tsv)"
    );
    let ExecError::ReadFile { path, source } = error else {
        panic!("not a file error: {error}");
    };
    assert_eq!(path, "x.tsv");
    assert_eq!(source.kind(), io::ErrorKind::Unsupported);
}

#[test]
fn lines_split_like_a_text_file() {
    let lines = |b: &'static [u8]| split_lines(b).collect::<Vec<_>>();
    assert!(lines(b"").is_empty());
    assert_eq!(lines(b"a"), vec![b"a".as_slice()]);
    assert_eq!(lines(b"a\n"), vec![b"a".as_slice()]);
    assert_eq!(lines(b"a\r\n\nb"), vec![b"a".as_slice(), b"", b"b"]);
}

#[test]
fn help_and_quit_need_no_store() {
    let help = parse_line("help get").unwrap().unwrap();
    assert!(matches!(
        execute_without_store(&help),
        Some(Ok(Reply::Help(text))) if Some(&text) == help_text(Some("get")).as_ref()
    ));
    let quit = parse_line("exit").unwrap().unwrap();
    assert!(matches!(
        execute_without_store(&quit),
        Some(Ok(Reply::Quit))
    ));
    let unknown = parse_line("help frobnicate").unwrap().unwrap();
    assert!(matches!(
        execute_without_store(&unknown),
        Some(Err(ExecError::UnknownCommand(name))) if name == "frobnicate"
    ));
    assert!(execute_without_store(&parse_line("stats").unwrap().unwrap()).is_none());
}

#[test]
fn backup_copies_the_store_into_a_new_directory_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = store();
    for i in 0..50 {
        run(&store, &format!("set key{i} value{i}")).unwrap();
    }
    let dest = dir.path().join("copy");
    let line = format!("backup {}", dest.display());
    let mut host = Files {
        content: Vec::new(),
        events: Vec::new(),
    };
    let reply = execute(&store, &parse_line(&line).unwrap().unwrap(), &mut host).unwrap();
    let Reply::BackedUp { report, .. } = &reply else {
        panic!("{reply:?}");
    };
    assert_eq!(report.through_seq, store.stats().next_seq - 1);
    assert!(host.events.first().unwrap().starts_with("start Backup"));
    assert_eq!(host.events.last().unwrap(), "end");
    let advanced: u64 = host
        .events
        .iter()
        .filter_map(|e| e.strip_prefix('+'))
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert!(advanced > 0 && advanced <= store.stats().total_bytes);
    let copy = KvStore::open(&dest).unwrap();
    assert_eq!(copy.get("key49").unwrap(), Some(b"value49".to_vec()));
    // A second backup into the same place is refused, and harms nothing.
    let again = run(&store, &line).unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");
    assert_eq!(copy.len(), 50);
}
