//! The Server tab as data: the `kvstore` server's JSON read into types,
//! and what the tab draws of it — a strip per segment in proportions, the
//! stats, the next merge, the log of compactions and a page of records —
//! as attributes and HTML strings.
//!
//! The server sends three things the tab reads (`server/README.md`,
//! "Segments in numbers, a page at a time, and live"): `/events`' `stats`
//! ([`ServerStats`], `/stats`' JSON), `segments` ([`Summary`],
//! `/segments?summary=true`'s JSON: each segment in numbers, no record)
//! and `compaction` ([`CompactionEvent`], a merge's report); and, when a
//! segment is opened, `/segments/{id}/records` a page at a time
//! ([`RecordPage`]). The engine's types only serialize, so these mirror
//! their shapes; the words in them (a record's state, a segment's kind, a
//! merge's reason) are read back into the engine's own enums ([`Word`]),
//! so the tab names them as the map, `inspect` and the server do.
//!
//! ## Drawn to stay fast with 1,000 segments
//! A strip is one element with no child elements: its label is its text,
//! its parts — live, overwritten, tombstone, expired, corrupt,
//! bookkeeping — are the background layers of its `::before` (each a
//! pattern from `style.css`), sized and placed by the custom properties
//! [`StripView::style`] sets, and the shares are an attribute its `::after`
//! shows (`data-parts`); the accessibility tree reads `aria-label`. All of
//! it is the element's content, so a strip scrolled out of view is not
//! painted at all (`content-visibility: auto`).
//! [`DrawnStrips`] remembers each strip's attributes and, for the next
//! summary, says which strips to insert, remove or change
//! ([`StripChange`]): a write, which changes the active segment alone,
//! touches one element.
//!
//! Everything here is plain Rust and tested natively; `app::server_tab`
//! fetches, listens and puts the results on the page.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use mini_kvstore::{CompactionTrigger, MergeReason, RecordKind, RecordState, SegmentKind};
use mini_kvstore_commands::{count, human_bytes};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use crate::expiry::{Now, clock_time};
use crate::merge_policy::reason_name;
use crate::render::escape;

// ---- the server's JSON ---------------------------------------------------

/// JSON from the server that does not have the shape this page expects.
#[derive(Debug, thiserror::Error)]
#[error("the server sent {what} this page cannot read: {source}")]
#[non_exhaustive]
pub struct ParseError {
    /// What was being read (`"a segments event"`).
    pub what: &'static str,
    /// Why it could not be.
    #[source]
    pub source: serde_json::Error,
}

/// Reads `text` as a `T`; `what` names it in the error.
pub fn parse<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, ParseError> {
    serde_json::from_str(text).map_err(|source| ParseError { what, source })
}

/// One of the engine's enums as its word: the engine's name for each value,
/// which is also what its JSON says.
pub trait Named: Copy + Sized + 'static {
    /// Every value this build knows.
    const ALL: &'static [Self];
    /// The value's word in the server's JSON.
    fn word(self) -> &'static str;
}

impl Named for RecordState {
    const ALL: &'static [Self] = &[
        RecordState::Live,
        RecordState::Overwritten,
        RecordState::Tombstone,
        RecordState::Meta,
        RecordState::Expired,
    ];
    fn word(self) -> &'static str {
        self.name()
    }
}

impl Named for RecordKind {
    const ALL: &'static [Self] = &[
        RecordKind::Put,
        RecordKind::Tombstone,
        RecordKind::Seal,
        RecordKind::CompactionCommit,
    ];
    fn word(self) -> &'static str {
        // `name` says `commit`, as every front shows it; JSON spells it out.
        match self {
            RecordKind::CompactionCommit => "compaction_commit",
            other => other.name(),
        }
    }
}

impl Named for SegmentKind {
    const ALL: &'static [Self] = &[SegmentKind::Log, SegmentKind::Compacted];
    fn word(self) -> &'static str {
        self.name()
    }
}

impl Named for MergeReason {
    const ALL: &'static [Self] = &[
        MergeReason::FragmentationTrigger,
        MergeReason::DeadBytesTrigger,
        MergeReason::FragmentationThreshold,
        MergeReason::DeadBytesThreshold,
        MergeReason::SmallSegment,
    ];
    fn word(self) -> &'static str {
        reason_name(self)
    }
}

impl Named for CompactionTrigger {
    const ALL: &'static [Self] = &[CompactionTrigger::Full, CompactionTrigger::Policy];
    fn word(self) -> &'static str {
        match self {
            CompactionTrigger::Full => "full",
            CompactionTrigger::Policy => "policy",
            _ => "other",
        }
    }
}

/// A word the server sent for one of the engine's enums: the engine's
/// value when this build knows the word, else the word itself (a newer
/// server may know more), so one new word never makes a whole event
/// unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word<T> {
    /// A value this build knows.
    Known(T),
    /// A word it does not.
    Unknown(String),
}

impl<T: Named> Word<T> {
    /// The engine's value, if the word is known.
    pub fn known(&self) -> Option<T> {
        match self {
            Word::Known(value) => Some(*value),
            Word::Unknown(_) => None,
        }
    }

    /// The word as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Word::Known(value) => value.word(),
            Word::Unknown(word) => word,
        }
    }
}

impl<'de, T: Named> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        Ok(T::ALL
            .iter()
            .find(|value| value.word() == word)
            .map_or(Word::Unknown(word), |value| Word::Known(*value)))
    }
}

