//! The flusher against a real IndexedDB, in headless Chromium: the lesson
//! database switch keeps the learner's store and a lesson's apart.
//!
//! A lesson runs on a store and a database of its own. The Learn panel
//! (`app::learn::stores`) switches holding the flusher's turn: it flushes
//! the learner's store to the learner's database, points the flusher at
//! the lesson's database ([`Turn::use_database`]) and puts the lesson's
//! store on show; coming back, it loads the learner's database, points the
//! flusher back at it and puts that store on show. These tests run the
//! same sequence on the real [`Flusher`], with a stand-in for the page (the
//! store on show, which the flusher asks for at every flush), and read each
//! database back from IndexedDB to see what really reached it.
//!
//! [`Turn::use_database`]: super::Turn::use_database

use std::cell::RefCell;
use std::rc::Rc;

use mini_kvstore::{KvStore, Options, Storage, SyncPolicy};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{Flusher, Hooks};
use crate::idb::{Database, delete_database};
use crate::storage::IdbStorage;

type TestResult = Result<(), String>;

fn options() -> Options {
    Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Never)
}

/// A fresh, empty database called `name`.
async fn fresh(name: &str) -> Result<Database, String> {
    delete_database(name).await.map_err(|e| e.to_string())?;
    Database::open(name).await.map_err(|e| e.to_string())
}

/// The page's part: which store is on show. The flusher asks for its
/// storage at every flush, as it asks the page.
#[derive(Clone, Default)]
struct OnShow(Rc<RefCell<Option<IdbStorage>>>);

impl OnShow {
    /// Puts a store over `storage` on show.
    fn show(&self, storage: IdbStorage) -> Result<KvStore, String> {
        let store = KvStore::open_with(storage.clone(), options()).map_err(|e| e.to_string())?;
        *self.0.borrow_mut() = Some(storage);
        Ok(store)
    }

    fn hooks(&self) -> Hooks {
        let on_show = self.clone();
        Hooks {
            storage: Box::new(move || on_show.0.borrow().clone()),
            settled: Box::new(|| {}),
        }
    }
}

/// The store `db` holds, read back from IndexedDB (recovery included).
async fn stored(db: &Database) -> Result<(IdbStorage, KvStore), String> {
    let (storage, report) = db.load().await.map_err(|e| e.to_string())?;
    if !report.problems.is_empty() {
        return Err(format!("loading found problems: {:?}", report.problems));
    }
    let store = KvStore::open_with(storage.clone(), options()).map_err(|e| e.to_string())?;
    Ok((storage, store))
}

fn text(store: &KvStore, key: &str) -> Result<Option<String>, String> {
    store
        .get(key)
        .map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .map_err(|e| e.to_string())
}

fn set(store: &KvStore, key: &str, value: &str) -> TestResult {
    store.set(key, value).map_err(|e| e.to_string())
}

/// One flush of the store on show, in a turn of its own: what the page's
/// scheduled flush does.
async fn flush(flusher: &Flusher) -> TestResult {
    flusher
        .claim()
        .await
        .flush()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[wasm_bindgen_test]
async fn a_lesson_database_keeps_the_learners_store_apart_and_gives_it_back() -> TestResult {
    let learner = fresh("test-switch-learner").await?;
    let lesson = fresh("test-switch-lesson").await?;
    let on_show = OnShow::default();
    let (storage, _) = learner.load().await.map_err(|e| e.to_string())?;
    let mine = on_show.show(storage)?;
    let flusher = Flusher::new(learner.clone(), on_show.hooks());

    // The learner's store: a write flushed, then two only in memory.
    set(&mine, "mine", "before the lesson")?;
    set(&mine, "shared", "the learner's")?;
    flush(&flusher).await?;
    set(&mine, "unflushed", "only in memory")?;
    set(&mine, "late", "written just before the switch")?;

    // Into the lesson, as the panel does it: holding the turn. A flush
    // asked for meanwhile waits for the turn, and then writes the store on
    // show by then — the lesson's — into the database of that moment.
    let turn = flusher.claim().await;
    flusher.flush_soon();
    turn.flush_all().await.map_err(|e| e.to_string())?;
    lesson.clear().await.map_err(|e| e.to_string())?;
    let own = turn.db();
    turn.use_database(lesson.clone());
    let lesson_storage = IdbStorage::new();
    let in_lesson = on_show.show(lesson_storage.clone())?;
    assert!(
        lesson_storage.unflushed_bytes() > 0,
        "the lesson store's first segment"
    );
    drop(turn);
    // The queued flush was waiting for the turn (it asked during the
    // awaits above), so it has run by the time the turn comes round again:
    // with the lesson's store.
    drop(flusher.claim().await);
    assert_eq!(
        lesson_storage.unflushed_bytes(),
        0,
        "the queued flush wrote the lesson's store"
    );

    set(&in_lesson, "lesson", "the lesson's key")?;
    set(&in_lesson, "shared", "the lesson's")?;
    flush(&flusher).await?;

    // Each database holds its own store and nothing of the other's.
    let (_, learners) = stored(&learner).await?;
    assert_eq!(
        text(&learners, "mine")?.as_deref(),
        Some("before the lesson")
    );
    assert_eq!(
        text(&learners, "unflushed")?.as_deref(),
        Some("only in memory"),
        "flushed before it was set aside"
    );
    assert_eq!(
        text(&learners, "late")?.as_deref(),
        Some("written just before the switch")
    );
    assert_eq!(text(&learners, "shared")?.as_deref(), Some("the learner's"));
    assert_eq!(
        text(&learners, "lesson")?,
        None,
        "no lesson key in the learner's database"
    );
    let (_, lessons) = stored(&lesson).await?;
    assert_eq!(
        text(&lessons, "lesson")?.as_deref(),
        Some("the lesson's key")
    );
    assert_eq!(text(&lessons, "shared")?.as_deref(), Some("the lesson's"));
    for key in ["mine", "unflushed", "late"] {
        assert_eq!(text(&lessons, key)?, None, "{key} is the learner's");
    }

    // Out of the lesson: the learner's store is loaded back and put on
    // show, the flusher points at its database again, the lesson's goes.
    let turn = flusher.claim().await;
    let (storage, back) = stored(&own).await?;
    on_show.show(storage.clone())?;
    turn.use_database(own);
    lesson.clear().await.map_err(|e| e.to_string())?;
    drop(turn);
    assert_eq!(text(&back, "mine")?.as_deref(), Some("before the lesson"));
    assert_eq!(text(&back, "unflushed")?.as_deref(), Some("only in memory"));
    assert_eq!(
        text(&back, "late")?.as_deref(),
        Some("written just before the switch")
    );
    assert_eq!(
        text(&back, "shared")?.as_deref(),
        Some("the learner's"),
        "the lesson's write stayed in the lesson"
    );
    assert_eq!(text(&back, "lesson")?, None);
    assert_eq!(back.len(), 4);

    // And the learner's next write is flushed to the learner's database.
    set(&back, "after", "back from the lesson")?;
    flush(&flusher).await?;
    let (_, learners) = stored(&learner).await?;
    assert_eq!(
        text(&learners, "after")?.as_deref(),
        Some("back from the lesson")
    );
    assert_eq!(text(&learners, "lesson")?, None);
    // Read without opening a store, which would make a first segment.
    let (lesson_left, _) = lesson.load().await.map_err(|e| e.to_string())?;
    assert_eq!(
        lesson_left.list().map_err(|e| e.to_string())?,
        Vec::new(),
        "the lesson's database is empty"
    );
    Ok(())
}
