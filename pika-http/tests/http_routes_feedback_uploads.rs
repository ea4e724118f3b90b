//! Feedback on a session and upload URLs through the real router on fakes: the
//! wire shape a client checks on success, and the problem documents of its
//! failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use http_support::*;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use support::{Api, AGENT};

#[tokio::test]
async fn feedback_is_created() {
    let api = Api::new().await;
    let (id, ev) = chatted(&api, &alice(), "Question", "Answer").await;
    let answer = data(&ev, "done")["assistantMessageId"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = api
        .post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_down", "messageId": answer, "comment": "wrong" }),
        )
        .await;
    let fb = expect(&reply, 201);
    camel_case(&fb);
    has_keys(
        &fb,
        &[
            "feedbackId",
            "sessionId",
            "chatAppId",
            "messageId",
            "kind",
            "status",
            "comment",
            "createdAt",
        ],
    );
    assert_eq!(fb["kind"], "thumbs_down");
    assert_eq!(fb["status"], "open");
    assert_eq!(fb["sessionId"], id.as_str());
    assert_eq!(api.fakes.feedback.len(), 1);

    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &bob(),
            json!({ "kind": "thumbs_up" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_up", "messageId": NO_SUCH_UUID }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "meh" }),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "insight_finding" }),
        )
        .await,
        400,
        "invalid_request",
    );
    assert_eq!(
        api.fakes.feedback.len(),
        1,
        "refused feedback is not stored"
    );
}

#[tokio::test]
async fn upload_urls_follow_the_file_upload_feature() {
    let api = Api::new().await;
    api.seed_app(with_uploads("files"), fixtures::agent(AGENT, &[]), vec![])
        .await;
    let session = expect(
        &api.post("/sessions", &alice(), json!({ "chatAppId": "files" }))
            .await,
        201,
    );
    let id = session["sessionId"].as_str().unwrap();

    let reply = api
        .post(
            &format!("/sessions/{id}/files"),
            &alice(),
            json!({ "name": "photo.png", "contentType": "image/png", "size": 2048 }),
        )
        .await;
    let ticket = expect(&reply, 201);
    camel_case(&ticket);
    has_keys(&ticket, &["fileRef", "key", "upload"]);
    has_keys(
        &ticket["upload"],
        &["url", "method", "headers", "expiresAt"],
    );
    assert_eq!(ticket["upload"]["method"], "PUT");
    assert!(ticket["fileRef"].as_str().unwrap().ends_with("/photo.png"));

    let (files_path, owner) = (format!("/sessions/{id}/files"), alice());
    let upload = |body: Value| api.post(&files_path, &owner, body);
    problem(
        &upload(json!({ "name": "x.exe", "contentType": "application/x-msdownload", "size": 10 }))
            .await,
        400,
        "invalid_request",
    );
    problem(
        &upload(json!({ "name": "big.png", "contentType": "image/png", "size": 5_000_000 })).await,
        400,
        "invalid_request",
    );
    problem(
        &upload(json!({ "name": "  ", "contentType": "image/png", "size": 10 })).await,
        400,
        "invalid_request",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/files"),
            &bob(),
            json!({ "name": "a.png", "contentType": "image/png", "size": 1 }),
        )
        .await,
        404,
        "not_found",
    );

    // The default app has no uploads.
    let plain = new_session(&api, &alice()).await;
    problem(
        &api.post(
            &format!("/sessions/{plain}/files"),
            &alice(),
            json!({ "name": "a.png", "contentType": "image/png", "size": 1 }),
        )
        .await,
        403,
        "forbidden",
    );
}
