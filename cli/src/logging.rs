//! `--log-format text|json`: how the program's log lines on stderr are
//! written — the one place a tracing subscriber is installed.
//!
//! `text` is for people: one line an event, coloured on a terminal, no
//! time stamp (the terminal has one). `json` is for log collectors: one
//! JSON object a line, with a time stamp, the level, the target, the
//! event's fields at the top level, and the fields of the span it happened
//! in under `span` — for a request, its `method`, `uri` and `request_id`.
//! `RUST_LOG` chooses what is logged either way; warnings and worse unless
//! it says more.

use std::io;

use clap::ValueEnum;

use crate::output;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum LogFormat {
    /// Plain lines for people
    #[default]
    Text,
    /// One JSON object a line, for log collectors
    Json,
}

/// Installs the subscriber for the process.
pub(crate) fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(output::colour_allowed(&io::stderr()))
            .without_time()
            .with_target(false)
            .init(),
        // The innermost span's fields are what a line needs (a request's
        // id); the list of every enclosing span would repeat them.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
