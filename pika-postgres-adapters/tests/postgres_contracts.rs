//! The PostgreSQL stores against every store contract suite of the
//! testkit, unchanged, each case on a fresh schema of a real server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unused_imports
)]

mod support;

use pika_postgres_adapters::*;
use pika_testkit::contracts::*;

/// A test running `suite` with a fresh schema per factory call.
macro_rules! contract {
    ($($name:ident: $suite:path => $store:ident;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(url) = support::server() else { return };
            $suite(|| {
                let url = url.clone();
                async move { $store::new(support::fresh_db(&url).await) }
            })
            .await;
        }
    )*};
}

contract! {
    session_store_honours_its_contract: sessions::session_store_contract => PostgresSessionStore;
    message_store_honours_its_contract: messages::message_store_contract => PostgresMessageStore;
    chat_app_store_honours_its_contract: config::chat_app_store_contract => PostgresChatAppStore;
    agent_store_honours_its_contract: config::agent_store_contract => PostgresAgentStore;
    tool_store_honours_its_contract: config::tool_store_contract => PostgresToolStore;
    site_store_honours_its_contract: site::site_store_contract => PostgresSiteStore;
    user_store_honours_its_contract: users::user_store_contract => PostgresUserStore;
    feedback_store_honours_its_contract: feedback::feedback_store_contract => PostgresFeedbackStore;
    usage_ledger_honours_its_contract: usage::usage_ledger_contract => PostgresUsageLedger;
    job_lock_honours_its_contract: job_lock::job_lock_contract => PostgresJobLock;
    user_memory_honours_its_contract: memory::user_memory_contract => PostgresUserMemory;
    turn_control_honours_its_contract: turns::turn_control_contract => PostgresTurnControl;
    allowance_store_honours_its_contract: allowances::allowance_store_contract => PostgresAllowances;
}
