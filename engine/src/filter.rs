//! [`KeyFilter`]: a Bloom filter over the keys of one run of the index (see
//! [`KeyMap`](crate::key_map::KeyMap)), so that a lookup of a key the store
//! does not hold usually ends after one probe instead of a walk down a tree.
//!
//! Why one per run rather than one for the whole index: a bulk load appends
//! runs of keys, and each new run's filter is small and freshly built, so
//! setting its bits stays in the CPU cache. A single filter sized for every
//! key would take one cache miss per key loaded, its bit array being larger
//! than the cache. A lookup pays
//! the same one probe either way: it finds the key's run first in any case.

/// A Bloom filter over the keys ever inserted since it was last built.
/// Deleted keys stay in it (a filter cannot forget); they only cost a walk
/// down the tree. Its owner rebuilds it, larger, once more keys went in than
/// it was sized for ([`is_full`](Self::is_full)).
#[derive(Debug, Clone)]
pub(crate) struct KeyFilter {
    bits: Vec<u64>,
    /// Number of bits − 1 (a power of two − 1).
    mask: u64,
    inserted: usize,
    capacity: usize,
}

/// About 1 % false positives at capacity (a little more, for the blocking).
const BITS_PER_KEY: usize = 10;
const PROBES: u64 = 4;
/// Bits in a block: every probe of one key lands in the same cache line.
const BLOCK_BITS: u64 = 512;

impl KeyFilter {
    /// A filter over `keys`, with room for `capacity` keys in all.
    pub(crate) fn of<'k>(keys: impl ExactSizeIterator<Item = &'k [u8]>, capacity: usize) -> Self {
        let capacity = capacity.max(keys.len()).max(64);
        let bits = (capacity * BITS_PER_KEY)
            .next_power_of_two()
            .max(BLOCK_BITS as usize);
        let mut filter = KeyFilter {
            bits: vec![0; bits / 64],
            mask: bits as u64 - 1,
            inserted: 0,
            capacity,
        };
        for key in keys {
            filter.insert(key);
        }
        filter
    }

    /// The bits a key sets: all within one block (one cache line), so a
    /// lookup costs one cache miss rather than one per probe.
    fn probes(&self, key: &[u8]) -> impl Iterator<Item = u64> + use<> {
        let hash = hash64(key);
        let block = (hash & self.mask) & !(BLOCK_BITS - 1);
        let bits = hash.rotate_left(32);
        (0..PROBES).map(move |i| block | ((bits >> (i * 9)) & (BLOCK_BITS - 1)))
    }

    /// Adds a key that was not in the filter's run before.
    pub(crate) fn insert(&mut self, key: &[u8]) {
        for bit in self.probes(key) {
            self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.inserted += 1;
    }

    /// `false` means the key is certainly absent.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        self.probes(key)
            .all(|bit| self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// More keys went in than the filter was sized for: its false positives
    /// grow from here on.
    pub(crate) fn is_full(&self) -> bool {
        self.inserted > self.capacity
    }
}

/// A fast 64-bit hash for the filter (not for anything adversarial: a
/// crafted collision only costs a map lookup).
fn hash64(key: &[u8]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15 ^ key.len() as u64;
    for chunk in key.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
    }
    h = (h ^ (h >> 32)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, n: u32) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("{name}-{i}").into_bytes()).collect()
    }

    #[test]
    fn never_forgets_a_key_and_rejects_most_others() {
        let present = keys("key", 5000);
        let mut filter = KeyFilter::of(present[..100].iter().map(Vec::as_slice), 5000);
        for key in &present[100..] {
            filter.insert(key);
        }
        assert!(!filter.is_full());
        assert!(present.iter().all(|key| filter.may_contain(key)));
        let false_positives = keys("absent", 10_000)
            .iter()
            .filter(|key| filter.may_contain(key))
            .count();
        assert!(
            false_positives < 500,
            "{false_positives} of 10000 absent keys passed the filter"
        );
        filter.insert(b"one too many");
        assert!(filter.is_full());
    }

    #[test]
    fn a_filter_for_one_key_has_room_for_64() {
        let filter = KeyFilter::of(std::iter::once(&b"only"[..]), 1);
        assert!(filter.may_contain(b"only"));
        assert_eq!(filter.bits.len() * 64, 1024);
    }
}
