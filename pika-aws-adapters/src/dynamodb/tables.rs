//! The tables of docs/storage.md as data: names, keys, indexes, TTL
//! attributes. [`create_tables`] builds them (tests, local use); the CDK
//! stack in `infra/` declares the same ones.

use super::errors::ddb_error;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use pika_ports::{PortError, PortResult};

/// A key of a table or index: partition attribute and optional sort attribute
/// (all Pika key attributes are strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The partition key attribute.
    pub partition: &'static str,
    /// The sort key attribute, if any.
    pub sort: Option<&'static str>,
}

/// A global secondary index (projecting all attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    /// Its name.
    pub name: &'static str,
    /// Its key.
    pub key: KeySpec,
}

/// A table of Pika.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// The name after the prefix: the table is `{prefix}-{suffix}`.
    pub suffix: &'static str,
    /// Its key.
    pub key: KeySpec,
    /// Its global secondary indexes.
    pub indexes: &'static [IndexSpec],
    /// Its TTL attribute, if any.
    pub ttl: Option<&'static str>,
}

const fn key(partition: &'static str, sort: Option<&'static str>) -> KeySpec {
    KeySpec { partition, sort }
}

const fn index(
    name: &'static str,
    partition: &'static str,
    sort: Option<&'static str>,
) -> IndexSpec {
    IndexSpec {
        name,
        key: key(partition, sort),
    }
}

/// Sessions: by id; by user, user+app, entity (newest first); by share;
/// the sparse "needs insights" and "expires" indexes.
pub const SESSIONS: TableSpec = TableSpec {
    suffix: "sessions",
    key: key("sessionId", None),
    indexes: &[
        index("byUser", "userId", Some("sessionId")),
        index("byUserApp", "userApp", Some("sessionId")),
        index("byEntity", "entityId", Some("sessionId")),
        index("byShare", "shareKey", None),
        index("byInsightsDue", "insightsDue", Some("updatedKey")),
        index("byExpiry", "expiryDue", Some("expiresKey")),
    ],
    ttl: None,
};

/// Messages: by session, in id (= time) order.
pub const MESSAGES: TableSpec = TableSpec {
    suffix: "messages",
    key: key("sessionId", Some("messageId")),
    indexes: &[],
    ttl: None,
};

/// Idempotency claims of client message ids.
pub const CLAIMS: TableSpec = TableSpec {
    suffix: "claims",
    key: key("claimKey", None),
    indexes: &[],
    ttl: Some("ttl"),
};

/// Chat apps, overrides, agents, tools.
pub const CONFIG: TableSpec = TableSpec {
    suffix: "config",
    key: key("pk", None),
    indexes: &[index("byKind", "kind", Some("itemId"))],
    ttl: None,
};

/// User profiles.
pub const USERS: TableSpec = TableSpec {
    suffix: "users",
    key: key("userId", None),
    indexes: &[],
    ttl: None,
};

/// Feedback records.
pub const FEEDBACK: TableSpec = TableSpec {
    suffix: "feedback",
    key: key("feedbackId", None),
    indexes: &[
        index("bySession", "sessionId", Some("createdKey")),
        index("byAll", "feedbackAll", Some("createdKey")),
        index("byStatus", "status", Some("createdKey")),
        index("byChatApp", "chatAppId", Some("createdKey")),
        index("byAppStatus", "appStatus", Some("createdKey")),
    ],
    ttl: None,
};

/// The usage ledger: hour buckets per user / entity, daily aggregates.
pub const USAGE: TableSpec = TableSpec {
    suffix: "usage",
    key: key("pk", Some("sk")),
    indexes: &[],
    ttl: Some("ttl"),
};

/// Job locks.
pub const LOCKS: TableSpec = TableSpec {
    suffix: "locks",
    key: key("name", None),
    indexes: &[],
    ttl: Some("ttl"),
};

/// Running turns: each session's hold and the turn's event batches.
pub const TURNS: TableSpec = TableSpec {
    suffix: "turns",
    key: key("sessionId", Some("item")),
    indexes: &[],
    ttl: Some("ttl"),
};

/// Every table, in the order they are created.
pub const ALL_TABLES: &[TableSpec] = &[
    SESSIONS, MESSAGES, CLAIMS, CONFIG, USERS, FEEDBACK, USAGE, LOCKS, TURNS,
];

/// The full name of `spec` under `prefix`.
pub fn table_name(prefix: &str, spec: &TableSpec) -> String {
    format!("{prefix}-{}", spec.suffix)
}

fn schema(key: &KeySpec) -> PortResult<Vec<KeySchemaElement>> {
    let mut elements = vec![element(key.partition, KeyType::Hash)?];
    if let Some(sort) = key.sort {
        elements.push(element(sort, KeyType::Range)?);
    }
    Ok(elements)
}

fn element(name: &str, kind: KeyType) -> PortResult<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| PortError::permanent(format!("key schema: {e}")))
}

fn definitions(spec: &TableSpec) -> PortResult<Vec<AttributeDefinition>> {
    let mut names: Vec<&str> = Vec::new();
    for k in std::iter::once(&spec.key).chain(spec.indexes.iter().map(|i| &i.key)) {
        for name in std::iter::once(k.partition).chain(k.sort) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| PortError::permanent(format!("attribute definition: {e}")))
        })
        .collect()
}

/// Creates every table of Pika under `prefix` (on-demand billing), with
/// their indexes and TTL attributes, as the CDK stack declares them. Tables
/// that exist already are left as they are.
///
/// # Errors
/// `Transient` / `Permanent` from DynamoDB.
pub async fn create_tables(client: &Client, prefix: &str) -> PortResult<()> {
    for spec in ALL_TABLES {
        create_table(client, prefix, spec).await?;
    }
    Ok(())
}

async fn create_table(client: &Client, prefix: &str, spec: &TableSpec) -> PortResult<()> {
    let name = table_name(prefix, spec);
    let mut request = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(schema(&spec.key)?))
        .set_attribute_definitions(Some(definitions(spec)?));
    for index in spec.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(schema(&index.key)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| PortError::permanent(format!("index {}: {e}", index.name)))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(e) => return Err(ddb_error(&format!("creating table {name}"), e)),
    }
    if let Some(attribute) = spec.ttl {
        client
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| PortError::permanent(format!("ttl: {e}")))?,
            )
            .send()
            .await
            .map_err(|e| ddb_error(&format!("enabling TTL on {name}"), e))?;
    }
    Ok(())
}
