//! Administration of chat apps, overrides, agents and tools by site admins
//! (PIKA.md §3, §5, §11): validation, optimistic concurrency, and changes
//! that the very next chat turn sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chat_app::ChatAppOverride;
use pika_domain::chrono::Duration;
use pika_domain::tool::{ExecutionType, ParameterSchema, ParameterType};
use pika_domain::user::User;
use pika_ports::{Clock, PageRequest};
use pika_service::{SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::fmt::Debug;
use support::*;

fn code<T: Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

fn admin() -> User {
    fixtures::site_admin("root")
}

/// Sends a first message in `support` and tells whether the turn was accepted
/// (the error code otherwise). A refused turn leaves its script queued; every
/// script is the same answer, so a later turn may play it.
async fn try_turn(p: &Platform, user: &User) -> Result<(), &'static str> {
    p.fakes.runtime.push(Script::answer("Hello."));
    let sent = p
        .chat
        .send(
            user,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi"),
        )
        .await;
    match sent {
        Ok(mut stream) => {
            collect(&mut stream).await;
            Ok(())
        }
        Err(e) => Err(e.code()),
    }
}

#[tokio::test]
async fn everyone_but_site_admins_is_forbidden_everywhere() {
    let p = Platform::standard().await;
    let app = fixtures::chat_app(APP, AGENT);
    let agent = fixtures::agent(AGENT, &[]);
    let tool = fixtures::inline_tool("lookup", "look_up");
    let mut new_app = fixtures::chat_app("new-app", AGENT);
    new_app.title = "Brand new".into();

    for caller in [
        fixtures::customer("alice"),
        fixtures::content_admin("carol"),
    ] {
        let a = p.admin();
        let id = fixtures::chat_app_id(APP);
        let page = PageRequest::first(10);
        assert_eq!(
            code(a.list_chat_apps(&caller, page.clone()).await),
            "forbidden"
        );
        assert_eq!(code(a.get_chat_app(&caller, &id).await), "forbidden");
        assert_eq!(
            code(a.create_chat_app(&caller, new_app.clone()).await),
            "forbidden"
        );
        assert_eq!(
            code(a.update_chat_app(&caller, app.clone()).await),
            "forbidden"
        );
        assert_eq!(code(a.delete_chat_app(&caller, &id).await), "forbidden");
        assert_eq!(
            code(
                a.put_override(&caller, &id, ChatAppOverride::default())
                    .await
            ),
            "forbidden"
        );
        assert_eq!(code(a.delete_override(&caller, &id).await), "forbidden");
        assert_eq!(
            code(a.list_agents(&caller, page.clone()).await),
            "forbidden"
        );
        assert_eq!(
            code(a.get_agent(&caller, &fixtures::agent_id(AGENT)).await),
            "forbidden"
        );
        let mut other_agent = agent.clone();
        other_agent.agent_id = fixtures::agent_id("other");
        assert_eq!(
            code(a.create_agent(&caller, other_agent).await),
            "forbidden"
        );
        assert_eq!(
            code(a.update_agent(&caller, agent.clone()).await),
            "forbidden"
        );
        assert_eq!(code(a.list_tools(&caller, page.clone()).await), "forbidden");
        assert_eq!(
            code(a.get_tool(&caller, &fixtures::tool_id("lookup")).await),
            "forbidden"
        );
        assert_eq!(
            code(a.create_tool(&caller, tool.clone()).await),
            "forbidden"
        );
        assert_eq!(
            code(a.update_tool(&caller, tool.clone()).await),
            "forbidden"
        );
    }

    // Nothing changed.
    assert_eq!(p.fakes.chat_apps.all(), vec![app]);
    assert_eq!(
        p.fakes.chat_apps.override_of(&fixtures::chat_app_id(APP)),
        None
    );
    assert_eq!(p.fakes.agents.all(), vec![agent]);
    assert!(p.fakes.tools.is_empty());
}

