//! The User Timing marks and measures (names starting `server-tab:`) that
//! the developer tools show and `tests/e2e/measure-server-tab.mjs` reads;
//! the names are the contract with that script.

/// The names the handlers are timed under (`performance.measure`).
pub(super) const MEASURE_FIRST_DRAW: &str = "server-tab: first draw";
pub(super) const MEASURE_SEGMENTS: &str = "server-tab: segments";
pub(super) const MEASURE_STATS: &str = "server-tab: stats";
pub(super) const MEASURE_RECORDS: &str = "server-tab: records";
pub(super) const MARK_CONNECT: &str = "server-tab:connect";
pub(super) const MARK_EVENT: &str = "server-tab:event";
pub(super) const MARK_RECORDS: &str = "server-tab:records";

pub(super) fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// Starts a timing: `performance.mark(name)`, replacing the last one.
pub(super) fn mark(name: &str) {
    if let Some(performance) = performance() {
        performance.clear_marks_with_mark_name(name);
        let _ = performance.mark(name);
    }
}

/// Ends one: `performance.measure(name, start)`.
pub(super) fn measure(name: &str, start: &str) {
    if let Some(performance) = performance() {
        let _ = performance.measure_with_start_mark(name, start);
    }
}
