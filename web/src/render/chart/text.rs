//! Text in the drawing: SVG has no line wrapping, so titles and legend
//! rows are cut into lines here, at about the width the drawing leaves
//! them (the chart is drawn at the width of its box, in CSS pixels).

use std::fmt::Write as _;

use crate::render::escape;

/// Height of a line of text.
pub(super) const LINE_H: f64 = 13.0;
/// About how wide a character of the chart's 11 px text is: enough to
/// wrap a title or legend before it runs out of the drawing.
pub(super) const CHAR_PX: f64 = 6.3;

/// `text` in lines of at most about `max_px` (never fewer than one word).
pub(super) fn wrap(text: &str, max_px: f64) -> Vec<String> {
    let max_chars = ((max_px / CHAR_PX).floor() as usize).max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// `<text>` lines from `(x, y)` (the first line's baseline) down.
pub(super) fn text_lines(lines: &[String], x: f64, y: f64, attributes: &str) -> String {
    let mut html = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            html,
            r#"<text x="{x:.0}" y="{:.1}"{attributes}>{}</text>"#,
            y + i as f64 * LINE_H,
            escape(line)
        );
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_to_the_width() {
        let lines = wrap("bytes on storage (thick) against live bytes (thin)", 200.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() as f64 * CHAR_PX <= 200.0)
        );
        assert_eq!(
            lines.join(" "),
            "bytes on storage (thick) against live bytes (thin)"
        );
        assert_eq!(wrap("short", 500.0), vec!["short"]);
    }
}
