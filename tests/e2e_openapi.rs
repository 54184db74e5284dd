//! `/openapi.json` stays true to the router: every documented operation is routed (answers with
//! something other than "no such route" or "method not allowed"), and the document is well formed.

mod common;

use common::{Gateway, TempDir, tokens};
use serde_json::{Value, json};

#[test]
fn every_documented_operation_is_routed() {
    let dir = TempDir::new("openapi");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let anon = gw.client(None);
    let doc = anon.get("/openapi.json").json();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let operator = gw.client(Some(&tokens["operator"]));
    // A real application id from the demo data.
    let inbox = gw
        .client(Some(&tokens["330000"]))
        .get("/v1/regions/330000/inbox")
        .json();
    let app = inbox["items"][0]["app"]
        .as_str()
        .expect("demo application")
        .to_string();

    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            operations += 1;
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
            let concrete = path
                .replace("{id}", &app)
                .replace("{region}", "330000")
                .replace("{subject}", "matter.hukou-transfer")
                .replace("{version}", "latest");
            let body = if method == "post" {
                Some(b"{}".as_slice())
            } else {
                None
            };
            let r = operator
                .send(&method.to_uppercase(), &concrete, &[], body)
                .expect("request");
            let kind = serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string));
            assert_ne!(
                kind.as_deref(),
                Some("urn:tongban:problem:no-route"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                r.status, 405,
                "{method} {path} is documented but not routed for {method}"
            );
        }
    }
    assert!(operations >= 30, "only {operations} operations documented");

    // And the router answers "no route" for what is not documented.
    let r = operator.get("/v1/nothing-here");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["type"], json!("urn:tongban:problem:no-route"));
    let r = operator
        .send("DELETE", "/v1/matters", &[], None)
        .expect("request");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}
