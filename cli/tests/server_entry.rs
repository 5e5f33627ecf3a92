//! The server entry parses (`--volume DIR --id ID`, `serve`, environment
//! fallbacks) and, until the REST server is built, says so with status 2.

mod common;

use common::kvstore;
use predicates::prelude::*;

const NOT_BUILT: &str = "kvstore: the REST server is not built yet";

#[test]
fn the_original_readme_command_parses() {
    kvstore()
        .args(["--volume", "data", "--id", "my-vol"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(NOT_BUILT))
        .stderr(predicate::str::contains(
            "'my-vol' from data on 127.0.0.1:8000",
        ));
}

#[test]
fn serve_takes_the_same_flags() {
    kvstore()
        .args([
            "serve", "--volume", "v", "--id", "x", "--port", "9100", "--bind", "0.0.0.0",
            "--token", "secret",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'x' from v on 0.0.0.0:9100 with a bearer token",
        ))
        .stderr(predicate::str::contains("secret").not());
}

#[test]
fn environment_fallbacks() {
    kvstore()
        .arg("serve")
        .env("DATA_DIR", "envdir")
        .env("VOLUME_ID", "env-vol")
        .env("PORT", "8123")
        .env("KVSTORE_TOKEN", "t")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'env-vol' from envdir on 127.0.0.1:8123 with a bearer token",
        ));
    kvstore()
        .args(["--id", "only-id"])
        .env("DATA_DIR", "envdir")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'only-id' from envdir"));
}

#[test]
fn missing_or_conflicting_flags_are_usage_errors() {
    kvstore()
        .arg("serve")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the server needs --volume DIR"));
    kvstore()
        .args(["--volume", "v"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the server needs --id ID"));
    kvstore()
        .args(["--port", "8000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "give --volume DIR and --id ID too",
        ));
    kvstore()
        .args(["--volume", "v", "--id", "x", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("take no command"));
    kvstore()
        .args(["--volume", "v", "--id", "x", "--port", "not-a-port"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'not-a-port'"));
}

#[test]
fn server_variables_in_the_environment_do_not_start_a_server() {
    let store = common::Store::new();
    store
        .cmd(&["list"])
        .env("DATA_DIR", "elsewhere")
        .env("VOLUME_ID", "v")
        .env("PORT", "1")
        .assert()
        .success()
        .stdout("Keys (0)\n");
}
