//! The strips as they are on the page, and what to change of them for
//! the next summary.
//!
//! Every `segments` event carries every segment, but a write changes the
//! active segment alone and a merge only what it took and wrote; so the
//! page keeps the strips it drew and [`DrawnStrips::show`] says which to
//! insert, remove or change ([`StripChange`]). A strip whose view did not
//! change keeps its attributes without building its words again: for
//! 1,000 strips that is most of a redraw's time.

use std::collections::BTreeSet;

use super::strip::{StripView, strip_html};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_view::fixtures::numbered;
    use crate::server_view::json::Summary;
    use crate::server_view::strip::strips;

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
}
