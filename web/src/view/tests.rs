//! Unit tests of `view`, beside it so that the module itself reads as
//! one concern.

use super::*;
use std::sync::Arc;
use std::time::Duration;

use mini_kvstore::{KvStore, ManualClock, MemStorage, Options, SyncPolicy};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn store(segment_size: u64) -> Result<KvStore, mini_kvstore::Error> {
    KvStore::open_with(
        MemStorage::new(),
        // The map is drawn from what the test wrote: no background
        // merge may tidy it first (the browser has no threads anyway).
        Options::default()
            .max_segment_size(segment_size)
            .sync_policy(SyncPolicy::Never)
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false)),
    )
}

fn settings(strip_px: u32) -> MapSettings {
    MapSettings {
        segment_size: 256,
        strip_px,
        ..MapSettings::default()
    }
}

fn records(view: &MapView) -> Vec<(u32, RecordState)> {
    view.strips
        .iter()
        .flat_map(|s| {
            s.cells.iter().filter_map(move |c| match c.kind {
                CellKind::Record { state, kind, .. } if kind != RecordKind::Seal => {
                    Some((s.id, state))
                }
                _ => None,
            })
        })
        .collect()
}

#[test]
fn states_follow_overwrites_and_deletes() -> TestResult {
    let store = store(4096)?;
    store.set("a", "1")?;
    store.set("a", "2")?;
    store.set("b", "3")?;
    store.delete("b")?;
    let view = map_view(&store.layout()?, &settings(800));
    let states: Vec<RecordState> = records(&view).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        states,
        vec![
            RecordState::Overwritten,
            RecordState::Live,
            RecordState::Overwritten,
            RecordState::Tombstone
        ]
    );
    assert!(view.strips[0].active);
    Ok(())
}

#[test]
fn cells_tile_the_segment_in_order() -> TestResult {
    let store = store(256)?;
    for i in 0..30 {
        store.set(format!("key{}", i % 4), format!("value {i}"))?;
    }
    let view = map_view(&store.layout()?, &settings(800));
    assert!(view.strips.len() > 2, "small segments rotate");
    for strip in &view.strips {
        let mut end = 0;
        for cell in &strip.cells {
            assert_eq!(cell.start, end, "segment {}", strip.id);
            end = cell.start + cell.len;
        }
        assert_eq!(end, strip.len);
        assert!(strip.len <= view.scale);
    }
    let sealed = view.strips.iter().filter(|s| s.sealed).count();
    assert_eq!(sealed, view.strips.len() - 1, "all but the active one");
    Ok(())
}

#[test]
fn selecting_a_key_marks_its_records_and_the_index_target() -> TestResult {
    let store = store(4096)?;
    store.set("a", "1")?;
    store.set("b", "x")?;
    store.set("a", "2")?;
    let mut settings = settings(800);
    settings.selected_key = Some(b"a".to_vec());
    let view = map_view(&store.layout()?, &settings);
    let marks: Vec<Marks> = view.strips[0]
        .cells
        .iter()
        .filter(|c| matches!(c.kind, CellKind::Record { .. }))
        .map(|c| c.marks)
        .collect();
    assert!(marks[0].selected && !marks[0].index_target);
    assert!(!marks[1].selected);
    assert!(marks[2].selected && marks[2].index_target);
    Ok(())
}

#[test]
fn narrow_cells_are_aggregated_and_marked_ones_kept() -> TestResult {
    let store = store(4096)?;
    for i in 0..2000 {
        store.set(format!("k{}", i % 50), "v")?;
    }
    let layout = store.layout()?;
    let total: usize = layout.segments.iter().map(|s| s.records.len()).sum();
    let mut settings = settings(40);
    settings.segment_size = 4096;
    settings.selected_key = Some(b"k7".to_vec());
    let view = map_view(&layout, &settings);
    let drawn: usize = view.strips.iter().map(|s| s.cells.len()).sum();
    assert!(drawn < total / 2, "{drawn} cells for {total} records");
    for strip in &view.strips {
        let marked = strip.cells.iter().filter(|c| c.marks.selected).count();
        // At least a pixel each, plus the marked cells and the header
        // (each of which can cut one run short).
        assert!(
            strip.cells.len() <= 40 + 2 * (marked + 1),
            "segment {}",
            strip.id
        );
    }
    let aggregated: usize = view
        .strips
        .iter()
        .flat_map(|s| &s.cells)
        .map(|c| match c.kind {
            CellKind::Aggregate { count, .. } => count,
            CellKind::Record { .. } => 1,
            _ => 0,
        })
        .sum();
    assert_eq!(aggregated, total, "every record is in exactly one cell");
    let selected = view
        .strips
        .iter()
        .flat_map(|s| &s.cells)
        .filter(|c| c.marks.selected)
        .count();
    assert_eq!(selected, 40, "k7 was written 40 times, each drawn alone");
    Ok(())
}

#[test]
fn the_plan_marks_survivors_and_doomed_segments() -> TestResult {
    let store = store(256)?;
    for i in 0..20 {
        store.set(format!("k{}", i % 3), format!("v{i}"))?;
    }
    let layout = store.layout()?;
    let mut settings = settings(800);
    settings.overlay = PlanOverlay::Plan;
    let view = map_view(&layout, &settings);
    assert!(view.strips.iter().all(|s| s.doomed));
    let survivors = view
        .strips
        .iter()
        .flat_map(|s| &s.cells)
        .filter(|c| c.marks.survives)
        .count();
    assert_eq!(survivors, 3);
    Ok(())
}

