//! The service against the real embedded log: what it refuses never reaches the log.

use tongban_schemas::events::{Forwarded, NotAccepted};
use tongban_schemas::matters;

use super::{ServiceError, SubmitRequest};
use crate::domain::{Caps, Command};
use crate::log::EventLog;
use crate::testutil::TempDir;

use super::fixtures::{gateway_capped, gateway_on, lead_code, origin_code, region, request};

#[tokio::test]
async fn an_invalid_event_payload_never_reaches_the_log() {
    use tongban_schemas::events::{Approved, LicenceRef, ResultIssued};

    let dir = TempDir::new("service-payload");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let handler = region(&lead_code());
    let app = super::fixtures::accepted(gw).await;
    gw.act(&handler, &app, Command::Approve(Approved::default()), None)
        .await
        .expect("approve");
    let before = gw.log.read(&app).await.expect("read");
    assert_eq!(before.len(), 4);
    assert_eq!(before[1].schema, "application.forwarded/1");

    // The domain allows the issue here; its document's digest breaks the registered schema
    // (a pattern the domain does not check).
    let err = gw
        .act(
            &handler,
            &app,
            Command::IssueResult(ResultIssued {
                licence: None,
                document: Some(tongban_schemas::blocks::material::MaterialRef {
                    name: "准予许可决定书".into(),
                    kind: "decision".into(),
                    sha256: "not-a-digest".into(),
                    size: 1024,
                    format: None,
                }),
            }),
            None,
        )
        .await
        .expect_err("a digest that is none refused");
    match &err {
        ServiceError::InvalidEvent {
            event,
            schema,
            violations,
        } => {
            assert_eq!(event, "application.result-issued");
            assert_eq!(schema, "application.result-issued/2");
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(violations[0].pointer, "/document/sha256");
        }
        other => panic!("expected InvalidEvent, got {other:?}"),
    }
    let problem = crate::http::problem::Problem::from(err);
    assert_eq!(problem.status, 422);
    assert_eq!(problem.errors.len(), 1);

    let after = gw.log.read(&app).await.expect("read");
    assert_eq!(after, before, "nothing was appended");
    let head = *gw.log.head().borrow();
    let all = gw.log.read_all(0, 100).await.expect("read_all");
    assert_eq!(all.len(), 4);
    assert_eq!(all.last().map(|p| p.position), Some(head));

    // A valid payload at the same point still goes through.
    let issued = gw
        .act(
            &handler,
            &app,
            Command::IssueResult(ResultIssued {
                licence: Some(LicenceRef {
                    kind: "社会保障卡".into(),
                    number: "SSC-1".into(),
                }),
                document: None,
            }),
            None,
        )
        .await
        .expect("valid issue");
    assert_eq!(issued.seq, 5);
}

/// A body the adapter checked in full goes through the same gate as a canonical one and comes out
/// the same (event and idempotency digest); the structural rules still run on it.
#[test]
fn a_checked_body_prepares_like_an_unchecked_one() {
    let matter = matters::get("social-security-card").expect("matter");
    let example = matter.example();
    let origin = example["origin"].as_str().expect("origin").to_string();
    let request: SubmitRequest = serde_json::from_value(example.clone()).expect("request");
    let unchecked = super::prepare_submission(&origin, request, Some("k-1")).expect("unchecked");
    let (report, checked) = matter.check_owned(example);
    assert!(report.is_ok());
    let checked = checked.expect("checked");
    let prepared =
        super::prepare_submission(&origin, checked.clone(), Some("k-1")).expect("checked");
    assert_eq!(prepared, unchecked);
    // Submitted by a region other than its origin: refused whichever way it arrives.
    let err = super::prepare_submission("650000", checked, Some("k-1")).expect_err("wrong origin");
    assert!(
        matches!(
            err,
            ServiceError::Domain(crate::domain::DomainError::OriginNotSubmitter { .. })
        ),
        "{err:?}"
    );
}

/// Given a submission whose applicant has a 15-digit ID number, when it is prepared checked (as
/// the HTTP route and the adapters hand it in) and unchecked (as the service's other callers
/// do), then both events store the number upgraded to 18 characters, and both digests are the
/// request's as sent: what a gateway that stored the 15 digits recorded for it (so a retry
/// across the upgrade is still the same request), not the digest of the request sent with the
/// 18 characters. (Found by an adapter author's walkthrough: the canonical route stored the 15
/// digits, the local-form route the 18, so one person had two numbers.)
#[test]
fn a_legacy_number_is_stored_upgraded_and_its_request_digested_as_sent() {
    use sha2::{Digest, Sha256};
    let matter = matters::get("social-security-card").expect("matter");
    let mut example = matter.example();
    assert_eq!(example["applicant"]["id_number"], "440305196010150019");
    let upgraded = example.clone();
    example["applicant"]["id_number"] = serde_json::json!("440305601015001");
    let origin = example["origin"].as_str().expect("origin").to_string();
    let stored = |event: &crate::domain::Event| match event {
        crate::domain::Event::Submitted(s) => s.applicant["id_number"].clone(),
        other => panic!("{other:?}"),
    };
    let request: SubmitRequest = serde_json::from_value(example.clone()).expect("request");
    let as_sent = crate::hex::encode(&Sha256::digest(
        crate::envelope::jcs::canonicalize(&example).as_bytes(),
    ));
    let (event, digest, warnings) =
        super::prepare_submission(&origin, request, Some("k-1")).expect("unchecked");
    assert_eq!(stored(&event), "440305196010150019");
    assert_eq!(digest, as_sent);
    assert!(
        warnings.iter().any(|w| w.rule == "gb11643-legacy"),
        "{warnings:?}"
    );
    let (report, checked) = matter.check_owned(example);
    assert!(report.is_ok(), "{report:?}");
    let checked = checked.expect("checked");
    assert_eq!(checked["applicant"]["id_number"], "440305196010150019");
    let (checked_event, checked_digest, _) =
        super::prepare_submission(&origin, checked, Some("k-1")).expect("checked");
    assert_eq!(checked_event, event);
    assert_eq!(checked_digest, as_sent);
    let request: SubmitRequest = serde_json::from_value(upgraded).expect("request");
    let (_, digest_of_18, _) =
        super::prepare_submission(&origin, request, Some("k-1")).expect("18");
    assert_ne!(digest_of_18, as_sent);
}

/// The request digest (which decides whether a retry with the same Idempotency-Key is the same
/// request) is what it was when it was computed from a `Value` copy of the request: a change here
/// would refuse idempotent retries across an upgrade. Every matter's example, and one digest
/// pinned as the earlier versions computed it.
#[test]
fn the_request_digest_is_the_canonical_form_of_the_request_as_before() {
    use sha2::{Digest, Sha256};
    let mut pinned = None;
    for matter in matters::all() {
        let example = matter.example();
        let origin = example["origin"].as_str().expect("origin").to_string();
        let request: SubmitRequest = serde_json::from_value(example).expect("request");
        let before = {
            let value = serde_json::to_value(&request).expect("value");
            crate::hex::encode(&Sha256::digest(
                crate::envelope::jcs::canonicalize(&value).as_bytes(),
            ))
        };
        let (_, digest, _) = super::prepare_submission(&origin, request, Some("k-1")).expect("ok");
        assert_eq!(digest, before, "{}", matter.code);
        if matter.code == "social-security-card" {
            pinned = Some(digest);
        }
    }
    assert_eq!(pinned.as_deref(), Some(PINNED_DIGEST));
}

/// The digest of the social-security-card example as `01a97e6` (before the typed canonical form)
/// computed it.
const PINNED_DIGEST: &str = "356b30d2acee005016c0f8cc5d8ab10ab94fd03b202b5ad557765a320f81ae6b";

