//! A user as AgentCore names them: an actor id, and the namespaces their
//! records are extracted into.
//!
//! AgentCore actor ids allow letters, digits, `-` and `_` (start with a
//! letter or digit, at most 255 characters), while Pika user ids may hold
//! `@`, `|`, `.` and more. Ids that are already safe are used as they are;
//! others are escaped into a form that cannot collide with a safe id.

use pika_domain::ids::UserId;
use pika_ports::{PortError, PortResult};

/// The longest actor id AgentCore accepts.
const MAX_ACTOR_ID: usize = 255;

/// The placeholder of namespace templates.
pub(super) const ACTOR_PLACEHOLDER: &str = "{actorId}";

/// Whether `raw` is an actor id as it is: a letter or digit, then letters,
/// digits and `-` (no `_`, which the escaped form uses).
fn usable_as_is(raw: &str) -> bool {
    raw.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The actor id of `user`: the id itself when AgentCore accepts it, else
/// `u_` followed by the id with every byte other than a letter, digit or
/// `-` written `_hh`. Escaped ids always hold `_` and plain ones never do,
/// so two users never share an actor id.
///
/// # Errors
/// `Permanent` when the result is longer than AgentCore allows.
pub(super) fn actor_id(user: &UserId) -> PortResult<String> {
    let raw = user.as_str();
    let id = if usable_as_is(raw) {
        raw.to_string()
    } else {
        let mut out = String::from("u_");
        for byte in raw.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("_{byte:02x}"));
            }
        }
        out
    };
    if id.len() > MAX_ACTOR_ID {
        return Err(PortError::permanent(format!(
            "user id {raw:?} is too long for an AgentCore actor id once escaped"
        )));
    }
    Ok(id)
}

/// `template` with the actor id filled in.
pub(super) fn namespace(template: &str, actor_id: &str) -> String {
    template.replace(ACTOR_PLACEHOLDER, actor_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(raw: &str) -> UserId {
        UserId::parse(raw).unwrap()
    }

    #[test]
    fn safe_ids_stay_and_others_are_escaped_apart() {
        assert_eq!(actor_id(&user("alice")).unwrap(), "alice");
        assert_eq!(actor_id(&user("3f2a-11e0-9c1b")).unwrap(), "3f2a-11e0-9c1b");
        assert_eq!(
            actor_id(&user("alice@example.com")).unwrap(),
            "u_alice_40example_2ecom"
        );
        assert_eq!(actor_id(&user("auth0|1")).unwrap(), "u_auth0_7c1");
        assert_eq!(actor_id(&user("auth0_1")).unwrap(), "u_auth0_5f1");
        assert_eq!(actor_id(&user("-x")).unwrap(), "u_-x");
        // An id that looks escaped is escaped again, so it cannot collide.
        assert_eq!(actor_id(&user("u_alice")).unwrap(), "u_u_5falice");
        assert!(actor_id(&user(&"@".repeat(100))).is_err());
    }

    #[test]
    fn namespaces_carry_the_actor() {
        assert_eq!(
            namespace("/users/{actorId}/preferences", "u_a_40b"),
            "/users/u_a_40b/preferences"
        );
    }
}
