//! Keyboard moves among the strips: one strip at a time is the Tab stop
//! (a thousand Tab stops would make the rest of the page unreachable), and
//! the arrow keys, Page Up and Down, Home and End move it.

/// Where a key moves the Tab stop among `len` strips from `at`: arrows
/// by one, Page Up and Down by `page`, Home and End to the ends; `None`
/// for any other key.
pub fn moved(at: usize, len: usize, key: &str, page: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let to = match key {
        "ArrowDown" | "ArrowRight" => at.saturating_add(1),
        "ArrowUp" | "ArrowLeft" => at.saturating_sub(1),
        "PageDown" => at.saturating_add(page.max(1)),
        "PageUp" => at.saturating_sub(page.max(1)),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(to.min(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_the_tab_stop_within_the_strips() {
        assert_eq!(moved(0, 10, "ArrowDown", 5), Some(1));
        assert_eq!(moved(0, 10, "ArrowUp", 5), Some(0));
        assert_eq!(moved(9, 10, "ArrowDown", 5), Some(9));
        assert_eq!(moved(3, 10, "PageDown", 5), Some(8));
        assert_eq!(moved(8, 10, "PageDown", 5), Some(9));
        assert_eq!(moved(3, 10, "PageUp", 5), Some(0));
        assert_eq!(moved(3, 10, "End", 5), Some(9));
        assert_eq!(moved(3, 10, "Home", 5), Some(0));
        assert_eq!(moved(3, 10, "Enter", 5), None);
        assert_eq!(moved(0, 0, "ArrowDown", 5), None);
    }
}