/// Read-your-writes sits on the read: a writer is answered once its event is durable, without
/// waiting for the projections, and every read that follows waits until they hold it. The
/// projector is held back a second per batch, so the window between the two is wide open.
#[tokio::test]
async fn a_write_answers_before_its_projection_and_the_next_read_still_sees_it() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let dir = TempDir::new("service-read-barrier");
    let log = crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log");
    let key =
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key");
    let store = crate::projections::ProjectionStore::open(&dir.path().join("projections"))
        .expect("projections");
    let delay = Duration::from_millis(1000);
    let gw = super::Gateway::start_with_projector_delay(
        Arc::new(log),
        key,
        store,
        crate::domain::calendar::Calendar::weekdays(),
        delay,
    );
    let example = matters::get("social-security-card")
        .expect("matter")
        .example();
    let origin_code = example["origin"].as_str().expect("origin").to_string();
    let origin = region(&origin_code);
    let request: SubmitRequest = serde_json::from_value(example).expect("request");

    let started = Instant::now();
    let submitted = gw.submit(&origin, request, None).await.expect("submit");
    assert!(
        started.elapsed() < delay,
        "the submission waited for its projection: {:?}",
        started.elapsed()
    );
    assert_eq!(gw.projector.applied(), 0, "projected before the answer");
    assert!(gw.store.get(&submitted.id).expect("get").is_none());

    let outbox = gw
        .outbox(&origin, &origin_code, None, 10)
        .await
        .expect("outbox");
    assert_eq!(
        outbox.iter().map(|e| e.app.as_str()).collect::<Vec<_>>(),
        vec![submitted.id.as_str()],
        "the read after the write sees it"
    );
    assert_eq!(gw.projector.applied(), 1);

    // An application already in the projections: the read must not answer its old state.
    let forwarded = gw
        .act(
            &origin,
            &submitted.id,
            Command::Forward(Forwarded::checked()),
            None,
        )
        .await
        .expect("forward");
    let stale = gw
        .store
        .get(&submitted.id)
        .expect("get")
        .expect("projected");
    assert_eq!(
        stale.state.status.as_str(),
        "submitted",
        "projected already"
    );
    let view = gw
        .application(&origin, &submitted.id)
        .await
        .expect("application");
    assert_eq!(view.state.status.as_str(), forwarded.status);
    assert_eq!(view.state.seq, 2);
}

/// Submissions racing with one Idempotency-Key: one appends, every other one conflicts and is
/// answered from the log with the same application; a different body under that key is refused.
#[tokio::test]
async fn concurrent_submissions_with_one_key_make_one_application() {
    let dir = TempDir::new("service-same-key");
    let opened = super::fixtures::opened(&dir);
    let gw = std::sync::Arc::new(opened.gateway);
    let example = matters::get("social-security-card")
        .expect("matter")
        .example();
    let origin = region(example["origin"].as_str().expect("origin"));
    let request: SubmitRequest = serde_json::from_value(example).expect("request");
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (gw, origin, request) = (gw.clone(), origin.clone(), request.clone());
            tokio::spawn(async move { gw.submit(&origin, request, Some("race-1")).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task").expect("submit"));
    }
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 1);
    assert!(
        outcomes
            .iter()
            .all(|o| o.id == outcomes[0].id && o.seq == 1)
    );
    let events = gw.log.read(&outcomes[0].id).await.expect("read");
    assert_eq!(events.len(), 1);
    // The stored submission holds the applicant and form whole.
    assert_eq!(
        events[0].data["applicant"],
        serde_json::to_value(&request.applicant).expect("applicant")
    );
    assert_eq!(
        events[0].data["form"],
        serde_json::to_value(&request.form).expect("form")
    );

    let mut other = request.clone();
    assert!(!other.materials.is_empty(), "the example lists materials");
    other.materials.clear();
    let reused = gw.submit(&origin, other, Some("race-1")).await;
    assert!(
        matches!(reused, Err(ServiceError::IdempotencyKeyReused { .. })),
        "{reused:?}"
    );
}

/// An action decides on the state it remembers only while that is still the log's: a second
/// gateway on the same log (as gateways sharing one JetStream stream are) moves the application
/// on, and the first, which remembers it as accepted, decides on what the log now holds.
#[tokio::test]
async fn a_remembered_state_gives_way_to_another_writers_events() {
    use std::sync::Arc;
    use tongban_schemas::events::{Resumed, Suspended, SuspensionKind};

    let dir = TempDir::new("service-states");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let (first, second) = (gateway_on(&log, &dir, "p1"), gateway_on(&log, &dir, "p2"));
    let lead = lead_code();
    let app = super::fixtures::accepted(&first).await;
    async fn act(
        gw: &super::Gateway<crate::log::EmbeddedLog>,
        who: &str,
        app: &str,
        command: Command,
    ) -> Result<super::ActOutcome, ServiceError> {
        gw.act(&region(who), app, command, None).await
    }

    // The second gateway suspends it; the first remembers it as accepted at seq 3.
    let suspend = || {
        Command::Suspend(Suspended {
            kind: SuspensionKind::ExpertReview,
            reason: "组织专家评审".into(),
        })
    };
    let suspended = act(&second, &lead, &app, suspend()).await.expect("suspend");
    assert_eq!((suspended.seq, suspended.status.as_str()), (4, "suspended"));

    // Suspending again through the first is refused on the log's state, not allowed on the
    // remembered one; resuming through it goes on from the second gateway's event.
    let refused = act(&first, &lead, &app, suspend())
        .await
        .expect_err("already suspended");
    assert!(
        matches!(refused, ServiceError::Refused { seq: 4, .. }),
        "{refused:?}"
    );
    let resumed = act(&first, &lead, &app, Command::Resume(Resumed::default()))
        .await
        .expect("resume");
    assert_eq!((resumed.seq, resumed.status.as_str()), (5, "accepted"));
    let events = log.read(&app).await.expect("read");
    assert_eq!(events.len(), 5);
    assert_eq!(
        events[4].prev_hash, events[3].hash,
        "chained after the other's event"
    );
    assert_eq!(resumed.event, events[4]);
}

/// An action may decide on the state this gateway remembers without reading the log first, but
/// a refusal decided so is checked against the log before it is answered: here the remembered
/// state (accepted, seq 3) refuses a resumption and the stale expected seq 4 that the log
/// (suspended by another gateway, seq 4) allows.
#[tokio::test]
async fn a_refusal_decided_on_a_remembered_state_is_checked_against_the_log() {
    use std::sync::Arc;
    use tongban_schemas::events::{Resumed, Suspended, SuspensionKind};

    let dir = TempDir::new("service-states-refusal");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let (first, second) = (gateway_on(&log, &dir, "p1"), gateway_on(&log, &dir, "p2"));
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(&first).await;
    let suspend = Command::Suspend(Suspended {
        kind: SuspensionKind::ExpertReview,
        reason: "组织专家评审".into(),
    });
    second
        .act(&lead, &app, suspend, Some(3))
        .await
        .expect("suspend");

    let resumed = first
        .act(&lead, &app, Command::Resume(Resumed::default()), Some(4))
        .await
        .expect("resumed on the log's state");
    assert_eq!((resumed.seq, resumed.status.as_str()), (5, "accepted"));
    // A refusal that holds on the log is still answered, with the log's seq.
    let refused = first
        .act(&lead, &app, Command::Resume(Resumed::default()), None)
        .await
        .expect_err("not suspended");
    assert!(
        matches!(refused, ServiceError::Refused { seq: 5, .. }),
        "{refused:?}"
    );
    // The very resumption again from seq 4 is its repeat: answered with the event that landed.
    let repeated = second
        .act(&lead, &app, Command::Resume(Resumed::default()), Some(4))
        .await
        .expect("a repeat");
    assert!(repeated.repeated && repeated.seq == 5, "{repeated:?}");
    // Another action from seq 4 is stale.
    let stale = second
        .act(&lead, &app, Command::Approve(Default::default()), Some(4))
        .await
        .expect_err("stale");
    assert!(
        matches!(
            stale,
            ServiceError::StaleSeq {
                expected: 4,
                actual: 5,
                ..
            }
        ),
        "{stale:?}"
    );
    assert_eq!(log.read(&app).await.expect("read").len(), 5);
}

