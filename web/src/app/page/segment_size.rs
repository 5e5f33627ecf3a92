//! The segment size `<select>`: the store reopened over the same
//! in-memory segments at the new size, so every record stays and only
//! rotation from then on follows it.

use mini_kvstore_commands::{Tone, human_bytes};

use super::state::Page;
use crate::app::settings::SegmentSize;
use crate::app::store::OpenStore;

impl Page {
    /// The segment size `<select>` changed to `value`.
    pub(crate) fn change_segment_size(&mut self, value: &str) {
        let Some(size) = SegmentSize::parse(value) else {
            self.segment_size.show(&self.doc);
            return;
        };
        if size == self.segment_size {
            return;
        }
        // Reopening a stopped store would run recovery over the damage
        // without showing its report; Reload is the way out of a fault.
        if self.refuse_if_stopped() {
            self.segment_size.show(&self.doc);
            return;
        }
        // Reopening over the same in-memory segments keeps every record;
        // only rotation from now on follows the new size.
        match OpenStore::open_with(self.open.storage.clone(), self.store_options(size)) {
            Ok(mut open) => {
                size.save();
                self.segment_size = size;
                // The same bytes, so nothing new to report: the last
                // reload's report stays on show.
                open.recovery = self.open.recovery.take();
                self.print_line(
                    format!(
                        "# segment size is now {}: new segments fill up at that size.",
                        human_bytes(size.bytes())
                    ),
                    Tone::Muted,
                );
                self.replace_store(open);
            }
            Err(error) => {
                self.print_line(format!("error: {error}"), Tone::Bad);
                self.segment_size.show(&self.doc);
            }
        }
    }
}
