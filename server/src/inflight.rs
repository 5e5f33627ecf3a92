//! [`InflightBudget`]: how many bytes of request data the servers buffer at
//! once — HTTP bodies being read (`PUT`/`POST /blobs/…`) and large RESP
//! requests being read — one budget the HTTP API and the RESP listener
//! share.
//!
//! Each such request reserves its size before its bytes are read: an HTTP
//! body its `Content-Length` (or `--max-body` when it has none, given back
//! down to its real size once read), a RESP request what its length headers
//! announce. A reservation that does not fit waits, first come first
//! served, for at most [`InflightBudget::wait`]; then the request is
//! refused (503, or a RESP error) instead of buffered. So a hundred
//! concurrent 64 MiB uploads cost the budget's worth of memory and a
//! hundred quick refusals, not 6.4 GB and an out-of-memory kill.
//!
//! Counted in KiB on a semaphore, so a budget of up to 4 TiB fits tokio's
//! `u32` permit counts. A request larger than the whole budget reserves the
//! whole budget: it waits until nothing else is in flight, and memory stays
//! within the larger of the budget and one request.
//!
//! A leaf: the configuration, the blob handlers and the RESP connection
//! loop import it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget unless told otherwise: 512 MiB.
pub const DEFAULT_MAX_INFLIGHT_BYTES: u64 = 512 << 20;

/// How long a request waits for room in the budget unless told otherwise,
/// before it is refused: long enough to ride out a burst, short enough
/// that a client hears "busy" while it can still go elsewhere.
pub const DEFAULT_INFLIGHT_WAIT: Duration = Duration::from_secs(1);

const KIB: u64 = 1024;

/// A budget of bytes in flight, shared by every holder of a clone.
///
/// ```
/// use mini_kvstore_server::InflightBudget;
/// let budget = InflightBudget::new(8 << 20);
/// assert_eq!(budget.max_bytes(), 8 << 20);
/// assert_eq!(budget.in_flight_bytes(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct InflightBudget {
    kib: Arc<Semaphore>,
    max_kib: u32,
    wait: Duration,
}

/// A reservation did not fit within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverBudget {
    /// The budget, in bytes.
    pub(crate) max_bytes: u64,
}

impl InflightBudget {
    /// A budget of `max_bytes`, rounded up to whole KiB (at least 1 KiB,
    /// at most 4 TiB), with the [`DEFAULT_INFLIGHT_WAIT`].
    pub fn new(max_bytes: u64) -> Self {
        let max_kib = u32::try_from(max_bytes.div_ceil(KIB))
            .unwrap_or(u32::MAX)
            .max(1);
        InflightBudget {
            kib: Arc::new(Semaphore::new(max_kib as usize)),
            max_kib,
            wait: DEFAULT_INFLIGHT_WAIT,
        }
    }

    /// Makes a request that does not fit wait `wait` for room before it is
    /// refused (for every holder of a clone made after this).
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long a request waits for room.
    pub fn get_wait(&self) -> Duration {
        self.wait
    }

    /// The budget, in bytes.
    pub fn max_bytes(&self) -> u64 {
        u64::from(self.max_kib) * KIB
    }

    /// Bytes reserved now, in whole KiB.
    pub fn in_flight_bytes(&self) -> u64 {
        let free = u64::try_from(self.kib.available_permits()).unwrap_or(u64::MAX);
        (u64::from(self.max_kib).saturating_sub(free)) * KIB
    }

    /// A reservation of nothing, to grow with [`Reservation::grow_to`].
    pub(crate) fn empty(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            permit: None,
        }
    }

    /// Reserves `bytes`, waiting for room at most [`Self::get_wait`].
    pub(crate) async fn reserve(&self, bytes: u64) -> Result<Reservation, OverBudget> {
        let mut reservation = self.empty();
        reservation.grow_to(bytes).await?;
        Ok(reservation)
    }

    /// `bytes` in whole KiB, capped at the whole budget.
    fn kib_for(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(KIB))
            .unwrap_or(u32::MAX)
            .min(self.max_kib)
    }
}

