//! The arrow from a key's index row to the record the index names: one
//! lookup in memory, one read, drawn as a line the learner can follow.
//!
//! It is drawn in page coordinates in a layer over everything, because the
//! index and the map are separate panels (side by side on wide screens,
//! stacked on narrow ones) and neither can draw into the other.

use web_sys::Document;

use crate::learn::action::{Target, arrow_head};

/// An arrow from `key`'s index row to the record the index names, drawn
/// in page coordinates over everything, or none.
pub(super) fn draw_arrow(doc: &Document, key: Option<&'static str>) {
    let layer = match doc.get_element_by_id("learn-arrow") {
        Some(layer) => layer,
        None => {
            let (Ok(layer), Some(body)) = (doc.create_element("div"), doc.body()) else {
                return;
            };
            layer.set_id("learn-arrow");
            let _ = layer.set_attribute("aria-hidden", "true");
            let _ = body.append_child(&layer);
            layer
        }
    };
    let ends = key.and_then(|key| {
        let row = doc
            .query_selector(&Target::IndexRow(key).selector())
            .ok()??;
        let head = doc.query_selector(&arrow_head(key)).ok()??;
        Some((
            row.get_bounding_client_rect(),
            head.get_bounding_client_rect(),
        ))
    });
    let Some((row, head)) = ends else {
        layer.set_inner_html("");
        return;
    };
    let (sx, sy) = web_sys::window()
        .map(|w| (w.scroll_x().unwrap_or(0.0), w.scroll_y().unwrap_or(0.0)))
        .unwrap_or((0.0, 0.0));
    let end = (head.left() + head.width() / 2.0 + sx, head.top() + sy - 3.0);
    // Beside each other (wide screens): from the row's right end. Stacked
    // (narrow screens): from under the row.
    let start = if end.0 > row.right() + sx {
        (row.right() + sx, row.top() + row.height() / 2.0 + sy)
    } else {
        (row.left() + row.width() / 2.0 + sx, row.bottom() + sy)
    };
    let bend = (end.0, end.1 - 50.0);
    layer.set_inner_html(&format!(
        r#"<svg class="learn-arrow-svg" xmlns="http://www.w3.org/2000/svg"><defs><marker id="learn-arrow-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs><path d="M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" marker-end="url(#learn-arrow-head)"/><circle cx="{:.1}" cy="{:.1}" r="4"/></svg>"#,
        start.0,
        start.1,
        (start.0 + end.0) / 2.0,
        start.1,
        bend.0,
        bend.1,
        end.0,
        end.1,
        start.0,
        start.1,
    ));
}
