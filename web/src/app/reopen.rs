//! Reload and Reset: the two buttons that replace the store with one opened
//! from IndexedDB.
//!
//! Both hold the flusher's turn from start to finish, so no flush runs in
//! between: Reload writes what memory holds, loads it back and opens it as a
//! page reload would (recovery included, with a report of what it repaired
//! and which keys it changed); Reset clears the database and opens an empty
//! store. While they run the page is busy and refuses commands. Either way
//! the new store goes in through `Page::replace_store`, before the turn is
//! given back, so the next flush writes the new store and never the old.

use mini_kvstore::Options;
use mini_kvstore_commands::{Tone, count};

use super::dom::PageError;
use super::flusher::Turn;
use super::page::with_page;
use super::store::OpenStore;
use crate::recovery::{KeyDiff, KeySnapshot, snapshot};
use crate::storage::IdbStorage;

/// The Reload button: flush, then reopen the store from IndexedDB exactly as
/// a page reload would, and report what recovery did.
pub(super) async fn reload() {
    let Some((flusher, options, before)) = with_page(|page| {
        if page.is_busy() {
            return None;
        }
        page.echo("reload");
        page.set_busy(true);
        let before = snapshot(&page.store().layout);
        let options = page.store_options(page.segment_size());
        Some((page.flusher().clone(), options, before))
    })
    .flatten() else {
        return;
    };
    let turn = flusher.claim().await;
    let result = reopen(&turn, options, &before).await;
    with_page(|page| {
        page.set_busy(false);
        match result {
            Ok(open) => {
                let clean = open.recovery.as_ref().is_none_or(|r| r.found_no_damage());
                let report = open.store.recovery_report();
                page.print_line(
                    format!(
                        "Reopened from IndexedDB: {}, {} read, {}. {}",
                        count(report.segments as u64, "segment"),
                        count(report.records, "record"),
                        count(open.store.len() as u64, "key"),
                        if clean {
                            "Recovery found nothing to repair."
                        } else {
                            "Recovery repaired damage: see the recovery report."
                        }
                    ),
                    if clean { Tone::Good } else { Tone::Warning },
                );
                page.replace_store(open);
            }
            Err(error) => {
                page.print_line(format!("reload failed: {error}"), Tone::Bad);
                page.after_change();
            }
        }
    });
    drop(turn);
}

/// Writes everything, loads it back and opens it; `before` is the keys as
/// they were, for the report's diff.
async fn reopen(
    turn: &Turn,
    options: Options,
    before: &KeySnapshot,
) -> Result<OpenStore, PageError> {
    turn.flush_all().await?;
    let (storage, loaded) = turn.db().load().await?;
    let mut open = OpenStore::open_with(storage, options)?;
    let diff = KeyDiff::between(before, &snapshot(&open.layout));
    // After a reload the report is always shown: the learner asked for it.
    open.recovery = Some(open.recovery_found(loaded.problems, diff));
    Ok(open)
}

/// The Reset button: wipe the database and start an empty store.
pub(super) async fn reset() {
    if with_page(|page| page.is_busy()).unwrap_or(true) {
        return;
    }
    let confirmed = web_sys::window()
        .and_then(|w| w.confirm_with_message("Delete every key and segment?").ok())
        .unwrap_or(false);
    if !confirmed {
        return;
    }
    let Some((flusher, options)) = with_page(|page| {
        page.echo("reset");
        page.set_busy(true);
        (
            page.flusher().clone(),
            page.store_options(page.segment_size()),
        )
    }) else {
        return;
    };
    // Holding the turn, no flush of the old store can land after the clear.
    let turn = flusher.claim().await;
    let result = wipe(&turn, options).await;
    with_page(|page| {
        page.set_busy(false);
        match result {
            Ok(open) => {
                page.print_line("The database is empty again.", Tone::Good);
                page.replace_store(open);
            }
            Err(error) => {
                page.print_line(format!("reset failed: {error}"), Tone::Bad);
                page.after_change();
            }
        }
    });
    drop(turn);
}

async fn wipe(turn: &Turn, options: Options) -> Result<OpenStore, PageError> {
    turn.db().clear().await?;
    Ok(OpenStore::open_with(IdbStorage::new(), options)?)
}