/// `GET /health`: how the tab knows the page is served by `kvstore`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Health {
    /// `"healthy"`, or `"unavailable"` (with a 503) and a `reason`.
    pub status: String,
    /// Why the store should get no traffic, when it should not.
    #[serde(default)]
    pub reason: Option<String>,
    /// The volume's name (`--id`).
    pub volume_id: String,
}

impl Health {
    /// The health answer in `text`, if it is `kvstore`'s: a JSON object
    /// with `status` and `volume_id`, whatever the HTTP status (an
    /// unavailable store answers 503, and is a server all the same).
    /// Under `trunk serve` or a static server `/health` is a 404 page, or
    /// the playground's own `index.html`, and this is `None`.
    pub fn of_kvstore(text: &str) -> Option<Health> {
        serde_json::from_str::<Health>(text)
            .ok()
            .filter(|health| !health.status.is_empty())
    }

    /// Whether the server says it is fit for traffic.
    pub fn is_healthy(&self) -> bool {
        self.status == "healthy"
    }

    /// What the tab says of the server: its volume, and why it is
    /// unavailable if it says so.
    pub fn words_html(&self) -> String {
        let mut html = format!("volume <code>{}</code>", escape(&self.volume_id));
        if !self.is_healthy() {
            let _ = write!(
                html,
                r#" · <b class="srv-unhealthy">{}: {}</b>"#,
                escape(&self.status),
                escape(self.reason.as_deref().unwrap_or("no reason given"))
            );
        }
        html
    }
}

/// `/stats`' JSON, which `/events` sends as `stats`: every number the
/// engine keeps. Fields a server does not send read as zero.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ServerStats {
    /// The volume's name.
    pub volume_id: String,
    /// Live keys.
    pub keys: u64,
    /// Segment files.
    pub segments: u64,
    /// Bytes in all segments.
    pub total_bytes: u64,
    /// Bytes compaction keeps.
    pub live_bytes: u64,
    /// Bytes compaction reclaims.
    pub dead_bytes: u64,
    /// Corrupt ranges found since the store opened.
    pub corrupt_ranges: u64,
    /// Bytes in them.
    pub corrupt_bytes: u64,
    /// The segment new writes go to.
    pub active_segment: u32,
    /// Merges since the store opened.
    pub compactions: u64,
    /// Merges that failed since the store opened.
    pub compaction_failures: u64,
    /// The last failure's message.
    pub last_compaction_failure: Option<String>,
    /// Bytes appended by writes since the store opened.
    pub user_bytes_written: u64,
    /// Bytes appended by merges since the store opened.
    pub compaction_bytes_written: u64,
    /// Dead share of the bytes, 0 to 1.
    pub dead_ratio: f64,
    /// Bytes on disk per live byte.
    pub space_amplification: f64,
    /// Bytes written per byte writes asked for.
    pub write_amplification: f64,
}

/// `/segments?summary=true`' JSON, which `/events` sends as `segments`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Summary {
    /// Every segment, in the server's order (by id).
    pub segments: Vec<SegmentSummary>,
    /// The segments the policy's next merge would take; empty when nothing
    /// is due.
    #[serde(default)]
    pub next_merge: Vec<u32>,
}

/// One segment in numbers: its bytes by what holds them.
/// `live + overwritten + tombstone + expired + meta + corrupt == len`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SegmentSummary {
    /// Its number.
    pub id: u32,
    /// Written by writes (`log`) or by compaction (`compacted`).
    pub kind: Word<SegmentKind>,
    /// New writes go here.
    pub active: bool,
    /// Finished: never written again.
    pub sealed: bool,
    /// Its bytes.
    pub len: u64,
    /// Bytes of records the index points at.
    pub live_bytes: u64,
    /// Records the index points at.
    #[serde(default)]
    pub live_records: u64,
    /// Bytes of records a newer write replaced.
    pub overwritten_bytes: u64,
    /// Bytes of tombstones.
    pub tombstone_bytes: u64,
    /// Tombstones.
    #[serde(default)]
    pub tombstones: u64,
    /// Bytes of puts whose time to live ran out.
    pub expired_bytes: u64,
    /// Those puts.
    #[serde(default)]
    pub expired_records: u64,
    /// Header, seals and compaction commits.
    pub meta_bytes: u64,
    /// Bytes holding no valid record.
    #[serde(default)]
    pub corrupt_bytes: u64,
    /// How the compaction policy sees it (`None` for the active segment).
    #[serde(default)]
    pub policy: Option<Assessment>,
}

/// How the compaction policy sees one sealed segment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Assessment {
    /// Bytes a merge of it alone would give back.
    pub dead_bytes: u64,
    /// `dead_bytes / len`.
    pub dead_fraction: f64,
    /// The strongest trigger or threshold it met.
    #[serde(default)]
    pub reason: Option<Word<MergeReason>>,
    /// Whether the next merge takes it.
    #[serde(default)]
    pub selected: bool,
}

/// A `compaction` event: one merge's report, as `/compactions` lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CompactionEvent {
    /// Bytes on storage before.
    pub bytes_before: u64,
    /// Bytes on storage after.
    pub bytes_after: u64,
    /// Live records rewritten.
    pub records_copied: u64,
    /// Segments rewritten and removed.
    pub inputs: Vec<u32>,
    /// Segments written.
    pub outputs: Vec<u32>,
    /// Why it ran: a full compaction or the policy.
    pub trigger: Option<Word<CompactionTrigger>>,
    /// For a merge the policy chose, why each input joined it.
    pub reasons: Vec<InputReason>,
    /// Tombstones copied.
    pub tombstones_kept: u64,
    /// Tombstones dropped.
    pub tombstones_dropped: u64,
    /// Bytes written to the outputs.
    pub bytes_written: u64,
    /// When it started, ms since the epoch.
    pub started_at_ms: u64,
    /// How long it took, ms.
    pub duration_ms: u64,
}

