//! Session titles (PIKA.md §6): asked of a model after the first reply, or
//! set by the user.

/// The title model's instruction.
pub const TITLE_INSTRUCTION: &str = "Write a concise title of 3 to 8 words for this \
conversation. Reply with the title only: no quotes, no punctuation at the end.";

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// The title model's input.
pub fn title_input(question: &str, answer: &str) -> String {
    let answer: String = answer.chars().take(2_000).collect();
    format!("User: {question}\n\nAssistant: {answer}")
}

/// Cleans what a title model (or a user) gave: first line, no surrounding
/// quotes or `Title:` prefix, single spaces, at most 8 words when generated
/// and [`MAX_TITLE_CHARS`] characters. `None` when nothing is left.
pub fn clean_title(raw: &str, generated: bool) -> Option<String> {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line
        .strip_prefix("Title:")
        .or_else(|| line.strip_prefix("title:"))
        .unwrap_or(line);
    let line = line
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '*' | '#' | '`'));
    let words: Vec<&str> = line.split_whitespace().collect();
    let words = if generated {
        &words[..words.len().min(8)]
    } else {
        &words[..]
    };
    let mut title = words.join(" ");
    if generated {
        title = title
            .trim_end_matches(['.', '!', '?', ':', ';', ','])
            .to_string();
    }
    let title: String = title.chars().take(MAX_TITLE_CHARS).collect();
    let title = title.trim().to_string();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_model_titles() {
        assert_eq!(
            clean_title("\"Weather in Paris today.\"", true).as_deref(),
            Some("Weather in Paris today")
        );
        assert_eq!(
            clean_title("\n\nTitle: Trip planning\nmore", true).as_deref(),
            Some("Trip planning")
        );
        assert_eq!(
            clean_title("one two three four five six seven eight nine ten", true).as_deref(),
            Some("one two three four five six seven eight")
        );
        assert_eq!(clean_title("   ", true), None);
        assert_eq!(
            clean_title("My own title!", false).as_deref(),
            Some("My own title!")
        );
    }
}
