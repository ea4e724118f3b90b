//! The server-side encryption every write asks for.

use aws_sdk_s3::types::ServerSideEncryption;

/// How objects are encrypted at rest: S3-managed keys, or a KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Encryption {
    /// `x-amz-server-side-encryption: AES256`.
    S3Managed,
    /// `x-amz-server-side-encryption: aws:kms` with this key id or ARN.
    Kms(String),
}

impl Encryption {
    /// KMS when a key id is configured, S3-managed keys otherwise.
    pub(super) fn from_kms_key(kms_key_id: Option<&str>) -> Self {
        match kms_key_id.map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => Self::Kms(key.to_string()),
            None => Self::S3Managed,
        }
    }

    /// The algorithm header's value.
    pub(super) fn algorithm(&self) -> ServerSideEncryption {
        match self {
            Self::S3Managed => ServerSideEncryption::Aes256,
            Self::Kms(_) => ServerSideEncryption::AwsKms,
        }
    }

    /// The KMS key id, when KMS is used.
    pub(super) fn kms_key_id(&self) -> Option<String> {
        match self {
            Self::S3Managed => None,
            Self::Kms(key) => Some(key.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_key_id_means_s3_managed_keys() {
        assert_eq!(Encryption::from_kms_key(None), Encryption::S3Managed);
        assert_eq!(Encryption::from_kms_key(Some("  ")), Encryption::S3Managed);
        let kms = Encryption::from_kms_key(Some("alias/pika"));
        assert_eq!(kms.algorithm(), ServerSideEncryption::AwsKms);
        assert_eq!(kms.kms_key_id().as_deref(), Some("alias/pika"));
    }
}
