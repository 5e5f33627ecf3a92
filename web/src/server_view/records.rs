//! A segment's records, a page at a time: where the list is in the
//! segment ([`RecordCursor`]) and the page as a table.
//!
//! Pages follow the server's own cursor (`next`, a byte offset), not page
//! numbers, so a segment that grows while it is read misses no record.

use std::fmt::Write as _;

use mini_kvstore::RecordKind;
use mini_kvstore_commands::human_bytes;

use super::json::RecordPage;
use crate::render::escape;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_view::fixtures::RECORDS;
    use crate::server_view::json::parse;

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
