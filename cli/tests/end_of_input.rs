//! End of input ends the REPL with status 0: piping a script into `kvstore`
//! must terminate, whatever the script's last line looks like.

mod common;

use common::Store;

#[test]
fn empty_input_exits_at_once() {
    let store = Store::new();
    assert_eq!(store.session(""), "");
}

#[test]
fn a_last_line_without_newline_still_runs() {
    let store = Store::new();
    assert_eq!(store.session("set a 1\nget a"), "OK\n1\n");
}

#[test]
fn a_script_that_ends_in_errors_still_exits_0() {
    let store = Store::new();
    let out = store.session("get missing\nfoo\nset unbalanced \"quote\n");
    assert_eq!(
        out,
        "Key not found\nerror: unknown command 'foo'; type 'help'\nerror: unbalanced quotes; close every \" and ' that you open\n"
    );
}

#[test]
fn no_stdin_at_all_is_end_of_input() {
    let store = Store::new();
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("kvstore"))
        .arg("--data-dir")
        .arg(store.data_dir())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
}

#[test]
fn invalid_utf8_lines_are_reported_and_skipped() {
    let store = Store::new();
    let mut cmd = store.cmd(&[]);
    cmd.write_stdin(b"set a 1\nset b \xff\nget a\n".to_vec());
    cmd.assert()
        .success()
        .stdout("OK\nerror: line 2 is not valid UTF-8; skipped\n1\n");
}
