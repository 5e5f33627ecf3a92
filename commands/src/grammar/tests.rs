//! Unit tests of `grammar`, beside it so that the module itself reads as
//! one concern.

use super::*;

fn parse(line: &str) -> Command {
    match parse_line(line) {
        Ok(Some(command)) => command,
        other => panic!("{line:?} parsed as {other:?}"),
    }
}

fn set(key: &str, value: &str) -> Command {
    set_if(key, value, None, false)
}

fn set_if(key: &str, value: &str, if_version: Option<u64>, if_absent: bool) -> Command {
    Command::Set {
        key: key.into(),
        value: value.into(),
        condition: SetCondition {
            if_version,
            if_absent,
        },
        ttl: None,
    }
}

#[test]
fn quoted_values_keep_their_spaces_and_lose_their_quotes() {
    assert_eq!(
        parse(r#"set greeting "hello world""#),
        set("greeting", "hello world")
    );
    assert_eq!(parse("set 'a key' 'it''s'"), set("a key", "its"));
    assert_eq!(parse(r#"set k "say \"hi\"""#), set("k", r#"say "hi""#));
    assert_eq!(parse("  set   a    1  "), set("a", "1"));
}

#[test]
fn values_may_start_with_a_dash() {
    assert_eq!(parse("set n -5"), set("n", "-5"));
    assert_eq!(parse("set n --verbose"), set("n", "--verbose"));
    assert_eq!(parse("set -- -k v"), set("-k", "v"));
}

#[test]
fn empty_values_are_values() {
    assert_eq!(parse(r#"set k """#), set("k", ""));
}

#[test]
fn blank_lines_and_comments_are_nothing() {
    assert_eq!(parse_line(""), Ok(None));
    assert_eq!(parse_line(" \t "), Ok(None));
    assert_eq!(parse_line("# a script may explain itself"), Ok(None));
    assert_eq!(parse("set a 1 # the first key"), set("a", "1"));
    assert_eq!(parse("set tag '#1'"), set("tag", "#1"));
    assert_eq!(parse("set a#1 b"), set("a#1", "b"));
}

#[test]
fn aliases_name_the_same_command() {
    for line in ["delete k", "del k", "rm k"] {
        assert_eq!(
            parse(line),
            Command::Delete {
                key: "k".into(),
                if_version: None
            }
        );
    }
    assert_eq!(parse("exit"), Command::Quit);
    assert_eq!(parse("quit"), Command::Quit);
}

#[test]
fn list_and_inspect_take_options() {
    assert_eq!(parse("list"), Command::List(ListArgs::default()));
    assert_eq!(
        parse("list --prefix user: --limit 2"),
        Command::List(ListArgs {
            prefix: Some("user:".into()),
            limit: Some(2),
        })
    );
    assert_eq!(
        parse("inspect -v --segment 3"),
        Command::Inspect(InspectArgs {
            segment: Some(3),
            verbose: true,
        })
    );
}

#[test]
fn set_and_delete_take_a_condition() {
    assert_eq!(
        parse("set k v --if-version 7"),
        set_if("k", "v", Some(7), false)
    );
    assert_eq!(parse("set --if-absent k v"), set_if("k", "v", None, true));
    assert_eq!(parse("set k -5 --if-absent"), set_if("k", "-5", None, true));
    assert!(parse("set k v --if-absent").writes());
    assert_eq!(
        parse("rm k --if-version 3"),
        Command::Delete {
            key: "k".into(),
            if_version: Some(3)
        }
    );
    let Command::Set { condition, .. } = parse("set k v --if-version 7") else {
        panic!("not a set");
    };
    assert_eq!(condition.expect(), Expect::Version(7));
    assert_eq!(SetCondition::default().expect(), Expect::Any);
}

#[test]
fn a_set_cannot_expect_a_version_and_no_value_at_once() {
    let error = parse_line("set k v --if-version 1 --if-absent").unwrap_err();
    let text = error.to_string();
    assert!(text.contains("cannot be used with"), "{text}");
    assert!(text.contains("(usage: set "), "{text}");
    assert!(matches!(
        parse_line("set k v --if-version soon"),
        Err(ParseError::Usage { .. })
    ));
}

#[test]
fn expiry_commands_take_a_duration() {
    let Command::Set { ttl, condition, .. } = parse("set k v --ttl 30s") else {
        panic!("not a set");
    };
    assert_eq!(ttl, Some(Duration::from_secs(30)));
    assert_eq!(condition.expect(), Expect::Any);
    assert!(matches!(
        parse("set --ttl 500ms k v"),
        Command::Set { ttl: Some(t), .. } if t == Duration::from_millis(500)
    ));
    assert_eq!(
        parse("expire k 90"),
        Command::Expire {
            key: "k".into(),
            duration: Duration::from_secs(90)
        }
    );
    assert_eq!(parse("ttl k"), Command::Ttl { key: "k".into() });
    assert_eq!(parse("persist k"), Command::Persist { key: "k".into() });
    assert!(parse("expire k 1d").writes());
    assert!(parse("persist k").writes());
    assert!(!parse("ttl k").writes());
    assert!(parse("ttl k").needs_store());
}

#[test]
fn a_bad_duration_is_a_usage_error_that_says_why() {
    for (line, says) in [
        ("set k v --ttl 0", "must be more than 0"),
        ("set k v --ttl -5s", "must be more than 0"),
        (
            "set k v --ttl soon",
            "invalid value 'soon' for '--ttl <DURATION>': give a whole",
        ),
        ("expire k 0s", "must be more than 0"),
        ("expire k -1", "must be more than 0"),
        ("expire k 1.5h", "whole number with ms, s, m, h or d"),
        ("expire k", "<DURATION>"),
    ] {
        match parse_line(line) {
            Err(error @ ParseError::Usage { .. }) => {
                let text = error.to_string();
                assert!(text.contains(says), "{line:?}: {text}");
                assert!(!text.contains('\n'), "{line:?}: {text}");
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_ttl_cannot_come_with_a_condition() {
    for line in [
        "set k v --ttl 30s --if-absent",
        "set k v --if-version 3 --ttl 30s",
    ] {
        let text = parse_line(line).unwrap_err().to_string();
        assert!(text.contains("cannot be used with"), "{line:?}: {text}");
        assert!(text.contains("--ttl"), "{line:?}: {text}");
    }
}

#[test]
fn scan_takes_an_open_or_closed_range_and_options() {
    assert_eq!(parse("scan"), Command::Scan(ScanArgs::default()));
    assert_eq!(
        parse("scan a m --rev --limit 2 --keys-only"),
        Command::Scan(ScanArgs {
            from: Some("a".into()),
            to: Some("m".into()),
            rev: true,
            limit: Some(2),
            keys_only: true,
        })
    );
    assert_eq!(
        parse("scan '' m -r -k"),
        Command::Scan(ScanArgs {
            from: Some(String::new()),
            to: Some("m".into()),
            rev: true,
            keys_only: true,
            ..ScanArgs::default()
        })
    );
    assert!(!parse("scan").writes());
    assert!(parse("scan").needs_store());
}

#[test]
fn unknown_words_get_a_one_line_hint() {
    let error = parse_line("foo bar").unwrap_err();
    assert_eq!(error, ParseError::UnknownCommand("foo".into()));
    assert_eq!(error.to_string(), "unknown command 'foo'; type 'help'");
    // Flags are no commands either.
    assert_eq!(
        parse_line("--help"),
        Err(ParseError::UnknownCommand("--help".into()))
    );
}

#[test]
fn wrong_arguments_explain_themselves_with_usage() {
    for line in [
        "set onlykey",
        "get",
        "get a b",
        "list --limit many",
        "stats now",
    ] {
        match parse_line(line) {
            Err(error @ ParseError::Usage { .. }) => {
                let text = error.to_string();
                assert!(!text.contains('\n'), "{line:?}: {text}");
                assert!(!text.starts_with("error"), "{line:?}: {text}");
                assert!(!text.contains('\u{1b}'), "{line:?} has colour codes");
                let command = line.split(' ').next().unwrap();
                assert!(text.contains(&format!("(usage: {command}")), "{text}");
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_missing_value_names_it() {
    assert_eq!(
        parse_line("set onlykey").unwrap_err().to_string(),
        "the following required arguments were not provided: <VALUE> \
         (usage: set <KEY> <VALUE> [--if-version N] [--if-absent] [--ttl DURATION])"
    );
}

#[test]
fn unbalanced_quotes_are_refused() {
    assert_eq!(parse_line(r#"set k "open"#), Err(ParseError::Quoting));
}

#[test]
fn dash_dash_help_is_help_for_that_command() {
    assert_eq!(
        parse("set --help"),
        Command::Help {
            command: Some("set".into())
        }
    );
    assert_eq!(
        parse("rm -h"),
        Command::Help {
            command: Some("rm".into())
        }
    );
}

#[test]
fn help_lists_every_command_and_describes_each() {
    let list = help_text(None).unwrap();
    for name in [
        "set <KEY> <VALUE> [--if-version N] [--if-absent] [--ttl DURATION]",
        "get <KEY>",
        "delete <KEY> [--if-version N]",
        "expire <KEY> <DURATION>",
        "ttl <KEY>",
        "persist <KEY>",
        "list [--prefix P] [--limit N]",
        "scan [FROM] [TO] [--rev] [--limit N] [--keys-only]",
        "compact",
        "stats",
        "inspect [--segment ID] [--verbose]",
        "verify",
        "load <FILE>",
        "help [COMMAND]",
        "quit",
    ] {
        assert!(list.contains(name), "{name} missing from\n{list}");
    }
    assert!(list.contains("del, rm"));
    let set = help_text(Some("set")).unwrap();
    assert!(set.contains("<VALUE>"), "{set}");
    assert_eq!(help_text(Some("del")), help_text(Some("delete")));
    assert_eq!(help_text(Some("nope")), None);
}

#[test]
fn who_needs_the_store() {
    assert!(!parse("help").needs_store());
    assert!(!parse("quit").needs_store());
    assert!(parse("stats").needs_store());
    assert!(parse("set a b").writes());
    assert!(!parse("get a").writes());
}
