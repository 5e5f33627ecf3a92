//! The compaction walk's output segments as *Step* fills them: preview
//! strips under the map, drawn like a segment's but holding only the copies
//! made so far (nothing is written until *Apply*).

use std::fmt::Write as _;

use mini_kvstore::CompactionPlan;
use mini_kvstore_commands::human_bytes;

use super::scale::{LABEL_MIN_PX, percent};
use crate::render::escape;
use crate::view::{PreviewSegment, show_bytes};

/// The output segments the compaction walk has filled so far.
pub fn preview_html(
    outputs: &[PreviewSegment],
    plan: &CompactionPlan,
    scale: u64,
    strip_px: u32,
) -> String {
    let px_per_byte = f64::from(strip_px) / scale.max(1) as f64;
    let mut html = String::new();
    for (n, output) in outputs.iter().enumerate() {
        let _ = write!(
            html,
            r#"<div class="segment preview"><div class="seg-label"><b>new segment {}</b><span class="role">compaction output (not written yet)</span><span class="fill">{} so far</span></div><div class="strip">"#,
            n + 1,
            human_bytes(output.len),
        );
        let _ = write!(
            html,
            r#"<div class="cell hdr" style="left:0%;width:{:.4}%"></div>"#,
            percent(mini_kvstore::SEGMENT_HEADER_LEN, scale)
        );
        for &(survivor, offset, len) in &output.records {
            let key = plan
                .survivors
                .get(survivor)
                .map(|s| show_bytes(&s.key, 40))
                .unwrap_or_default();
            let label = if len as f64 * px_per_byte >= LABEL_MIN_PX {
                escape(&key)
            } else {
                String::new()
            };
            let _ = write!(
                html,
                r#"<div class="cell rec live" style="left:{:.4}%;width:{:.4}%"><span>{label}</span></div>"#,
                percent(offset, scale),
                percent(len, scale)
            );
        }
        html.push_str("</div></div>");
    }
    html
}
