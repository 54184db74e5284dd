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

/// Given a gateway whose write quota is 1 MiB a day per region, when a region's lead handler
/// suspends and resumes an application with 60 KB reasons until its day's bytes are spent, then
/// the write past them is refused 429 `write-quota-exceeded` with `Retry-After` (long: the quota
/// refills over a day) and nothing is appended; its dry run (`…/check`), which spends none,
/// is still answered; the region still reads, and another region still writes. A quota under one largest body is refused at start. (Found by a red team: a region
/// within its rate limit grew the log by 6.6 MB a second, towards a full disk that stops the log
/// for every region.)
#[test]
fn a_region_past_its_write_quota_gets_429_and_others_still_write() {
    let tmp = TempDir::new("write-quota");
    let data = tmp.0.join("data");
    let gw = Gateway::start_with(&data, true, &["--write-quota", "1MiB"]);
    let tokens = common::tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    let position = || operator.get("/healthz").json()["log_position"].clone();
    let (body, origin, handlers, id) = common::accepted(&gw, &data, "online");
    let lead = &handlers[0];
    let reason = "理".repeat(20_000);
    let mut refused = None;
    for i in 0..40 {
        let action = if i % 2 == 0 { "suspend" } else { "resume" };
        let body = match action {
            "suspend" => json!({"kind": "hearing", "reason": reason}),
            _ => json!({}),
        };
        let before = position();
        let r = lead.post(&format!("/v1/applications/{id}/{action}"), &body);
        if r.status == 429 {
            assert_eq!(position(), before, "a refused write appends nothing");
            refused = Some((r, action, body));
            break;
        }
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let (r, action, sent) = refused.expect("refused within 40 actions of 60 KB each");
    common::refused(&r, 429, "write-quota-exceeded");
    // Its dry run spends no quota, so is still answered: it appends nothing.
    let checked = lead.post(&format!("/v1/applications/{id}/{action}/check"), &sent);
    assert_eq!(common::success(&checked)["repeated"], json!(false));
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry > 60, "Retry-After {retry}");
    let lead_code = body["handlers"][0].as_str().expect("lead");
    assert_eq!(
        lead.get(&format!("/v1/regions/{lead_code}/inbox")).status,
        200
    );
    let r = origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "after-the-flood")],
        &body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let out = std::process::Command::new(common::BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--write-quota",
            "512KiB",
            "--data",
        ])
        .arg(tmp.0.join("other"))
        .output()
        .expect("run tongban");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--write-quota"));
}
