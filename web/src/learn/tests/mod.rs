//! Unit tests of `learn`, beside it so the modules themselves read as one
//! concern each. The heart of them is a rehearsal (`rehearsal`): every
//! lesson run on a real store, natively, the way the page runs it —
//! console lines through the commands crate, faults through `faults`, a
//! reload as a reopen over the same segments, waits on a manual clock —
//! with every question answered right and wrong against the answer worked
//! out from the facts.
//!
//! | module | what it tests |
//! |---|---|
//! | `lessons` | every lesson on a real store: each one walks to its end, and teaches what its text says |
//! | `progress` | `#learn/L/S` addresses and the progress kept in `localStorage` |
//! | `tour` | the phases of a step: what a learner may do, and where an address leads |
//! | `panel` | what the page is given to draw: the selectors steps point at, the panel's HTML |
//! | `rehearsal` | no tests: the rehearsal itself, which `lessons` and `panel` run |
//!
//! One file per behaviour, so a failing test names what broke; every file
//! imports `rehearsal`, never another test file.

mod lessons;
mod panel;
mod progress;
mod rehearsal;
mod tour;
