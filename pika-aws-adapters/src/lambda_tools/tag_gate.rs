//! Only functions tagged `agent-tool=true` may run as tools (PIKA.md §5).
//! The tag is read with `ListTags` and remembered per function for a while,
//! so a busy tool costs one `ListTags` per period, not one per call.

use crate::aws::classify;
use aws_sdk_lambda::Client;
use pika_ports::{PortError, PortResult};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The tag a function must carry to be invoked as a tool.
pub const TOOL_TAG_KEY: &str = "agent-tool";
/// The value the tag must have.
pub const TOOL_TAG_VALUE: &str = "true";

/// A tagging decision and when it was made.
type Seen = (bool, Instant);

/// Checks and remembers the `agent-tool` tag of functions.
#[derive(Debug)]
pub(super) struct TagGate {
    ttl: Duration,
    seen: Mutex<HashMap<String, Seen>>,
}

/// The function's ARN without a version or alias qualifier: Lambda tags
/// functions, not their versions, and `ListTags` refuses qualified ARNs.
pub(super) fn unqualified(arn: &str) -> &str {
    // arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]
    match arn.match_indices(':').nth(6) {
        Some((at, _)) if arn.split(':').nth(5) == Some("function") => &arn[..at],
        _ => arn,
    }
}

impl TagGate {
    /// A gate remembering each answer for `ttl` (zero: ask every time).
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            seen: Mutex::default(),
        }
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        // A poisoned lock only means another thread panicked mid-insert.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets the call through when the function carries the tag.
    ///
    /// # Errors
    /// - `Permanent` when it does not (or may not be inspected).
    /// - `NotFound` when the function does not exist; `Transient` when
    ///   `ListTags` is throttled.
    pub(super) async fn check(&self, client: &Client, arn: &str) -> PortResult<()> {
        let function = unqualified(arn);
        let cached = self
            .seen()
            .get(function)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(tagged, _)| *tagged);
        let tagged = match cached {
            Some(tagged) => tagged,
            None => {
                let tags = client
                    .list_tags()
                    .resource(function)
                    .send()
                    .await
                    .map_err(|e| classify("lambda ListTags", e))?;
                let tagged = tags
                    .tags()
                    .and_then(|t| t.get(TOOL_TAG_KEY))
                    .is_some_and(|v| v == TOOL_TAG_VALUE);
                self.seen()
                    .insert(function.to_string(), (tagged, Instant::now()));
                tagged
            }
        };
        if tagged {
            Ok(())
        } else {
            Err(PortError::permanent(format!(
                "lambda function {function} is not tagged {TOOL_TAG_KEY}={TOOL_TAG_VALUE}; it may not run as a tool"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_dropped_from_function_arns() {
        let base = "arn:aws:lambda:us-east-1:123456789012:function:weather";
        assert_eq!(unqualified(base), base);
        assert_eq!(unqualified(&format!("{base}:prod")), base);
        assert_eq!(unqualified(&format!("{base}:7")), base);
        assert_eq!(unqualified("weather"), "weather");
    }
}
