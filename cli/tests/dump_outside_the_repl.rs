//! `export` and `import` are `kvstore` subcommands only: the REPL answers
//! either with a one-line pointer to the shell and goes on.

mod common;

use common::Store;

#[test]
fn the_repl_points_to_the_shell_and_continues() {
    let store = Store::new();
    let out = store.session("export\nimport dump.jsonl\nset a 1\n");
    assert_eq!(
        out,
        "error: 'export' runs from the shell, not the REPL: quit, then `kvstore export …` (one process at a time opens a store)\n\
         error: 'import' runs from the shell, not the REPL: quit, then `kvstore import …` (one process at a time opens a store)\n\
         OK\n"
    );
}