#[tokio::test]
async fn a_site_admin_reads_the_configuration() {
    let p = Platform::standard().await;
    let a = p.admin();
    let apps = a
        .list_chat_apps(&admin(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(apps.items, vec![fixtures::chat_app(APP, AGENT)]);
    let (app, ovr) = a
        .get_chat_app(&admin(), &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    assert_eq!(app.title, "support app");
    assert_eq!(ovr, None);
    assert_eq!(
        code(
            a.get_chat_app(&admin(), &fixtures::chat_app_id("nope"))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        a.get_agent(&admin(), &fixtures::agent_id(AGENT))
            .await
            .unwrap()
            .instruction,
        "You are a helpful assistant."
    );
    assert_eq!(
        code(a.get_tool(&admin(), &fixtures::tool_id("nope")).await),
        "not_found"
    );
}

#[tokio::test]
async fn creating_a_chat_app_validates_it_and_refuses_duplicates() {
    let p = Platform::standard().await;
    let a = p.admin();
    p.fakes.clock.advance(Duration::hours(2));

    let mut untitled = fixtures::chat_app("billing", AGENT);
    untitled.title = "   ".into();
    assert_eq!(
        code(a.create_chat_app(&admin(), untitled).await),
        "invalid_request"
    );

    let orphan = fixtures::chat_app("billing", "no-such-agent");
    let err = a.create_chat_app(&admin(), orphan).await.err().unwrap();
    assert_eq!(err.code(), "not_found");
    assert!(err.public_message().contains("no-such-agent"), "{err}");
    assert!(p
        .fakes
        .chat_apps
        .all()
        .iter()
        .all(|app| app.chat_app_id.as_str() != "billing"));

    let mut billing = fixtures::chat_app("billing", AGENT);
    billing.version = 7; // whatever the client says, a new app starts at 1
    let created = a.create_chat_app(&admin(), billing).await.unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.created_at, p.fakes.clock.now());
    assert_eq!(created.updated_at, p.fakes.clock.now());
    assert_eq!(created.updated_by.as_ref().unwrap().as_str(), "root");
    let (stored, _) = a
        .get_chat_app(&admin(), &fixtures::chat_app_id("billing"))
        .await
        .unwrap();
    assert_eq!(stored, created);

    let duplicate = fixtures::chat_app("billing", AGENT);
    assert_eq!(
        code(a.create_chat_app(&admin(), duplicate).await),
        "conflict"
    );
    let (still, _) = a
        .get_chat_app(&admin(), &fixtures::chat_app_id("billing"))
        .await
        .unwrap();
    assert_eq!(still, created);
}

#[tokio::test]
async fn updates_are_checked_against_the_version_read() {
    let p = Platform::standard().await;
    let a = p.admin();
    let id = fixtures::chat_app_id(APP);
    let (read, _) = a.get_chat_app(&admin(), &id).await.unwrap();
    assert_eq!(read.version, 1);
    p.fakes.clock.advance(Duration::minutes(10));

    let mut first = read.clone();
    first.title = "Support desk".into();
    let saved = a.update_chat_app(&admin(), first).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.created_at, read.created_at);
    assert_eq!(saved.updated_at, p.fakes.clock.now());
    let (stored, _) = a.get_chat_app(&admin(), &id).await.unwrap();
    assert_eq!(stored.title, "Support desk");
    assert_eq!(stored.version, 2);

    // Another admin saves what they read before: refused, the first change stays.
    let mut stale = read.clone();
    stale.title = "Helpdesk".into();
    assert_eq!(code(a.update_chat_app(&admin(), stale).await), "conflict");
    let (stored, _) = a.get_chat_app(&admin(), &id).await.unwrap();
    assert_eq!(stored.title, "Support desk");
    assert_eq!(stored.version, 2);

    // With the current version it goes through.
    let mut current = stored.clone();
    current.title = "Helpdesk".into();
    assert_eq!(
        a.update_chat_app(&admin(), current).await.unwrap().version,
        3
    );

    // An update must still be valid, and of an app that exists.
    let mut invalid = a.get_chat_app(&admin(), &id).await.unwrap().0;
    invalid.title = String::new();
    assert_eq!(
        code(a.update_chat_app(&admin(), invalid).await),
        "invalid_request"
    );
    assert_eq!(
        code(
            a.update_chat_app(&admin(), fixtures::chat_app("ghost", AGENT))
                .await
        ),
        "not_found"
    );
}

#[tokio::test]
async fn disabling_an_app_takes_effect_on_the_very_next_turn() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    // The turn caches the app's configuration.
    assert_eq!(try_turn(&p, &alice).await, Ok(()));

    let (mut app, _) = p
        .admin()
        .get_chat_app(&admin(), &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    app.enabled = false;
    p.admin().update_chat_app(&admin(), app).await.unwrap();

    let err = p
        .chat
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id(APP)),
                "Hi again",
            ),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "not_found", "a disabled app looks like no app");
    assert_eq!(p.fakes.sessions.len(), 1, "no session for the refused turn");
}

