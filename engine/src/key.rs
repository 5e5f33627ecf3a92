//! [`IndexKey`]: a key as the index holds it, and its order; and
//! [`prefix_end`], where the keys of a prefix end in that order.
//!
//! A leaf: the key map, the index and recovery all hold keys this way, and
//! none of them owns the type. Order, equality and hashing are those of the
//! key's bytes, which every ordered walk (scans, pages, recovery's sort)
//! relies on.

/// Keys up to this many bytes live inside the index entry itself.
pub(crate) const INLINE_KEY: usize = 22;

/// A key as the index stores it. Short keys (the common case) are kept inline
/// in the map's nodes: a lookup compares keys without following a pointer to
/// a separate allocation for every comparison, and a short key costs no
/// allocation at all.
#[derive(Clone)]
pub(crate) enum IndexKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl From<&[u8]> for IndexKey {
    fn from(key: &[u8]) -> Self {
        if key.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            bytes[..key.len()].copy_from_slice(key);
            IndexKey::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            IndexKey::Heap(key.into())
        }
    }
}

impl std::ops::Deref for IndexKey {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            IndexKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IndexKey::Heap(bytes) => bytes,
        }
    }
}

impl std::borrow::Borrow<[u8]> for IndexKey {
    fn borrow(&self) -> &[u8] {
        self
    }
}

// Order, equality and hashing are those of the bytes, as `Borrow` requires.
impl PartialEq for IndexKey {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Compared whole, padding included, without a call to `memcmp`:
            // recovery's dedup compares every key with its neighbour.
            (
                IndexKey::Inline { len, bytes },
                IndexKey::Inline {
                    len: other_len,
                    bytes: other_bytes,
                },
            ) => len == other_len && bytes == other_bytes,
            _ => **self == **other,
        }
    }
}

impl Eq for IndexKey {}

impl PartialOrd for IndexKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndexKey {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (
                IndexKey::Inline { len, bytes },
                IndexKey::Inline {
                    len: other_len,
                    bytes: other_bytes,
                },
            ) => cmp_inline(bytes, other_bytes).then(len.cmp(other_len)),
            _ => (**self).cmp(&**other),
        }
    }
}

/// Orders two inline keys' padded bytes, a big-endian word at a time, with
/// no call to `memcmp`: the map compares keys dozens of times per insert and
/// per lookup, and a word that differs — usually the first or second —
/// settles it without looking at the rest. It matters most where the keys
/// are in cache, as in recovery's sort of every key; where cache misses
/// dominate, the comparison hardly shows. The zero padding keeps the bytes'
/// order: where the shorter key has ended, a padding zero is at most the
/// other key's byte, and if all the rest is equal the caller orders by
/// length.
#[inline]
fn cmp_inline(a: &[u8; INLINE_KEY], b: &[u8; INLINE_KEY]) -> std::cmp::Ordering {
    // The last word overlaps the second: by then the first 16 bytes are
    // equal, so it compares the remaining six.
    for at in [0, 8, INLINE_KEY - 8] {
        let (x, y) = (be_word(a, at), be_word(b, at));
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

#[inline]
fn be_word(bytes: &[u8; INLINE_KEY], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_be_bytes(word)
}

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", &**self)
    }
}

/// The smallest key greater than every key starting with `prefix`, or
/// `None` when there is none (the prefix is empty or all `0xff`): the
/// exclusive end of the range a prefix covers, for callers that combine a
/// prefix with other bounds.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Short keys over a tiny alphabet with zeros in it, so that prefixes,
    /// trailing zeros and equal keys come up often; some longer than inline.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..=26)
    }

    proptest! {
        #[test]
        fn index_keys_order_like_their_bytes(a in key(), b in key()) {
            let (ka, kb) = (IndexKey::from(&a[..]), IndexKey::from(&b[..]));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(ka == kb, a == b);
        }

        /// Keys that share their first 16 bytes, so the order is decided
        /// in the last, overlapping word or by length.
        #[test]
        fn index_keys_order_like_their_bytes_past_the_first_words(a in key(), b in key()) {
            let (a, b) = ([&[7u8; 16][..], &a].concat(), [&[7u8; 16][..], &b].concat());
            let (ka, kb) = (IndexKey::from(&a[..]), IndexKey::from(&b[..]));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(ka == kb, a == b);
        }
    }

    #[test]
    fn a_key_with_trailing_zeros_follows_its_prefix() {
        let keys: [&[u8]; 4] = [b"a", b"a\0", b"a\0\0", b"a\x01"];
        for pair in keys.windows(2) {
            assert!(
                IndexKey::from(pair[0]) < IndexKey::from(pair[1]),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn keys_order_like_their_bytes_inline_or_not() {
        let long = vec![b'z'; INLINE_KEY + 1];
        let keys: Vec<&[u8]> = vec![b"", b"a", b"ab", &long, b"\xff", &[0u8; INLINE_KEY]];
        for a in &keys {
            for b in &keys {
                let (ka, kb) = (IndexKey::from(*a), IndexKey::from(*b));
                assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(&*ka, *a);
            }
        }
        assert!(matches!(IndexKey::from(&long[..]), IndexKey::Heap(_)));
        assert!(matches!(
            IndexKey::from(&b"short"[..]),
            IndexKey::Inline { .. }
        ));
        assert_eq!(std::mem::size_of::<IndexKey>(), 24);
    }

    #[test]
    fn the_end_of_a_prefix_is_its_last_byte_raised_past_any_0xff() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
