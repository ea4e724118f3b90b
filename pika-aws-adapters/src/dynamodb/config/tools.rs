//! [`ToolStore`] on the `config` table: tools under `tool#{id}`.

use super::batch_get::batch_get;
use super::versioned::{self, key, pk, record_of, Versioned, PK};
use crate::dynamodb::codec::get_s;
use crate::dynamodb::{tables, Dynamo};
use async_trait::async_trait;
use pika_domain::ids::ToolId;
use pika_domain::tool::Tool;
use pika_ports::{Page, PageRequest, PortResult, ToolStore};
use std::collections::HashMap;

impl Versioned for Tool {
    const KIND: &'static str = "tool";
    const WHAT: &'static str = "tool";
    fn id(&self) -> &str {
        self.tool_id.as_str()
    }
}

/// Tool definitions (see [`ToolStore`]).
#[derive(Debug, Clone)]
pub struct DynamoToolStore {
    dynamo: Dynamo,
}

impl DynamoToolStore {
    /// The tools of `dynamo`'s `config` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }
}

/// `ids` without repeats, each at its first position.
fn distinct(ids: &[ToolId]) -> Vec<&ToolId> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(*id)).collect()
}

#[async_trait]
impl ToolStore for DynamoToolStore {
    async fn get(&self, id: &ToolId) -> PortResult<Option<Tool>> {
        versioned::get(&self.dynamo, id.as_str()).await
    }

    /// One `BatchGetItem` (per 100 ids); DynamoDB answers in any order, so
    /// the tools are put back in the order of `ids`.
    async fn get_many(&self, ids: &[ToolId]) -> PortResult<Vec<Tool>> {
        let wanted = distinct(ids);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let keys = wanted
            .iter()
            .map(|id| key(pk(Tool::KIND, id.as_str())))
            .collect();
        let table = self.dynamo.table(&tables::CONFIG);
        let mut by_pk: HashMap<String, _> = batch_get(self.dynamo.client(), &table, keys)
            .await?
            .into_iter()
            .filter_map(|item| get_s(&item, PK).map(str::to_string).map(|pk| (pk, item)))
            .collect();
        wanted
            .iter()
            .filter_map(|id| by_pk.remove(&pk(Tool::KIND, id.as_str())))
            .map(|item| record_of(&item))
            .collect()
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Tool>> {
        versioned::list(&self.dynamo, page).await
    }

    async fn create(&self, tool: &Tool) -> PortResult<()> {
        versioned::create(&self.dynamo, tool).await
    }

    async fn update(&self, tool: &Tool, expected_version: u64) -> PortResult<()> {
        versioned::update(&self.dynamo, tool, expected_version).await
    }

    async fn delete(&self, id: &ToolId) -> PortResult<()> {
        versioned::delete::<Tool>(&self.dynamo, id.as_str()).await
    }
}
