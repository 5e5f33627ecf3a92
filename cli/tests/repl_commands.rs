//! Every command typed into the REPL (stdin piped, so no prompt): the same
//! grammar and replies as the one-shot commands, failures included, and the
//! session goes on after each.

mod common;

use common::Store;

#[test]
fn set_get_and_quoting() {
    let store = Store::new();
    let out = store.session(
        "set greeting \"hello world\"\nget greeting\nset 'a key' 'it''s'\nget 'a key'\nset k \"\"\nget k\n",
    );
    assert_eq!(out, "OK\nhello world\nOK\nits\nOK\n\n");
}

#[test]
fn get_and_delete_of_a_missing_key_say_so_and_go_on() {
    let store = Store::new();
    let out = store.session("get nope\ndelete nope\nset a 1\ndel a\nrm a\nget a\n");
    assert_eq!(
        out,
        "Key not found\nKey not found\nOK\nDeleted\nKey not found\nKey not found\n"
    );
}

#[test]
fn list_with_options() {
    let store = Store::new();
    let out = store.session(
        "set user:2 b\nset user:1 a\nset other x\nset 'two words' y\nlist\nlist --prefix user: --limit 1\nlist -p nothing\n",
    );
    let lines: Vec<&str> = out.lines().skip(4).collect();
    assert_eq!(
        lines,
        [
            "Keys (4): other, \"two words\", user:1, user:2",
            "Keys (1 of 2): user:1",
            "Keys (0)"
        ]
    );
}

#[test]
fn compact_stats_inspect_verify() {
    let store = Store::new();
    let out = store.session("set a 1\nset a 2\ncompact\nstats\ninspect\nverify\nget a\n");
    assert!(out.contains("Compaction finished\n"), "{out}");
    assert!(out.contains("\nkeys         1\n"), "{out}");
    assert!(out.contains("\nlegend: L live"), "{out}");
    assert!(out.contains("\nVerified "), "{out}");
    assert!(out.contains(": no corruption\n"), "{out}");
    assert!(out.ends_with("\n2\n"), "{out}");
}

#[test]
fn inspect_one_segment_and_a_missing_one() {
    let store = Store::new();
    let out = store.session("set a 1\ninspect --segment 1 --verbose\ninspect --segment 7\n");
    assert!(out.contains("Segment 1: "), "{out}");
    assert!(out.contains("key a  value \"1\""), "{out}");
    assert!(
        out.ends_with("error: there is no segment 7; 'inspect' lists them\n"),
        "{out}"
    );
}

#[test]
fn load_in_the_repl() {
    let store = Store::new();
    let file = store.root().join("pairs.tsv");
    std::fs::write(&file, "a\t1\nbroken\nb\t2\n").unwrap();
    let out = store.session(&format!("load '{}'\nlist\n", file.display()));
    assert_eq!(
        out,
        format!(
            "Loaded 2 lines from {}\n1 bad line not loaded:\n  line 2: no tab between key and value\nKeys (2): a, b\n",
            file.display()
        )
    );
}

#[test]
fn help_lists_commands_and_describes_one() {
    let store = Store::new();
    let out = store.session("help\nhelp list\nlist --help\nhelp nope\n");
    assert!(out.starts_with("Commands:\n  set <KEY> <VALUE>"), "{out}");
    assert!(out.contains("list [--prefix P] [--limit N]"), "{out}");
    assert_eq!(out.matches("Usage: list [OPTIONS]").count(), 2, "{out}");
    assert!(
        out.ends_with("error: unknown command 'nope'; type 'help'\n"),
        "{out}"
    );
}

#[test]
fn wrong_arguments_get_one_line_with_the_usage() {
    let store = Store::new();
    let out = store.session("set onlykey\nget a b\nset x 1\n");
    assert_eq!(
        out,
        "error: the following required arguments were not provided: <VALUE> (usage: set <KEY> <VALUE> [--if-version N] [--if-absent] [--ttl DURATION])\n\
         error: unexpected argument 'b' found (usage: get <KEY>)\n\
         OK\n"
    );
}

#[test]
fn quit_and_exit_end_the_session_early() {
    for word in ["quit", "exit"] {
        let store = Store::new();
        let out = store.session(&format!("set a 1\n{word}\nset b 2\n"));
        assert_eq!(out, "OK\n");
        assert_eq!(store.ok(&["list"]), "Keys (1): a\n");
    }
}

#[test]
fn comments_and_blank_lines_print_nothing() {
    let store = Store::new();
    let out = store.session("# a script\n\n   \nset a 1 # trailing note\nget a\n");
    assert_eq!(out, "OK\n1\n");
}

#[test]
fn crlf_scripts_work() {
    let store = Store::new();
    let out = store.session("set a 1\r\nget a\r\n");
    assert_eq!(out, "OK\n1\n");
}

#[test]
fn replies_are_plain_text_when_piped() {
    let store = Store::new();
    let out = store
        .session("set a 1\nset a 2\nset b 3\ndel b\ninspect -v\nstats\nverify\nget nope\nfoo\n");
    assert!(
        !out.contains('\u{1b}'),
        "colour codes in piped output:\n{out}"
    );
}
