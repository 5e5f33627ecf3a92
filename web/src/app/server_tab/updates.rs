//! Each event of the `/events` stream drawn: `stats` (only the cells that
//! changed), `segments` (through the strips, and the next merge),
//! `compaction` (a line in the log, which keeps the latest).

use wasm_bindgen::JsValue;

use super::state::ServerTab;
use super::timing::{
    MARK_CONNECT, MARK_EVENT, MEASURE_FIRST_DRAW, MEASURE_SEGMENTS, MEASURE_STATS, measure,
};
use crate::clock::utc_offset_minutes;
use crate::expiry::Now;
use crate::server_view::{self as view, CompactionEvent, ServerStats, Summary};

/// Merges the log keeps.
const LOG_LIMIT: usize = 50;

impl ServerTab {
    pub(super) fn on_stats(&mut self, text: &str) {
        let stats: ServerStats = match view::parse("a stats event", text) {
            Ok(stats) => stats,
            Err(error) => return self.complain(&error.to_string()),
        };
        if self.merges_before.is_none() {
            self.merges_before = Some(stats.compactions);
            if self.merges == 0 {
                self.set_html("server-log", &view::empty_log_html(stats.compactions));
            }
        }
        let values = view::stat_values(&stats);
        if let Some(grid) = self.el("server-stats") {
            for (name, value) in &values {
                if self
                    .stat_values
                    .iter()
                    .any(|(n, v)| n == name && v == value)
                {
                    continue;
                }
                if let Ok(Some(cell)) =
                    grid.query_selector(&format!(r#"[data-server-stat="{name}"]"#))
                {
                    cell.set_text_content(Some(value));
                }
            }
        }
        self.stat_values = values;
        measure(MEASURE_STATS, MARK_EVENT);
    }

    pub(super) fn on_segments(&mut self, text: &str) {
        let summary: Summary = match view::parse("a segments event", text) {
            Ok(summary) => summary,
            Err(error) => return self.complain(&error.to_string()),
        };
        let next = view::next_merge_html(&summary);
        if next != self.next_html {
            self.set_html("server-next", &next);
            self.next_html = next;
        }
        if let Some(open) = self.open_segment
            && !summary.segments.iter().any(|s| s.id == open)
        {
            self.set_note(&format!(
                "Segment {open} is gone: a merge removed it (its live records are in the merge's outputs). Pick another strip."
            ));
            self.open_segment = None;
            self.next_cursor = None;
            self.enable_paging();
        }
        self.summary = Some(summary);
        self.draw_strips();
        measure(MEASURE_SEGMENTS, MARK_EVENT);
        if std::mem::take(&mut self.awaiting_first_draw) {
            measure(MEASURE_FIRST_DRAW, MARK_CONNECT);
        }
    }

    pub(super) fn on_compaction(&mut self, text: &str) {
        let event: CompactionEvent = match view::parse("a compaction event", text) {
            Ok(event) => event,
            Err(error) => return self.complain(&error.to_string()),
        };
        let Some(log) = self.el("server-log") else {
            return;
        };
        if self.merges == 0 {
            log.set_inner_html("");
        }
        self.merges += 1;
        let now = Now {
            millis: js_sys::Date::now() as u64,
            utc_offset_minutes: utc_offset_minutes(),
        };
        let _ = log.insert_adjacent_html(
            "afterbegin",
            &view::compaction_html(&event, self.merges, now),
        );
        self.logged += 1;
        while self.logged > LOG_LIMIT {
            self.logged -= 1;
            if let Some(oldest) = log.last_element_child() {
                oldest.remove();
            }
        }
    }

    fn complain(&self, message: &str) {
        web_sys::console::error_1(&JsValue::from_str(message));
        self.status("live", &format!("Live, but {message}"));
    }
}