impl CompactionEvent {
    /// Bytes the merge gave back (none when the outputs and the fresh
    /// active segment's header outweigh what it dropped).
    pub fn bytes_reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }
}

/// Why one input joined a policy merge.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InputReason {
    /// The input.
    pub segment: u32,
    /// The trigger or threshold it met.
    pub reason: Word<MergeReason>,
}

/// `GET /segments/{id}/records`: a page of one segment's records.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordPage {
    /// The segment.
    pub segment: u32,
    /// Its length when it was read.
    pub len: u64,
    /// Its records after the cursor, in offset order.
    pub records: Vec<Record>,
    /// The last record's offset when more follow.
    pub next: Option<u64>,
}

/// One record, as `/segments` shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Record {
    /// Byte offset in the segment.
    pub offset: u64,
    /// Bytes, header included.
    pub len: u64,
    /// Put, tombstone, seal or commit.
    pub kind: Word<RecordKind>,
    /// Sequence number (0 for bookkeeping).
    pub seq: u64,
    /// The key.
    pub key: Bytes,
    /// The value's length.
    pub value_len: u64,
    /// The value's first bytes.
    pub value_preview: Bytes,
    /// Live, overwritten, tombstone, meta or expired.
    pub state: Word<RecordState>,
}

/// Bytes as the server writes them: text, or `{"hex": "…"}` when they are
/// not text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Bytes {
    /// UTF-8 text without control characters.
    Text(String),
    /// Anything else, in hex.
    Hex {
        /// The bytes in hex.
        hex: String,
    },
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bytes::Text(text) => f.write_str(text),
            Bytes::Hex { hex } => write!(f, "0x{hex}"),
        }
    }
}

// ---- strips --------------------------------------------------------------

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

