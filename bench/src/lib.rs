//! The benchmark package. Its work is the `bench-compare` example
//! (`examples/bench-compare/`): mini-kvstore beside sled, redb and fjall on
//! the same workloads, with the report written to `docs/BENCHMARKS.md`.
//!
//! ```text
//! cargo xtask bench-compare            # = cargo run --release -p mini-kvstore-bench --example bench-compare
//! cargo xtask bench-compare --quick    # the shrunk run CI uses
//! ```
//!
//! It is an example rather than a binary so that the peers are
//! dev-dependencies: nothing else in the workspace — and nothing that
//! depends on this package — links sled, redb or fjall. The library itself
//! is empty.
