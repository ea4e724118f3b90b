//! Presigned upload URLs within the chat app's `fileUpload` feature
//! (PIKA.md §10 "Files"): scoped to the caller's session, limited in size
//! and MIME type; and short-lived download URLs for the files attached to
//! a session's messages, for those who may read it.

use crate::config_cache::ConfigCache;
use crate::error::ServiceError;
use crate::ports::{Ports, ServiceSettings};
use crate::sessions::{owned, readable};
use pika_domain::access::{decide_access, AccessDecision};
use pika_domain::chrono::Duration;
use pika_domain::features::resolve_features;
use pika_domain::files::{key_segment, upload_key};
use pika_domain::ids::{FileId, SessionId};
use pika_domain::user::User;
use pika_ports::{IdGeneratorExt, PageRequest, PresignedUrl, UploadGrant};
use std::sync::Arc;

/// What the client wants to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// The file's name.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Where and how to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTicket {
    /// What to pass in `fileIds` when sending a message: `{fileId}/{name}`.
    pub file_ref: String,
    /// The object key.
    pub key: String,
    /// The presigned `PUT`.
    pub upload: PresignedUrl,
}

/// The upload use case.
#[derive(Clone)]
pub struct UploadService {
    ports: Ports,
    settings: ServiceSettings,
    config: Arc<ConfigCache>,
}

impl UploadService {
    /// An upload service.
    pub fn new(ports: Ports, settings: ServiceSettings, config: Arc<ConfigCache>) -> Self {
        Self {
            ports,
            settings,
            config,
        }
    }

    /// A presigned upload URL for a file in a session the caller owns.
    ///
    /// # Errors
    /// `NotFound` / `Forbidden` for the session; `Forbidden` when the chat
    /// app does not admit the caller (any more) or does not allow uploads; `Invalid` for a refused
    /// MIME type, an empty name or an oversized file.
    pub async fn presign(
        &self,
        caller: &User,
        session: &SessionId,
        request: UploadRequest,
    ) -> Result<UploadTicket, ServiceError> {
        let s = owned(&self.ports, caller, session).await?;
        let config = self
            .config
            .chat_app(&s.chat_app_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("chat app"))?;
        // Someone the chat app no longer admits (disabled, exclusive list, rules)
        // gets no upload URL, as they would get no turn.
        let site = self.config.site().await?;
        if let AccessDecision::Deny(reason) =
            decide_access(caller, &config.app, config.ovr.as_ref(), &site)
        {
            return Err(ServiceError::Forbidden(format!(
                "you may not use this chat app: {}",
                reason.describe()
            )));
        }
        let features = resolve_features(caller, &config.app, config.ovr.as_ref(), &site);
        let Some(upload) = features.file_upload else {
            return Err(ServiceError::Forbidden(
                "file uploads are not enabled in this chat app".to_string(),
            ));
        };
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(ServiceError::Invalid(
                "the file name must be 1 to 255 characters".to_string(),
            ));
        }
        if !upload.allows_mime(&request.content_type) {
            return Err(ServiceError::Invalid(format!(
                "files of type '{}' may not be uploaded here",
                request.content_type
            )));
        }
        let max = upload
            .max_file_size_bytes
            .unwrap_or(self.settings.default_max_upload_bytes);
        if request.size == 0 || request.size > max {
            return Err(ServiceError::Invalid(format!(
                "the file must be 1 to {max} bytes"
            )));
        }
        let file_id = self.ports.ids.file_id();
        let safe_name = key_segment(name);
        let key = upload_key(&caller.user_id, session, &file_id, &safe_name);
        let ttl = Duration::from_std(self.settings.presign_ttl).unwrap_or(Duration::minutes(5));
        let grant = UploadGrant {
            key: key.clone(),
            content_type: request.content_type,
            content_length: request.size,
            expires_at: self.ports.clock.now() + ttl,
        };
        let url = self.ports.files.presign_upload(&grant).await?;
        Ok(UploadTicket {
            file_ref: format!("{file_id}/{safe_name}"),
            key,
            upload: url,
        })
    }

    /// A short-lived download URL for a file attached to a message of a
    /// session the caller may read (owner, content or site admin).
    ///
    /// # Errors
    /// `NotFound` for a session the caller may not read, or a file that
    /// is not attached to one of its messages (another session's file
    /// included); store failures.
    pub async fn download(
        &self,
        caller: &User,
        session: &SessionId,
        file: &FileId,
    ) -> Result<PresignedUrl, ServiceError> {
        readable(&self.ports, caller, session).await?;
        let mut page = PageRequest::first(100);
        let key = loop {
            let batch = self.ports.messages.list(session, page).await?;
            let found = batch
                .items
                .iter()
                .flat_map(|m| m.files.iter())
                .find(|f| &f.file_id == file)
                .map(|f| f.key.clone());
            match (found, batch.next_cursor) {
                (Some(key), _) => break key,
                (None, Some(cursor)) => page = PageRequest::after(100, Some(cursor)),
                (None, None) => return Err(ServiceError::not_found("file")),
            }
        };
        let ttl = Duration::from_std(self.settings.presign_ttl).unwrap_or(Duration::minutes(5));
        Ok(self
            .ports
            .files
            .presign_download(&key, self.ports.clock.now() + ttl)
            .await?)
    }
}
