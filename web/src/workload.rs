//! The workloads the policy panel runs against the store: what kind of
//! traffic makes dead bytes, and how fast.
//!
//! Four shapes, each with or without expiring keys:
//!
//! | workload | keys | what it does to the segments |
//! |---|---|---|
//! | uniform overwrites | 48, each as likely | every write kills an older record somewhere: dead bytes spread evenly |
//! | hot set (zipf) | 200, a few very hot | the hot keys are overwritten again and again, the cold ones almost never: some segments die fast, others stay live |
//! | delete-heavy | 32 | a key that is there is deleted, one that is not is set: half the writes are tombstones |
//! | append-only | a new one each write | nothing is ever overwritten: without expiry there is nothing to reclaim |
//!
//! With expiring keys, half the sets carry a time to live of 2 to 8
//! seconds, so records die with no write at all.
//!
//! A [`Generator`] is a pure function of its seed ([`Rng`], the page's
//! small xorshift): the same seed gives the same operations, which is what
//! lets the side-by-side demo give two stores the very same traffic and
//! lets the tests below check each shape's statistics. [`Pace`] turns an
//! ops/s rate and the time between two timer ticks into a whole number of
//! operations.

use std::collections::BTreeSet;
use std::time::Duration;

use mini_kvstore::KvStore;

use crate::sample::Rng;

/// Keys of the uniform workload.
pub const UNIFORM_KEYS: u64 = 48;
/// Keys of the hot-set workload.
pub const HOT_SET_KEYS: u64 = 200;
/// The hot set's zipf exponent: the hottest tenth of the keys takes about
/// three quarters of the writes.
pub const ZIPF_EXPONENT: f64 = 1.2;
/// Keys of the delete-heavy workload.
pub const DELETE_HEAVY_KEYS: u64 = 32;
/// The shortest and longest time to live of an expiring key, in ms.
pub const TTL_MS: (u64, u64) = (2_000, 8_000);

/// The shape of the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkloadKind {
    /// Sets over a small key space, every key as likely.
    #[default]
    Uniform,
    /// Sets over a larger key space, zipf-distributed: a few keys are hot.
    HotSet,
    /// Deletes of keys that are there, sets of keys that are not.
    DeleteHeavy,
    /// A new key every write.
    AppendOnly,
}

impl WorkloadKind {
    /// Every workload, in the order the page offers them.
    pub const ALL: [WorkloadKind; 4] = [
        WorkloadKind::Uniform,
        WorkloadKind::HotSet,
        WorkloadKind::DeleteHeavy,
        WorkloadKind::AppendOnly,
    ];

    /// Its name: the `<option>` value in `index.html`.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Uniform => "uniform",
            WorkloadKind::HotSet => "hot-set",
            WorkloadKind::DeleteHeavy => "delete-heavy",
            WorkloadKind::AppendOnly => "append-only",
        }
    }

    /// The workload named `text`.
    pub fn parse(text: &str) -> Option<WorkloadKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == text)
    }

    /// What it does, in words for the panel.
    pub fn describe(self) -> &'static str {
        match self {
            WorkloadKind::Uniform => {
                "overwrites 48 keys, each as likely: dead bytes pile up evenly in every segment"
            }
            WorkloadKind::HotSet => {
                "overwrites 200 keys, a few of them far more often (zipf): segments full of hot keys die fast, cold ones stay live"
            }
            WorkloadKind::DeleteHeavy => {
                "deletes the keys that are there and sets the ones that are not: half the records are tombstones"
            }
            WorkloadKind::AppendOnly => {
                "writes a new key every time and never overwrites: without expiry nothing is dead, so nothing merges"
            }
        }
    }
}

/// A workload: its shape, and whether some keys expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Workload {
    /// The shape.
    pub kind: WorkloadKind,
    /// Half the sets carry a time to live ([`TTL_MS`]).
    pub expiring: bool,
}

