//! What the map's tests share: a fixed time and the result they return.

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// 2025-03-04 14:03:00 UTC.
pub(super) const T0: u64 = 1_741_096_980_000;
