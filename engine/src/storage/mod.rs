//! Where segment bytes live.
//!
//! The engine talks to storage only through [`Storage`]: a small, synchronous,
//! segment-shaped interface. Each method states what is durable when it
//! returns, and the engine's crash safety rests on nothing more than those
//! sentences. Keeping it synchronous keeps `async` out of the engine; the
//! browser backend (in the `web` crate) meets the same contract over
//! IndexedDB by working on an in-memory copy and flushing it.
//!
//! Errors at this layer are plain [`std::io::Error`]s; the engine adds context.
//!
//! The trait and its helpers are in `contract`, which the implementations
//! (`file`, `mem`, `faulty`) import; this module only gathers them.

mod contract;
#[cfg(any(test, feature = "test-support"))]
mod faulty;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod file;
mod mem;

#[cfg(any(test, feature = "test-support"))]
pub use faulty::{CrashMode, Fault, FaultyStorage, OpKind};
#[cfg(not(target_arch = "wasm32"))]
pub use file::FileStorage;
pub use mem::MemStorage;
// Named here too: a segment is what storage keeps.
pub use crate::segment_id::SegmentId;
pub use contract::{Storage, not_found, read_from_bytes};
