//! A whole REPL session piped into `kvstore`, compared line for line with
//! `tests/transcript/session.txt` — the transcript that `cli/README.md`
//! shows, so the README cannot drift from what the binary prints.
//!
//! The transcript is written as it looks on a terminal: lines starting with
//! the prompt `kvstore> ` are the input, every other line is output. Piped
//! input gets no prompt, so the test feeds the input lines and expects
//! exactly the output lines.

mod common;

use common::Store;

const TRANSCRIPT: &str = include_str!("transcript/session.txt");
const README: &str = include_str!("../README.md");
const ROOT_README: &str = include_str!("../../README.md");
const PROMPT: &str = "kvstore> ";

#[test]
fn a_piped_session_prints_the_transcript() {
    let mut input = String::new();
    let mut expected = String::new();
    for line in TRANSCRIPT.lines() {
        match line.strip_prefix(PROMPT) {
            Some(command) => {
                input.push_str(command);
                input.push('\n');
            }
            None => {
                expected.push_str(line);
                expected.push('\n');
            }
        }
    }
    let store = Store::new();
    let actual = store.session(&input);
    if actual != expected {
        // Line by line, so a failure points at the first difference.
        for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "output line {} differs", i + 1);
        }
        assert_eq!(actual, expected);
    }
}

#[test]
fn the_readme_shows_the_transcript() {
    for (name, readme) in [("cli/README.md", README), ("README.md", ROOT_README)] {
        assert!(
            readme.contains(&format!("```text\n{TRANSCRIPT}```")),
            "{name} must show cli/tests/transcript/session.txt verbatim in a ```text block"
        );
    }
}
