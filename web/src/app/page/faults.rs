//! The fault buttons: the stored bytes damaged behind the engine's back,
//! the way a crash or bit rot would, and the store stopped until Reload.
//!
//! What a fault does to the bytes is `crate::faults`'s, plain Rust; this
//! only picks the bytes and applies the result.

use mini_kvstore_commands::Tone;

use super::state::Page;
use crate::faults::{self, Fault, NoTarget};

impl Page {
    /// "Tear the last write".
    pub(crate) fn tear_last_write(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        let layout = &self.open.layout;
        let bytes = layout
            .segments
            .iter()
            .find(|s| s.active)
            .and_then(|s| self.open.storage.segment_bytes(s.id))
            .unwrap_or_default();
        let fault = faults::tear_last_write(layout, &bytes);
        self.suffer(fault);
    }

    /// "Flip a bit": in the picked record, or the oldest live one.
    pub(crate) fn flip_a_bit(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        let storage = &self.open.storage;
        let fault = faults::flip_a_bit(&self.open.layout, self.open.selection.record(), |id| {
            storage.segment_bytes(id)
        });
        self.suffer(fault);
    }

    fn suffer(&mut self, fault: Result<Fault, NoTarget>) {
        match fault {
            Ok(fault) => {
                self.print_line(format!("# fault: {}", fault.description), Tone::Bad);
                self.open.suffer(fault);
                self.after_change();
            }
            Err(reason) => self.print_line(format!("Nothing damaged: {reason}."), Tone::Warning),
        }
    }
}
