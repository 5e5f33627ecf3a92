//! Something to look at straight away: the sample session and the random
//! write generator behind the "load sample data" and "random writes ×100"
//! buttons.
//!
//! The sample is a list of console lines, run through the console so the
//! learner sees the grammar at work; it is chosen so that every record state
//! appears at once (live values, overwritten ones, a tombstone). The random
//! writes go straight to the engine instead (a hundred lines would drown the
//! log) and, like real traffic, overwrite a small set of keys so dead bytes
//! pile up and compaction has something to reclaim.

/// The sample session, one console line each.
pub const SAMPLE_LINES: &[&str] = &[
    "set user:1:name Alice",
    "set user:2:name Bob",
    "set user:3:name Carol",
    "set color:sky blue",
    "set color:grass green",
    "set counter 1",
    "set counter 2",
    "set user:2:name Robert",
    "set counter 3",
    "delete user:3:name",
    "set note 'a log never changes what it wrote'",
];

/// One generated write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RandomWrite {
    /// Store `value` under `key`.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Delete `key`.
    Delete {
        /// The key.
        key: String,
    },
}

/// How many distinct keys the random writes use: few enough that most
/// writes overwrite something.
pub const RANDOM_KEYS: u64 = 25;

/// A small xorshift generator: the page needs variety, not statistics, and
/// this keeps the crate free of `getrandom`'s browser plumbing.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from any seed (zero is replaced, xorshift would stay at 0).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    /// `count` writes: about one in eight a delete, the rest sets of 3 to 24
    /// lowercase letters.
    pub fn writes(&mut self, count: usize) -> Vec<RandomWrite> {
        (0..count)
            .map(|_| {
                let key = format!("item:{:02}", self.below(RANDOM_KEYS));
                if self.below(8) == 0 {
                    RandomWrite::Delete { key }
                } else {
                    let len = 3 + self.below(22);
                    let value = (0..len)
                        .map(|_| char::from(b'a' + self.below(26) as u8))
                        .collect();
                    RandomWrite::Set { key, value }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options, RecordState};
    use mini_kvstore_commands::{Sandbox, execute, parse_line};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_sample_parses_and_shows_every_state() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), Options::default())?;
        for line in SAMPLE_LINES {
            let command = parse_line(line)?.ok_or("blank sample line")?;
            execute(&store, &command, &mut Sandbox)?;
        }
        let layout = store.layout()?;
        let states: Vec<RecordState> = layout
            .segments
            .iter()
            .flat_map(|s| &s.records)
            .map(|r| r.state)
            .collect();
        for state in [
            RecordState::Live,
            RecordState::Overwritten,
            RecordState::Tombstone,
        ] {
            assert!(states.contains(&state), "{state:?} missing");
        }
        Ok(())
    }

    #[test]
    fn random_writes_mostly_overwrite_a_few_keys() {
        let writes = Rng::new(42).writes(100);
        assert_eq!(writes.len(), 100);
        let deletes = writes
            .iter()
            .filter(|w| matches!(w, RandomWrite::Delete { .. }))
            .count();
        // The generator is deterministic: seed 42 gives 14 deletes in 100,
        // near the one in eight it aims for.
        assert_eq!(deletes, 14);
        let keys: std::collections::BTreeSet<&str> = writes
            .iter()
            .map(|write| match write {
                RandomWrite::Set { key, .. } | RandomWrite::Delete { key } => key.as_str(),
            })
            .collect();
        let expected: std::collections::BTreeSet<String> =
            (0..RANDOM_KEYS).map(|i| format!("item:{i:02}")).collect();
        assert_eq!(
            keys,
            expected.iter().map(String::as_str).collect(),
            "100 writes over the same 25 keys, so 75 of them hit a key written before"
        );
        for write in &writes {
            if let RandomWrite::Set { value, .. } = write {
                assert!((3..=24).contains(&value.len()), "{value:?}");
                assert!(value.bytes().all(|b| b.is_ascii_lowercase()), "{value:?}");
            }
        }
    }
}
