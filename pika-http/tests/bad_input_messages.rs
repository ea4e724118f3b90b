//! Hostile and malformed messages, ids in bodies, titles, comments and
//! notes: each is
//! a 4xx problem document with the right `code`, and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_input_support;
mod support;

use axum::http::{Method, StatusCode};
use bad_input_support::*;
use serde_json::json;
use support::Api;

// --------------------------------------------------------------- messages

#[tokio::test]
async fn empty_and_whitespace_messages_are_refused() {
    let api = Api::new().await;
    for text in ["", " ", "   \n\t  ", "\r\n", "\u{3000}", "\u{a0}\u{2003}"] {
        invalid(
            &api.post(&chat_path(), &alice(), json!({ "message": text }))
                .await,
        );
    }
    nothing_stored(&api);
    let id = empty_session(&api).await;
    for text in ["", "  \n "] {
        invalid(
            &api.post(
                &format!("/sessions/{id}/messages"),
                &alice(),
                json!({ "message": text }),
            )
            .await,
        );
    }
    assert!(api.fakes.messages.is_empty());
    assert_eq!(api.fakes.runtime.calls(), 0, "the model was never asked");
}

#[tokio::test]
async fn overlong_messages_are_refused() {
    let api = Api::new().await;
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "a".repeat(40_000) }),
        )
        .await,
    );
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "é".repeat(32_001) }),
        )
        .await,
    );
    nothing_stored(&api);
    // 32,000 characters (multi-byte ones, too) are the most allowed.
    let longest = "é".repeat(32_000);
    assert_eq!(stored_message(&api, &longest).await, longest);
}

#[tokio::test]
async fn control_characters_are_refused() {
    let api = Api::new().await;
    for text in [
        "hi\u{0}there",
        "\u{0}",
        "bell\u{7}",
        "esc\u{1b}[31m",
        "del\u{7f}",
        "c1\u{85}",
    ] {
        invalid(
            &api.post(&chat_path(), &alice(), json!({ "message": text }))
                .await,
        );
    }
    // As a JSON escape, too.
    invalid(&post_json_text(&api, &chat_path(), r#"{"message": "nul\u0000byte"}"#).await);
    nothing_stored(&api);
    // Newlines and tabs are text.
    assert_eq!(
        stored_message(&api, "line one\nline\ttwo\r\n").await,
        "line one\nline\ttwo\r\n"
    );
}

#[tokio::test]
async fn bad_client_message_ids_and_file_ids_are_refused() {
    let api = Api::new().await;
    for id in [
        "",
        "has space",
        "a/b",
        "x".repeat(129).as_str(),
        "tab\there",
    ] {
        invalid(
            &api.post(
                &chat_path(),
                &alice(),
                json!({ "message": "hi", "clientMessageId": id }),
            )
            .await,
        );
    }
    let eleven: Vec<String> = (0..11).map(|i| format!("{V4}/f{i}.png")).collect();
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "hi", "fileIds": eleven }),
        )
        .await,
    );
    for file in ["nope", "not-a-uuid/a.png", &format!("{V4}/")] {
        invalid(
            &api.post(
                &chat_path(),
                &alice(),
                json!({ "message": "hi", "fileIds": [file] }),
            )
            .await,
        );
    }
    // Well formed, but no such upload: it names nothing.
    refused(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "hi", "fileIds": [format!("{V4}/missing.png")] }),
        )
        .await,
        404,
        "not_found",
    );
    nothing_stored(&api);
}

#[tokio::test]
async fn control_characters_in_titles_comments_and_notes_are_refused() {
    let api = Api::new().await;
    let id = empty_session(&api).await;
    invalid(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "bad\u{0}title" }),
        )
        .await,
    );
    invalid(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "bell\u{7}" }),
        )
        .await,
    );
    assert_eq!(api.fakes.sessions.all()[0].title, None);
    invalid(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "other", "comment": "x\u{0}y" }),
        )
        .await,
    );
    assert!(api.fakes.feedback.is_empty());
    // Line breaks and tabs are text.
    let ok = api
        .post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "other", "comment": "a\n\tb" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let fid = ok.json()["feedbackId"].as_str().unwrap().to_string();
    let note = json!({ "internalComment": "clear\u{1b}[2J" });
    invalid(
        &api.call(
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            Some(&api.token(&admin())),
            Some(note),
        )
        .await,
    );
    assert_eq!(api.fakes.feedback.all()[0].internal_comment, None);
}
