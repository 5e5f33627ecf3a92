//! [`Clock`]: where the store reads the time, so tests and the browser can
//! supply their own.
//!
//! The store asks the time for what it reports (when a compaction ran, how
//! long it took). `wasm32-unknown-unknown` has no system clock — asking std
//! for one panics there — so on that target the default clock says 0 and a
//! host that has a clock (the playground reads `Date.now()`) passes its own.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The time now, in milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;
}

/// The operating system's clock (native builds); 0 on wasm32, which has
/// none (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        #[cfg(not(target_arch = "wasm32"))]
        {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as u64)
        }
        #[cfg(target_arch = "wasm32")]
        {
            0
        }
    }
}

/// A clock that moves only when told: for tests, and for hosts that keep
/// time themselves.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    /// A clock that reads `millis`.
    pub fn new(millis: u64) -> Self {
        ManualClock {
            now: AtomicU64::new(millis),
        }
    }

    /// Sets the time.
    pub fn set(&self, millis: u64) {
        self.now.store(millis, Ordering::Release);
    }

    /// Moves the time on by `millis`.
    pub fn advance(&self, millis: u64) {
        self.now.fetch_add(millis, Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.now.load(Ordering::Acquire)
    }
}

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now_millis(&self) -> u64 {
        (**self).now_millis()
    }
}
