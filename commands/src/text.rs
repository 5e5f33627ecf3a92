//! Rendered replies as lines of tagged text.
//!
//! A reply is rendered once, here, into [`Text`]: lines of [`Span`]s, each
//! tagged with a [`Tone`] that says what the words *are* (a live record, a
//! heading, a problem) rather than how they look. Printed as is ([`Display`])
//! it is plain text, readable in a pipe or a log; the CLI turns tones into
//! ANSI colours on a terminal, and the playground can turn them into CSS
//! classes. Because the letters and words carry the meaning on their own,
//! nothing is lost without colour.
//!
//! [`Display`]: std::fmt::Display

use std::fmt;

/// What a piece of text is, for hosts that colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tone {
    /// Ordinary text.
    Plain,
    /// A title or column header.
    Heading,
    /// Secondary detail: units, legends, hints.
    Muted,
    /// A good outcome (`OK`, no corruption).
    Good,
    /// A warning: a key not found, a skipped line.
    Warning,
    /// A problem: corruption.
    Bad,
    /// A record the index points at.
    Live,
    /// A record a newer write replaced.
    Overwritten,
    /// A deletion marker.
    Tombstone,
    /// A seal or compaction commit record.
    Meta,
    /// Bytes that hold no valid record.
    Corrupt,
}

/// A run of text in one tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The characters.
    pub text: String,
    /// What they are.
    pub tone: Tone,
}

/// One line (no line break inside).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// The spans, left to right.
    pub spans: Vec<Span>,
}

impl Line {
    /// An empty line.
    pub fn new() -> Self {
        Line::default()
    }

    /// A line of one plain span.
    pub fn plain(text: impl Into<String>) -> Self {
        Line::new().push(text, Tone::Plain)
    }

    /// A line of one span in `tone`.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Self {
        Line::new().push(text, tone)
    }

    /// This line with `text` in `tone` appended.
    pub fn push(mut self, text: impl Into<String>, tone: Tone) -> Self {
        let text = text.into();
        if text.is_empty() {
            return self;
        }
        // Neighbours in one tone merge, which keeps hosts' markup small.
        match self.spans.last_mut() {
            Some(last) if last.tone == tone => last.text.push_str(&text),
            _ => self.spans.push(Span { text, tone }),
        }
        self
    }

    /// This line with plain `text` appended.
    pub fn plain_then(self, text: impl Into<String>) -> Self {
        self.push(text, Tone::Plain)
    }

    /// Characters on the line (not bytes), for alignment.
    pub fn width(&self) -> usize {
        self.spans.iter().map(|s| s.text.chars().count()).sum()
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spans.iter().try_for_each(|s| f.write_str(&s.text))
    }
}

/// A rendered reply: lines of tagged text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// The lines, top to bottom.
    pub lines: Vec<Line>,
}

impl Text {
    /// No lines.
    pub fn new() -> Self {
        Text::default()
    }

    /// Appends a line.
    pub fn line(&mut self, line: Line) {
        self.lines.push(line);
    }

    /// Appends a plain line.
    pub fn plain(&mut self, text: impl Into<String>) {
        self.lines.push(Line::plain(text));
    }
}

impl From<Line> for Text {
    fn from(line: Line) -> Self {
        Text { lines: vec![line] }
    }
}

/// Plain text: lines separated by `\n`, no trailing newline.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Bytes in binary units with one decimal: `512 B`, `1.5 KiB`, `16.0 MiB`.
///
/// ```
/// use mini_kvstore_commands::human_bytes;
/// assert_eq!(human_bytes(205), "205 B");
/// assert_eq!(human_bytes(1536), "1.5 KiB");
/// assert_eq!(human_bytes(16 * 1024 * 1024), "16.0 MiB");
/// ```
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A key or short value for display on one line: valid UTF-8 without control
/// characters is shown as is (unless `quote`), anything else escaped and
/// quoted Rust-style (`"a\tb"`, `"\xff"`), and long text is cut to `max`
/// characters with `…`.
pub fn display_bytes(bytes: &[u8], max: usize, quote: bool) -> String {
    let shown = match std::str::from_utf8(bytes) {
        Ok(text) if !quote && !text.is_empty() && !text.chars().any(char::is_control) => {
            text.to_owned()
        }
        Ok(text) => format!("\"{}\"", text.escape_debug()),
        Err(_) => format!("\"{}\"", bytes.escape_ascii()),
    };
    ellipsize(shown, max)
}

/// `text` cut to at most `max` characters, the last of them `…` when
/// anything was cut. Shared with the playground, which shows bytes its own
/// way but cuts them the same.
pub fn ellipsize(text: String, max: usize) -> String {
    if text.chars().count() > max {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// A key as `list` shows it: as is when that cannot be misread, otherwise
/// double-quoted with escapes (which the REPL's shell-style splitting reads
/// back as the same key), so `a, b` in a list is always two keys.
pub(crate) fn display_key(bytes: &[u8]) -> String {
    let plain = |text: &str| {
        !text.is_empty()
            && !text.starts_with('#')
            && !text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || ",'\"\\".contains(c))
    };
    match std::str::from_utf8(bytes) {
        Ok(text) if plain(text) => text.to_owned(),
        Ok(text) => format!("\"{}\"", text.escape_debug()),
        Err(_) => format!("\"{}\"", bytes.escape_ascii()),
    }
}

/// `1 segment`, `2 segments`: a count with its noun, plural when it is not
/// one. Shared with the playground.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_one_tone_merge_and_empty_ones_vanish() {
        let line = Line::plain("a")
            .plain_then("b")
            .push("", Tone::Bad)
            .push("c", Tone::Live);
        assert_eq!(line.spans.len(), 2);
        assert_eq!(line.to_string(), "abc");
        assert_eq!(line.width(), 3);
    }

    #[test]
    fn text_displays_as_plain_lines() {
        let mut text = Text::new();
        text.plain("one");
        text.line(Line::toned("two", Tone::Heading));
        assert_eq!(text.to_string(), "one\ntwo");
    }

    #[test]
    fn units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn odd_bytes_are_escaped_and_long_ones_cut() {
        assert_eq!(display_bytes(b"user:1", 20, false), "user:1");
        assert_eq!(display_bytes(b"user:1", 20, true), "\"user:1\"");
        assert_eq!(display_bytes(b"a\tb", 20, false), "\"a\\tb\"");
        assert_eq!(display_bytes(b"\xff", 20, false), "\"\\xff\"");
        assert_eq!(display_bytes(b"", 20, false), "\"\"");
        assert_eq!(display_bytes(b"abcdefghij", 5, false), "abcd…");
    }

    #[test]
    fn keys_that_could_be_misread_are_quoted() {
        assert_eq!(display_key(b"user:1"), "user:1");
        assert_eq!(display_key(b"a b"), "\"a b\"");
        assert_eq!(display_key(b"a,b"), "\"a,b\"");
        assert_eq!(display_key(b"#1"), "\"#1\"");
        assert_eq!(display_key(b"a#1"), "a#1");
        assert_eq!(display_key(b"say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(display_key(b"\xff"), "\"\\xff\"");
    }

    #[test]
    fn plurals() {
        assert_eq!(count(1u64, "key"), "1 key");
        assert_eq!(count(0u64, "key"), "0 keys");
        assert_eq!(count(2u64, "live record"), "2 live records");
    }
}