#[tokio::test]
async fn an_override_with_an_exclusive_user_list_applies_at_once_and_goes_away() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let bob = fixtures::customer("bob");
    assert_eq!(try_turn(&p, &bob).await, Ok(()));
    let id = fixtures::chat_app_id(APP);

    let ovr = ChatAppOverride {
        exclusive_user_id_access_control: vec![fixtures::user_id("alice")],
        ..ChatAppOverride::default()
    };
    p.admin()
        .put_override(&admin(), &id, ovr.clone())
        .await
        .unwrap();
    assert_eq!(p.fakes.chat_apps.override_of(&id), Some(ovr.clone()));
    let (_, read) = p.admin().get_chat_app(&admin(), &id).await.unwrap();
    assert_eq!(read, Some(ovr));

    assert_eq!(try_turn(&p, &bob).await, Err("not_found"));
    assert_eq!(try_turn(&p, &alice).await, Ok(()));

    p.admin().delete_override(&admin(), &id).await.unwrap();
    assert_eq!(p.fakes.chat_apps.override_of(&id), None);
    assert_eq!(try_turn(&p, &bob).await, Ok(()));

    // An override of an app that does not exist is not found.
    assert_eq!(
        code(
            p.admin()
                .put_override(
                    &admin(),
                    &fixtures::chat_app_id("ghost"),
                    ChatAppOverride::default()
                )
                .await
        ),
        "not_found"
    );
}

#[tokio::test]
async fn a_new_app_is_usable_at_once_and_a_deleted_one_is_gone_at_once() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let billing = fixtures::chat_app_id("billing");
    let to_billing = || SendMessage::new(TurnTarget::NewSession(billing.clone()), "Invoice?");
    // A user asks for the app before it exists (the cache remembers "none").
    assert_eq!(
        code(p.chat.send(&alice, to_billing()).await.map(|_| ())),
        "not_found"
    );

    p.admin()
        .create_chat_app(&admin(), fixtures::chat_app("billing", AGENT))
        .await
        .unwrap();
    p.fakes
        .runtime
        .push(Script::answer("Here is your invoice."));
    let mut stream = p.chat.send(&alice, to_billing()).await.unwrap();
    collect(&mut stream).await;
    assert_eq!(
        p.fakes
            .sessions
            .find(&stream.session_id)
            .unwrap()
            .chat_app_id,
        billing
    );

    p.admin().delete_chat_app(&admin(), &billing).await.unwrap();
    assert_eq!(
        code(p.chat.send(&alice, to_billing()).await.map(|_| ())),
        "not_found"
    );
    assert_eq!(
        code(p.admin().get_chat_app(&admin(), &billing).await),
        "not_found"
    );
}

#[tokio::test]
async fn an_agent_update_reaches_the_next_turn() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    assert_eq!(try_turn(&p, &alice).await, Ok(()));

    let mut agent = p
        .admin()
        .get_agent(&admin(), &fixtures::agent_id(AGENT))
        .await
        .unwrap();
    agent.instruction = "You answer in French.".into();
    let saved = p
        .admin()
        .update_agent(&admin(), agent.clone())
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    // Saving the same stale version again is a conflict.
    assert_eq!(
        code(p.admin().update_agent(&admin(), agent).await),
        "conflict"
    );

    assert_eq!(try_turn(&p, &alice).await, Ok(()));
    assert_eq!(
        p.fakes.runtime.last_request().unwrap().instruction,
        "You answer in French."
    );
}

#[tokio::test]
async fn tools_this_deployment_cannot_run_are_refused_with_a_message() {
    let p = Platform::standard().await;
    let refused = |tool| async {
        let err = p.admin().create_tool(&admin(), tool).await.err().unwrap();
        assert_eq!(err.code(), "invalid_request");
        err.public_message()
    };
    let mut mcp = fixtures::inline_tool("remote", "remote_call");
    mcp.execution_type = ExecutionType::Mcp;
    let message = refused(mcp.clone()).await;
    assert!(message.contains("mcp tools need mcp"), "{message}");
    // Declared, but the fakes run no MCP tools: refused now.
    mcp.mcp = Some(pika_domain::tool::http::HttpEndpoint {
        url: "https://mcp.example.com/mcp".into(),
        method: pika_domain::tool::http::HttpMethod::Post,
        headers: Default::default(),
    });
    let message = refused(mcp).await;
    assert!(
        message.contains("lambda and inline tools only"),
        "{message}"
    );

    let mut http = fixtures::inline_tool("remote", "remote_call");
    http.execution_type = ExecutionType::Http;
    let message = refused(http.clone()).await;
    assert!(message.contains("http tools need http"), "{message}");
    // Declared, but this deployment (the fakes: lambda and inline) has no
    // executor for http tools: refused now, not at call time.
    http.http = Some(pika_domain::tool::http::HttpEndpoint {
        url: "https://api.example.com/orders".into(),
        method: pika_domain::tool::http::HttpMethod::Post,
        headers: Default::default(),
    });
    let message = refused(http).await;
    assert!(
        message.contains("lambda and inline tools only"),
        "{message}"
    );
    assert!(p.fakes.tools.is_empty());
}

