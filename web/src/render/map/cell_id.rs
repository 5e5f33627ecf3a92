//! The name of a map cell, `data-i`: written when the strip is drawn,
//! read back by the page on hover and click. It is the one shape the map's
//! HTML and the page must agree on, so it is a type with both directions.

use std::fmt;

/// Which map cell a `data-i` attribute names: `3:h` (segment 3's header),
/// `3:c120` (corrupt bytes at offset 120), `3:7` (its eighth record). Record
/// cells carry the same text in `data-record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellId {
    /// A segment's header.
    Header {
        /// The segment.
        segment: u32,
    },
    /// Bytes holding no valid record.
    Corrupt {
        /// The segment.
        segment: u32,
        /// Where the bytes start.
        offset: u64,
    },
    /// A record.
    Record {
        /// The segment.
        segment: u32,
        /// Its position in [`SegmentLayout::records`](mini_kvstore::SegmentLayout::records).
        index: usize,
    },
}

impl CellId {
    /// The cell named by `text`, if it names one.
    pub fn parse(text: &str) -> Option<CellId> {
        let (segment, what) = text.split_once(':')?;
        let segment = segment.parse().ok()?;
        if what == "h" {
            Some(CellId::Header { segment })
        } else if let Some(offset) = what.strip_prefix('c') {
            let offset = offset.parse().ok()?;
            Some(CellId::Corrupt { segment, offset })
        } else {
            let index = what.parse().ok()?;
            Some(CellId::Record { segment, index })
        }
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellId::Header { segment } => write!(f, "{segment}:h"),
            CellId::Corrupt { segment, offset } => write!(f, "{segment}:c{offset}"),
            CellId::Record { segment, index } => write!(f, "{segment}:{index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_ids_read_back_as_written() {
        for id in [
            CellId::Header { segment: 3 },
            CellId::Corrupt {
                segment: 3,
                offset: 120,
            },
            CellId::Record {
                segment: 12,
                index: 7,
            },
        ] {
            assert_eq!(CellId::parse(&id.to_string()), Some(id), "{id}");
        }
        assert_eq!(CellId::Header { segment: 3 }.to_string(), "3:h");
        assert_eq!(
            CellId::parse("3:c120").map(|id| id.to_string()).as_deref(),
            Some("3:c120")
        );
        for text in ["", "3", "x:1", "3:", "3:cx", "3:-1", "3:hh"] {
            assert_eq!(CellId::parse(text), None, "{text:?}");
        }
    }
}