/// One operation of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store `value` under `key`, expiring after `ttl_ms` if given.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its time to live, in ms.
        ttl_ms: Option<u64>,
    },
    /// Delete `key`.
    Delete {
        /// The key.
        key: String,
    },
}

impl Op {
    /// The key it writes.
    pub fn key(&self) -> &str {
        match self {
            Op::Set { key, .. } | Op::Delete { key } => key,
        }
    }

    /// Runs it against `store`: `false` for a delete that found no key
    /// (and so wrote nothing).
    pub fn apply(&self, store: &KvStore) -> Result<bool, mini_kvstore::Error> {
        match self {
            Op::Set {
                key,
                value,
                ttl_ms: None,
            } => store.set(key, value).map(|()| true),
            Op::Set {
                key,
                value,
                ttl_ms: Some(ttl),
            } => store
                .set_with_ttl(key, value, Duration::from_millis(*ttl))
                .map(|_| true),
            Op::Delete { key } => store.delete(key),
        }
    }
}

/// The operations of one workload, from one seed.
#[derive(Debug, Clone)]
pub struct Generator {
    workload: Workload,
    rng: Rng,
    /// The hot set's cumulative distribution (empty for the others).
    zipf: Vec<f64>,
    /// The next append-only key.
    appended: u64,
    /// The delete-heavy keys set and not deleted since.
    present: BTreeSet<u64>,
}

impl Generator {
    /// The operations of `workload` from `seed`.
    pub fn new(workload: Workload, seed: u64) -> Generator {
        let zipf = match workload.kind {
            WorkloadKind::HotSet => zipf_cdf(HOT_SET_KEYS, ZIPF_EXPONENT),
            _ => Vec::new(),
        };
        Generator {
            workload,
            rng: Rng::new(seed),
            zipf,
            appended: 0,
            present: BTreeSet::new(),
        }
    }

    /// The workload it generates.
    pub fn workload(&self) -> Workload {
        self.workload
    }

    /// The next operation.
    pub fn next_op(&mut self) -> Op {
        let key = match self.workload.kind {
            WorkloadKind::Uniform => format!("u:{:02}", self.rng.below(UNIFORM_KEYS)),
            WorkloadKind::HotSet => {
                let u = self.unit();
                let rank = self.zipf.partition_point(|&p| p <= u);
                format!("h:{:03}", rank.min(HOT_SET_KEYS as usize - 1))
            }
            WorkloadKind::DeleteHeavy => {
                let n = self.rng.below(DELETE_HEAVY_KEYS);
                let key = format!("d:{n:02}");
                if self.present.remove(&n) {
                    return Op::Delete { key };
                }
                self.present.insert(n);
                key
            }
            WorkloadKind::AppendOnly => {
                self.appended += 1;
                format!("a:{:06}", self.appended)
            }
        };
        let len = 8 + self.rng.below(25);
        let value = (0..len)
            .map(|_| char::from(b'a' + self.rng.below(26) as u8))
            .collect();
        let ttl_ms = (self.workload.expiring && self.rng.below(2) == 0)
            .then(|| TTL_MS.0 + self.rng.below(TTL_MS.1 - TTL_MS.0 + 1));
        Op::Set { key, value, ttl_ms }
    }

    /// The next `count` operations.
    pub fn ops(&mut self, count: usize) -> Vec<Op> {
        (0..count).map(|_| self.next_op()).collect()
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        const SCALE: u64 = 1 << 53;
        self.rng.below(SCALE) as f64 / SCALE as f64
    }
}

/// `P(rank <= k)` for `k` in `0..n`, where rank `k` has weight `1/(k+1)^s`.
fn zipf_cdf(n: u64, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    let mut sum = 0.0;
    weights
        .iter()
        .map(|w| {
            sum += w / total;
            sum
        })
        .collect()
}