/// Given an application accepted with 受理编号 A at seq 3, when the lead sends that very accept
/// again with the expected_seq it sent first (2), as a client does whose answer was lost, then it
/// is answered with the event that landed (200, `repeated`) and nothing is appended; an accept
/// with another 受理编号, the same accept by another region or another token of the lead, or the
/// same one naming another seq are not its repeat and hear 409 stale-seq or their refusal as
/// before. (Found by a region
/// team's walkthrough: a retried action was told its own write made its view stale, and the
/// Idempotency-Key it sent was silently ignored.)
#[tokio::test]
async fn an_action_sent_again_from_the_same_seq_is_answered_with_the_event_it_appended() {
    use tongban_schemas::events::Accepted;

    let dir = TempDir::new("service-action-repeat");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let (origin, lead) = (region(&origin_code()), region(&lead_code()));
    let app = super::fixtures::forwarded(gw).await;
    let accept = |reference: &str| {
        Command::Accept(Accepted {
            reference: Some(reference.into()),
        })
    };
    let first = gw
        .act(&lead, &app, accept("受理-0001"), Some(2))
        .await
        .expect("accepted");
    assert!(!first.repeated);
    let again = gw
        .act(&lead, &app, accept("受理-0001"), Some(2))
        .await
        .expect("its repeat");
    assert!(again.repeated, "{again:?}");
    assert_eq!((again.seq, again.status.as_str()), (3, "accepted"));
    assert_eq!(again.event, first.event);
    assert!(again.position >= first.position);
    // Another clerk of the lead (its own token) deciding the same is not this one's repeat.
    let colleague = crate::auth::Principal::Region {
        code: lead_code(),
        token_id: "t1".into(),
    };
    for (who, cmd, seq) in [
        (&lead, accept("受理-0002"), Some(2)),
        (&lead, accept("受理-0001"), Some(1)),
        (&colleague, accept("受理-0001"), Some(2)),
    ] {
        let refused = gw.act(who, &app, cmd, seq).await;
        assert!(
            matches!(refused, Err(ServiceError::StaleSeq { actual: 3, .. })),
            "{refused:?}"
        );
    }
    let refused = gw.act(&origin, &app, accept("受理-0001"), Some(2)).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Domain(
                crate::domain::DomainError::WrongRole { .. }
            ))
        ),
        "{refused:?}"
    );
    let events = gw.events(&lead, &app).await.expect("read").events;
    assert_eq!(events.len(), 3, "nothing appended by a repeat");
}

/// Given an application accepted (seq 3) and its index rolled back to seq 2 (the event kept),
/// when the gateway that has seen seq 3 is asked to accept it again (which the shorter history
/// allows), then it is refused as a corrupt log, naming the application, and nothing is
/// appended: deciding on the shorter history would sign a second seq 3 chained to the same
/// seq 2. (Found by an auditor's walkthrough.)
#[tokio::test]
async fn an_action_on_a_log_that_ends_before_a_seen_seq_is_refused_and_appends_nothing() {
    use std::sync::Arc;
    use tongban_schemas::events::Accepted;

    let dir = TempDir::new("service-index-rolled-back");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "p1");
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(&gw).await;
    let end = *log.head().borrow();
    log.roll_back_index(&app);
    let refused = gw
        .act(&lead, &app, Command::Accept(Accepted::default()), None)
        .await
        .expect_err("a log that ends before a seq seen in it");
    match &refused {
        ServiceError::Log(crate::log::LogError::Corrupt { reason, .. }) => {
            assert!(reason.contains(&app), "{reason}");
            assert!(
                reason.contains("seq 2") && reason.contains("seq 3"),
                "{reason}"
            );
        }
        other => panic!("expected a corrupt log, got {other:?}"),
    }
    assert_eq!(*log.head().borrow(), end, "nothing appended");
}

/// Given two submissions whose events were swapped in the log (the index untouched), when the
/// first application is read, then the read is refused as a corrupt log at the position its
/// view names for its submission, not as an internal error, and nothing of the other
/// application is served in its place.
#[tokio::test]
async fn a_view_whose_submission_position_holds_another_event_is_a_corrupt_log() {
    let dir = TempDir::new("service-swapped-submissions");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let origin = region(&origin_code());
    let first = gw
        .submit(&origin, request(), None)
        .await
        .expect("submit")
        .id;
    let second = gw
        .submit(&origin, request(), Some("another"))
        .await
        .expect("submit");
    assert_eq!((second.position, second.id == first), (2, false));
    gw.application(&origin, &first)
        .await
        .expect("readable before");
    gw.log.swap_events(1, 2);
    match gw.application(&origin, &first).await {
        Err(ServiceError::Log(crate::log::LogError::Corrupt { position, reason })) => {
            assert_eq!(position, 1);
            assert!(reason.contains(&second.id), "{reason}");
        }
        other => panic!("expected a corrupt log, got {other:?}"),
    }
}

