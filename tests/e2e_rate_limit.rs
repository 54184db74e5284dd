//! Rate limiting per region, end to end with a low limit: the bucket's burst passes, the next
//! request is 429 problem+json with `Retry-After`, the region's other token is refused alike,
//! other regions and operators are unaffected, and after waiting as told the region is admitted
//! again.

mod common;

use std::time::Duration;

use common::{Gateway, TempDir, register_regions, tongban_on};
use serde_json::json;

#[test]
fn a_region_token_over_its_rate_gets_429_with_retry_after() {
    let tmp = TempDir::new("rate-limit");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    // Shanghai's second token, as while it rotates them.
    let second = tongban_on(&data, &["regions", "token", "310000"]);
    // Half a request per second, bursts of 3: refills are slow enough not to race the test.
    let gw = Gateway::start_with(&data, false, &["--rate-limit", "0.5:3"]);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let guangdong = gw.client(Some(&tokens["440000"]));
    let operator = gw.client(Some(&tokens["operator"]));

    for _ in 0..3 {
        assert_eq!(shanghai.get("/v1/regions/310000/inbox").status, 200);
    }
    let r = shanghai.get("/v1/regions/310000/inbox");
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["type"], json!("urn:tongban:problem:rate-limited"));
    assert_eq!(p["status"], json!(429));
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Writes are limited the same way, before their body is even looked at.
    let r = shanghai.post("/v1/applications", &json!({}));
    assert_eq!(r.status, 429);
    // Shanghai's other token draws on the same allowance: a second token is not a second one.
    let r = gw.client(Some(&second)).get("/v1/regions/310000/inbox");
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));

    // Another region has its own bucket; operators are exempt.
    for _ in 0..3 {
        assert_eq!(guangdong.get("/v1/regions/440000/inbox").status, 200);
    }
    for _ in 0..10 {
        assert_eq!(operator.get("/v1/regions").status, 200);
    }
    // Unauthenticated requests are refused as such, not counted against anyone.
    assert_eq!(gw.client(None).get("/v1/regions").status, 401);

    std::thread::sleep(Duration::from_secs(retry));
    assert_eq!(shanghai.get("/v1/regions/310000/inbox").status, 200);
}

#[test]
fn a_malformed_rate_limit_is_refused_at_start() {
    let tmp = TempDir::new("rate-limit-bad");
    let out = std::process::Command::new(common::BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "fast",
            "--data",
        ])
        .arg(tmp.0.join("data"))
        .output()
        .expect("run tongban");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rate-limit"));
}
