//! One segment's strip: its bytes by what holds them ([`Part`]), laid
//! side by side in proportion to one scale for every strip, and the single
//! element that draws it.
//!
//! A strip has no child elements, so a thousand of them stay cheap: its
//! label is its text, its parts are the background layers of its
//! `::before` (each a pattern from `style.css`), sized and placed by the
//! custom properties [`StripView::style`] sets, and its shares in words are
//! an attribute its `::after` shows (`data-parts`); the accessibility tree
//! reads `aria-label`. Every mark is in words too (`active`, `next
//! merge`), so none is told by colour alone.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use mini_kvstore::{MergeReason, SegmentKind};
use mini_kvstore_commands::human_bytes;

use super::json::{SegmentSummary, Summary};
use crate::render::escape;

/// What holds a segment's bytes, in the order a strip draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Records the index points at.
    Live,
    /// Records a newer write replaced.
    Overwritten,
    /// Deletes.
    Tombstone,
    /// Puts whose time to live ran out.
    Expired,
    /// Bytes holding no valid record.
    Corrupt,
    /// Header, seals, compaction commits.
    Meta,
}

impl Part {
    /// Every part, left to right.
    pub const ALL: [Part; 6] = [
        Part::Live,
        Part::Overwritten,
        Part::Tombstone,
        Part::Expired,
        Part::Corrupt,
        Part::Meta,
    ];

    /// Its word on the strip and in the legend.
    pub fn word(self) -> &'static str {
        match self {
            Part::Live => "live",
            Part::Overwritten => "overwritten",
            Part::Tombstone => "tombstones",
            Part::Expired => "expired",
            Part::Corrupt => "corrupt",
            Part::Meta => "bookkeeping",
        }
    }

    /// Its short word, for the strip's right-hand text.
    fn short(self) -> &'static str {
        match self {
            Part::Live => "live",
            Part::Overwritten => "over",
            Part::Tombstone => "tomb",
            Part::Expired => "exp",
            Part::Corrupt => "bad",
            Part::Meta => "meta",
        }
    }

    /// Its bytes in `segment`.
    pub fn bytes(self, segment: &SegmentSummary) -> u64 {
        match self {
            Part::Live => segment.live_bytes,
            Part::Overwritten => segment.overwritten_bytes,
            Part::Tombstone => segment.tombstone_bytes,
            Part::Expired => segment.expired_bytes,
            Part::Corrupt => segment.corrupt_bytes,
            Part::Meta => segment.meta_bytes,
        }
    }

    /// How many background layers `style.css` gives it (cross-hatching
    /// takes two).
    fn layers(self) -> usize {
        match self {
            Part::Expired => 2,
            _ => 1,
        }
    }
}

/// Background layers a strip's bar has: each part's (in [`Part::ALL`]
/// order), then the track under them. `style.css`'s `.srv-seg::before`
/// lists its images in this order.
pub const LAYERS: usize = 8;

/// One segment's strip.
#[derive(Debug, Clone, PartialEq)]
pub struct StripView {
    /// The segment.
    pub id: u32,
    /// New writes go here.
    pub active: bool,
    /// Sealed: never written again.
    pub sealed: bool,
    /// Written by compaction.
    pub compacted: bool,
    /// The policy's next merge takes it.
    pub next_merge: bool,
    /// Why the policy would take it or would let it join a merge.
    pub reason: Option<MergeReason>,
    /// The segment's dead share, as the policy sees it.
    pub dead_fraction: Option<f64>,
    /// Its records are listed below the strips.
    pub open: bool,
    /// Its bytes.
    pub len: u64,
    /// Each part's bytes, in [`Part::ALL`] order.
    pub bytes: [u64; 6],
    /// Bytes a full-width strip stands for (the same for every strip).
    pub scale: u64,
}

/// Bytes a full-width strip stands for: the largest segment's length,
/// rounded up to a power of two, so a growing active segment changes the
/// scale (and every strip) rarely.
pub fn scale_of(summary: &Summary) -> u64 {
    summary
        .segments
        .iter()
        .map(|segment| segment.len)
        .max()
        .unwrap_or(0)
        .max(1)
        .next_power_of_two()
}