/// Ops/s as whole operations per timer tick: the fractions carry over, so
/// 3 ops/s ticked every 200 ms gives 0, 0, 1, 0, 1, … — three a second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    rate: u32,
    /// Operations owed but not yet run, in thousandths (exact: no float
    /// drift, so 3 ops/s is three a second for ever).
    carry_milli: u64,
}

impl Pace {
    /// The most operations one tick runs: a tab the browser throttled in
    /// the background does not come back to a burst of thousands.
    pub const MAX_PER_TICK: usize = 50;
    /// The rates the slider offers, in ops/s.
    pub const RATES: (u32, u32) = (1, 100);

    /// `rate` ops/s, clamped to [`RATES`](Self::RATES).
    pub fn new(rate: u32) -> Pace {
        Pace {
            rate: rate.clamp(Self::RATES.0, Self::RATES.1),
            carry_milli: 0,
        }
    }

    /// Ops/s.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Operations due after `elapsed_ms` more milliseconds.
    pub fn due(&mut self, elapsed_ms: u64) -> usize {
        let owed = self.carry_milli + u64::from(self.rate) * elapsed_ms;
        let due = usize::try_from(owed / 1000).unwrap_or(usize::MAX);
        if due > Self::MAX_PER_TICK {
            self.carry_milli = 0;
            return Self::MAX_PER_TICK;
        }
        self.carry_milli = owed % 1000;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn workload(kind: WorkloadKind) -> Workload {
        Workload {
            kind,
            expiring: false,
        }
    }

    fn writes_per_key(ops: &[Op]) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for op in ops {
            *counts.entry(op.key()).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn names_read_back() {
        for kind in WorkloadKind::ALL {
            assert_eq!(WorkloadKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(WorkloadKind::parse("zipf"), None);
    }

    #[test]
    fn the_same_seed_gives_the_same_ops() {
        for kind in WorkloadKind::ALL {
            let w = Workload {
                kind,
                expiring: true,
            };
            assert_eq!(
                Generator::new(w, 7).ops(200),
                Generator::new(w, 7).ops(200),
                "{kind:?}"
            );
            assert_ne!(Generator::new(w, 7).ops(50), Generator::new(w, 8).ops(50));
        }
    }

    #[test]
    fn uniform_overwrites_every_key_about_as_often() {
        let ops = Generator::new(workload(WorkloadKind::Uniform), 1).ops(4800);
        assert!(
            ops.iter()
                .all(|op| matches!(op, Op::Set { ttl_ms: None, .. }))
        );
        let counts = writes_per_key(&ops);
        assert_eq!(counts.len(), UNIFORM_KEYS as usize);
        // 100 writes a key on average.
        assert!(
            counts.values().all(|&n| (60..=140).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn the_hot_set_sends_most_writes_to_a_few_keys() {
        let ops = Generator::new(workload(WorkloadKind::HotSet), 3).ops(10_000);
        let mut counts: Vec<usize> = writes_per_key(&ops).into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let hottest_tenth: usize = counts.iter().take(HOT_SET_KEYS as usize / 10).sum();
        assert!(
            hottest_tenth * 100 >= 60 * ops.len(),
            "the 20 hottest keys took {hottest_tenth} of {} writes",
            ops.len()
        );
        // And h:000 is the hottest.
        let per_key = writes_per_key(&ops);
        assert_eq!(per_key.get("h:000"), counts.first());
    }

    #[test]
    fn delete_heavy_deletes_as_often_as_it_sets_and_every_delete_hits() {
        let ops = Generator::new(workload(WorkloadKind::DeleteHeavy), 5).ops(2000);
        let mut present = BTreeSet::new();
        let (mut sets, mut deletes) = (0, 0);
        for op in &ops {
            match op {
                Op::Set { key, .. } => {
                    assert!(present.insert(key.clone()), "{key} set while there");
                    sets += 1;
                }
                Op::Delete { key } => {
                    assert!(present.remove(key), "{key} deleted while absent");
                    deletes += 1;
                }
            }
        }
        // Every delete writes a tombstone; a key is only set again once it
        // is gone, so deletes trail sets by at most the key space.
        assert!(
            deletes * 100 >= 45 * ops.len(),
            "{deletes} deletes of {}",
            ops.len()
        );
        assert!(sets - deletes <= DELETE_HEAVY_KEYS as usize);
        // The uniform workload deletes nothing.
        let uniform = Generator::new(workload(WorkloadKind::Uniform), 5).ops(2000);
        assert!(!uniform.iter().any(|op| matches!(op, Op::Delete { .. })));
    }

    #[test]
    fn append_only_never_writes_a_key_twice() {
        let ops = Generator::new(workload(WorkloadKind::AppendOnly), 9).ops(1000);
        assert_eq!(writes_per_key(&ops).len(), 1000);
        assert_eq!(ops[0].key(), "a:000001");
    }

    #[test]
    fn expiring_keys_get_a_short_ttl_about_half_the_time() {
        for kind in WorkloadKind::ALL {
            let w = Workload {
                kind,
                expiring: true,
            };
            let ops = Generator::new(w, 11).ops(1000);
            let ttls: Vec<u64> = ops
                .iter()
                .filter_map(|op| match op {
                    Op::Set { ttl_ms, .. } => *ttl_ms,
                    Op::Delete { .. } => None,
                })
                .collect();
            let sets = ops.iter().filter(|op| matches!(op, Op::Set { .. })).count();
            assert!(
                (sets * 35 / 100..=sets * 65 / 100).contains(&ttls.len()),
                "{kind:?}: {} of {sets}",
                ttls.len()
            );
            assert!(ttls.iter().all(|t| (TTL_MS.0..=TTL_MS.1).contains(t)));
            let plain = Generator::new(workload(kind), 11).ops(200);
            assert!(plain.iter().all(|op| !matches!(
                op,
                Op::Set {
                    ttl_ms: Some(_),
                    ..
                }
            )));
        }
    }

    #[test]
    fn ops_run_against_a_store() -> Result<(), mini_kvstore::Error> {
        let store = KvStore::open_with(
            mini_kvstore::MemStorage::new(),
            mini_kvstore::Options::default(),
        )?;
        let w = Workload {
            kind: WorkloadKind::DeleteHeavy,
            expiring: true,
        };
        let mut wrote = 0;
        for op in Generator::new(w, 4).ops(200) {
            wrote += usize::from(op.apply(&store)?);
        }
        assert_eq!(wrote, 200, "every delete of delete-heavy finds its key");
        assert!(store.stats().dead_bytes > 0);
        let gone = Op::Delete { key: "nope".into() };
        assert!(!gone.apply(&store)?);
        Ok(())
    }

    #[test]
    fn values_are_short_lowercase_words() {
        for op in Generator::new(workload(WorkloadKind::Uniform), 2).ops(300) {
            let Op::Set { value, .. } = op else {
                panic!("uniform only sets");
            };
            assert!((8..=32).contains(&value.len()), "{value}");
            assert!(value.bytes().all(|b| b.is_ascii_lowercase()));
        }
    }

    #[test]
    fn the_pace_carries_fractions_and_caps_a_burst() {
        let mut pace = Pace::new(3);
        let due: Vec<usize> = (0..10).map(|_| pace.due(200)).collect();
        assert_eq!(due.iter().sum::<usize>(), 6, "{due:?}: 3 a second for 2 s");
        assert!(due.iter().all(|&n| n <= 1));

        let mut pace = Pace::new(100);
        assert_eq!(pace.due(100), 10);
        assert_eq!(pace.due(60_000), Pace::MAX_PER_TICK);
        assert_eq!(pace.due(10), 1, "nothing carried from the burst");
        assert_eq!(Pace::new(0).rate(), 1);
        assert_eq!(Pace::new(1000).rate(), 100);
        assert_eq!(Pace::new(5).due(0), 0);
    }
}
