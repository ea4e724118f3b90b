//! The configuration stores on the `config` table (docs/storage.md): the
//! site configuration, chat apps and their overrides, agents, tools. One item per record under `pk`
//! = `{kind}#{id}`; updates are conditional puts on the stored `version`.

mod agents;
mod apps;
mod batch_get;
mod site;
mod tools;
mod versioned;

pub use agents::DynamoAgentStore;
pub use apps::DynamoChatAppStore;
pub use site::DynamoSiteStore;
pub use tools::DynamoToolStore;