/// The strips of `summary`, in its order; `open` is the segment whose
/// records are listed.
pub fn strips(summary: &Summary, open: Option<u32>) -> Vec<StripView> {
    let scale = scale_of(summary);
    let next: BTreeSet<u32> = summary.next_merge.iter().copied().collect();
    summary
        .segments
        .iter()
        .map(|segment| StripView {
            id: segment.id,
            active: segment.active,
            sealed: segment.sealed,
            compacted: segment.kind.known() == Some(SegmentKind::Compacted),
            next_merge: next.contains(&segment.id)
                || segment.policy.as_ref().is_some_and(|p| p.selected),
            reason: segment
                .policy
                .as_ref()
                .and_then(|p| p.reason.as_ref()?.known()),
            dead_fraction: segment.policy.as_ref().map(|p| p.dead_fraction),
            open: open == Some(segment.id),
            len: segment.len,
            bytes: Part::ALL.map(|part| part.bytes(segment)),
            scale,
        })
        .collect()
}

/// A percentage for a label: whole numbers, `<1` for a sliver that is
/// there, never 100 for a part that is not all of it.
fn percent_text(bytes: u64, of: u64) -> String {
    if bytes == 0 || of == 0 {
        return "0".to_owned();
    }
    let exact = bytes as f64 * 100.0 / of as f64;
    if exact < 1.0 {
        "<1".to_owned()
    } else if bytes < of && exact > 99.0 {
        "99".to_owned()
    } else {
        format!("{:.0}", exact.round())
    }
}

