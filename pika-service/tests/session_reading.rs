//! Reading sessions (PIKA.md §3, §6): the history in order without stream
//! internals, share links within their entity until revoked, and tool
//! details only where traces allow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::access::AccessRules;
use pika_domain::message::Role;
use pika_domain::user::UserType;
use pika_ports::PageRequest;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::*;

#[tokio::test]
async fn a_shared_session_is_readable_within_its_entity_until_revoked() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Quarterly numbers?", "Up 12 percent.").await;

    let shared = p.sessions().share(&alice, &session).await.unwrap();
    let share = shared.share.clone().expect("share info");
    assert!(share.is_active());
    assert_eq!(share.shared_by.as_str(), "alice");
    // Sharing again gives the same link.
    let again = p.sessions().share(&alice, &session).await.unwrap();
    assert_eq!(again.share.unwrap().share_id, share.share_id);

    // A colleague of the same entity reads it, without stream internals.
    let bob = fixtures::customer("bob");
    let (seen, messages) = p
        .sessions()
        .read_shared(&bob, &share.share_id, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(seen.session_id, session);
    let contents: Vec<&str> = messages.items.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, vec!["Quarterly numbers?", "Up 12 percent."]);
    assert!(messages.items.iter().all(|m| m.stream_events.is_empty()));

    // Someone of another entity does not see it; nor does someone without one.
    let eve = fixtures::user("eve", UserType::ExternalUser, Some("globex"));
    assert_eq!(
        code(
            p.sessions()
                .read_shared(&eve, &share.share_id, PageRequest::first(10))
                .await
        ),
        "not_found"
    );
    let nobody = fixtures::user("nobody", UserType::ExternalUser, None);
    assert_eq!(
        code(
            p.sessions()
                .read_shared(&nobody, &share.share_id, PageRequest::first(10))
                .await
        ),
        "not_found"
    );

    // After revocation nobody reads it through the link, not even a colleague.
    let revoked = p.sessions().revoke_share(&alice, &session).await.unwrap();
    assert!(!revoked.share.unwrap().is_active());
    assert_eq!(
        code(
            p.sessions()
                .read_shared(&bob, &share.share_id, PageRequest::first(10))
                .await
        ),
        "not_found"
    );
    // Revoking twice: there is no active share any more.
    assert_eq!(
        code(p.sessions().revoke_share(&alice, &session).await),
        "not_found"
    );
    // Sharing anew gives a new link; the old one stays dead.
    let reshared = p.sessions().share(&alice, &session).await.unwrap();
    let new_share = reshared.share.unwrap();
    assert_ne!(new_share.share_id, share.share_id);
    assert!(p
        .sessions()
        .read_shared(&bob, &new_share.share_id, PageRequest::first(10))
        .await
        .is_ok());
    assert_eq!(
        code(
            p.sessions()
                .read_shared(&bob, &share.share_id, PageRequest::first(10))
                .await
        ),
        "not_found"
    );
}

#[tokio::test]
async fn messages_are_returned_in_order_without_stream_events() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Hello there", "General Kenobi.").await;
    let stored = p.fakes.messages.of_session(&session);
    assert!(
        !stored[1].stream_events.is_empty(),
        "the store keeps the answer's events for resume"
    );

    let page = p
        .sessions()
        .messages(&alice, &session, PageRequest::first(10))
        .await
        .unwrap();

    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].role, Role::User);
    assert_eq!(page.items[0].content, "Hello there");
    assert_eq!(page.items[1].role, Role::Assistant);
    assert_eq!(page.items[1].content, "General Kenobi.");
    assert_eq!(page.items[1].usage, stored[1].usage);
    assert!(page.items.iter().all(|m| m.stream_events.is_empty()));
    assert_eq!(page.next_cursor, None);
}

/// Tool inputs and outputs reach a reader of the history only where the
/// live stream would show them (`detailedTraces`), and a share reader never
/// gets the owner's usage or client ids.
#[tokio::test]
async fn history_and_shares_show_tool_details_only_to_whom_traces_allow() {
    use pika_domain::features::TracesFeature;
    use pika_domain::stream::TurnEvent;
    use serde_json::json;
    for detailed_for_customers in [false, true] {
        let mut site = fixtures::site();
        site.features.traces = Some(TracesFeature {
            enabled: true,
            rules: AccessRules::for_types([UserType::ExternalUser, UserType::InternalUser]),
            detailed_traces: detailed_for_customers
                .then(|| AccessRules::for_types([UserType::ExternalUser])),
        });
        let p = Platform::with_site(site);
        p.seed_app(
            fixtures::chat_app(APP, AGENT),
            fixtures::agent(AGENT, &["weather"]),
            vec![fixtures::inline_tool("weather", "get_weather")],
        )
        .await;
        p.fakes.tool_invoker.on("get_weather", |_| {
            Ok(json!({ "tempC": 21, "secret": "s3" }))
        });
        p.fakes.runtime.push(Script::tool_call(
            "t1",
            "get_weather",
            json!({ "query": "Lyon" }),
        ));
        p.fakes.runtime.push(Script::answer("21 °C."));
        let alice = fixtures::customer("alice");
        let (stream, events) = p.first_turn(&alice, "Weather?").await;
        let live_input = events.iter().find_map(|e| match e {
            TurnEvent::ToolCall { input, .. } => Some(input.clone()),
            _ => None,
        });

        let history = p
            .sessions()
            .messages(&alice, &stream.session_id, PageRequest::first(10))
            .await
            .unwrap();
        let call = &history.items[1].tool_calls[0];
        assert_eq!(
            Some(call.input.clone()),
            live_input,
            "history shows what the stream showed (detailed: {detailed_for_customers})"
        );
        if detailed_for_customers {
            assert_eq!(call.output["secret"], "s3");
        } else {
            assert!(call.input.is_null() && call.output.is_null(), "{call:?}");
        }

        let shared = p
            .sessions()
            .share(&alice, &stream.session_id)
            .await
            .unwrap();
        let bob = fixtures::customer("bob");
        let (_, read) = p
            .sessions()
            .read_shared(
                &bob,
                &shared.share.unwrap().share_id,
                PageRequest::first(10),
            )
            .await
            .unwrap();
        let answer = &read.items[1];
        assert!(answer.usage.is_none(), "no owner's usage or cost");
        assert_eq!(
            answer.tool_calls[0].output.is_null(),
            !detailed_for_customers
        );
    }
}
