//! Given / when / then: what the command and read paths make of a history the projections
//! hold (an event that does not fold), against the real embedded log.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{FeedItem, Gateway, SubmitRequest};
use crate::domain::Command;
use crate::envelope::{Content, Envelope, GatewayKey};
use crate::log::{EmbeddedLog, EventLog};
use crate::testutil::TempDir;

use super::fixtures::{example, origin_code, region};

fn lead_code() -> String {
    example()["handlers"][0].as_str().unwrap().to_string()
}
fn outsider_code() -> String {
    let ex = example();
    let parties: Vec<String> = std::iter::once(ex["origin"].clone())
        .chain(ex["handlers"].as_array().unwrap().iter().cloned())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|c| !parties.iter().any(|p| p == c))
        .unwrap()
        .to_string()
}

async fn submit<L: EventLog>(gw: &Gateway<L>) -> String {
    let request: SubmitRequest = serde_json::from_value(example()).expect("request");
    gw.submit(&region(&origin_code()), request, None)
        .await
        .expect("submit")
        .id
}

async fn append_raw<L: EventLog>(
    gw: &Gateway<L>,
    app: &str,
    kind: &str,
    region: &str,
    at: &str,
    data: Value,
) {
    let history = gw.log.read(app).await.expect("read");
    let last = history.last();
    let content = Content {
        kind: kind.into(),
        schema: format!("{kind}/1"),
        region: region.into(),
        actor: format!("{region}/elsewhere"),
        at: at.into(),
        data,
    };
    let env = Envelope::sealed_after(last, app, content, &gw.key);
    gw.log
        .append(env, last.map_or(0, |l| l.seq))
        .await
        .expect("append");
}

fn gateway(dir: &TempDir) -> Gateway<EmbeddedLog> {
    let opened = super::fixtures::opened(dir);
    let Ok(gw) = Arc::try_unwrap(opened.gateway) else {
        panic!("shared")
    };
    gw
}

/// While the projections lag (catch-up after a restart on a long log), a region that is no party
/// reading an application whose history does not fold gets the 404 of an unknown id, not a 503
/// naming the event.
#[tokio::test]
async fn a_non_party_hears_nothing_of_an_unfoldable_history_while_the_projections_lag() {
    let dir = TempDir::new("rv-lag");
    let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
    let key = GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key");
    let store =
        crate::projections::ProjectionStore::open(&dir.path().join("projections")).expect("p");
    let gw = Gateway::start_with_projector_delay(
        Arc::new(log),
        key,
        store,
        crate::domain::calendar::Calendar::weekdays(),
        Duration::from_secs(30),
    );
    let app = submit(&gw).await;
    let readable = submit(&gw).await;
    append_raw(
        &gw,
        &app,
        "application.transferred",
        &lead_code(),
        "2026-12-03T02:00:00.000Z",
        json!({"to": "500000"}),
    )
    .await;
    let outsider = region(&outsider_code());
    let p_readable = crate::http::problem::Problem::from(
        gw.application(&outsider, &readable)
            .await
            .expect_err("no party"),
    );
    let p_unknown = crate::http::problem::Problem::from(
        gw.application(&outsider, &crate::ids::new_v7())
            .await
            .expect_err("unknown"),
    );
    let p_held = crate::http::problem::Problem::from(
        gw.application(&outsider, &app).await.expect_err("refused"),
    );
    assert_eq!((p_readable.status, p_unknown.status), (404, 404));
    assert_eq!(
        (p_held.status, p_held.kind.as_str()),
        (404, p_unknown.kind.as_str()),
        "a non-party learns the application exists: {}",
        p_held.detail
    );
    // Its parties hear why.
    let origin = region(&origin_code());
    let p = crate::http::problem::Problem::from(
        gw.application(&origin, &app).await.expect_err("unfoldable"),
    );
    assert_eq!(p.status, 503);
}

/// An application held at an event whose time is not RFC 3339: acting on it is refused and
/// appends nothing, as for any held application.
#[tokio::test]
async fn an_application_held_at_a_bad_time_cannot_be_acted_on() {
    let dir = TempDir::new("rv-time");
    let gw = gateway(&dir);
    let app = submit(&gw).await;
    append_raw(
        &gw,
        &app,
        "application.forwarded",
        &origin_code(),
        "yesterday",
        json!({}),
    )
    .await;
    let held = gw
        .application(&region(&origin_code()), &app)
        .await
        .expect_err("held");
    assert!(matches!(held, super::ServiceError::Held(_)), "{held}");
    let before = gw.log.read(&app).await.unwrap().len();
    let r = gw
        .act(
            &region(&lead_code()),
            &app,
            Command::Accept(Default::default()),
            None,
        )
        .await;
    let after = gw.log.read(&app).await.unwrap().len();
    assert!(
        r.is_err() && before == after,
        "acting on a held application appended an event: {:?}",
        r.map(|o| (o.status, o.seq))
    );
}

/// A submission whose time is not RFC 3339 is held with its parties, who read that it is held
/// (503), read its events, cannot act on it, and find a `held` marker at it in their feeds (no
/// view to feed the event from: before, their feeds had nothing of it).
#[tokio::test]
async fn a_submission_held_at_a_bad_time_is_held_for_its_parties() {
    let dir = TempDir::new("rv-time1");
    let gw = gateway(&dir);
    let model = submit(&gw).await;
    let data = gw.log.read(&model).await.unwrap()[0].data.clone();
    let app = crate::ids::new_v7();
    let content = Content {
        kind: "application.submitted".into(),
        schema: "application.submitted/2".into(),
        region: origin_code(),
        actor: format!("{}/t0", origin_code()),
        at: "2026-13-45".into(),
        data,
    };
    let position = gw
        .log
        .append(Envelope::sealed_after(None, &app, content, &gw.key), 0)
        .await
        .expect("append");
    let origin = region(&origin_code());
    let events = gw.events(&origin, &app).await.map(|h| h.events.len());
    let read = gw
        .application(&origin, &app)
        .await
        .map(|_| ())
        .map_err(crate::http::problem::Problem::from);
    let act = gw
        .act(&origin, &app, Command::Forward(Default::default()), None)
        .await;
    assert_eq!(events.ok(), Some(1));
    assert_eq!(read.err().map(|p| p.status), Some(503));
    assert!(act.is_err(), "acted on a held submission");
    assert_eq!(gw.log.read(&app).await.expect("read").len(), 1);
    for code in [origin_code(), lead_code()] {
        let page = gw.feed_page(&code, 0, 100).await.expect("feed");
        let at = page.iter().find(|item| item.position() == position);
        assert!(
            matches!(at, Some(FeedItem::Held { held, .. })
                if held.app == app && held.reason.contains("RFC 3339")),
            "{code}: {page:?}"
        );
    }
    let outsider = gw.feed_page(&outsider_code(), 0, 100).await.expect("feed");
    assert!(outsider.iter().all(|item| item.position() != position));
}