/// Writes `fraction` as a CSS percentage with at most three decimals
/// (`12.5%`). Integer arithmetic: float formatting, a thousand strips at
/// sixteen figures each, was most of the time a summary took to draw.
fn push_percent(out: &mut String, fraction: f64) {
    let milli = ((fraction * 100_000.0).round().clamp(0.0, 100_000.0)) as u64;
    let (whole, mut part) = (milli / 1000, milli % 1000);
    let _ = write!(out, "{whole}");
    if part != 0 {
        let mut digits = 3;
        while part % 10 == 0 {
            part /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{part:0digits$}");
    }
    out.push('%');
}

#[cfg(test)]
fn css_percent(fraction: f64) -> String {
    let mut out = String::new();
    push_percent(&mut out, fraction);
    out
}

impl StripView {
    /// The bytes of `part`.
    pub fn part(&self, part: Part) -> u64 {
        let index = Part::ALL.iter().position(|p| *p == part).unwrap_or(0);
        self.bytes[index]
    }

    /// What the strip is, in a word: `active`, `sealed` or `unsealed`.
    pub fn role(&self) -> &'static str {
        if self.active {
            "active"
        } else if self.sealed {
            "sealed"
        } else {
            "unsealed"
        }
    }

    /// The label on its left: `seg 12 · 52.0 KiB`, and its marks in words
    /// (`active`, `next merge`), so no mark is told by colour alone.
    pub fn label(&self) -> String {
        let mut label = format!("seg {} · {}", self.id, human_bytes(self.len));
        if self.active {
            label.push_str(" · active");
        }
        if self.next_merge {
            label.push_str(" · next merge");
        }
        label
    }

    /// The text on its right: the live share and each dead part there is
    /// (`live 63% · over 20% · tomb 5%`).
    pub fn parts_text(&self) -> String {
        let mut parts = vec![format!(
            "live {}%",
            percent_text(self.part(Part::Live), self.len)
        )];
        for part in [
            Part::Overwritten,
            Part::Tombstone,
            Part::Expired,
            Part::Corrupt,
        ] {
            let bytes = self.part(part);
            if bytes > 0 {
                parts.push(format!(
                    "{} {}%",
                    part.short(),
                    percent_text(bytes, self.len)
                ));
            }
        }
        parts.join(" · ")
    }

    /// Everything the strip shows, in a sentence: its accessible name and
    /// its tooltip.
    pub fn description(&self) -> String {
        let mut text = format!(
            "segment {}, {}{}{}, {}: ",
            self.id,
            self.role(),
            if self.active {
                " (new writes go here)"
            } else {
                ""
            },
            if self.compacted {
                ", written by compaction"
            } else {
                ""
            },
            human_bytes(self.len),
        );
        let parts: Vec<String> = Part::ALL
            .iter()
            .filter(|part| **part == Part::Live || self.part(**part) > 0)
            .map(|part| {
                format!(
                    "{}% {}",
                    percent_text(self.part(*part), self.len),
                    part.word()
                )
            })
            .collect();
        text.push_str(&parts.join(", "));
        if let Some(dead) = self.dead_fraction {
            let _ = write!(text, "; the policy sees it {:.0}% dead", dead * 100.0);
        }
        if self.next_merge {
            text.push_str("; the next merge takes it");
            if let Some(reason) = self.reason {
                let _ = write!(text, " ({})", reason.describe());
            }
        }
        text.push('.');
        text
    }

    /// The `background-size` and `background-position` of its bar's
    /// layers ([`LAYERS`]), as the custom properties `--srv-sizes` and
    /// `--srv-positions` its `::before` reads: each part as wide as its
    /// share of the scale, placed after the ones before it.
    ///
    /// A background position in percent aligns that share of the image
    /// with the same share of the box, so an image `w` wide starts at
    /// `p · (1 − w)`: to start at `o`, `p = o / (1 − w)`.
    pub fn style(&self) -> String {
        let scale = self.scale.max(1) as f64;
        let mut sizes = String::with_capacity(160);
        let mut positions = String::with_capacity(160);
        let mut offset = 0.0;
        for part in Part::ALL {
            let width = self.part(part) as f64 / scale;
            let position = if width >= 1.0 {
                0.0
            } else {
                offset / (1.0 - width)
            };
            for _ in 0..part.layers() {
                push_percent(&mut sizes, width);
                sizes.push_str(" 100%,");
                push_percent(&mut positions, position);
                positions.push_str(" 0,");
            }
            offset += width;
        }
        // The track: the whole scale, under the parts.
        format!("--srv-sizes:{sizes}100% 100%;--srv-positions:{positions}0 0")
    }

    /// Its element's attributes (but `tabindex`, which the page keeps: one
    /// strip at a time is the Tab stop, the arrow keys move it).
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        let mut classes = vec!["srv-seg", self.role()];
        if self.compacted {
            classes.push("compacted");
        }
        if self.next_merge {
            classes.push("next-merge");
        }
        if self.open {
            classes.push("open");
        }
        let description = self.description();
        vec![
            ("class", classes.join(" ")),
            ("data-segment", self.id.to_string()),
            ("data-active", self.active.to_string()),
            ("data-next-merge", self.next_merge.to_string()),
            ("data-len", self.len.to_string()),
            (
                "data-live-pct",
                percent_text(self.part(Part::Live), self.len),
            ),
            ("data-parts", self.parts_text()),
            ("aria-pressed", self.open.to_string()),
            ("title", description.clone()),
            ("aria-label", description),
            ("style", self.style()),
        ]
    }
}

