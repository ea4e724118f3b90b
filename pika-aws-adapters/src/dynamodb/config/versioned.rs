//! What the three configuration stores share: records with an id and a
//! version, one item each on the `config` table under `pk` = `{kind}#{id}`,
//! listed by id through the `byKind` index (`kind` / `itemId`), and
//! replaced only when the stored version is the one the caller read.

use crate::dynamodb::codec::{from_item, get_s, n, s, to_item, Item};
use crate::dynamodb::cursor::{decode, encode};
use crate::dynamodb::query::query_page;
use crate::dynamodb::{ddb_error, is_condition_failure, tables, Dynamo};
use pika_ports::{Cursor, Page, PageRequest, PortError, PortResult};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The table key attribute.
pub(super) const PK: &str = "pk";
/// The listing index and its attributes.
const BY_KIND: &str = "byKind";
const KIND: &str = "kind";
const ITEM_ID: &str = "itemId";
/// The attributes of a `byKind` key as DynamoDB returns it (index key and
/// table key): what a listing cursor holds.
const LIST_KEY: &[&str] = &[KIND, ITEM_ID, PK];
/// The attributes a record's item carries beside the record itself.
const ADDED: &[&str] = &[PK, KIND, ITEM_ID];

/// A configuration record: a chat app, an agent or a tool.
pub(super) trait Versioned: Serialize + DeserializeOwned {
    /// Its `kind` attribute and key prefix (`app`, `agent`, `tool`).
    const KIND: &'static str;
    /// What it is, for messages.
    const WHAT: &'static str;
    /// Its id.
    fn id(&self) -> &str;
}

/// The table key value of a record of `kind` with `id`.
pub(super) fn pk(kind: &str, id: &str) -> String {
    format!("{kind}#{id}")
}

/// The table key of `pk`.
pub(super) fn key(pk: String) -> Item {
    Item::from([(PK.to_string(), s(pk))])
}

/// The item of a record: its attributes, its key and its listing attributes.
fn item_of<T: Versioned>(record: &T) -> PortResult<Item> {
    let mut item = to_item(record)?;
    item.insert(PK.to_string(), s(pk(T::KIND, record.id())));
    item.insert(KIND.to_string(), s(T::KIND));
    item.insert(ITEM_ID.to_string(), s(record.id()));
    Ok(item)
}

/// One item by key, read consistently (an admin reads what they just wrote,
/// and an update's failure is told apart on a fresh read).
pub(super) async fn get_item(dynamo: &Dynamo, pk: String) -> PortResult<Option<Item>> {
    dynamo
        .client()
        .get_item()
        .table_name(dynamo.table(&tables::CONFIG))
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .map(|out| out.item)
        .map_err(|e| ddb_error("config get", e))
}

/// The record stored in `item`.
pub(super) fn record_of<T: Versioned>(item: &Item) -> PortResult<T> {
    from_item(item, ADDED)
}

/// The record of kind `T` with `id`.
pub(super) async fn get<T: Versioned>(dynamo: &Dynamo, id: &str) -> PortResult<Option<T>> {
    get_item(dynamo, pk(T::KIND, id))
        .await?
        .map(|item| record_of(&item))
        .transpose()
}

/// The key a listing cursor stands for; `Invalid` unless it is a key of
/// this kind's listing (a cursor of the agents' listing is refused by the
/// tools' listing, though both have the same attributes).
fn start_key(kind: &str, cursor: &Cursor) -> PortResult<Item> {
    let start = decode(cursor, LIST_KEY)?;
    let item_id = get_s(&start, ITEM_ID).unwrap_or_default();
    let consistent =
        get_s(&start, KIND) == Some(kind) && get_s(&start, PK) == Some(pk(kind, item_id).as_str());
    if consistent {
        Ok(start)
    } else {
        Err(PortError::invalid("cursor was not issued for this listing"))
    }
}

/// One page of the records of kind `T`, ordered by id.
pub(super) async fn list<T: Versioned>(dynamo: &Dynamo, page: PageRequest) -> PortResult<Page<T>> {
    let start = page
        .cursor
        .as_ref()
        .map(|c| start_key(T::KIND, c))
        .transpose()?;
    let table = dynamo.table(&tables::CONFIG);
    let make = || {
        dynamo
            .client()
            .query()
            .table_name(&table)
            .index_name(BY_KIND)
            .key_condition_expression("#kind = :kind")
            .expression_attribute_names("#kind", KIND)
            .expression_attribute_values(":kind", s(T::KIND))
            .scan_index_forward(true)
    };
    let (items, next) = query_page(make, page.size(), start, LIST_KEY).await?;
    Ok(Page {
        items: items
            .iter()
            .map(record_of)
            .collect::<PortResult<Vec<T>>>()?,
        next_cursor: next.as_ref().map(encode),
    })
}

/// Creates `record`; `Conflict` if its id exists.
pub(super) async fn create<T: Versioned>(dynamo: &Dynamo, record: &T) -> PortResult<()> {
    dynamo
        .client()
        .put_item()
        .table_name(dynamo.table(&tables::CONFIG))
        .set_item(Some(item_of(record)?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .send()
        .await
        .map(drop)
        .map_err(|e| ddb_error(&format!("create {}", T::WHAT), e))
}

/// Replaces `record` if the stored version is `expected`: `NotFound` when
/// there is none, `Conflict` when another version is stored.
pub(super) async fn update<T: Versioned>(
    dynamo: &Dynamo,
    record: &T,
    expected: u64,
) -> PortResult<()> {
    let result = dynamo
        .client()
        .put_item()
        .table_name(dynamo.table(&tables::CONFIG))
        .set_item(Some(item_of(record)?))
        // A missing item has no version, so this condition also fails then;
        // the read below tells the two cases apart.
        .condition_expression("#version = :expected")
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":expected", n(expected))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => {
            match get_item(dynamo, pk(T::KIND, record.id())).await? {
                None => Err(PortError::not_found(format!(
                    "no {} {}",
                    T::WHAT,
                    record.id()
                ))),
                Some(_) => Err(PortError::conflict(format!(
                    "{} {} is no longer at version {expected}",
                    T::WHAT,
                    record.id()
                ))),
            }
        }
        Err(e) => Err(ddb_error(&format!("update {}", T::WHAT), e)),
    }
}

/// Deletes the record of kind `T` with `id`; a missing one is no error.
pub(super) async fn delete<T: Versioned>(dynamo: &Dynamo, id: &str) -> PortResult<()> {
    dynamo
        .client()
        .delete_item()
        .table_name(dynamo.table(&tables::CONFIG))
        .set_key(Some(key(pk(T::KIND, id))))
        .send()
        .await
        .map(drop)
        .map_err(|e| ddb_error(&format!("delete {}", T::WHAT), e))
}
