//! [`ConnectionLimit`]: how many client connections the servers hold open
//! at once, one cap the HTTP API and the RESP listener share.
//!
//! Each open connection costs a socket, a file descriptor, a task and its
//! buffers whether it sends anything or not, so the number of them is what
//! a flood of idle or stalled clients exhausts. One cap for both listeners
//! means the bound is on the process, as the file-descriptor limit is, not
//! on each protocol separately.
//!
//! A leaf: the configuration, the HTTP transport and the RESP listener all
//! import it.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections held at once unless told otherwise: Redis's `maxclients`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// A cap on open connections, shared by every listener given a clone.
///
/// ```
/// use mini_kvstore_server::ConnectionLimit;
/// let limit = ConnectionLimit::new(2);
/// assert_eq!(limit.max(), 2);
/// assert_eq!(limit.open(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ConnectionLimit {
    slots: Arc<Semaphore>,
    max: usize,
}

impl ConnectionLimit {
    /// A cap of `max` connections (at most `Semaphore::MAX_PERMITS`, far
    /// above any file-descriptor limit). A cap of 0 refuses every client.
    pub fn new(max: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        ConnectionLimit {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Connections holding a slot now.
    pub fn open(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    /// A slot for one more connection, or `None` at the cap: the caller
    /// refuses the client.
    pub(crate) fn try_acquire(&self) -> Option<ConnectionSlot> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .ok()
            .map(|permit| ConnectionSlot { _permit: permit })
    }
}

impl Default for ConnectionLimit {
    /// [`DEFAULT_MAX_CONNECTIONS`].
    fn default() -> Self {
        ConnectionLimit::new(DEFAULT_MAX_CONNECTIONS)
    }
}

/// One connection's place under a [`ConnectionLimit`], given back when
/// dropped, however the connection ended.
#[derive(Debug)]
pub(crate) struct ConnectionSlot {
    _permit: OwnedSemaphorePermit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_cap_and_slots_come_back_on_drop() {
        let http = ConnectionLimit::new(2);
        let resp = http.clone();
        let a = http.try_acquire();
        let b = resp.try_acquire();
        assert!(a.is_some() && b.is_some());
        assert_eq!(http.open(), 2);
        assert!(http.try_acquire().is_none(), "a third past a cap of two");
        assert!(resp.try_acquire().is_none());
        drop(a);
        assert_eq!(resp.open(), 1);
        assert!(resp.try_acquire().is_some());
    }

    #[test]
    fn a_cap_of_zero_refuses_everyone() {
        assert!(ConnectionLimit::new(0).try_acquire().is_none());
    }
}
