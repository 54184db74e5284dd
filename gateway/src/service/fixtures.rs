//! What the service's tests share: a region's principal, a matter's example submission and a
//! gateway on a log of the test's choosing.

use serde_json::Value;
use tongban_schemas::matters;

use crate::auth::Principal;

/// The matter the tests submit.
pub const MATTER: &str = "social-security-card";

/// A region's principal, acting through token `t0`.
pub fn region(code: &str) -> Principal {
    Principal::Region {
        code: code.to_string(),
        token_id: "t0".into(),
    }
}

/// [`MATTER`]'s example submission.
pub fn example() -> Value {
    matters::get(MATTER).expect("matter").example()
}

/// The example's origin region.
pub fn origin_code() -> String {
    example()["origin"].as_str().expect("origin").to_string()
}

/// The example's lead handler.
pub fn lead_code() -> String {
    example()["handlers"][0]
        .as_str()
        .expect("handler")
        .to_string()
}

/// The example as a submission request.
pub fn request() -> crate::service::SubmitRequest {
    serde_json::from_value(example()).expect("request")
}

/// A gateway on `log`, with the key in `dir` and its own projections in `dir/<projections>`: as
/// many gateways on one log as a test opens with different names (gateways sharing a stream).
pub fn gateway_on<L: crate::log::EventLog>(
    log: &std::sync::Arc<L>,
    dir: &crate::testutil::TempDir,
    projections: &str,
) -> crate::service::Gateway<L> {
    gateway_capped(log, dir, projections, crate::domain::Caps::DEFAULT)
}

/// [`gateway_on`], deciding actions under `caps` (`tongban serve --max-suspensions`).
pub fn gateway_capped<L: crate::log::EventLog>(
    log: &std::sync::Arc<L>,
    dir: &crate::testutil::TempDir,
    projections: &str,
    caps: crate::domain::Caps,
) -> crate::service::Gateway<L> {
    crate::service::Gateway::start(
        std::sync::Arc::clone(log),
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key"),
        crate::projections::ProjectionStore::open(&dir.path().join(projections))
            .expect("projections")
            .with_caps(caps),
        crate::domain::calendar::Calendar::weekdays(),
    )
}

/// A gateway opened on `dir` as `tongban serve` opens one, its region book holding the demo
/// regions (every region the tests act as), so that handlers are checked against it.
pub fn opened(dir: &crate::testutil::TempDir) -> crate::server::Opened {
    let opened = crate::server::open_embedded(&crate::server::DataDir(dir.path().to_path_buf()))
        .expect("open");
    for (code, name) in crate::demo::REGIONS {
        opened.book.add_region(code, name, None).expect("region");
    }
    opened
}

/// Submits the example through `gw` and forwards it: an application at seq 2, waiting for its
/// lead handler. Its id.
pub async fn forwarded<L: crate::log::EventLog>(gw: &crate::service::Gateway<L>) -> String {
    use crate::domain::Command;
    use tongban_schemas::events::Forwarded;

    let origin = region(&origin_code());
    let app = gw
        .submit(&origin, request(), None)
        .await
        .expect("submit")
        .id;
    gw.act(&origin, &app, Command::Forward(Forwarded::checked()), None)
        .await
        .expect("forward");
    app
}

/// [`forwarded`], then accepted by its lead handler: an application at seq 3, ready for the
/// actions of a procedure (suspend, resume…). Its id.
pub async fn accepted<L: crate::log::EventLog>(gw: &crate::service::Gateway<L>) -> String {
    use crate::domain::Command;
    use tongban_schemas::events::Accepted;

    let lead = region(&lead_code());
    let app = forwarded(gw).await;
    gw.act(&lead, &app, Command::Accept(Accepted::default()), None)
        .await
        .expect("accept");
    app
}

/// [`forwarded`], then accepted by its lead handler at `at` through the gateway named `gateway`
/// (an event stamped so, sealed with the key in `dir` and appended, as another gateway whose
/// clock said so would have), and projected: an accept long ago has a decision limit long run
/// out; one ahead, a chain whose last time is ahead of this host's clock. Its id.
pub async fn accepted_at<L: crate::log::EventLog>(
    gw: &crate::service::Gateway<L>,
    dir: &crate::testutil::TempDir,
    at: crate::time::Timestamp,
    gateway: &str,
) -> String {
    let lead = lead_code();
    let app = forwarded(gw).await;
    let forwarded = gw
        .log
        .read(&app)
        .await
        .expect("read")
        .pop()
        .expect("forward");
    let accepted = crate::envelope::Envelope::sealed_after(
        Some(&forwarded),
        &app,
        crate::envelope::Content {
            kind: "application.accepted".into(),
            schema: "application.accepted/1".into(),
            region: lead.clone(),
            actor: format!("{lead}/{gateway}"),
            at: at.to_rfc3339(),
            data: serde_json::json!({}),
        },
        &crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key"),
    );
    gw.log.append(accepted, 2).await.expect("append");
    gw.caught_up().await;
    app
}

/// [`accepted_at`] 60 days ago: its decision limit has long run out.
pub async fn accepted_long_ago<L: crate::log::EventLog>(
    gw: &crate::service::Gateway<L>,
    dir: &crate::testutil::TempDir,
) -> String {
    let long_ago = crate::time::Timestamp(crate::time::Timestamp::now().0 - 60 * 86_400_000);
    accepted_at(gw, dir, long_ago, "p1").await
}