/// A stream given a limit after the gateway opened it (NATS accepts `max_msgs_per_subject` on a
/// stream that refuses deletes) removes events as new ones arrive. An action on a remembered
/// state reads no history that would show the loss, so the log itself refuses appends while the
/// stream's settings remove events, and takes them again once they are restored. (Found by a
/// review: without the refusal the gateway that acted last went on acknowledging actions, each
/// one making the stream drop the application's previous event.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_is_appended_while_the_stream_removes_events() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tongban_schemas::events::Accepted;

    let server = crate::testnats::NatsServer::start();
    let (config, log) = polled_jetstream(&server).await;
    let dir = TempDir::new("service-states-js");
    let gw = gateway_on(&log, &dir, "p");
    let (origin, lead) = (origin_code(), lead_code());
    let app = gw
        .submit(&region(&origin), request(), None)
        .await
        .expect("submit")
        .id;
    // The gateway remembers the application as forwarded, at seq 2.
    gw.act(
        &region(&origin),
        &app,
        Command::Forward(Forwarded::checked()),
        None,
    )
    .await
    .expect("forward");

    // The stream keeps only the last two events of each subject from now on: the application's
    // next event would push its submission out.
    let (js, kept) = stream_settings(&server, &config).await;
    let mut limited = kept.clone();
    limited.max_messages_per_subject = 2;
    js.update_stream(limited)
        .await
        .expect("a limit is accepted");
    let until = |want: bool| {
        let log = Arc::clone(&log);
        async move {
            let started = Instant::now();
            while log.available() != want {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the log's availability did not become {want}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    until(false).await;

    let refused = gw
        .act(
            &region(&lead),
            &app,
            Command::Accept(Accepted::default()),
            None,
        )
        .await
        .expect_err("acknowledged on a stream that removes events");
    assert!(
        refused.to_string().contains("now removes events"),
        "{refused}"
    );
    let refused = gw
        .submit(&region(&origin), request(), Some("another"))
        .await
        .expect_err("a submission too");
    assert!(
        refused.to_string().contains("now removes events"),
        "{refused}"
    );
    let events = log.read(&app).await.expect("read");
    assert_eq!(events.len(), 2, "nothing appended, nothing removed");

    // Settings restored: appends are taken again.
    js.update_stream(kept).await.expect("the limit is lifted");
    until(true).await;
    gw.submit(&region(&origin), request(), Some("after"))
        .await
        .expect("submit once the stream keeps its events");
}

/// Two gateways on one JetStream stream, as behind a load balancer, on a server that counts the
/// messages it receives (`received`). No head polling: its requests would be counted too. With
/// `pushed` off, no consumer of the stream either, and a gateway's projector reads the other's
/// events when its own appends move its head past them; with it on, as soon as they are pushed.
pub(super) struct OneStream {
    pub(super) server: crate::testnats::NatsServer,
    /// What each connection sent the server: count the acting gateway's log's
    /// (`received.sent_by(log.client_id())`), not the server's total, which other
    /// gateways' background requests fall into.
    pub(super) received: crate::testnats::Received,
    pub(super) config: crate::log::JetStreamConfig,
    pub(super) logs: [std::sync::Arc<crate::log::JetStreamLog>; 2],
    pub(super) gateways: [super::Gateway<crate::log::JetStreamLog>; 2],
}

pub(super) async fn one_stream(dir: &TempDir, pushed: bool) -> OneStream {
    use std::time::Duration;
    let (server, received) = crate::testnats::NatsServer::start_counting();
    let mut config = crate::log::JetStreamConfig::new(server.url());
    config.op_timeout = Duration::from_secs(2);
    config.head_poll = Duration::from_secs(3600);
    config.head_pushed = pushed;
    let open = || async {
        std::sync::Arc::new(
            crate::log::JetStreamLog::open(&config)
                .await
                .expect("open JetStream"),
        )
    };
    let logs = [open().await, open().await];
    // Under no cap on suspensions: two gateways acting in turn take one application through
    // more of them than the default allows, as gateways started with a raised cap do.
    let gateways = [
        gateway_capped(&logs[0], dir, "p1", Caps::NONE),
        gateway_capped(&logs[1], dir, "p2", Caps::NONE),
    ];
    OneStream {
        server,
        received,
        config,
        logs,
        gateways,
    }
}

/// A suspension for expert review (特别程序), and the resumption that ends it: the one pair the
/// lifecycle lets come back, up to the gateway's cap on suspensions.
fn suspend() -> Command {
    Command::Suspend(tongban_schemas::events::Suspended {
        kind: tongban_schemas::events::SuspensionKind::ExpertReview,
        reason: "组织专家评审".into(),
    })
}

fn resume() -> Command {
    Command::Resume(tongban_schemas::events::Resumed::default())
}

/// A gateway on `log` (opened on a stream without a consumer and with the head poll at an
/// hour) whose projector waits a minute before each read, with the projections `store`: in a
/// test, what its log's connection sends the server is only what its actions ask.
fn acting_alone(
    log: &std::sync::Arc<crate::log::JetStreamLog>,
    dir: &TempDir,
    store: crate::projections::ProjectionStore,
) -> super::Gateway<crate::log::JetStreamLog> {
    super::Gateway::start_with_projector_delay(
        std::sync::Arc::clone(log),
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key"),
        store,
        crate::domain::calendar::Calendar::weekdays(),
        std::time::Duration::from_secs(60),
    )
}

/// Given an application forwarded through one gateway on a stream, and on its subject,
/// published by some other client, a copy of its submission (seq 1) and its forward rewritten
/// (another `data` under the forward's seal: seq 2, its last), when its lead handler accepts it
/// through a gateway that never acted on it and whose projections have not folded it (no state
/// in memory, no view: the action reads the subject from its start), then the acceptance is
/// appended as seq 3, chained onto the forward the first gateway sealed, after the rewritten
/// one; the whole history's read still refuses them. (That action read the whole history and
/// answered 500 `log-corrupt` for good, even for the copy alone.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_with_nothing_remembered_passes_over_what_else_is_on_the_subject() {
    use crate::log::{JetStreamLog, LogError};
    use std::sync::Arc;
    use tongban_schemas::events::Accepted;

    let server = crate::testnats::NatsServer::start();
    let dir = TempDir::new("service-planted-fallback");
    let key =
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key");
    let mut config = crate::log::JetStreamConfig::new(server.url());
    config.op_timeout = std::time::Duration::from_secs(2);
    config.signer = Some(key.public().to_hex());
    let open = || async { Arc::new(JetStreamLog::open(&config).await.expect("open JetStream")) };
    let first_log = open().await;
    let first = gateway_on(&first_log, &dir, "p1");
    let app = super::fixtures::forwarded(&first).await;
    let stored = first_log.read(&app).await.expect("read");
    assert_eq!(stored.len(), 2);

    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let subject = format!("{}.{app}", config.subject_prefix);
    let mut rewritten = stored[1].clone();
    rewritten.data["materials_checked"] = serde_json::json!(false);
    for planted in [&stored[0], &rewritten] {
        let bytes = planted.to_json().expect("encode");
        js.publish(subject.clone(), bytes.into())
            .await
            .expect("publish")
            .await
            .expect("stored");
    }

    let second_log = open().await;
    let store = crate::projections::ProjectionStore::open(&dir.path().join("p2")).expect("store");
    let second = acting_alone(&second_log, &dir, store);
    assert!(second.store.get(&app).expect("view").is_none(), "no view");
    let lead = region(&lead_code());
    let accepted = second
        .act(&lead, &app, Command::Accept(Accepted::default()), Some(2))
        .await
        .expect("accepted past what else is on the subject");
    assert_eq!((accepted.seq, accepted.status.as_str()), (3, "accepted"));
    assert_eq!(accepted.event.prev_hash, stored[1].hash);
    assert_eq!(accepted.position, 5, "after both planted messages");
    let read = second_log.read_after(&app, 0, 0).await.expect("read");
    assert_eq!(read[..2], stored[..]);
    assert_eq!(read[2], accepted.event);
    assert!(matches!(
        second_log.read(&app).await,
        Err(LogError::Corrupt { position: 3, .. })
    ));
}

/// Given an application forwarded through one gateway on a stream holding other applications'
/// events, and a copy of its forward published on its subject by some other client, when its
/// origin asks a gateway acting alone (nothing else sent on its connection) for its history,
/// then it is served as folded (its two events) with the copy named beside it, in the
/// verifiers' words, at its position; and the gateway read the log once to answer it: its
/// connection sent the server what one read of the application's subject sends. (It read the
/// subject, refused at the copy, then the whole log, then the subject again.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_holding_a_copy_is_served_from_one_read() {
    use crate::log::JetStreamLog;
    use std::sync::Arc;

    let (server, received) = crate::testnats::NatsServer::start_counting();
    let dir = TempDir::new("service-copy-one-read");
    let key =
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key");
    let mut config = crate::log::JetStreamConfig::new(server.url());
    config.op_timeout = std::time::Duration::from_secs(2);
    config.head_poll = std::time::Duration::from_secs(3600);
    config.head_pushed = false;
    config.signer = Some(key.public().to_hex());
    let open = || async { Arc::new(JetStreamLog::open(&config).await.expect("open JetStream")) };
    let first_log = open().await;
    let first = gateway_on(&first_log, &dir, "p1");
    let app = super::fixtures::forwarded(&first).await;
    for _ in 0..3 {
        super::fixtures::forwarded(&first).await;
    }
    let stored = first_log.read(&app).await.expect("read");
    let forward_at = first_log
        .last_position(&app)
        .await
        .expect("last")
        .expect("some");
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let subject = format!("{}.{app}", config.subject_prefix);
    let copy = js
        .publish(subject, stored[1].to_json().expect("encode").into())
        .await
        .expect("publish")
        .await
        .expect("stored")
        .sequence;

    let reader_log = open().await;
    let store = crate::projections::ProjectionStore::open(&dir.path().join("p2")).expect("store");
    let reader = acting_alone(&reader_log, &dir, store);
    let origin = region(&origin_code());
    let sent = || received.sent_by(reader_log.client_id());
    let before = sent();
    let history = reader.events(&origin, &app).await.expect("served");
    let asked = sent() - before;
    assert_eq!(history.events, stored);
    let named: Vec<(u64, u64, &str)> = history
        .not_history
        .iter()
        .map(|b| (b.seq, b.position, b.problem.as_str()))
        .collect();
    let problem = format!(
        "a second copy of this event (the same seq and hash), the one kept at log position \
         {forward_at}: left out of the chain"
    );
    assert_eq!(named, [(2, copy, problem.as_str())]);

    let before = sent();
    reader_log.read_decided(&app).await.expect("one read");
    let one_read = sent() - before;
    assert!(one_read > 0);
    assert_eq!(
        asked, one_read,
        "{asked} messages to the server for one history, {one_read} for one read of it"
    );
}