/// The HTML of one strip with `attributes` and `label`: a single element.
pub fn strip_html(attributes: &[(&'static str, String)], label: &str) -> String {
    let mut html = String::with_capacity(1024);
    html.push_str(r#"<div role="button" tabindex="-1""#);
    for (name, value) in attributes {
        html.push(' ');
        html.push_str(name);
        html.push_str("=\"");
        if value.contains(['&', '<', '>', '"', '\'']) {
            html.push_str(&escape(value));
        } else {
            html.push_str(value);
        }
        html.push('"');
    }
    html.push('>');
    html.push_str(&escape(label));
    html.push_str("</div>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_view::fixtures::summary;

    #[test]
    fn strips_mark_the_active_segment_and_the_next_merge_in_words() {
        let strips = strips(&summary(), Some(4));
        let (sealed, active) = (&strips[0], &strips[1]);
        assert!(sealed.next_merge && !sealed.active && sealed.compacted);
        assert!(active.active && !active.next_merge && active.open);
        assert_eq!(sealed.label(), "seg 3 · 400 B · next merge");
        assert_eq!(active.label(), "seg 4 · 169 B · active");
        assert_eq!(sealed.parts_text(), "live 25% · over 50% · tomb 13%");
        assert_eq!(
            active.parts_text(),
            "live 18% · over 33% · tomb 15% · exp 24%"
        );
        let words = sealed.description();
        assert!(words.starts_with(
            "segment 3, sealed, written by compaction, 400 B: 25% live, 50% overwritten"
        ));
        assert!(words.contains("the next merge takes it (dead fraction reached the trigger)"));
        assert!(active.description().contains("active (new writes go here)"));
    }

    #[test]
    fn parts_are_laid_side_by_side_in_proportion_to_the_scale() {
        let summary = summary();
        assert_eq!(scale_of(&summary), 512, "400 bytes round up to 512");
        let sealed = &strips(&summary, None)[0];
        let style = sealed.style();
        let (sizes, positions) = style
            .strip_prefix("--srv-sizes:")
            .and_then(|s| s.split_once(";--srv-positions:"))
            .expect("both lists");
        let sizes: Vec<&str> = sizes.split(',').collect();
        let positions: Vec<&str> = positions.split(',').collect();
        assert_eq!(sizes.len(), LAYERS);
        assert_eq!(positions.len(), LAYERS);
        // live 100/512 from 0; overwritten 200/512 right after it.
        assert_eq!(sizes[0], "19.531% 100%");
        assert_eq!(positions[0], "0% 0");
        assert_eq!(sizes[1], "39.063% 100%");
        let (w, o) = (200.0 / 512.0, 100.0 / 512.0);
        assert_eq!(positions[1], format!("{} 0", css_percent(o / (1.0 - w))));
        // Expired takes two layers (cross-hatching), both empty here.
        assert_eq!(sizes[3], "0% 100%");
        assert_eq!(sizes[4], "0% 100%");
        // The track spans the scale.
        assert_eq!(sizes[7], "100% 100%");
        // Every part's share adds up to the segment's length.
        let total: u64 = sealed.bytes.iter().sum();
        assert_eq!(total, sealed.len);
    }

    #[test]
    fn a_part_as_wide_as_the_scale_sits_at_the_start() {
        let mut summary = summary();
        summary.segments.truncate(1);
        let segment = &mut summary.segments[0];
        segment.len = 256;
        segment.live_bytes = 256;
        segment.overwritten_bytes = 0;
        segment.tombstone_bytes = 0;
        segment.meta_bytes = 0;
        let style = strips(&summary, None)[0].style();
        assert!(
            style.starts_with("--srv-sizes:100% 100%,0% 100%"),
            "{style}"
        );
        assert!(style.contains("--srv-positions:0% 0,"), "{style}");
        assert!(!style.contains("NaN") && !style.contains("inf"));
    }

    #[test]
    fn percentages_never_round_a_sliver_away_or_a_part_to_all() {
        assert_eq!(percent_text(0, 100), "0");
        assert_eq!(percent_text(1, 1000), "<1");
        assert_eq!(percent_text(999, 1000), "99");
        assert_eq!(percent_text(1000, 1000), "100");
        assert_eq!(percent_text(5, 0), "0");
        assert_eq!(css_percent(0.5), "50%");
        assert_eq!(css_percent(1.0 / 3.0), "33.333%");
    }

    #[test]
    fn a_strip_is_one_element_with_its_words_escaped() {
        let strip = &strips(&summary(), None)[0];
        let html = strip_html(&strip.attributes(), &strip.label());
        assert_eq!(
            html.matches('<').count(),
            2,
            "one element, no children: {html}"
        );
        assert!(
            html.ends_with(">seg 3 · 400 B · next merge</div>"),
            "{html}"
        );
        assert!(html.starts_with(
            r#"<div role="button" tabindex="-1" class="srv-seg sealed compacted next-merge""#
        ));
        assert!(html.contains(r#"data-segment="3""#));
        assert!(html.contains(r#"data-next-merge="true""#));
        assert!(html.contains(r#"data-live-pct="25""#));
        assert!(html.contains(r#"aria-pressed="false""#));
    }
}
