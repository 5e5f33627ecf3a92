//! The learner's store set aside while a lesson runs on a store of its
//! own, and brought back afterwards (see the panel's module docs).
//!
//! Both ways hold the flusher's turn from before the first flush to after
//! the store swap, so no flush runs in between and one store's bytes never
//! reach the other's database: [`Turn::use_database`] changes where the
//! flusher writes, and the page's store is replaced in the same turn.
//!
//! [`Turn::use_database`]: crate::app::flusher::Turn::use_database

use mini_kvstore_commands::{Tone, count};

use super::state::learn;
use crate::app::dom::PageError;
use crate::app::page::with_page;
use crate::app::settings::SegmentSize;
use crate::app::store::OpenStore;
use crate::idb::Database;
use crate::learn::facts::Facts;
use crate::learn::lessons::SEGMENT_SIZE;
use crate::recovery::KeyDiff;
use crate::storage::IdbStorage;

/// The database lessons keep their store in, apart from the learner's.
const LESSON_DATABASE: &str = "mini-kvstore-playground-lesson";

fn lesson_size() -> SegmentSize {
    SegmentSize::parse(&SEGMENT_SIZE.to_string()).unwrap_or_else(SegmentSize::saved)
}

/// Puts a fresh lesson store on show, setting the learner's aside if it is
/// on show (see the module docs).
pub(super) async fn fresh_lesson_store() -> Result<(), PageError> {
    let Some(flusher) = with_page(|page| {
        page.set_busy(true);
        page.flusher().clone()
    }) else {
        return Ok(());
    };
    let turn = flusher.claim().await;
    let prepared = async {
        let in_lesson = learn(|l| l.own_db.is_some());
        if !in_lesson {
            // The learner's keys reach their own database before it is
            // set aside.
            turn.flush_all().await?;
        }
        let db = match learn(|l| l.lesson_db.clone()) {
            Some(db) => db,
            None => {
                let db = Database::open(LESSON_DATABASE).await?;
                learn(|l| l.lesson_db = Some(db.clone()));
                db
            }
        };
        db.clear().await?;
        let open = OpenStore::open(IdbStorage::new(), lesson_size())?;
        Ok::<_, PageError>((db, open, in_lesson))
    }
    .await;
    let result = match prepared {
        Ok((db, open, in_lesson)) => {
            if !in_lesson {
                let own = turn.db();
                learn(|l| l.own_db = Some(own));
            }
            turn.use_database(db);
            with_page(|page| {
                page.set_busy(false);
                page.replace_store_sized(open, lesson_size());
            });
            Ok(())
        }
        Err(error) => {
            with_page(|page| page.set_busy(false));
            Err(error)
        }
    };
    drop(turn);
    result
}

/// Brings the learner's own store back, if a lesson's is on show.
pub(super) async fn restore_own_store() {
    let Some(own) = learn(|l| l.own_db.clone()) else {
        return;
    };
    let size = SegmentSize::saved();
    let Some((flusher, options)) = with_page(|page| {
        page.set_busy(true);
        // The learner's settings (segment size, the policy panel's policy).
        (page.flusher().clone(), page.store_options(size))
    }) else {
        return;
    };
    let turn = flusher.claim().await;
    let reopened = async {
        let (storage, loaded) = own.load().await?;
        let mut open = OpenStore::open_with(storage, options)?;
        let recovery = open.recovery_found(loaded.problems, KeyDiff::default());
        open.recovery = recovery.worth_showing_at_start().then_some(recovery);
        Ok::<_, PageError>(open)
    }
    .await;
    match reopened {
        Ok(open) => {
            turn.use_database(own);
            learn(|l| l.own_db = None);
            let keys = open.store.len();
            with_page(|page| {
                page.set_busy(false);
                page.print_line(
                    format!(
                        "# Your own store is back: {}, as you left it.",
                        count(keys as u64, "key")
                    ),
                    Tone::Muted,
                );
                page.replace_store_sized(open, size);
            });
            // The lesson's bytes are of no more use.
            if let Some(db) = learn(|l| l.lesson_db.clone()) {
                let _ = db.clear().await;
            }
        }
        Err(error) => {
            // Stay on the lesson's database: an empty store pointed at the
            // learner's would overwrite their segments with its own.
            with_page(|page| {
                page.set_busy(false);
                page.print_line(
                    format!("Your own store could not be loaded back: {error}. Reload the page to try again."),
                    Tone::Bad,
                );
            });
        }
    }
    drop(turn);
}

pub(super) fn read_facts() -> Option<Facts> {
    with_page(|page| Facts::read(&page.store().store, page.store().layout.clone()))
}
