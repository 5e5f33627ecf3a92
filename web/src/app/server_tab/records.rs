//! A segment's records, listed from `/segments/{id}/records` a page at a
//! time along the server's cursor; an answer to an older request than the
//! latest is dropped.

use wasm_bindgen_futures::spawn_local;

use super::http::get;
use super::state::{ServerTab, with_tab};
use super::timing::{MARK_RECORDS, MEASURE_RECORDS, mark, measure};
use crate::app::dom::set_flag;
use crate::render::escape;
use crate::server_view::{self as view, RecordCursor, RecordPage};

impl ServerTab {
    /// Lists segment `id`'s records from the first page.
    pub(super) fn open(&mut self, id: u32) {
        self.open_segment = Some(id);
        self.tab_stop = Some(id);
        self.draw_strips();
        self.load(RecordCursor::first(id));
    }

    pub(super) fn close_records(&mut self) {
        self.open_segment = None;
        self.cursor = None;
        self.next_cursor = None;
        self.request += 1;
        self.set_note(
            "Click a segment's strip (or Tab to the strips and press Enter) to list its records.",
        );
        self.enable_paging();
        self.draw_strips();
    }

    pub(super) fn set_note(&self, text: &str) {
        self.set_html(
            "server-records-body",
            &format!(r#"<p class="hint">{}</p>"#, escape(text)),
        );
    }

    /// Asks for the records page at `cursor`.
    pub(super) fn load(&mut self, cursor: RecordCursor) {
        mark(MARK_RECORDS);
        self.request += 1;
        let request = self.request;
        if let Some(records) = self.el("server-records") {
            let _ = records.set_attribute("data-loading", "true");
        }
        spawn_local(async move {
            let answer = get(&cursor.url()).await;
            with_tab(|tab| tab.show_records(request, cursor, answer));
        });
    }

    fn show_records(
        &mut self,
        request: u64,
        cursor: RecordCursor,
        answer: Result<(u16, String), String>,
    ) {
        if request != self.request {
            return;
        }
        if let Some(records) = self.el("server-records") {
            let _ = records.remove_attribute("data-loading");
        }
        self.next_cursor = None;
        match answer {
            Ok((200, text)) => match view::parse::<RecordPage>("a records page", &text) {
                Ok(page) => {
                    self.set_html("server-records-body", &view::records_html(&page, cursor));
                    self.cursor = Some(cursor);
                    self.next_cursor = cursor.next(&page);
                }
                Err(error) => self.set_note(&error.to_string()),
            },
            Ok((404, _)) => self.set_note(&format!(
                "Segment {} is gone: a merge removed it since. Pick another strip.",
                cursor.segment
            )),
            Ok((status, text)) => self.set_note(&format!(
                "The server answered {status}: {}",
                text.chars().take(200).collect::<String>()
            )),
            Err(error) => self.set_note(&format!("Could not ask the server: {error}")),
        }
        self.enable_paging();
        measure(MEASURE_RECORDS, MARK_RECORDS);
    }

    /// Next is there while more follow; First once past the first page.
    pub(super) fn enable_paging(&self) {
        let open = self.open_segment.is_some();
        for (id, on) in [
            ("server-next-page", open && self.next_cursor.is_some()),
            (
                "server-first-page",
                open && self.cursor.is_some_and(|c| c.page > 1),
            ),
            ("server-records-close", open),
        ] {
            if let Some(button) = self.el(id) {
                set_flag(&button, "disabled", !on);
            }
        }
    }
}