impl Default for InflightBudget {
    /// [`DEFAULT_MAX_INFLIGHT_BYTES`].
    fn default() -> Self {
        InflightBudget::new(DEFAULT_MAX_INFLIGHT_BYTES)
    }
}

/// Bytes held in an [`InflightBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: InflightBudget,
    permit: Option<OwnedSemaphorePermit>,
}

impl Reservation {
    fn held_kib(&self) -> u32 {
        self.permit
            .as_ref()
            .map_or(0, |p| u32::try_from(p.num_permits()).unwrap_or(u32::MAX))
    }

    /// Bytes held, in whole KiB.
    pub(crate) fn bytes(&self) -> u64 {
        u64::from(self.held_kib()) * KIB
    }

    /// Holds at least `bytes` (up to the whole budget), waiting for the
    /// difference at most the budget's wait. On failure what was held
    /// before is still held.
    pub(crate) async fn grow_to(&mut self, bytes: u64) -> Result<(), OverBudget> {
        let want = self.budget.kib_for(bytes);
        let held = self.held_kib();
        if want <= held {
            return Ok(());
        }
        let more = Arc::clone(&self.budget.kib).acquire_many_owned(want - held);
        let over = OverBudget {
            max_bytes: self.budget.max_bytes(),
        };
        match tokio::time::timeout(self.budget.wait, more).await {
            Ok(Ok(more)) => {
                match &mut self.permit {
                    Some(permit) => permit.merge(more),
                    None => self.permit = Some(more),
                }
                Ok(())
            }
            // The semaphore is never closed; a closed one refuses too.
            Ok(Err(_)) | Err(_) => Err(over),
        }
    }

    /// Gives back all but `bytes` (rounded up to whole KiB).
    pub(crate) fn shrink_to(&mut self, bytes: u64) {
        let keep = self.budget.kib_for(bytes);
        if let Some(permit) = &mut self.permit {
            let held = u32::try_from(permit.num_permits()).unwrap_or(u32::MAX);
            if held > keep {
                drop(permit.split((held - keep) as usize));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_share_the_budget_and_come_back_on_drop() {
        let budget = InflightBudget::new(8 * KIB).wait(Duration::from_millis(20));
        let a = budget.reserve(5 * KIB).await.expect("fits");
        let other = budget.clone();
        assert_eq!(other.in_flight_bytes(), 5 * KIB);
        assert_eq!(
            other.reserve(4 * KIB).await.err(),
            Some(OverBudget { max_bytes: 8 * KIB })
        );
        let b = other.reserve(3 * KIB).await.expect("fits beside the first");
        drop(a);
        assert_eq!(budget.in_flight_bytes(), 3 * KIB);
        drop(b);
        assert_eq!(budget.in_flight_bytes(), 0);
    }

    #[tokio::test]
    async fn a_waiting_reservation_gets_room_given_back_in_time() {
        let budget = InflightBudget::new(4 * KIB).wait(Duration::from_secs(10));
        let held = budget.reserve(4 * KIB).await.expect("fits");
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(2 * KIB).await.map(|r| r.bytes()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "got room that was not there");
        drop(held);
        assert_eq!(waiting.await.expect("task"), Ok(2 * KIB));
    }

    #[tokio::test]
    async fn growing_shrinking_and_more_than_the_whole_budget() {
        let budget = InflightBudget::new(4 * KIB).wait(Duration::from_millis(20));
        let mut r = budget.empty();
        r.grow_to(1).await.expect("a byte is a KiB");
        assert_eq!(r.bytes(), KIB);
        r.grow_to(100 * KIB).await.expect("capped at the budget");
        assert_eq!(r.bytes(), 4 * KIB);
        assert!(budget.reserve(1).await.is_err(), "nothing left");
        r.shrink_to(KIB + 1);
        assert_eq!(r.bytes(), 2 * KIB);
        assert_eq!(budget.in_flight_bytes(), 2 * KIB);
        // A failed grow keeps what was held.
        let _other = budget.reserve(2 * KIB).await.expect("the rest");
        assert!(r.grow_to(3 * KIB).await.is_err());
        assert_eq!(r.bytes(), 2 * KIB);
    }
}
