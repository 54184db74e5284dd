//! A region's statistics as of an instant, through the service: one count from the whole log at a
//! time per gateway, with the rights of the statistics of now.

use std::sync::Arc;

use super::ServiceError;
use super::fixtures::{accepted, gateway_on, lead_code, origin_code, region};
use crate::auth::Principal;
use crate::http::problem::Problem;
use crate::log::EmbeddedLog;
use crate::testutil::TempDir;
use crate::time::Timestamp;

/// Given a gateway whose one count from the whole log is taken (as by a count running for
/// another caller), when a region asks for its statistics as of now, then it is refused at once,
/// 503 `log-read-busy` with `Retry-After`; another region's is refused 403 all the same (rights
/// first); and once the count is done, the same request is answered: the statistics of now,
/// position and all, with `at`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_count_from_the_whole_log_is_refused_while_one_runs() {
    let dir = TempDir::new("service-statistics-at-busy");
    let log = Arc::new(EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "projections");
    accepted(&gw).await;
    let lead = region(&lead_code());

    let running = gw.whole_log_reads.try_acquire().expect("the one count");
    let now = Timestamp::now();
    let refused = gw
        .statistics_at(&lead, &lead_code(), now)
        .await
        .expect_err("one count runs");
    assert!(matches!(refused, ServiceError::Busy { .. }), "{refused:?}");
    let p = Problem::from(refused);
    assert_eq!(
        (p.status, p.kind.as_str(), p.retry_after),
        (503, "urn:tongban:problem:log-read-busy", Some(5))
    );
    assert!(p.detail.contains("Retry-After"), "{}", p.detail);
    let other = region(&origin_code());
    if origin_code() != lead_code() {
        let forbidden = gw.statistics_at(&other, &lead_code(), now).await;
        assert!(
            matches!(forbidden, Err(ServiceError::Forbidden(_))),
            "{forbidden:?}"
        );
    }
    drop(running);

    let counted = gw
        .statistics_at(&lead, &lead_code(), now)
        .await
        .expect("counted");
    let mut live = gw.statistics(&lead, &lead_code(), now).await.expect("live");
    assert_eq!(
        live.as_handler.by_status.get("accepted"),
        Some(&1),
        "{live:?}"
    );
    live.at = Some(now.to_rfc3339());
    assert_eq!(counted, live);
    // An operator reads any region's.
    let operator = Principal::Operator {
        token_id: "op".into(),
    };
    assert_eq!(
        gw.statistics_at(&operator, &lead_code(), now)
            .await
            .expect("operator"),
        counted
    );
}
