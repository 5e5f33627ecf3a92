//! How a strip measures: bytes per full strip and its width in pixels.
//! Cells are placed in percent of the strip, so a strip drawn once fits any
//! width; pixels only decide which cells are wide enough for a label.

/// Cells narrower than this many pixels get no key label.
pub(super) const LABEL_MIN_PX: f64 = 26.0;

/// `bytes` as a percentage of `scale` bytes.
pub(super) fn percent(bytes: u64, scale: u64) -> f64 {
    bytes as f64 * 100.0 / scale.max(1) as f64
}

/// How a strip is drawn: bytes per full strip, the store's segment size (for
/// the label; a seal may take a segment a little past it) and the strip's
/// width in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripScale {
    /// Bytes a full strip stands for.
    pub bytes: u64,
    /// The store's segment size.
    pub segment_size: u64,
    /// The strip's width in CSS pixels.
    pub px: u32,
}