/// What to do to the strips on the page to show a new summary, in order:
/// the removals (from the last), then the insertions and changes (from
/// the first). An index is a child's position when the change is made.
#[derive(Debug, Clone, PartialEq)]
pub enum StripChange {
    /// Draw every strip again: this HTML replaces them all.
    Redraw(String),
    /// Remove the strip at this position (its segment was merged away).
    Remove(usize),
    /// Insert this strip before the one at this position (or last).
    Insert(usize, String),
    /// Set these attributes of the strip at this position.
    Update(usize, Vec<(&'static str, String)>),
    /// Make this the label (the text) of the strip at this position.
    Relabel(usize, String),
}

/// One strip as drawn: the view it was drawn from, and its attributes.
#[derive(Debug, Clone)]
struct Drawn {
    view: StripView,
    attributes: Vec<(&'static str, String)>,
    label: String,
}

impl Drawn {
    fn new(view: &StripView) -> Drawn {
        Drawn {
            view: view.clone(),
            attributes: view.attributes(),
            label: view.label(),
        }
    }

    fn html(&self) -> String {
        strip_html(&self.attributes, &self.label)
    }
}

/// The strips as drawn, in order: what each was drawn from and its
/// attributes. A strip whose view is the same as last time keeps its
/// attributes without building them again, so a summary in which one
/// segment changed costs one strip's words.
#[derive(Debug, Clone, Default)]
pub struct DrawnStrips {
    drawn: Vec<Drawn>,
}

impl DrawnStrips {
    /// The segments drawn, in order.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.drawn.iter().map(|d| d.view.id)
    }

    /// How many strips are drawn.
    pub fn len(&self) -> usize {
        self.drawn.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.drawn.is_empty()
    }

    /// Forgets what was drawn: the next [`show`](Self::show) redraws.
    pub fn forget(&mut self) {
        self.drawn.clear();
    }

    /// The changes that turn what is drawn into `strips`, and remembers
    /// them as drawn. Strips that stay, in the same order, change only in
    /// the attributes that differ; a strip that moved (never, while
    /// segment numbers only grow) redraws everything.
    pub fn show(&mut self, strips: &[StripView]) -> Vec<StripChange> {
        let old = std::mem::take(&mut self.drawn);
        if old.is_empty() {
            return self.redraw(strips);
        }
        let wanted: BTreeSet<u32> = strips.iter().map(|s| s.id).collect();
        let mut changes = Vec::new();
        // Removals from the last, so every index is where the strip is.
        for (at, drawn) in old.iter().enumerate().rev() {
            if !wanted.contains(&drawn.view.id) {
                changes.push(StripChange::Remove(at));
            }
        }
        let kept: Vec<Drawn> = old
            .into_iter()
            .filter(|d| wanted.contains(&d.view.id))
            .collect();
        let kept_ids: BTreeSet<u32> = kept.iter().map(|d| d.view.id).collect();
        let mut kept = kept.into_iter().peekable();
        let mut fresh = Vec::with_capacity(strips.len());
        for (at, view) in strips.iter().enumerate() {
            if let Some(same) = kept.next_if(|d| d.view.id == view.id) {
                if same.view == *view {
                    fresh.push(same);
                    continue;
                }
                let drawn = Drawn::new(view);
                let differ: Vec<(&'static str, String)> = drawn
                    .attributes
                    .iter()
                    .filter(|attribute| !same.attributes.contains(attribute))
                    .cloned()
                    .collect();
                if !differ.is_empty() {
                    changes.push(StripChange::Update(at, differ));
                }
                if drawn.label != same.label {
                    changes.push(StripChange::Relabel(at, drawn.label.clone()));
                }
                fresh.push(drawn);
            } else if kept_ids.contains(&view.id) {
                return self.redraw(strips);
            } else {
                let drawn = Drawn::new(view);
                changes.push(StripChange::Insert(at, drawn.html()));
                fresh.push(drawn);
            }
        }
        if kept.next().is_some() {
            return self.redraw(strips);
        }
        self.drawn = fresh;
        changes
    }

    fn redraw(&mut self, strips: &[StripView]) -> Vec<StripChange> {
        self.drawn = strips.iter().map(Drawn::new).collect();
        let html = self.drawn.iter().map(Drawn::html).collect();
        vec![StripChange::Redraw(html)]
    }
}

/// Where a key moves the Tab stop among `len` strips from `at`: arrows
/// by one, Page Up and Down by `page`, Home and End to the ends; `None`
/// for any other key.
pub fn moved(at: usize, len: usize, key: &str, page: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let to = match key {
        "ArrowDown" | "ArrowRight" => at.saturating_add(1),
        "ArrowUp" | "ArrowLeft" => at.saturating_sub(1),
        "PageDown" => at.saturating_add(page.max(1)),
        "PageUp" => at.saturating_sub(page.max(1)),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(to.min(last))
}

// ---- words and panels ----------------------------------------------------

/// The stats the tab shows: `(data-server-stat, value)`.
pub fn stat_values(stats: &ServerStats) -> Vec<(&'static str, String)> {
    vec![
        ("keys", grouped(stats.keys)),
        ("segments", grouped(stats.segments)),
        ("total_bytes", human_bytes(stats.total_bytes)),
        ("live_bytes", human_bytes(stats.live_bytes)),
        ("dead_bytes", human_bytes(stats.dead_bytes)),
        (
            "space_amplification",
            format!("{:.2}", stats.space_amplification),
        ),
        (
            "write_amplification",
            format!("{:.2}", stats.write_amplification),
        ),
        ("compactions", grouped(stats.compactions)),
    ]
}

/// `1,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ids(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason_words(reason: &Word<MergeReason>) -> String {
    match reason.known() {
        Some(reason) => reason.describe().to_owned(),
        None => reason.as_str().replace('_', " "),
    }
}

/// The policy's next merge, in words.
pub fn next_merge_html(summary: &Summary) -> String {
    if summary.next_merge.is_empty() {
        let deadest = summary
            .segments
            .iter()
            .filter_map(|s| Some((s.id, s.policy.as_ref()?.dead_fraction)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let why = match deadest {
            None => "there is no sealed segment (the active one never merges)".to_owned(),
            Some((id, dead)) => format!(
                "no sealed segment meets a trigger; the deadest, segment {id}, is {:.0}% dead",
                dead * 100.0
            ),
        };
        return format!(r#"<p data-next="none"><b>Next merge: none.</b> {why}.</p>"#);
    }
    let mut html = format!(
        r#"<p data-next="{}"><b>Next merge: {} {}.</b> Marked “next merge” on the strips.</p><ul class="reasons">"#,
        summary
            .next_merge
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        if summary.next_merge.len() == 1 {
            "segment"
        } else {
            "segments"
        },
        ids(&summary.next_merge),
    );
    for id in &summary.next_merge {
        let segment = summary.segments.iter().find(|s| s.id == *id);
        let policy = segment.and_then(|s| s.policy.as_ref());
        let why = policy
            .and_then(|p| p.reason.as_ref())
            .map_or_else(|| "chosen by the policy".to_owned(), reason_words);
        let dead = policy.map_or(0.0, |p| p.dead_fraction);
        let _ = write!(
            html,
            "<li>segment {id}: {}, {:.0}% dead</li>",
            escape(&why),
            dead * 100.0
        );
    }
    html.push_str("</ul>");
    html
}

/// One merge in the log: inputs → outputs, bytes reclaimed, why; `number`
/// counts the merges this tab saw.
pub fn compaction_html(event: &CompactionEvent, number: u64, now: Now) -> String {
    let trigger = event.trigger.as_ref().and_then(Word::known);
    let (kind, why) = match trigger {
        Some(CompactionTrigger::Full) => (
            "full compaction",
            "asked for (POST /compact, or compact in a client)".to_owned(),
        ),
        Some(CompactionTrigger::Policy) => {
            let reasons: Vec<String> = event
                .reasons
                .iter()
                .map(|r| format!("segment {}: {}", r.segment, reason_words(&r.reason)))
                .collect();
            (
                "policy merge",
                if reasons.is_empty() {
                    "chosen by the policy".to_owned()
                } else {
                    reasons.join("; ")
                },
            )
        }
        _ => (
            "merge",
            event
                .trigger
                .as_ref()
                .map_or("unknown", Word::as_str)
                .to_owned(),
        ),
    };
    let outputs = if event.outputs.is_empty() {
        "nothing".to_owned()
    } else {
        ids(&event.outputs)
    };
    format!(
        r#"<li data-compaction="{number}" data-trigger="{trigger}" data-inputs="{inputs}" data-outputs="{outputs_attr}"><b>#{number} {kind}</b> at {time} · segments <b>{inputs_text}</b> → <b>{outputs}</b> · <span data-reclaimed="{reclaimed_bytes}">{reclaimed} reclaimed</span> ({before} → {after}) · {copied} copied, {written} written · tombstones {kept} kept, {dropped} dropped · {duration} ms<br><small>why: {why}</small></li>"#,
        trigger = escape(event.trigger.as_ref().map_or("", Word::as_str)),
        inputs = event
            .inputs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        outputs_attr = event
            .outputs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        time = clock_time(event.started_at_ms, now),
        inputs_text = ids(&event.inputs),
        reclaimed_bytes = event.bytes_reclaimed(),
        reclaimed = human_bytes(event.bytes_reclaimed()),
        before = human_bytes(event.bytes_before),
        after = human_bytes(event.bytes_after),
        copied = count(event.records_copied, "record"),
        written = human_bytes(event.bytes_written),
        kept = event.tombstones_kept,
        dropped = event.tombstones_dropped,
        duration = event.duration_ms,
        why = escape(&why),
    )
}

/// The log before any merge arrived; `before` is how many the server had
/// run when the tab connected.
pub fn empty_log_html(before: u64) -> String {
    let earlier = match before {
        0 => String::new(),
        n => format!(
            " The server ran {} before this tab connected; their results are in the strips.",
            count(n, "merge")
        ),
    };
    format!(
        r#"<li class="empty" data-compaction="none">No merge since this tab connected: each one appears here as it finishes.{earlier}</li>"#
    )
}

/// Where the records list is in one segment: which page, from which
/// offset. Pages follow the server's cursor (`next`, a byte offset), so a
/// segment that grows while it is read misses no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordCursor {
    /// The segment.
    pub segment: u32,
    /// The page, from 1.
    pub page: u32,
    /// Records start after this offset (`None`: from the first).
    pub after: Option<u64>,
}

impl RecordCursor {
    /// Records shown a page.
    pub const PAGE: usize = 100;

    /// The first page of `segment`.
    pub fn first(segment: u32) -> RecordCursor {
        RecordCursor {
            segment,
            page: 1,
            after: None,
        }
    }

    /// The page after this one, which `page` (this one's) says starts
    /// after its `next`; `None` on the last page.
    pub fn next(self, page: &RecordPage) -> Option<RecordCursor> {
        Some(RecordCursor {
            segment: self.segment,
            page: self.page + 1,
            after: Some(page.next?),
        })
    }

    /// The request for this page.
    pub fn url(self) -> String {
        let mut url = format!("/segments/{}/records?limit={}", self.segment, Self::PAGE);
        if let Some(after) = self.after {
            let _ = write!(url, "&after={after}");
        }
        url
    }

    /// The number of this page's first record (1 on the first page).
    pub fn first_number(self) -> usize {
        (self.page as usize - 1) * Self::PAGE + 1
    }
}

/// A page of records as a table, and where it is in the segment.
pub fn records_html(page: &RecordPage, at: RecordCursor) -> String {
    let first = at.first_number();
    let last = first + page.records.len().saturating_sub(1);
    let mut html = format!(
        r#"<p class="records-where" data-records-segment="{segment}" data-page="{page_no}" data-rows="{rows}">Segment <b>{segment}</b> ({len}) · page {page_no}: {which}{more}</p>"#,
        segment = page.segment,
        len = human_bytes(page.len),
        page_no = at.page,
        rows = page.records.len(),
        which = if page.records.is_empty() {
            "no records".to_owned()
        } else {
            format!("records {first}–{last}")
        },
        more = if page.next.is_some() {
            " — more follow"
        } else {
            " — the last page"
        },
    );
    if page.records.is_empty() {
        return html;
    }
    html.push_str(
        r#"<table class="srv-records"><thead><tr><th scope="col">offset</th><th scope="col">bytes</th><th scope="col">kind</th><th scope="col">seq</th><th scope="col">key</th><th scope="col">value</th><th scope="col">state</th></tr></thead><tbody>"#,
    );
    for record in &page.records {
        let state = record.state.as_str();
        let kind: &str = match record.kind.known() {
            Some(kind) => kind.name(),
            None => record.kind.as_str(),
        };
        let value = match record.kind.known() {
            Some(RecordKind::Tombstone) => "—".to_owned(),
            _ => format!(
                "{} · {}",
                human_bytes(record.value_len),
                ellipsis(&record.value_preview.to_string(), 16)
            ),
        };
        let _ = write!(
            html,
            r#"<tr data-offset="{offset}" data-state="{state}"><td>{offset}</td><td>{len}</td><td>{kind}</td><td>{seq}</td><td class="key">{key}</td><td>{value}</td><td><i class="swatch {state}"></i>{state}</td></tr>"#,
            offset = record.offset,
            len = record.len,
            kind = escape(kind),
            seq = record.seq,
            key = escape(&ellipsis(&record.key.to_string(), 32)),
            value = escape(&value),
            state = escape(state),
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// What the tab says when the page is not served by `kvstore`.
pub const ABSENT_HTML: &str = r#"<p><b>No kvstore server here.</b> This page was not served by <code>kvstore</code> (there is no <code>/health</code> answer from it on this address: <code>trunk serve</code> or a static file server sent the page), so there is no server store to show. The rest of the playground runs in your browser and needs no server.</p><p>To see a real server's store here, start one in front of the built page — <code>cargo xtask start</code> — and open <a href="http://127.0.0.1:8000/#server">http://127.0.0.1:8000/#server</a>.</p>"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary of `server/README.md`'s example, with a sealed segment
    /// the policy would merge added.
    const SUMMARY: &str = r#"{"segments":[
        {"id":3,"kind":"compacted","active":false,"sealed":true,"len":400,"live_bytes":100,"live_records":3,"overwritten_bytes":200,"tombstone_bytes":50,"tombstones":2,"expired_bytes":0,"expired_records":0,"meta_bytes":50,"corrupt_bytes":0,"dead_bytes":250,
         "policy":{"id":3,"len":400,"dead_bytes":250,"dead_fraction":0.625,"reason":"fragmentation_trigger","selected":true}},
        {"id":4,"kind":"log","active":true,"sealed":false,"len":169,"live_bytes":31,"live_records":1,"overwritten_bytes":56,"tombstone_bytes":25,"tombstones":1,"expired_bytes":41,"expired_records":1,"meta_bytes":16,"corrupt_bytes":0,"dead_bytes":122,"policy":null}
      ],
      "totals":{"segments":2,"len":569,"live_bytes":131,"live_records":4,"overwritten_bytes":256,"tombstone_bytes":75,"tombstones":3,"expired_bytes":41,"expired_records":1,"meta_bytes":66,"corrupt_bytes":0,"dead_bytes":372},
      "next_merge":[3]}"#;

    const STATS: &str = r#"{"volume_id":"my-vol","keys":3,"segments":2,"total_bytes":195,"live_bytes":195,"dead_bytes":0,"corrupt_ranges":0,"corrupt_bytes":0,"next_seq":8,"active_segment":4,"compactions":2,"compaction_failures":0,"last_compaction_failure":null,"user_bytes_written":273,"compaction_bytes_written":292,"dead_ratio":0.0,"space_amplification":1.0,"write_amplification":2.06959706959707}"#;

    const COMPACTION: &str = r#"{"segments_before":2,"segments_after":2,"bytes_before":191,"bytes_after":150,"records_copied":3,"inputs":[2,3],"outputs":[5],"trigger":"policy","reasons":[{"segment":2,"reason":"fragmentation_trigger"},{"segment":3,"reason":"small_segment"}],"tombstones_kept":1,"tombstones_dropped":2,"bytes_written":134,"started_at_ms":1796174252316,"duration_ms":3}"#;

    const RECORDS: &str = r#"{"segment":3,"len":113,"records":[
        {"offset":16,"len":31,"kind":"put","seq":2,"key":"user","value_len":6,"value_preview":"Alicia","crc":2996260713,"state":"live","meta":null},
        {"offset":47,"len":37,"kind":"compaction_commit","seq":0,"key":"","value_len":16,"value_preview":{"hex":"0600"},"crc":1727519867,"state":"meta","meta":{"commit":{"next_seq":6,"inputs":[1]}}},
        {"offset":84,"len":25,"kind":"tombstone","seq":5,"key":"<b>gone</b>","value_len":0,"value_preview":"","crc":1,"state":"tombstone","meta":null}
      ],"next":84}"#;

    fn summary() -> Summary {
        parse("a summary", SUMMARY).expect("the summary parses")
    }

    #[test]
    fn the_servers_json_reads_into_the_engines_words() {
        let summary = summary();
        assert_eq!(summary.segments.len(), 2);
        assert_eq!(summary.next_merge, vec![3]);
        let sealed = &summary.segments[0];
        assert_eq!(sealed.kind.known(), Some(SegmentKind::Compacted));
        let policy = sealed.policy.as_ref().expect("assessed");
        assert_eq!(
            policy.reason.as_ref().and_then(Word::known),
            Some(MergeReason::FragmentationTrigger)
        );
        assert!(summary.segments[1].policy.is_none());

        let stats: ServerStats = parse("stats", STATS).expect("stats parse");
        assert_eq!(stats.keys, 3);
        assert_eq!(stats.active_segment, 4);
        assert_eq!(stats.compactions, 2);
        assert!((stats.write_amplification - 2.0696).abs() < 1e-3);

        let merge: CompactionEvent = parse("a compaction", COMPACTION).expect("report parses");
        assert_eq!(merge.inputs, vec![2, 3]);
        assert_eq!(merge.bytes_reclaimed(), 41);
        assert_eq!(
            merge.trigger.as_ref().and_then(Word::known),
            Some(CompactionTrigger::Policy)
        );
        assert_eq!(
            merge.reasons[1].reason.known(),
            Some(MergeReason::SmallSegment)
        );

        let page: RecordPage = parse("records", RECORDS).expect("records parse");
        assert_eq!(
            page.records[1].kind.known(),
            Some(RecordKind::CompactionCommit)
        );
        assert_eq!(page.records[1].value_preview.to_string(), "0x0600");
        assert_eq!(page.records[0].state.known(), Some(RecordState::Live));
        assert_eq!(page.next, Some(84));
    }

    #[test]
    fn a_word_this_build_does_not_know_is_kept_not_fatal() {
        let text = SUMMARY
            .replace("\"compacted\"", "\"frozen\"")
            .replace("\"fragmentation_trigger\"", "\"moon_phase\"");
        let summary: Summary = parse("a summary", &text).expect("still parses");
        assert_eq!(summary.segments[0].kind, Word::Unknown("frozen".into()));
        let reason = summary.segments[0]
            .policy
            .as_ref()
            .and_then(|p| p.reason.clone());
        assert_eq!(reason, Some(Word::Unknown("moon_phase".into())));
        assert!(next_merge_html(&summary).contains("moon phase"));
        let error = parse::<Summary>("a segments event", "{\"segments\": 3}").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the server sent a segments event")
        );
    }

    #[test]
    fn only_kvstores_health_answer_counts() {
        let health = Health::of_kvstore(r#"{"status":"healthy","volume_id":"vol1","keys":0}"#)
            .expect("kvstore's");
        assert_eq!(health.volume_id, "vol1");
        // `trunk serve` answers unknown paths with the page itself; a
        // static server with a 404 text; some other JSON service with its own.
        assert!(Health::of_kvstore("<!doctype html><html></html>").is_none());
        assert!(Health::of_kvstore("not found").is_none());
        assert!(Health::of_kvstore(r#"{"ok":true}"#).is_none());
        assert!(Health::of_kvstore(r#"{"status":"","volume_id":"x"}"#).is_none());
        assert_eq!(health.words_html(), "volume <code>vol1</code>");
        // A store that should get no traffic answers 503, and is a server.
        let sick = Health::of_kvstore(
            r#"{"status":"unavailable","reason":"3 merges <failed>","volume_id":"vol1","keys":0}"#,
        )
        .expect("still kvstore's");
        assert!(!sick.is_healthy());
        assert!(
            sick.words_html()
                .contains("unavailable: 3 merges &lt;failed&gt;")
        );
    }

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

    fn numbered(ids: &[u32], active: u32) -> Summary {
        let segments = ids
            .iter()
            .map(|id| SegmentSummary {
                id: *id,
                kind: Word::Known(SegmentKind::Log),
                active: *id == active,
                sealed: *id != active,
                len: 1000,
                live_bytes: 984,
                live_records: 10,
                overwritten_bytes: 0,
                tombstone_bytes: 0,
                tombstones: 0,
                expired_bytes: 0,
                expired_records: 0,
                meta_bytes: 16,
                corrupt_bytes: 0,
                policy: None,
            })
            .collect();
        Summary {
            segments,
            next_merge: Vec::new(),
        }
    }

    /// Applies `changes` to a list of ids as the page applies them to the
    /// strips' elements.
    fn apply(mut shown: Vec<u32>, changes: &[StripChange], fresh: &Summary) -> Vec<u32> {
        for change in changes {
            match change {
                StripChange::Redraw(_) => shown = fresh.segments.iter().map(|s| s.id).collect(),
                StripChange::Remove(at) => {
                    shown.remove(*at);
                }
                StripChange::Insert(at, html) => {
                    let id = html
                        .split("data-segment=\"")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .and_then(|id| id.parse().ok())
                        .expect("an id");
                    shown.insert(*at, id);
                }
                StripChange::Update(at, _) | StripChange::Relabel(at, _) => {
                    assert!(*at < shown.len())
                }
            }
        }
        shown
    }

    #[test]
    fn a_write_changes_one_strip_and_a_merge_only_what_it_touched() {
        let mut drawn = DrawnStrips::default();
        let before = numbered(&(1..=1000).collect::<Vec<_>>(), 1000);
        let first = drawn.show(&strips(&before, None));
        assert!(
            matches!(first.as_slice(), [StripChange::Redraw(html)] if html.matches("<div").count() == 1000)
        );

        // A write: the active segment grows (within the scale, 1024
        // bytes), nothing else changes.
        let mut written = before.clone();
        written.segments[999].len += 20;
        written.segments[999].live_bytes += 20;
        let changes = drawn.show(&strips(&written, None));
        assert_eq!(changes.len(), 2, "{changes:?}");
        let StripChange::Update(at, attributes) = &changes[0] else {
            panic!("an update, not {changes:?}");
        };
        assert_eq!(*at, 999);
        assert!(attributes.iter().any(|(name, _)| *name == "data-len"));
        assert!(attributes.iter().all(|(name, _)| *name != "data-segment"));
        // Its size is in its label.
        assert_eq!(
            changes[1],
            StripChange::Relabel(999, "seg 1000 · 1020 B · active".to_owned())
        );

        // Nothing changed: nothing to do.
        assert!(drawn.show(&strips(&written, None)).is_empty());

        // A merge of 10 and 11 into 1001, and a fresh active segment 1002.
        let mut merged: Vec<u32> = (1..=1000).filter(|id| *id != 10 && *id != 11).collect();
        merged.extend([1001, 1002]);
        let after = numbered(&merged, 1002);
        let changes = drawn.show(&strips(&after, None));
        assert!(!changes.iter().any(|c| matches!(c, StripChange::Redraw(_))));
        assert_eq!(
            changes
                .iter()
                .filter(|c| matches!(c, StripChange::Remove(_)))
                .count(),
            2
        );
        assert_eq!(
            changes
                .iter()
                .filter(|c| matches!(c, StripChange::Insert(..)))
                .count(),
            2
        );
        // 1000 was active and is sealed now: one update.
        assert_eq!(
            changes
                .iter()
                .filter(|c| matches!(c, StripChange::Update(..)))
                .count(),
            1
        );
        let shown = apply(
            written.segments.iter().map(|s| s.id).collect(),
            &changes,
            &after,
        );
        assert_eq!(shown, merged);
        assert_eq!(drawn.ids().collect::<Vec<_>>(), merged);
    }

    #[test]
    fn strips_out_of_order_redraw_everything() {
        let mut drawn = DrawnStrips::default();
        drawn.show(&strips(&numbered(&[1, 2, 3], 3), None));
        let changes = drawn.show(&strips(&numbered(&[2, 1, 3], 3), None));
        assert!(matches!(changes.as_slice(), [StripChange::Redraw(_)]));
        drawn.forget();
        assert!(drawn.is_empty());
        assert!(matches!(
            drawn.show(&strips(&numbered(&[1], 1), None)).as_slice(),
            [StripChange::Redraw(_)]
        ));
    }

    #[test]
    fn opening_a_segment_changes_its_strip_alone() {
        let summary = numbered(&[1, 2, 3], 3);
        let mut drawn = DrawnStrips::default();
        drawn.show(&strips(&summary, None));
        let changes = drawn.show(&strips(&summary, Some(2)));
        assert_eq!(changes.len(), 1);
        assert!(
            matches!(&changes[0], StripChange::Update(1, a) if a.iter().any(|(n, v)| *n == "aria-pressed" && v == "true"))
        );
    }

    #[test]
    fn keys_move_the_tab_stop_within_the_strips() {
        assert_eq!(moved(0, 10, "ArrowDown", 5), Some(1));
        assert_eq!(moved(0, 10, "ArrowUp", 5), Some(0));
        assert_eq!(moved(9, 10, "ArrowDown", 5), Some(9));
        assert_eq!(moved(3, 10, "PageDown", 5), Some(8));
        assert_eq!(moved(8, 10, "PageDown", 5), Some(9));
        assert_eq!(moved(3, 10, "PageUp", 5), Some(0));
        assert_eq!(moved(3, 10, "End", 5), Some(9));
        assert_eq!(moved(3, 10, "Home", 5), Some(0));
        assert_eq!(moved(3, 10, "Enter", 5), None);
        assert_eq!(moved(0, 0, "ArrowDown", 5), None);
    }

    #[test]
    fn stats_are_grouped_for_reading() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
        let stats: ServerStats = parse("stats", STATS).expect("parses");
        let values = stat_values(&stats);
        assert!(values.contains(&("keys", "3".to_owned())));
        assert!(values.contains(&("write_amplification", "2.07".to_owned())));
        assert!(values.contains(&("compactions", "2".to_owned())));
    }

    #[test]
    fn the_next_merge_names_its_segments_and_why() {
        let html = next_merge_html(&summary());
        assert!(
            html.starts_with(r#"<p data-next="3"><b>Next merge: segment 3.</b>"#),
            "{html}"
        );
        assert!(html.contains("segment 3: dead fraction reached the trigger, 62% dead"));
        let mut none = summary();
        none.next_merge.clear();
        let html = next_merge_html(&none);
        assert!(html.contains(r#"data-next="none""#));
        assert!(html.contains("the deadest, segment 3, is 62% dead"));
        let html = next_merge_html(&numbered(&[1], 1));
        assert!(html.contains("there is no sealed segment"));
    }

    #[test]
    fn a_merge_in_the_log_says_what_went_in_and_out_and_why() {
        let merge: CompactionEvent = parse("a compaction", COMPACTION).expect("parses");
        let html = compaction_html(&merge, 1, Now::utc(1_796_174_252_316));
        assert!(html.starts_with(r#"<li data-compaction="1" data-trigger="policy" data-inputs="2 3" data-outputs="5">"#), "{html}");
        assert!(html.contains("segments <b>2, 3</b> → <b>5</b>"));
        assert!(
            html.contains(r#"<span data-reclaimed="41">41 B reclaimed</span> (191 B → 150 B)"#)
        );
        assert!(html.contains("why: segment 2: dead fraction reached the trigger; segment 3: small segment, packed with the others"));
        let full = CompactionEvent {
            trigger: Some(Word::Known(CompactionTrigger::Full)),
            ..merge
        };
        assert!(compaction_html(&full, 2, Now::utc(0)).contains("full compaction"));
        assert!(empty_log_html(0).contains("No merge since this tab connected"));
        assert!(empty_log_html(3).contains("ran 3 merges before"));
    }

    #[test]
    fn records_page_on_from_the_servers_cursor() {
        let page: RecordPage = parse("records", RECORDS).expect("parses");
        let first = RecordCursor::first(3);
        assert_eq!(first.url(), "/segments/3/records?limit=100");
        let second = first.next(&page).expect("more follow");
        assert_eq!(second.url(), "/segments/3/records?limit=100&after=84");
        assert_eq!(second.first_number(), 101);
        let last = RecordPage {
            next: None,
            ..page.clone()
        };
        assert_eq!(second.next(&last), None);

        let html = records_html(&page, first);
        assert!(html.contains(r#"data-records-segment="3" data-page="1" data-rows="3""#));
        assert!(html.contains("records 1–3 — more follow"));
        assert!(html.contains(r#"<tr data-offset="47" data-state="meta">"#));
        assert!(
            html.contains("<td>commit</td>"),
            "the engine's word for a commit"
        );
        assert!(html.contains("&lt;b&gt;gone&lt;/b&gt;"), "keys are escaped");
        assert!(!html.contains("<b>gone</b>"));
        let empty = RecordPage {
            records: Vec::new(),
            next: None,
            ..page
        };
        assert!(records_html(&empty, second).contains("no records — the last page"));
    }
}
