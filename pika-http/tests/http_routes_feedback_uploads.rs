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
    // A size written 445.0 (clients with one number type) is 445 bytes;
    // 445.5 and -1 are no sizes.
    expect(
        &upload(json!({ "name": "a.png", "contentType": "image/png", "size": 445.0 })).await,
        201,
    );
    for size in [json!(445.5), json!(-1)] {
        problem(
            &upload(json!({ "name": "a.png", "contentType": "image/png", "size": size })).await,
            400,
            "invalid_request",
        );
    }
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

/// Uploads `name` to a new session of `files` and sends it in a message;
/// returns the session and the file id.
async fn attached(api: &Api, name: &str) -> (String, String) {
    let session = expect(
        &api.post("/sessions", &alice(), json!({ "chatAppId": "files" }))
            .await,
        201,
    );
    let id = session["sessionId"].as_str().unwrap().to_string();
    let ticket = expect(
        &api.post(
            &format!("/sessions/{id}/files"),
            &alice(),
            json!({ "name": name, "contentType": "image/png", "size": 4 }),
        )
        .await,
        201,
    );
    let key = ticket["key"].as_str().unwrap();
    use pika_ports::FileStore;
    api.fakes
        .files
        .put(key, b"\x89PNG".to_vec(), "image/png")
        .await
        .unwrap();
    api.fakes
        .runtime
        .push(pika_testkit::fakes::runtime::Script::answer("A picture."));
    let file_ref = ticket["fileRef"].as_str().unwrap();
    let sent = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "Look", "fileIds": [file_ref] }),
        )
        .await;
    expect_stream(&sent);
    let file_id = file_ref.split('/').next().unwrap().to_string();
    (id, file_id)
}

#[tokio::test]
async fn attached_files_are_downloaded_by_those_who_may_read_the_session() {
    let api = Api::new().await;
    api.seed_app(with_uploads("files"), fixtures::agent(AGENT, &[]), vec![])
        .await;
    let (session, file) = attached(&api, "photo.png").await;
    let (other_session, other_file) = attached(&api, "other.png").await;
    let path = format!("/sessions/{session}/files/{file}");

    let url = expect(&api.get(&path, &alice()).await, 200);
    has_keys(&url, &["url", "method", "expiresAt"]);
    assert_eq!(url["method"], "GET");
    assert!(url["url"].as_str().unwrap().contains("photo.png"), "{url}");
    // Admins read sessions, so they may download; others get 404.
    expect(&api.get(&path, &admin()).await, 200);
    problem(&api.get(&path, &bob()).await, 404, "not_found");
    // A file of another session is not reached through this one.
    problem(
        &api.get(&format!("/sessions/{session}/files/{other_file}"), &alice())
            .await,
        404,
        "not_found",
    );
    expect(
        &api.get(
            &format!("/sessions/{other_session}/files/{other_file}"),
            &alice(),
        )
        .await,
        200,
    );
    problem(
        &api.get(&format!("/sessions/{session}/files/not-an-id"), &alice())
            .await,
        400,
        "invalid_request",
    );
}
