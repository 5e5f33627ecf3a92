//! What a lesson step does on the page ([`Action`]) and what it points at
//! ([`Target`]).
//!
//! Actions are the page's own controls, not a side door into the engine:
//! a console line runs as if typed (echoed, parsed with the REPL grammar,
//! executed against the store), and Plan, Step, Tear, Flip and Reload do
//! what their buttons do. So a lesson shows exactly what the learner can
//! then do by hand.
//!
//! Targets name parts of the page by the same stable hooks the end-to-end
//! suite uses (`id`s, `data-key`, `data-state`, `data-segment`), as CSS
//! selectors; the page gives the elements they match the `learn-highlight`
//! class.

/// One thing a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A console line, run as if the learner had typed it.
    Run(&'static str),
    /// The compaction panel's Plan button.
    Plan,
    /// The compaction panel's Step button: one more survivor copied.
    Step,
    /// Selects a key, as a click on its index row does (if it is not
    /// selected already): the map outlines its records and marks the one
    /// the index points at. Flip damages the selected record.
    Select(&'static str),
    /// "Tear the last write".
    Tear,
    /// "Flip a bit", in the selected record.
    Flip,
    /// Reload: reopen the store from IndexedDB, recovery included.
    Reload,
    /// Wait this many milliseconds (for a time to live to run out).
    Wait(u32),
}

impl Action {
    /// Whether the action has to wait for the browser (IndexedDB, a timer)
    /// rather than finishing at once.
    pub fn is_async(self) -> bool {
        matches!(self, Action::Reload | Action::Wait(_))
    }
}

/// A part of the page a step talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An element by its `id`: a panel (`map-panel`, `index-panel`,
    /// `stats-panel`, `compaction`, `faults`, `console-panel`) or a part of
    /// one (`dead-gauge`, `compact-preview`, `recovery`).
    Id(&'static str),
    /// The map cells of `key`'s records, all of them (`state: None`) or
    /// those in one state (`live`, `overwritten`, `tombstone`, `expired`).
    Records {
        /// The key.
        key: &'static str,
        /// The state, as the map's `data-state` says it.
        state: Option<&'static str>,
    },
    /// The active segment's strip.
    ActiveSegment,
    /// The sealed segments' strips.
    SealedSegments,
    /// Seal and commit records.
    Seals,
    /// `key`'s row in the index.
    IndexRow(&'static str),
    /// An arrow from `key`'s index row to the record it points at, with
    /// both ends highlighted.
    Arrow(&'static str),
}

impl Target {
    /// The CSS selector of the elements to highlight.
    pub fn selector(self) -> String {
        match self {
            Target::Id(id) => format!("#{id}"),
            Target::Records { key, state: None } => {
                format!(r#"#map-strips [data-record][data-key="{}"]"#, quoted(key))
            }
            Target::Records {
                key,
                state: Some(state),
            } => format!(
                r#"#map-strips [data-record][data-key="{}"][data-state="{}"]"#,
                quoted(key),
                quoted(state)
            ),
            Target::ActiveSegment => r#"#map-strips [data-segment][data-active="true"]"#.to_owned(),
            Target::SealedSegments => {
                r#"#map-strips [data-segment][data-sealed="true"]"#.to_owned()
            }
            Target::Seals => "#map-strips [data-meta]".to_owned(),
            Target::IndexRow(key) | Target::Arrow(key) => {
                let row = format!(r#"#index [data-index-key="{}"]"#, quoted(key));
                if let Target::Arrow(key) = self {
                    format!("{row}, {}", arrow_head(key))
                } else {
                    row
                }
            }
        }
    }
}

/// The selector of the record an arrow from `key`'s index row points at:
/// the one the index names, live or expired.
pub fn arrow_head(key: &str) -> String {
    let key = quoted(key);
    format!(
        r#"#map-strips [data-record][data-key="{key}"][data-state="live"], #map-strips [data-record][data-key="{key}"][data-state="expired"]"#
    )
}

/// `text` inside a double-quoted CSS string.
fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
