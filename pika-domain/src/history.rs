//! Trimming the history sent to the model to its context budget (PIKA.md §7
//! step 4): oldest turns go first.

/// A rough token count: about four characters per token, never zero for
/// non-empty text. Good enough to stay inside a budget with a margin.
pub fn estimate_tokens(text: &str) -> u32 {
    let chars = text.chars().count();
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

/// Keeps the newest items whose estimated tokens fit in `budget`, dropping
/// the oldest first, and never starting with an assistant item (models want
/// the conversation to open with the user). `is_user` tells an item's role.
pub fn trim_to_budget<T>(
    items: Vec<T>,
    budget: u32,
    tokens: impl Fn(&T) -> u32,
    is_user: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut used: u32 = 0;
    let mut keep_from = items.len();
    for (i, item) in items.iter().enumerate().rev() {
        let cost = tokens(item);
        if used.saturating_add(cost) > budget {
            break;
        }
        used = used.saturating_add(cost);
        keep_from = i;
    }
    let mut kept: Vec<T> = items.into_iter().skip(keep_from).collect();
    while kept.first().is_some_and(|first| !is_user(first)) {
        kept.remove(0);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_go_first_and_history_opens_with_user() {
        let items = vec![("u", 10), ("a", 10), ("u", 10), ("a", 10)];
        let kept = trim_to_budget(items.clone(), 30, |i| i.1, |i| i.0 == "u");
        // 30 tokens fit the last three, but the first of those is an assistant item.
        assert_eq!(kept, vec![("u", 10), ("a", 10)]);
        assert_eq!(
            trim_to_budget(items.clone(), 100, |i| i.1, |i| i.0 == "u").len(),
            4
        );
        assert!(trim_to_budget(items, 5, |i| i.1, |i| i.0 == "u").is_empty());
    }

    #[test]
    fn estimate_is_about_four_chars_per_token() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcdefgh"), 2);
    }
}