/// Two gateways on one JetStream stream, acting in turn on one application, as behind a load
/// balancer: when the other gateway moved the application on, an action reads only the events
/// appended since its own last one (a few requests), not the whole history (one request per
/// event), and decides on the state they make.
///
/// Each count is of the acting gateway's own connection, whose projector (or the head's poll,
/// or a consumer) sends nothing meanwhile: the requests counted are the action's, and their
/// number is exact. (Counted server-wide, the other gateways' projectors and tip refreshes,
/// and the acting gateway's own projector reading the other's events once its append moved the
/// head, fell inside the counts when the machine was busy.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_after_another_gateways_reads_only_the_events_since() {
    use std::sync::Arc;
    use std::time::Duration;

    let dir = TempDir::new("service-catch-up");
    let OneStream {
        server: _server,
        received,
        config,
        gateways: [_, second],
        ..
    } = one_stream(&dir, false).await;
    let sent = |log: &crate::log::JetStreamLog| received.sent_by(log.client_id());
    let open = || async {
        Arc::new(
            crate::log::JetStreamLog::open(&config)
                .await
                .expect("open JetStream"),
        )
    };
    let ours = open().await;
    let projections = |name: &str| {
        crate::projections::ProjectionStore::open(&dir.path().join(name)).expect("projections")
    };
    let first = acting_alone(&ours, &dir, projections("acting").with_caps(Caps::NONE));
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(&first).await;
    for _ in 0..20 {
        first
            .act(&lead, &app, suspend(), None)
            .await
            .expect("suspend");
        first
            .act(&lead, &app, resume(), None)
            .await
            .expect("resume");
    }
    // 43 events; the second gateway adds two.
    second
        .act(&lead, &app, suspend(), Some(43))
        .await
        .expect("theirs");
    second
        .act(&lead, &app, resume(), Some(44))
        .await
        .expect("theirs");

    let before = sent(&ours);
    let done = first.act(&lead, &app, suspend(), None).await.expect("ours");
    let asked = sent(&ours) - before;
    assert_eq!((done.seq, done.status.as_str()), (46, "suspended"));
    // 8: the publish naming seq 43's message, refused; the subject's last message (seq 45)
    // and the message after the one named (not this event: a conflict); then, deciding again,
    // the last message, the one the remembered state was folded to, a batch of the events since
    // and the leader's last; the publish again. 55 when the whole history was read one event
    // per request.
    assert_eq!(
        asked, 8,
        "{asked} messages to the server for one action on 45 events"
    );
    let events = ours.read(&app).await.expect("read");
    assert_eq!(events.len(), 46);
    assert_eq!(events[45].prev_hash, events[44].hash);
    // A refusal is still decided on the log's state: the second gateway resumed it, so a
    // second suspend through the first is refused only after the first's own one.
    let refused = first
        .act(&lead, &app, suspend(), None)
        .await
        .expect_err("suspended");
    assert!(
        matches!(refused, ServiceError::Refused { seq: 46, .. }),
        "{refused:?}"
    );

    // A third gateway, which never acted on the application (as after a restart), starts from
    // the state its projections hold, checked against the last message, not from the whole
    // history. (Its projector has read the stream by then; its own event it follows from
    // memory.)
    let third_log = open().await;
    let third = gateway_on(&third_log, &dir, "p3");
    third
        .projected_within(Duration::from_secs(5))
        .await
        .expect("projected");
    let before = sent(&third_log);
    let resumed = third.act(&lead, &app, resume(), None).await.expect("third");
    let asked = sent(&third_log) - before;
    assert_eq!((resumed.seq, resumed.status.as_str()), (47, "accepted"));
    // The last message, the publish; 50 when the whole history was read.
    assert_eq!(asked, 2, "{asked} messages for one action on 46 events");

    // A fourth gateway's view, two events behind the log: the action reads on from the view's
    // log position, not the subject from its start. (The view is rebuilt.)
    for _ in 0..10 {
        first.act(&lead, &app, suspend(), None).await.expect("ours");
        first.act(&lead, &app, resume(), None).await.expect("ours");
    }
    let fourth_log = open().await;
    let calendar = crate::domain::calendar::Calendar::weekdays();
    let (store, _) = crate::projections::rebuild::rebuild(
        fourth_log.as_ref(),
        &dir.path().join("p4"),
        &calendar,
        trusted(),
        |_, _| {},
    )
    .await
    .expect("rebuild");
    let behind = store.get(&app).expect("get").expect("view");
    assert_eq!(behind.state.seq, 67);
    let fourth = acting_alone(&fourth_log, &dir, store.with_caps(Caps::NONE));
    first.act(&lead, &app, suspend(), None).await.expect("ours");
    first.act(&lead, &app, resume(), None).await.expect("ours");
    let before = sent(&fourth_log);
    let done = fourth
        .act(&lead, &app, suspend(), None)
        .await
        .expect("fourth");
    let asked = sent(&fourth_log) - before;
    assert_eq!((done.seq, done.status.as_str()), (70, "suspended"));
    // The last message; the view's event, the batch after it and the leader's last; the
    // publish. 8 when the view named no position (the subject's 69 events in five test-sized
    // batches, and the rest).
    assert_eq!(
        asked, 5,
        "{asked} messages for one action two events past a view"
    );
}

/// An action on an application this gateway has not acted on starts from the state its
/// projections hold, but only once the log's last event is the one the view was folded up to:
/// here the view (rebuilt from another log holding the same application id, as after restoring
/// the log and the projections from different backups) says accepted at seq 3, and the log says
/// not accepted at seq 3. Decided on the view, a suspension would be chained onto an event the
/// log does not hold (which the append refuses since the embedded log checks the hash too: both
/// the check of the view and the append's stand between a wrong view and the log).
#[tokio::test]
async fn a_view_is_not_decided_on_until_the_log_holds_the_event_it_was_folded_to() {
    use std::sync::Arc;
    use tongban_schemas::events::{Accepted, Suspended, SuspensionKind};

    let dir = TempDir::new("service-projected");
    let (origin, lead) = (region(&origin_code()), region(&lead_code()));
    let key = Some("same-key");
    let other = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("other")).expect("log"));
    let elsewhere = gateway_on(&other, &dir, "elsewhere");
    let app = elsewhere
        .submit(&origin, request(), key)
        .await
        .expect("submit")
        .id;
    let forward = || Command::Forward(Forwarded::checked());
    elsewhere
        .act(&origin, &app, forward(), None)
        .await
        .expect("forward");
    elsewhere
        .act(&lead, &app, Command::Accept(Accepted::default()), None)
        .await
        .expect("accept");
    let (store, _) = crate::projections::rebuild::rebuild(
        other.as_ref(),
        &dir.path().join("view"),
        &crate::domain::calendar::Calendar::weekdays(),
        trusted(),
        |_, _| {},
    )
    .await
    .expect("rebuild");
    assert_eq!(
        store
            .get(&app)
            .expect("view")
            .expect("held")
            .state
            .status
            .as_str(),
        "accepted"
    );
    drop(store);

    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let here = gateway_on(&log, &dir, "here");
    let same = here
        .submit(&origin, request(), key)
        .await
        .expect("submit")
        .id;
    assert_eq!(same, app, "the id derives from the region and the key");
    here.act(&origin, &app, forward(), None)
        .await
        .expect("forward");
    here.act(
        &lead,
        &app,
        Command::NotAccept(NotAccepted {
            reason: "材料不齐全".into(),
        }),
        None,
    )
    .await
    .expect("not accepted");

    let restored = gateway_on(&log, &dir, "view");
    let suspend = Command::Suspend(Suspended {
        kind: SuspensionKind::ExpertReview,
        reason: "组织专家评审".into(),
    });
    let refused = restored
        .act(&lead, &app, suspend, None)
        .await
        .expect_err("not accepted: nothing to suspend");
    assert!(
        matches!(refused, ServiceError::Refused { seq: 3, .. }),
        "{refused:?}"
    );
    let events = log.read(&app).await.expect("read");
    assert_eq!(events.len(), 3, "nothing appended onto the view's history");
}

