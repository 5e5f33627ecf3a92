//! The segment map as HTML: one strip per segment with a cell per record,
//! the compaction walk's preview strips, and the details panel for whatever
//! cell the pointer is on.
//!
//! A sealed segment the policy has assessed also gets a meter under its
//! strip: its dead bytes as a bar, the policy's threshold and trigger as
//! labelled marks where those bytes would have to reach, and in its label
//! how dead it is and, for the next merge's inputs, why the policy takes
//! them; a merge on show marks its inputs and outputs (`merging-input`,
//! `merge-output`).
//!
//! The one shape this module owns is [`CellId`], the `data-i` name of a map
//! cell: written here, parsed back by the page on hover and click.
//!
//! Strips hold nothing that changes with the time alone: an expiring record
//! is marked (`expiring`, with its `data-expires-at`) but its countdown is
//! only in the details panel. So a strip's HTML changes when a record of it
//! expires — the page reads the layout again then — and not every second,
//! and the page's strip cache replaces just that strip.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `strip` | one segment's strip and its cells ([`strip_html`]) |
//! | `meter` | the policy on a strip: the dead-bytes meter under it, its hooks and the words in its label |
//! | `preview` | the compaction walk's output segments as they fill ([`preview_html`]) |
//! | `details` | the details panel: a record, a header, corrupt bytes |
//! | `cell_id` | [`CellId`], the `data-i` name of a cell |
//! | `scale` | [`StripScale`]: bytes, percentages and pixels of a strip |
//!
//! Imports run down that table (`strip` draws `meter`'s parts, everyone
//! measures with `scale`), and this file only re-exports.

mod cell_id;
mod details;
mod meter;
mod preview;
mod scale;
mod strip;

#[cfg(test)]
mod fixtures;

pub use cell_id::CellId;
pub use details::{DETAILS_HINT, corrupt_details_html, header_details_html, record_details_html};
pub use preview::preview_html;
pub use scale::StripScale;
pub use strip::strip_html;
