//! Printing replies: plain text, or ANSI colour on a terminal.
//!
//! Colour is used only when stdout is a terminal and `NO_COLOR` is not set
//! to a non-empty value (the no-color.org convention), so pipes, files and
//! test harnesses always get plain text. The rendered text carries its
//! meaning in letters and words ([`Tone`] only says what to emphasise), so
//! nothing is lost without colour.
//!
//! Output goes through `write!`, not `println!`, so a closed pipe surfaces as
//! an `io::Error` that `main` turns into a quiet exit instead of a panic.

use std::io::{self, IsTerminal, Write};

use mini_kvstore_commands::{Line, Text, Tone};

/// Prints [`Text`] to stdout, coloured or not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Painter {
    colour: bool,
}

impl Painter {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub(crate) fn for_stdout() -> Self {
        Painter {
            colour: colour_allowed(&io::stdout()),
        }
    }

    /// Whether this painter colours.
    pub(crate) fn colour(&self) -> bool {
        self.colour
    }

    /// Prints every line of `text`, each ending in a newline.
    pub(crate) fn print(&self, text: &Text) -> io::Result<()> {
        let mut out = io::stdout().lock();
        for line in &text.lines {
            self.write_line(&mut out, line)?;
        }
        out.flush()
    }

    /// Prints a one-line error (REPL errors go to stdout with the replies,
    /// so a transcript keeps them in order).
    pub(crate) fn print_error(&self, message: &str) -> io::Result<()> {
        let line = Line::toned("error: ", Tone::Bad).plain_then(message);
        let mut out = io::stdout().lock();
        self.write_line(&mut out, &line)?;
        out.flush()
    }

    fn write_line(&self, out: &mut impl Write, line: &Line) -> io::Result<()> {
        for span in &line.spans {
            match sgr(span.tone).filter(|_| self.colour) {
                Some(code) => write!(out, "\x1b[{code}m{}\x1b[0m", span.text)?,
                None => out.write_all(span.text.as_bytes())?,
            }
        }
        out.write_all(b"\n")
    }
}

/// Whether output to `stream` may be coloured: it is a terminal and
/// `NO_COLOR` is unset or empty.
pub(crate) fn colour_allowed(stream: &impl IsTerminal) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    stream.is_terminal() && !no_color
}

/// The ANSI SGR parameters for a tone, `None` for plain text.
fn sgr(tone: Tone) -> Option<&'static str> {
    Some(match tone {
        Tone::Plain => return None,
        Tone::Heading => "1",
        Tone::Muted => "2",
        Tone::Good | Tone::Live => "32",
        Tone::Warning | Tone::Overwritten => "33",
        Tone::Bad => "1;31",
        Tone::Tombstone => "31",
        Tone::Meta => "36",
        Tone::Corrupt => "1;7;35",
        _ => return None,
    })
}

/// Prints `text` uncoloured to stderr, a line at a time.
pub(crate) fn print_stderr(text: &Text) -> io::Result<()> {
    let mut err = io::stderr().lock();
    writeln!(err, "{text}")
}

/// Prints text that is already formatted (clap's help) to stdout as is.
pub(crate) fn print_raw(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(painter: Painter, line: &Line) -> String {
        let mut out = Vec::new();
        painter.write_line(&mut out, line).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn colour_wraps_toned_spans_only() {
        let line = Line::plain("a ").push("L", Tone::Live);
        assert_eq!(
            render(Painter { colour: true }, &line),
            "a \x1b[32mL\x1b[0m\n"
        );
        assert_eq!(render(Painter { colour: false }, &line), "a L\n");
    }
}
