//! Keys and values the workloads write, and the generator that picks them.

/// The `i`-th key of the filled store: 16 decimal digits, so 100 consecutive
/// keys share a 14-byte prefix.
pub(crate) fn seq_key(i: u64) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

/// A key that is never in the store (the filled keys are all digits).
pub(crate) fn missing_key(rng: &mut Rng) -> Vec<u8> {
    format!("x{:015x}", rng.next() >> 4).into_bytes()
}

/// A random 16-byte key.
pub(crate) fn random_key(rng: &mut Rng) -> Vec<u8> {
    format!("{:016x}", rng.next()).into_bytes()
}

pub(crate) fn value(i: u64, len: usize) -> Vec<u8> {
    let seed = i.to_le_bytes();
    (0..len).map(|j| seed[j % 8] ^ (j as u8)).collect()
}

/// splitmix64: tiny, deterministic, good enough to pick keys.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
