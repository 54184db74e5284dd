//! Given a log that holds submissions made unkeyed (a log made before keyed ids and moved to
//! them, or a keyed log a gateway of an earlier version wrote to), when submissions come under
//! keys, then a retry of an unkeyed one is answered with its application and a new key gets a
//! keyed id.

use std::sync::Arc;

use super::ServiceError;
use super::fixtures::{gateway_on, origin_code, region, request};
use crate::ids::{AppIds, Derivation};
use crate::testutil::TempDir;

#[tokio::test]
async fn a_retry_of_a_submission_made_unkeyed_finds_it_on_a_log_keyed_after() {
    let dir = TempDir::new("service-app-ids");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let mut before = gateway_on(&log, &dir, "p1");
    before.app_ids = AppIds::new(Derivation::Unkeyed, &before.key);
    let mut after = gateway_on(&log, &dir, "p2");
    after.app_ids = AppIds::new(Derivation::KeyedAfterUnkeyed, &after.key);
    let origin = region(&origin_code());

    let first = before
        .submit(&origin, request(), Some("gd-2024-000123"))
        .await
        .expect("made unkeyed");
    assert_eq!(
        first.id,
        crate::ids::app_id_for_key(&origin_code(), "gd-2024-000123")
    );

    // Its retry, through the gateway that keys new ids, once that one's projections hold it
    // (found there, not asked of the log): the same application, nothing appended.
    for _ in 0..500 {
        if after.store.get(&first.id).expect("store").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let retried = after
        .submit(&origin, request(), Some("gd-2024-000123"))
        .await
        .expect("a retry");
    assert_eq!(
        (retried.id.as_str(), retried.created),
        (first.id.as_str(), false)
    );
    let again = after
        .resubmission(&origin, &request(), "gd-2024-000123")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(again.id, first.id);
    // The key with another request is refused as reused, as on any log.
    let mut other = super::fixtures::example();
    other["applicant"]["name"] = serde_json::json!("李四");
    let other: super::SubmitRequest = serde_json::from_value(other).expect("another request");
    let reused = after
        .submit(&origin, other, Some("gd-2024-000123"))
        .await
        .expect_err("reused");
    assert!(
        matches!(reused, ServiceError::IdempotencyKeyReused { .. }),
        "{reused}"
    );

    // A new key: keyed.
    let new = after
        .submit(&origin, request(), Some("gd-2024-000124"))
        .await
        .expect("a new key");
    assert!(new.created);
    assert_eq!(
        new.id,
        AppIds::new(Derivation::Keyed, &after.key).for_key(&origin_code(), "gd-2024-000124")
    );
    assert_ne!(
        new.id,
        crate::ids::app_id_for_key(&origin_code(), "gd-2024-000124")
    );
}
