//! Secrets fetched once per container from Secrets Manager, by the ARN the
//! environment names: key material never sits in a plain environment
//! variable.

use aws_sdk_secretsmanager::Client;
use std::fmt;

/// A secret that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretError(pub String);

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SecretError {}

/// The secret `arn`'s current value; an error names the ARN only.
async fn read(
    client: &Client,
    arn: &str,
) -> Result<aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput, SecretError>
{
    client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            SecretError(format!(
                "cannot read secret {arn}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            ))
        })
}

/// The HS256 key in the secret `arn`: its string value (at least 32 bytes,
/// as the authenticator requires), or its binary value.
///
/// # Errors
/// When the secret cannot be read or is empty; the message names the ARN,
/// never the value.
pub async fn hs256_key(client: &Client, arn: &str) -> Result<Vec<u8>, SecretError> {
    let out = read(client, arn).await?;
    let key = match (out.secret_string, out.secret_binary) {
        (Some(text), _) => text.trim().as_bytes().to_vec(),
        (None, Some(blob)) => blob.into_inner(),
        (None, None) => Vec::new(),
    };
    if key.is_empty() {
        return Err(SecretError(format!("secret {arn} is empty")));
    }
    Ok(key)
}

/// The tools' header secrets in the secret `arn`: a JSON object of names to
/// string values.
///
/// # Errors
/// When the secret cannot be read or is not such an object; the message
/// names the ARN, never a value.
pub async fn tool_secrets(
    client: &Client,
    arn: &str,
) -> Result<std::collections::BTreeMap<String, String>, SecretError> {
    let out = read(client, arn).await?;
    let text = out.secret_string.unwrap_or_default();
    serde_json::from_str(&text).map_err(|_| {
        SecretError(format!(
            "secret {arn} must hold a JSON object of names to string values"
        ))
    })
}
