//! The view model as HTML: strings for the page's panels.
//!
//! Building markup as strings (rather than element by element through
//! web-sys) keeps one `innerHTML` assignment per changed panel or strip, which
//! is what keeps a 10,000-record map fast, and keeps this code native and
//! testable: the tests check the hooks the end-to-end suite relies on
//! (`data-segment`, `data-record`, `data-key`, `data-state`, and for
//! records with a TTL `data-expires-at` and the details' `data-countdown`).
//! Every piece of user data goes through [`escape`].
//!
//! The words for record states and kinds are the engine's
//! ([`RecordState::name`], [`RecordKind::name`], [`SegmentKind::name`]), so
//! the map, the CLI's `inspect` and the server's `/segments` cannot disagree;
//! the `data-state` values and the CSS classes are those words too.
//!
//! | module | what |
//! |---|---|
//! | [`map`] | segment strips and their cells, the walk's preview, the details panel; [`map::CellId`], the `data-i` name of a cell |
//! | [`panels`] | the index, the compaction plan and walk, the fault note, the recovery report |
//! | [`chart`] | the policy panel's chart over time (one store or two side by side) as SVG, a merge's report, the side-by-side table |
//! | [`policy`] | the policy panel's words: the next merge and why, the trigger's bound, the workload's status |
//! | here | [`escape`] and console text, which both of them and the page use |
//!
//! This file re-exports nothing from its children, so they can import
//! [`escape`] from it without an import cycle.
//!
//! [`RecordState::name`]: mini_kvstore::RecordState::name
//! [`RecordKind::name`]: mini_kvstore::RecordKind::name
//! [`SegmentKind::name`]: mini_kvstore::SegmentKind::name

use std::fmt::Write as _;

use mini_kvstore_commands::{Text, Tone};

pub mod chart;
pub mod map;
pub mod panels;
pub mod policy;

/// Text made safe for HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A rendered console reply, one `div` per line, tones as CSS classes.
pub fn text_html(text: &Text) -> String {
    let mut html = String::new();
    for line in &text.lines {
        html.push_str(r#"<div class="line">"#);
        for span in &line.spans {
            let class = match span.tone {
                Tone::Plain => "",
                Tone::Heading => "t-heading",
                Tone::Muted => "t-muted",
                Tone::Good => "t-good",
                Tone::Warning => "t-warning",
                Tone::Bad => "t-bad",
                Tone::Live => "t-live",
                Tone::Overwritten => "t-overwritten",
                Tone::Tombstone => "t-tombstone",
                Tone::Meta => "t-meta",
                Tone::Corrupt => "t-corrupt",
                _ => "",
            };
            if class.is_empty() {
                html.push_str(&escape(&span.text));
            } else {
                let _ = write!(
                    html,
                    r#"<span class="{class}">{}</span>"#,
                    escape(&span.text)
                );
            }
        }
        html.push_str("</div>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore_commands::Line;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn tones_become_classes() {
        let text = Text::from(
            Line::toned("OK", Tone::Good)
                .plain_then(" <plain>")
                .push("!", Tone::Bad),
        );
        assert_eq!(
            text_html(&text),
            r#"<div class="line"><span class="t-good">OK</span> &lt;plain&gt;<span class="t-bad">!</span></div>"#
        );
    }
}
