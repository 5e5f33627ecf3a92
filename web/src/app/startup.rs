//! Start-up: what happens before the page can be used, and what it shows if
//! that fails.
//!
//! In order: take the tab lock (a Web Lock, the browser's counterpart of the
//! engine's lock file: two tabs flushing their own working sets into one
//! database would overwrite each other's chunks), open the database, load
//! the segments, open the store (the engine's recovery runs here), build the
//! [`Page`] with its [`Flusher`], wire the controls, draw. Any failure ends
//! in a banner and `<body data-ready="error">`, which the end-to-end suite
//! waits for; success in `data-ready="true"`.

use js_sys::{Function, Object, Promise, Reflect};
use mini_kvstore_commands::{Tone, count, human_bytes};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};

use super::dom::{PageError, document, set_body_flag};
use super::events::wire;
use super::flusher::{Flusher, Hooks};
use super::learn;
use super::page::{Page, install, with_page};
use super::server_tab;
use super::settings::SegmentSize;
use super::store::OpenStore;
use crate::idb::{DATABASE_NAME, Database};
use crate::recovery::KeyDiff;
use crate::render;
use crate::working_set::LoadReport;

/// How often to ask for the tab lock, and how long to wait in between: a
/// reload can start before the previous page has let go of it.
const LOCK_ATTEMPTS: u32 = 20;
const LOCK_RETRY_MS: i32 = 100;

/// Starts the page once the module is loaded (trunk calls this).
#[wasm_bindgen(start)]
pub fn start() {
    spawn_local(async {
        if let Err(error) = boot().await {
            show_fatal(&error);
        }
    });
}

fn show_fatal(error: &PageError) {
    web_sys::console::error_1(&JsValue::from_str(&error.to_string()));
    let Some(doc) = document() else {
        return;
    };
    if let Some(banner) = doc.get_element_by_id("banner") {
        banner.set_inner_html(&format!(
            "<b>The playground could not start:</b> {}",
            render::escape(&error.to_string())
        ));
        let _ = banner.remove_attribute("hidden");
    }
    set_body_flag(&doc, "ready", Some("error"));
}

async fn boot() -> Result<(), PageError> {
    let Some(doc) = document() else {
        return Ok(());
    };
    // Loaded into another page (the browser test harness): nothing to drive.
    if doc.get_element_by_id("map-strips").is_none() {
        return Ok(());
    }
    if !claim_tab_lock().await {
        return Err(PageError::OtherTab);
    }
    let size = SegmentSize::saved();
    let db = Database::open(DATABASE_NAME).await?;
    let (storage, loaded) = db.load().await?;
    let mut open = OpenStore::open(storage, size)?;
    let recovery = open.recovery_found(loaded.problems.clone(), KeyDiff::default());
    open.recovery = recovery.worth_showing_at_start().then_some(recovery);
    let greeting = greeting(&loaded, open.store.len());

    // The flusher reaches the page only through these, and only from its
    // own tasks, never while a handler holds the page.
    let flusher = Flusher::new(
        db,
        Hooks {
            storage: Box::new(|| with_page(|page| page.store().storage.clone())),
            settled: Box::new(|| {
                with_page(|page| page.draw_flush_status());
            }),
        },
    );
    install(Page::new(doc.clone(), flusher, size, open));
    wire(&doc)?;
    with_page(|page| {
        size.show(&doc);
        page.print_line(greeting, Tone::Muted);
        page.print_line("Type help for the commands.", Tone::Muted);
        page.after_change();
    });
    // The address may name a lesson step: the Learn panel takes it from here.
    learn::start();
    // The Server tab, if the address asks for it (whether a kvstore
    // serves the page it asks when it first opens).
    server_tab::start(&doc);
    set_body_flag(&doc, "ready", Some("true"));
    Ok(())
}

/// The first line of the console: what was loaded.
fn greeting(loaded: &LoadReport, keys: usize) -> String {
    if loaded.segments == 0 {
        "A fresh, empty store. Try: set hello world — or press “Load sample data”.".to_owned()
    } else {
        format!(
            "Loaded {} ({}) from IndexedDB; recovery rebuilt the index: {}.",
            count(loaded.segments as u64, "segment"),
            human_bytes(loaded.bytes),
            count(keys as u64, "key"),
        )
    }
}

/// Takes the playground's Web Lock for the life of the page. `false` when
/// another tab holds it. Browsers without the Web Locks API get no guard.
async fn claim_tab_lock() -> bool {
    let Some(window) = web_sys::window() else {
        return true;
    };
    let locks = Reflect::get(&window.navigator(), &JsValue::from_str("locks"))
        .ok()
        .filter(|locks| locks.is_object());
    let request = locks.as_ref().and_then(|locks| {
        Reflect::get(locks, &JsValue::from_str("request"))
            .ok()?
            .dyn_into::<Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        return true;
    };
    for _ in 0..LOCK_ATTEMPTS {
        let granted = Promise::new(&mut |resolve, _| {
            let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
                let held = !lock.is_null();
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(held));
                // Returning a promise that never settles keeps the lock
                // until the page goes away.
                if held {
                    Promise::new(&mut |_, _| {}).into()
                } else {
                    JsValue::UNDEFINED
                }
            });
            let options = Object::new();
            let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
            let _ = request.call3(
                &locks,
                &JsValue::from_str(DATABASE_NAME),
                &options,
                &callback,
            );
        });
        let held = JsFuture::from(granted)
            .await
            .ok()
            .and_then(|held| held.as_bool())
            .unwrap_or(true);
        if held {
            return true;
        }
        sleep(LOCK_RETRY_MS).await;
    }
    false
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
