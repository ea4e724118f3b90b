//! The view of a configuration store that the shared cases of
//! [`super`] use: the operations all three stores have, and fixtures.

use crate::fixtures::{agent, chat_app, inline_tool, user_id};
use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, ChatAppStore, Page, PageRequest, PortResult, ToolStore};
use std::fmt::Debug;

/// One configuration store seen through the operations all three share.
pub(super) trait Subject {
    type Item: Clone + PartialEq + Debug;
    type Id: Clone + PartialEq + Debug;
    /// What the store keeps, for messages.
    const WHAT: &'static str;
    /// Fixture number `n`; ids sort as the numbers do.
    fn item(n: usize) -> Self::Item;
    fn id(item: &Self::Item) -> Self::Id;
    /// The next version of `item`: version + 1 and a visible change.
    fn next(item: &Self::Item) -> Self::Item;
    async fn get(&self, id: &Self::Id) -> PortResult<Option<Self::Item>>;
    async fn list(&self, page: PageRequest) -> PortResult<Page<Self::Item>>;
    async fn create(&self, item: &Self::Item) -> PortResult<()>;
    async fn update(&self, item: &Self::Item, expected: u64) -> PortResult<()>;
    async fn delete(&self, id: &Self::Id) -> PortResult<()>;
}

pub(super) struct Apps<S>(pub(super) S);
pub(super) struct Agents<S>(pub(super) S);
pub(super) struct Tools<S>(pub(super) S);

macro_rules! subject {
    ($view:ident, $store:ident, $item:ty, $id:ty, $what:literal, $make:expr, $change:expr) => {
        impl<S: $store> Subject for $view<S> {
            type Item = $item;
            type Id = $id;
            const WHAT: &'static str = $what;
            fn item(n: usize) -> $item {
                $make(n)
            }
            fn id(item: &$item) -> $id {
                item.id_for_contract()
            }
            fn next(item: &$item) -> $item {
                let mut next = item.clone();
                next.version += 1;
                next.updated_by = Some(user_id("admin"));
                $change(&mut next);
                next
            }
            async fn get(&self, id: &$id) -> PortResult<Option<$item>> {
                self.0.get(id).await
            }
            async fn list(&self, page: PageRequest) -> PortResult<Page<$item>> {
                self.0.list(page).await
            }
            async fn create(&self, item: &$item) -> PortResult<()> {
                self.0.create(item).await
            }
            async fn update(&self, item: &$item, expected: u64) -> PortResult<()> {
                self.0.update(item, expected).await
            }
            async fn delete(&self, id: &$id) -> PortResult<()> {
                self.0.delete(id).await
            }
        }
    };
}

/// The id of a configuration record.
trait IdForContract<Id> {
    fn id_for_contract(&self) -> Id;
}
impl IdForContract<ChatAppId> for ChatApp {
    fn id_for_contract(&self) -> ChatAppId {
        self.chat_app_id.clone()
    }
}
impl IdForContract<AgentId> for Agent {
    fn id_for_contract(&self) -> AgentId {
        self.agent_id.clone()
    }
}
impl IdForContract<ToolId> for Tool {
    fn id_for_contract(&self) -> ToolId {
        self.tool_id.clone()
    }
}

subject!(
    Apps,
    ChatAppStore,
    ChatApp,
    ChatAppId,
    "chat app",
    |n: usize| chat_app(&format!("app-{n:02}"), "agent"),
    |a: &mut ChatApp| a.title = format!("{} (v{})", a.title, a.version)
);
subject!(
    Agents,
    AgentStore,
    Agent,
    AgentId,
    "agent",
    |n: usize| agent(&format!("agent-{n:02}"), &[]),
    |a: &mut Agent| a.instruction = format!("Be brief (v{}).", a.version)
);
subject!(
    Tools,
    ToolStore,
    Tool,
    ToolId,
    "tool",
    |n: usize| inline_tool(&format!("tool-{n:02}"), "lookup"),
    |t: &mut Tool| t.description = format!("Looks things up (v{})", t.version)
);