/// An action starts from the projections' view only when its state was folded by this build's
/// rules: a view outlives the build that folded it (an upgrade, a rollback with the same
/// store), and a state folded by other rules is another state. Such a view is passed over (the
/// whole history is folded) until a rebuild folds it again; the projector keeps it marked as
/// folded by unknown rules as it folds later events onto it.
#[tokio::test]
async fn a_view_folded_by_other_rules_is_not_started_from() {
    use std::sync::Arc;
    use std::time::Duration;
    use tongban_schemas::events::{Resumed, Suspended, SuspensionKind};

    let dir = TempDir::new("service-rules");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "view");
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(&gw).await;
    gw.projected_within(Duration::from_secs(5))
        .await
        .expect("projected");
    // As after a restart: nothing remembered.
    gw.states.forget();
    let view = gw.store.get(&app).expect("get").expect("view");
    let started = gw
        .projected(&app)
        .expect("a view folded by this build is started from");
    assert_eq!(
        (started.seq, started.position),
        (3, view.position.expect("a position"))
    );
    assert!(started.position > 0);

    let mut earlier = view.clone();
    earlier.rules = 0;
    gw.store.put_view(&app, &earlier).expect("put");
    assert!(
        gw.projected(&app).is_none(),
        "a view of unknown rules is started from"
    );
    let suspended = gw
        .act(
            &lead,
            &app,
            Command::Suspend(Suspended {
                kind: SuspensionKind::ExpertReview,
                reason: "组织专家评审".into(),
            }),
            None,
        )
        .await
        .expect("decided on the whole history");
    assert_eq!(suspended.seq, 4);
    gw.projected_within(Duration::from_secs(5))
        .await
        .expect("projected");
    gw.states.forget();
    let folded_on = gw.store.get(&app).expect("get").expect("view");
    assert_eq!((folded_on.state.seq, folded_on.rules), (4, 0));
    assert!(gw.projected(&app).is_none());
    let resumed = gw
        .act(&lead, &app, Command::Resume(Resumed::default()), None)
        .await
        .expect("resume");
    assert_eq!((resumed.seq, resumed.status.as_str()), (5, "accepted"));
}

/// Two gateways on one stream: once this gateway's projector has read the other gateway's
/// action on an application it remembers (and the log's worker has asked for the subject's last
/// message), its next action there decides on the state that action made and appends with one
/// request (the publish), where the remembered state alone
/// is decided on again after reading the subject's last message (two requests here, where it
/// refuses the action; four where it would allow it and the publish is refused first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_gateways_action_seen_by_the_projector_is_decided_on_at_once() {
    use std::time::Duration;

    let dir = TempDir::new("service-follow");
    let OneStream {
        server: _server,
        received,
        logs: [ours, theirs],
        gateways: [first, second],
        ..
    } = one_stream(&dir, false).await;
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(&first).await;
    // The second gateway acts (and remembers the application at seq 4), then the first.
    second
        .act(&lead, &app, suspend(), None)
        .await
        .expect("theirs");
    first.act(&lead, &app, resume(), None).await.expect("ours");
    // The second gateway's own appends on another application move its head past the first
    // gateway's event: its projector reads it.
    let other = super::fixtures::accepted(&second).await;
    second
        .projected_within(Duration::from_secs(5))
        .await
        .expect("projected");
    // The projector named the application's subject without waiting for its tip: the log's
    // worker asks for it in the background.
    tokio::time::timeout(Duration::from_secs(5), theirs.tips_settled())
        .await
        .expect("the tip asked for");
    let sent = || received.sent_by(theirs.client_id());
    let before = sent();
    let done = second
        .act(&lead, &app, suspend(), None)
        .await
        .expect("theirs again");
    let asked = sent() - before;
    assert_eq!((done.seq, done.status.as_str()), (6, "suspended"));
    assert_eq!(asked, 1, "{asked} messages to the server for the action");
    let events = ours.read(&app).await.expect("read");
    assert_eq!(events.len(), 6);
    assert_eq!(events[5].prev_hash, events[4].hash);
    assert_eq!(ours.read(&other).await.expect("read").len(), 3);
}

/// A submission acknowledged through one gateway shows in the origin's outbox read through
/// another gateway of the stream, as behind a load balancer: the stream's consumer pushes the
/// other gateway's head on, and the read waits for its projections to reach the head. With the
/// poll at an hour here, only the push moves it (how soon is the bench's figure: `tongban bench
/// --only shape`, the read-across leg).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_through_one_gateway_is_read_through_another() {
    use std::time::{Duration, Instant};

    let dir = TempDir::new("service-pushed");
    let OneStream {
        server: _server,
        gateways: [writer, reader],
        ..
    } = one_stream(&dir, true).await;
    let origin = region(&origin_code());
    for round in 1..=3 {
        let app = writer
            .submit(&origin, request(), None)
            .await
            .expect("submit")
            .id;
        let waited = Instant::now();
        loop {
            let outbox = reader
                .outbox(&origin, &origin_code(), None, 100)
                .await
                .expect("outbox");
            if outbox.iter().any(|line| line.app == app) {
                break;
            }
            assert!(
                waited.elapsed() < Duration::from_secs(5),
                "round {round}: not in the other gateway's outbox"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Given a province that numbers its requests by an applicant's ID number, when it reuses one
/// for another request, then the refusal shows the key masked, as every message shows personal
/// data. (Found by a domain review: the key came back in full.)
#[test]
fn a_reused_key_is_shown_masked() {
    let refused = ServiceError::IdempotencyKeyReused {
        key: "330106198506122344".into(),
        app: "app-1".into(),
    }
    .to_string();
    assert!(!refused.contains("330106198506122344"), "{refused}");
    assert!(refused.contains("330*************44"), "{refused}");
}

/// Given an application whose last event was stamped an hour ahead of this host's clock (by
/// another gateway on the stream, or before this host's clock was stepped back), when it is
/// acted on here, then the new event is stamped no earlier than it: the chain's times never
/// run backwards. (Found by a domain review: a decision was dated before the forward it
/// followed, and its deadline started before it.)
#[tokio::test]
async fn an_event_is_never_stamped_before_the_one_it_follows() {
    use tongban_schemas::events::Approved;

    let dir = TempDir::new("service-clock-behind");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "p1");
    let lead = region(&lead_code());
    let ahead = crate::time::Timestamp(crate::time::Timestamp::now().0 + 3_600_000);
    let app = super::fixtures::accepted_at(&gw, &dir, ahead, "other-gateway").await;

    let approved = gw
        .act(&lead, &app, Command::Approve(Approved::default()), None)
        .await
        .expect("approve");
    assert_eq!(approved.event.at, ahead.to_rfc3339());
}

/// Given an application accepted 60 days ago (its decision limit long run out), when its lead
/// extends the limit and then sends the same extension again from the same seq (a retry after
/// a lost answer), then both answers carry the `deadline-lapsed` warning: the repeat had been
/// told nothing of it, so a handler's system that retried took the extension for granted.
#[tokio::test]
async fn a_repeated_extension_is_told_the_limit_had_run_out_too() {
    use tongban_schemas::events::DeadlineExtended;

    let dir = TempDir::new("service-lapsed-repeat");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "p1");
    let lead = region(&lead_code());
    let app = super::fixtures::accepted_long_ago(&gw, &dir).await;

    let extend = || {
        Command::ExtendDeadline(DeadlineExtended {
            reason: "负责人批准延长".into(),
        })
    };
    let first = gw
        .act(&lead, &app, extend(), Some(3))
        .await
        .expect("extended");
    let again = gw
        .act(&lead, &app, extend(), Some(3))
        .await
        .expect("its repeat");
    assert!(!first.repeated && again.repeated, "{again:?}");
    for answer in [&first, &again] {
        let rules: Vec<&str> = answer.warnings.iter().map(|w| w.rule.as_str()).collect();
        assert_eq!(rules, ["deadline-lapsed"], "repeated: {}", answer.repeated);
    }
    assert_eq!(first.warnings, again.warnings);
}

/// Given a forwarded application, when its origin sends an accept (the lead handler's) naming
/// a stale seq, then it hears that the origin may not accept, not that its view is stale: a
/// stale-seq answer would have it refresh and retry only to be refused. (Found by a domain
/// review.) The lead handler naming a stale seq still hears stale-seq.
#[tokio::test]
async fn a_region_that_may_not_act_hears_so_before_a_stale_seq() {
    use tongban_schemas::events::Accepted;

    let dir = TempDir::new("service-role-before-seq");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let (origin, lead) = (region(&origin_code()), region(&lead_code()));
    let app = super::fixtures::forwarded(gw).await;
    let accept = || Command::Accept(Accepted::default());
    let refused = gw.act(&origin, &app, accept(), Some(9)).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Domain(
                crate::domain::DomainError::WrongRole { .. }
            ))
        ),
        "{refused:?}"
    );
    let stale = gw.act(&lead, &app, accept(), Some(9)).await;
    assert!(
        matches!(stale, Err(ServiceError::StaleSeq { actual: 2, .. })),
        "{stale:?}"
    );
}