#[tokio::test]
async fn a_lambda_tool_needs_a_lambda_arn() {
    let p = Platform::standard().await;
    let mut tool = fixtures::inline_tool("orders", "find_order");
    tool.execution_type = ExecutionType::Lambda;
    tool.lambda_arn = None;
    let err = p
        .admin()
        .create_tool(&admin(), tool.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_request");
    assert!(err.public_message().contains("lambdaArn"), "{err}");

    tool.lambda_arn = Some("not-an-arn".into());
    assert_eq!(
        code(p.admin().create_tool(&admin(), tool.clone()).await),
        "invalid_request"
    );
    assert!(p.fakes.tools.is_empty());

    tool.lambda_arn = Some("arn:aws:lambda:eu-west-1:123456789012:function:find-order".into());
    let created = p.admin().create_tool(&admin(), tool).await.unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(p.fakes.tools.all(), vec![created]);
}

#[tokio::test]
async fn a_function_with_more_than_five_parameters_is_refused() {
    let p = Platform::standard().await;
    let mut tool = fixtures::inline_tool("search", "search_docs");
    for name in ["a1", "a2", "a3", "a4", "a5"] {
        tool.function_schema[0].parameters.insert(
            name.into(),
            ParameterSchema {
                kind: ParameterType::String,
                description: format!("parameter {name}"),
                required: false,
            },
        );
    }
    assert_eq!(tool.function_schema[0].parameters.len(), 6);
    let err = p
        .admin()
        .create_tool(&admin(), tool.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_request");
    assert!(err.public_message().contains("at most 5"), "{err}");
    assert!(p.fakes.tools.is_empty());

    tool.function_schema[0].parameters.remove("a5");
    assert!(p.admin().create_tool(&admin(), tool).await.is_ok());
}

#[tokio::test]
async fn tool_updates_are_validated_and_version_checked() {
    let p = Platform::standard().await;
    let created = p
        .admin()
        .create_tool(&admin(), fixtures::inline_tool("weather", "get_weather"))
        .await
        .unwrap();

    let mut to_http = created.clone();
    to_http.execution_type = ExecutionType::Http;
    assert_eq!(
        code(p.admin().update_tool(&admin(), to_http).await),
        "invalid_request"
    );

    let mut renamed = created.clone();
    renamed.display_name = "Weather".into();
    let saved = p
        .admin()
        .update_tool(&admin(), renamed.clone())
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(
        code(p.admin().update_tool(&admin(), renamed).await),
        "conflict"
    );
    assert_eq!(
        p.admin()
            .get_tool(&admin(), &fixtures::tool_id("weather"))
            .await
            .unwrap(),
        saved
    );
}

#[tokio::test]
async fn an_agent_must_name_tools_that_exist() {
    let p = Platform::standard().await;
    let with_ghost = fixtures::agent("helper", &["ghost-tool"]);
    let err = p
        .admin()
        .create_agent(&admin(), with_ghost)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "not_found");
    assert!(err.public_message().contains("ghost-tool"), "{err}");
    assert_eq!(p.fakes.agents.len(), 1, "only the seeded agent");

    p.admin()
        .create_tool(&admin(), fixtures::inline_tool("weather", "get_weather"))
        .await
        .unwrap();
    let helper = p
        .admin()
        .create_agent(&admin(), fixtures::agent("helper", &["weather"]))
        .await
        .unwrap();
    assert_eq!(helper.version, 1);
    assert_eq!(helper.updated_by.as_ref().unwrap().as_str(), "root");

    // Updating it to name a missing tool is refused too.
    let mut broken = helper.clone();
    broken.tool_ids.push(fixtures::tool_id("ghost-tool"));
    assert_eq!(
        code(p.admin().update_agent(&admin(), broken).await),
        "not_found"
    );
    // And an empty instruction is invalid.
    let mut empty = helper.clone();
    empty.instruction = "  ".into();
    assert_eq!(
        code(p.admin().update_agent(&admin(), empty).await),
        "invalid_request"
    );
    // A second agent with the same id is a conflict.
    assert_eq!(
        code(
            p.admin()
                .create_agent(&admin(), fixtures::agent("helper", &[]))
                .await
        ),
        "conflict"
    );
}