#[test]
fn the_walk_packs_outputs_like_compaction_does() -> TestResult {
    let store = store(256)?;
    for i in 0..40 {
        store.set(format!("key{i:02}"), format!("value {i}"))?;
    }
    let layout = store.layout()?;
    let plan = &layout.plan;
    let outputs = walk_outputs(plan, plan.survivors.len(), 256);
    assert_eq!(outputs.len(), plan.output_segments);
    assert!(outputs.iter().all(|o| o.len <= 256));
    let copied: usize = outputs.iter().map(|o| o.records.len()).sum();
    assert_eq!(copied, 40);
    assert!(walk_outputs(plan, 0, 256).is_empty());

    let mut settings = settings(800);
    settings.overlay = PlanOverlay::Walk { step: 2 };
    let view = map_view(&layout, &settings);
    let cells: Vec<&Cell> = view.strips.iter().flat_map(|s| &s.cells).collect();
    assert_eq!(cells.iter().filter(|c| c.marks.copied).count(), 2);
    assert_eq!(cells.iter().filter(|c| c.marks.next).count(), 1);
    Ok(())
}

#[test]
fn index_rows_are_the_live_keys_in_order() -> TestResult {
    let store = store(256)?;
    store.set("b", "1")?;
    store.set("a", "1")?;
    store.set("b", "2")?;
    store.set("c", "1")?;
    store.delete("c")?;
    let rows = index_rows(&store.layout()?);
    let keys: Vec<&[u8]> = rows.iter().map(|r| r.key.as_slice()).collect();
    assert_eq!(keys, vec![&b"a"[..], b"b"]);
    let b = store.get_versioned("b")?.ok_or("b is set")?;
    assert_eq!(rows[1].seq, b.seq);
    Ok(())
}

#[test]
fn an_expiring_record_is_marked_until_it_expires_then_dead() -> TestResult {
    let t0 = 1_741_096_980_000;
    let clock = Arc::new(ManualClock::new(t0));
    let store = KvStore::open_with(
        MemStorage::new(),
        Options::default()
            .sync_policy(SyncPolicy::Never)
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
            .clock(Arc::clone(&clock)),
    )?;
    store.set("plain", "1")?;
    store.set_with_ttl("session", "token", Duration::from_secs(10))?;
    let marks_and_states = || -> Result<Vec<(bool, RecordState)>, mini_kvstore::Error> {
        let view = map_view(&store.layout()?, &settings(800));
        Ok(view.strips[0]
            .cells
            .iter()
            .filter_map(|c| match c.kind {
                CellKind::Record { state, .. } => Some((c.marks.expiring, state)),
                _ => None,
            })
            .collect())
    };
    let ticking = vec![(false, RecordState::Live), (true, RecordState::Live)];
    for at in [0, 1_000, 9_999] {
        clock.set(t0 + at);
        assert_eq!(marks_and_states()?, ticking, "at +{at} ms");
    }
    let dead_before = store.stats().dead_bytes;
    assert_eq!(store.stats().keys, 2);

    clock.set(t0 + 10_000);
    let dead = vec![(false, RecordState::Live), (false, RecordState::Expired)];
    assert_eq!(marks_and_states()?, dead);
    let layout = store.layout()?;
    let session = &layout.segments[0].records[1];
    assert_eq!(store.stats().keys, 1, "an expired key does not count");
    assert_eq!(store.stats().dead_bytes, dead_before + session.len);
    let rows = index_rows(&layout);
    assert_eq!(rows.len(), 1, "the index panel lists live keys only");

    // Overwritten with a plain value: the key no longer expires.
    store.set_with_ttl("session", "again", Duration::from_secs(10))?;
    store.set("session", "for good")?;
    let marks = marks_and_states()?;
    assert!(marks.iter().all(|(expiring, _)| !expiring), "{marks:?}");
    Ok(())
}

#[test]
fn expiring_records_aggregate_and_mark_their_aggregate() -> TestResult {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let store = KvStore::open_with(
        MemStorage::new(),
        Options::default()
            .max_segment_size(4096)
            .sync_policy(SyncPolicy::Never)
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
            .clock(Arc::clone(&clock)),
    )?;
    for i in 0..100 {
        store.set_with_ttl(format!("k{i:02}"), "v", Duration::from_secs(60))?;
    }
    let mut settings = settings(40);
    settings.segment_size = 4096;
    let view = map_view(&store.layout()?, &settings);
    let cells: Vec<&Cell> = view.strips.iter().flat_map(|s| &s.cells).collect();
    let aggregates: Vec<&&Cell> = cells
        .iter()
        .filter(|c| matches!(c.kind, CellKind::Aggregate { .. }))
        .collect();
    assert!(!aggregates.is_empty(), "a TTL does not stop aggregation");
    assert!(aggregates.iter().all(|c| c.marks.expiring));
    assert!(cells.len() < 100);
    Ok(())
}

#[test]
fn bytes_are_shown_safely() {
    assert_eq!(show_bytes(b"hello", 10), "hello");
    assert_eq!(show_bytes(b"a\nb", 10), "a\\nb");
    assert_eq!(show_bytes(&[0xff, b'a'], 10), "\\xffa");
    assert_eq!(show_bytes(b"abcdefghij", 5), "abcd…");
}