/// Given a canonical submission whose applicant has a 15-digit (legacy) ID number, when it is
/// submitted, then it is taken and the answer carries the check's warning at the field, as the
/// local-form route's does; a repeat of it answers with the same (a client whose first answer
/// was lost learns them from the retry). (Found by a domain review: the canonical route dropped
/// every warning; and by a privacy review: the retry dropped them.)
#[tokio::test]
async fn a_canonical_submission_hears_the_checks_warnings() {
    let dir = TempDir::new("service-warnings");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let mut body = super::fixtures::example();
    body["applicant"]["id_number"] = serde_json::json!("440106850612234");
    // Born 1985-06-12, sequence 234: even, a woman.
    body["applicant"]["birth_date"] = serde_json::json!("1985-06-12");
    body["applicant"]["sex"] = serde_json::json!("2");
    let request: SubmitRequest = serde_json::from_value(body).expect("request");
    let origin = region(&origin_code());
    let first = gw
        .submit(&origin, request.clone(), Some("legacy-1"))
        .await
        .expect("taken");
    assert!(first.created);
    assert!(
        first
            .warnings
            .iter()
            .any(|w| w.pointer == "/applicant/id_number" && w.rule.starts_with("gb11643")),
        "{:?}",
        first.warnings
    );
    assert!(
        !serde_json::to_string(&first.warnings)
            .expect("json")
            .contains("440106850612234")
    );
    let again = gw
        .submit(&origin, request, Some("legacy-1"))
        .await
        .expect("repeat");
    assert!(!again.created);
    assert_eq!(again.warnings, first.warnings);
}

/// Given a submission under an Idempotency-Key that is a mobile number, when it is submitted,
/// then it is taken (a province's serial may read alike, and a refusal would have the window
/// send it again under another key) with a `personal-data` warning at the key that does not
/// echo it; its retry is answered with the application and the same warning. (Found by a
/// JetStream walkthrough: the application id, in NATS subjects, is a hash of the key.)
#[tokio::test]
async fn a_key_that_reads_as_personal_data_is_taken_with_a_warning() {
    let dir = TempDir::new("service-personal-key");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let origin = region(&origin_code());
    let first = gw
        .submit(&origin, request(), Some("136-1234-5678"))
        .await
        .expect("taken");
    assert!(first.created);
    let warned: Vec<_> = first
        .warnings
        .iter()
        .filter(|w| w.pointer == "header:Idempotency-Key" && w.rule == "personal-data")
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", first.warnings);
    assert!(!warned[0].message.contains("1234"), "{}", warned[0].message);
    let again = gw
        .submit(&origin, request(), Some("136-1234-5678"))
        .await
        .expect("its retry");
    assert!(!again.created && again.id == first.id);
    assert_eq!(again.warnings, first.warnings);
    // Another request under it is refused without echoing the key's digits.
    let mut other = request();
    other.form["note"] = serde_json::json!("另一份");
    let reused = gw
        .submit(&origin, other, Some("136-1234-5678"))
        .await
        .expect_err("reused");
    assert!(!reused.to_string().contains("1234"), "{reused}");
}

/// Given an online application accepted (seq 3), when its lead completes a part naming a stale
/// seq, then it hears `not-joint` (409 with the state), not `stale-seq`: no state allows it, so a
/// refresh and retry would only be refused. (Found by a review: the retry was told the truth.)
#[tokio::test]
async fn a_part_of_an_application_that_is_not_joint_is_refused_before_a_stale_seq() {
    let dir = TempDir::new("service-not-joint-first");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(gw).await;
    let refused = gw
        .act(
            &lead,
            &app,
            Command::CompletePart(Default::default()),
            Some(1),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Refused {
                error: crate::domain::DomainError::NotJoint { .. },
                seq: 3,
                ..
            })
        ),
        "{refused:?}"
    );
}

/// A rebuild of a test's log, which the test wrote itself: folded as it is.
fn trusted() -> crate::projections::rebuild::Checking {
    crate::projections::rebuild::Checking::Trusted {
        why: "a test's own log".into(),
    }
}

/// A JetStream log on `server` for the tests that change the stream's settings under a running
/// gateway: a short timeout, and a head poll quick to read the new settings.
pub(super) async fn polled_jetstream(
    server: &crate::testnats::NatsServer,
) -> (
    crate::log::JetStreamConfig,
    std::sync::Arc<crate::log::JetStreamLog>,
) {
    let mut config = crate::log::JetStreamConfig::new(server.url());
    config.op_timeout = std::time::Duration::from_secs(1);
    config.head_poll = std::time::Duration::from_millis(50);
    let log = crate::log::JetStreamLog::open(&config)
        .await
        .expect("open JetStream");
    (config, std::sync::Arc::new(log))
}

/// An administrator's connection to `server`'s JetStream, and the log's stream's settings now.
pub(super) async fn stream_settings(
    server: &crate::testnats::NatsServer,
    config: &crate::log::JetStreamConfig,
) -> (
    async_nats::jetstream::Context,
    async_nats::jetstream::stream::Config,
) {
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut stream = js.get_stream(&config.stream).await.expect("stream");
    let settings = stream.info().await.expect("info").config.clone();
    (js, settings)
}

