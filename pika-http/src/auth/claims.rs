//! From verified claims to a [`User`] (PIKA.md §2).
//!
//! The same mapping serves verified JWT claims and the claims API Gateway
//! puts in the request context. The latter are often flattened to strings,
//! so every claim accepts both its natural JSON shape and a string form:
//!
//! - roles: an array of strings; or a string holding a JSON array
//!   (`["a","b"]`), API Gateway's bracketed list (`[a b]`), or names
//!   separated by commas and/or spaces (`a,b`, `a b`);
//! - custom data: an object; or a string holding a JSON object (an empty
//!   string means no data);
//! - user id: a string, or an integer taken in its decimal form.

use super::error::AuthError;
use super::ClaimNames;
use pika_domain::ids::UserId;
use pika_domain::user::{User, UserType};
use serde_json::{Map, Value};

/// Builds the user the `claims` describe, reading each field under its
/// configured name.
///
/// # Errors
/// [`AuthError::Invalid`] naming the claim that is missing (the user id) or
/// has a shape we cannot read.
pub(crate) fn to_user(claims: &Map<String, Value>, names: &ClaimNames) -> Result<User, AuthError> {
    let user_id = user_id(claims.get(&names.user_id), &names.user_id)?;
    let user_type = match present(claims.get(&names.user_type)) {
        None => UserType::from_claim(None),
        Some(Value::String(raw)) => UserType::from_claim(Some(raw.trim())),
        Some(_) => return Err(invalid(&names.user_type, "is not a string")),
    };
    let roles = roles(present(claims.get(&names.roles))).map_err(|r| invalid(&names.roles, r))?;
    let custom_data = custom_data(present(claims.get(&names.custom_data)))
        .map_err(|r| invalid(&names.custom_data, r))?;
    let mut user = User::new(user_id, user_type);
    user.roles = roles;
    user.custom_data = custom_data;
    user.first_name = name(claims.get(&names.first_name), &names.first_name)?;
    user.last_name = name(claims.get(&names.last_name), &names.last_name)?;
    Ok(user)
}

fn invalid(claim: &str, problem: &str) -> AuthError {
    AuthError::Invalid(format!("claim `{claim}` {problem}"))
}

/// `None` for an absent claim and for `null`.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn user_id(value: Option<&Value>, claim: &str) -> Result<UserId, AuthError> {
    let raw = match present(value) {
        None => return Err(invalid(claim, "(the user id) is missing")),
        Some(Value::String(raw)) => raw.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(invalid(claim, "(the user id) is not a string")),
    };
    UserId::parse(raw).map_err(|e| AuthError::Invalid(format!("claim `{claim}`: {e}")))
}

fn name(value: Option<&Value>, claim: &str) -> Result<Option<String>, AuthError> {
    match present(value) {
        None => Ok(None),
        Some(Value::String(raw)) => {
            let trimmed = raw.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Some(_) => Err(invalid(claim, "is not a string")),
    }
}

/// Roles from an array or from one of the string forms.
fn roles(value: Option<&Value>) -> Result<Vec<String>, &'static str> {
    let mut roles: Vec<String> = Vec::new();
    let mut push = |role: &str| {
        let role = role.trim();
        if !role.is_empty() && !roles.iter().any(|r| r == role) {
            roles.push(role.to_string());
        }
    };
    match value {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                push(item.as_str().ok_or("holds a value that is not a string")?);
            }
        }
        Some(Value::String(raw)) => {
            let raw = raw.trim();
            if raw.starts_with('[') {
                if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(raw) {
                    for item in &items {
                        push(item.as_str().ok_or("holds a value that is not a string")?);
                    }
                } else if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
                {
                    split_names(inner).for_each(&mut push);
                } else {
                    return Err("is neither a list nor a JSON array");
                }
            } else {
                split_names(raw).for_each(&mut push);
            }
        }
        Some(_) => return Err("is neither an array nor a string"),
    }
    Ok(roles)
}

/// Names separated by commas and/or whitespace.
fn split_names(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// Custom data from an object or a string holding one.
fn custom_data(value: Option<&Value>) -> Result<Map<String, Value>, &'static str> {
    match value {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(raw)) if raw.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(raw)) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err("is a string that does not hold a JSON object"),
        },
        Some(_) => Err("is not an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roles_of(value: Value) -> Result<Vec<String>, &'static str> {
        roles(Some(&value))
    }

    #[test]
    fn roles_come_in_many_shapes() {
        let expected = vec!["a".to_string(), "b".to_string()];
        assert_eq!(roles_of(json!(["a", "b"])).unwrap(), expected);
        assert_eq!(roles_of(json!("a,b")).unwrap(), expected);
        assert_eq!(roles_of(json!("a b")).unwrap(), expected);
        assert_eq!(roles_of(json!(" a , b ,a")).unwrap(), expected);
        assert_eq!(roles_of(json!("[\"a\",\"b\"]")).unwrap(), expected);
        assert_eq!(roles_of(json!("[a b]")).unwrap(), expected);
        assert_eq!(roles_of(json!("")).unwrap(), Vec::<String>::new());
        assert!(roles_of(json!([1])).is_err());
        assert!(roles_of(json!(7)).is_err());
        assert!(roles_of(json!("[a")).is_err());
    }

    #[test]
    fn custom_data_is_an_object_or_json_text() {
        assert_eq!(
            custom_data(Some(&json!("{\"accountId\":\"a-17\"}"))).unwrap(),
            json!({"accountId": "a-17"}).as_object().cloned().unwrap()
        );
        assert!(custom_data(Some(&json!(""))).unwrap().is_empty());
        assert!(custom_data(Some(&json!("[1]"))).is_err());
        assert!(custom_data(Some(&json!("nope"))).is_err());
        assert!(custom_data(Some(&json!(3))).is_err());
    }

    #[test]
    fn numeric_user_ids_are_taken_in_decimal() {
        let id = user_id(Some(&json!(42)), "sub").unwrap();
        assert_eq!(id.as_str(), "42");
        assert!(user_id(Some(&json!(1.5)), "sub").is_err());
        assert!(user_id(None, "sub").is_err());
    }
}