/// Given a JetStream stream whose `max_msg_size` an administrator set below the size of a
/// sealed submission while the gateway runs, when the submission is dry run
/// (`POST /v1/applications/check`), then it is refused as the submission itself is: the event is
/// too large for the event log, naming the stream's limit, answered 413, nothing appended. Given
/// the limit lifted again, then the dry run passes and the submission lands. (The dry run said
/// it could not tell, and passed a form every submission of which the stream refused.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_refuses_a_submission_the_streams_largest_message_refuses() {
    use crate::log::LogError;
    use std::time::{Duration, Instant};

    let server = crate::testnats::NatsServer::start();
    let (config, log) = polled_jetstream(&server).await;
    let dir = TempDir::new("service-dry-run-js");
    let gw = gateway_on(&log, &dir, "p");
    let origin = region(&origin_code());
    gw.dry_run(&origin, request(), None)
        .expect("fits a stream without a limit");

    let (js, kept) = stream_settings(&server, &config).await;
    let mut capped = kept.clone();
    capped.max_message_size = 1000;
    js.update_stream(capped).await.expect("cap the stream");
    let until = |fits: bool| {
        let started = Instant::now();
        let gw = &gw;
        let origin = &origin;
        async move {
            loop {
                let answer = gw.dry_run(origin, request(), None);
                if answer.is_ok() == fits {
                    return answer;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the dry run did not come to {fits}: {answer:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let refused = until(false).await.expect_err("too large");
    assert!(
        matches!(&refused, ServiceError::Log(LogError::TooLarge(reason)) if reason.contains("max_msg_size")),
        "{refused}"
    );
    let problem = crate::http::problem::Problem::from(refused);
    assert_eq!(problem.status, 413, "{}", problem.detail);
    assert!(
        problem.detail.contains("over the stream's max_msg_size"),
        "{}",
        problem.detail
    );
    // The submission itself is refused the same way: what the dry run foretold.
    let submitted = gw
        .submit(&origin, request(), Some("capped"))
        .await
        .expect_err("the stream refuses it");
    assert!(
        matches!(&submitted, ServiceError::Log(LogError::TooLarge(reason)) if reason.contains("max_msg_size")),
        "{submitted}"
    );
    assert_eq!(crate::http::problem::Problem::from(submitted).status, 413);

    js.update_stream(kept).await.expect("lift the cap");
    until(true).await.expect("fits again");
    gw.submit(&origin, request(), Some("lifted"))
        .await
        .expect("submit once the stream takes it");
}

/// An application of [`super::fixtures::MATTER`] submitted and forwarded (received by its lead
/// handler) at `at`, sealed with the gateway's key in `dir` and appended to `log` as `app`: an
/// application at seq 2 whose acceptance window ran from then.
async fn received_at(
    log: &crate::log::EmbeddedLog,
    dir: &TempDir,
    app: &str,
    at: crate::time::Timestamp,
) {
    let index = matters::all()
        .iter()
        .position(|m| m.code == super::fixtures::MATTER)
        .expect("the matter");
    let steps = crate::sample::commands(index).expect("sample");
    let key =
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key");
    let events = crate::sample::sealed(
        app,
        steps
            .into_iter()
            .take(2)
            .map(|(region, cmd)| (region, cmd, at.to_rfc3339())),
        "t0",
        &key,
    )
    .expect("legal");
    for (before, event) in events.into_iter().enumerate() {
        log.append(event, before as u64).await.expect("append");
    }
}

/// Given an application its lead handler received 30 days ago and never answered (its
/// acceptance window of 5 working days long run out, so the law counts it accepted from the
/// receipt, 行政许可法 Art. 32), when the lead reads it and its inbox, then neither offers
/// `not-accept` (read the day after the receipt, both did); when the lead refuses it all the same
/// (不予受理), then the refusal is taken (the decision core does not see the clock) with a
/// `deemed-accepted` warning naming the window's last day, the receipt and Art. 32 and saying a
/// refusal now is `deny`, and the same request sent again from the same seq (a retry after a
/// lost answer) is told the same; a 补正告知 after the window is warned of as too late. An
/// application forwarded just now is refused without a warning. (Found by a province's
/// month-end walkthrough: a deemed-accepted application offered and took 不予受理 silently.)
#[tokio::test]
async fn a_refusal_after_the_acceptance_window_is_told_the_law_accepted_it() {
    use tongban_schemas::events::SupplementRequested;

    let dir = TempDir::new("service-deemed-accepted");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "p1");
    let lead_code = lead_code();
    let lead = region(&lead_code);
    let cal = crate::domain::calendar::Calendar::weekdays();
    let now = crate::time::Timestamp::now();
    let long_ago = crate::time::Timestamp(now.0 - 30 * 86_400_000);
    let next_day = crate::time::Timestamp(long_ago.0 + 86_400_000);
    let last_day = cal.add_working_days(long_ago.china_date(), 5).to_string();
    let (refused, noticed) = (
        "0192f5e0-0000-7000-8000-00000000d001",
        "0192f5e0-0000-7000-8000-00000000d002",
    );
    received_at(&log, &dir, refused, long_ago).await;
    received_at(&log, &dir, noticed, long_ago).await;
    gw.caught_up().await;

    // What the lead is offered: not-accept while the window ran, not after it.
    let view = gw.store.get(refused).expect("read").expect("a view");
    let offered = |when: crate::time::Timestamp| {
        crate::http::applications::ApplicationRead::of(
            &view,
            Some(&lead_code),
            when,
            &cal,
            gw.caps(),
        )
        .allowed
        .expect("a region's read")
    };
    assert_eq!(
        offered(next_day),
        ["accept", "not-accept", "request-supplement"]
    );
    assert_eq!(offered(now), ["accept", "request-supplement"]);
    let line = gw
        .inbox(&lead, &lead_code, None, 100)
        .await
        .expect("inbox")
        .into_iter()
        .find(|l| l.app == refused)
        .expect("the inbox line");
    assert_eq!(
        line.accepted_by_law_after.as_deref(),
        Some(last_day.as_str())
    );
    let box_offers = |when: crate::time::Timestamp| {
        crate::http::regions::BoxLine::of(line.clone(), when, &cal, gw.caps())
            .entry
            .allowed
            .expect("allowed")
    };
    assert_eq!(
        box_offers(next_day),
        ["accept", "not-accept", "request-supplement"]
    );
    assert_eq!(box_offers(now), ["accept", "request-supplement"]);

    // Refused all the same: taken, and warned of, the retry too.
    let not_accept = || {
        Command::NotAccept(NotAccepted {
            reason: "材料不齐".into(),
        })
    };
    let first = gw
        .act(&lead, refused, not_accept(), Some(2))
        .await
        .expect("taken");
    let again = gw
        .act(&lead, refused, not_accept(), Some(2))
        .await
        .expect("its repeat");
    assert!(!first.repeated && again.repeated, "{again:?}");
    assert_eq!(first.status, "not-accepted");
    for answer in [&first, &again] {
        let rules: Vec<&str> = answer.warnings.iter().map(|w| w.rule.as_str()).collect();
        assert_eq!(rules, ["deemed-accepted"], "repeated: {}", answer.repeated);
    }
    assert_eq!(first.warnings, again.warnings);
    let said = &first.warnings[0].message;
    for part in [
        format!("ran out on {last_day}"),
        format!("receipt on {}", long_ago.china_date()),
        "第三十二条".to_string(),
        "`deny`".to_string(),
        lead_code.clone(),
    ] {
        assert!(said.contains(&part), "{part} in {said}");
    }

    // A 补正告知 after the window: taken, and told it came too late.
    let notice = gw
        .act(
            &lead,
            noticed,
            Command::RequestSupplement(SupplementRequested {
                items: vec!["户口簿首页".into()],
                note: None,
            }),
            Some(2),
        )
        .await
        .expect("taken");
    let [warning] = &notice.warnings[..] else {
        panic!("one warning: {:?}", notice.warnings);
    };
    assert_eq!(warning.rule, "deemed-accepted");
    assert!(
        warning.message.contains("补正告知 is recorded")
            && warning.message.contains(&format!("ran out on {last_day}")),
        "{}",
        warning.message
    );

    // Refused in its window: no warning.
    let in_time = super::fixtures::forwarded(&gw).await;
    let taken = gw
        .act(&lead, &in_time, not_accept(), Some(2))
        .await
        .expect("taken");
    assert!(taken.warnings.is_empty(), "{:?}", taken.warnings);
}

/// Given a gateway capping suspensions at 2 and an application suspended twice (seq 4 and 6,
/// the second from seq 5) and resumed (seq 7), when the lead handler sends the second
/// suspension again from seq 5 (its answer was lost), then it is answered with the suspension
/// that landed (seq 6, `repeated`), not refused as past the cap; and when a gateway on the same
/// log capping them at 1 is sent it again, it is still its repeat (a cap decides new actions
/// only), while a new suspension there is refused `suspension-limit` and nothing is appended.
/// (Found by a review: the cap was judged before the request was seen to be behind, and a
/// repeat was decided again under the caps of now.)
#[tokio::test]
async fn a_suspension_retried_at_the_cap_is_answered_as_it_was() {
    let dir = TempDir::new("service-suspension-repeat");
    let opened = crate::server::open_embedded_capped(
        &crate::server::DataDir(dir.path().to_path_buf()),
        Caps { suspensions: 2 },
    )
    .expect("open");
    for (code, name) in crate::demo::REGIONS {
        opened.book.add_region(code, name, None).expect("region");
    }
    let gw = &opened.gateway;
    let lead = region(&lead_code());
    let app = super::fixtures::accepted(gw).await;
    for (command, seq) in [(suspend(), 3), (resume(), 4), (suspend(), 5), (resume(), 6)] {
        gw.act(&lead, &app, command, Some(seq))
            .await
            .expect("taken");
    }

    let again = gw.act(&lead, &app, suspend(), Some(5)).await;

    let again = again.expect("its repeat");
    assert!(again.repeated, "{again:?}");
    assert_eq!(
        (again.seq, again.event.kind.as_str()),
        (6, "application.suspended")
    );
    assert_eq!(again.status, "suspended");
    let checked = gw
        .act_check(&lead, &app, suspend(), Some(5))
        .await
        .expect("its dry run");
    assert!(checked.repeated && checked.seq == 6, "{checked:?}");

    let lower = gateway_capped(&gw.log, &dir, "lower", Caps { suspensions: 1 });
    let again = lower
        .act(&lead, &app, suspend(), Some(5))
        .await
        .expect("still its repeat");
    assert!(again.repeated && again.seq == 6, "{again:?}");
    let first = lower
        .act(&lead, &app, suspend(), Some(3))
        .await
        .expect("the first suspension's repeat");
    assert!(first.repeated && first.seq == 4, "{first:?}");
    let refused = lower.act(&lead, &app, suspend(), Some(7)).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Refused {
                error: crate::domain::DomainError::SuspensionsExhausted { .. },
                seq: 7,
                ..
            })
        ),
        "{refused:?}"
    );
    let events = gw.events(&lead, &app).await.expect("read").events;
    assert_eq!(events.len(), 7, "nothing appended by a repeat");
}
