//! An action's dry run (`Gateway::act_check`): decided as the action would be, answered with
//! what it would do, and leaving the log, the evidence and the gateway's memory as they were.

use tongban_schemas::events::{Accepted, DeadlineExtended};

use super::ServiceError;
use super::fixtures::{lead_code, origin_code, region};
use crate::domain::{Command, DomainError};
use crate::log::EventLog;
use crate::testutil::TempDir;

fn accept(reference: Option<&str>) -> Command {
    Command::Accept(Accepted {
        reference: reference.map(str::to_string),
    })
}

/// A gateway on `log` with the key in `dir` and its own projections in `dir/<projections>`,
/// whose projector waits a minute before each read: in a test it folds nothing, so an action
/// has no view to start from, and no event another gateway appends is folded onto a state it
/// remembers. What an action's load decides on is then what it read from the log itself, and
/// what it keeps of that is all this gateway remembers.
fn lagging(
    log: &std::sync::Arc<crate::log::EmbeddedLog>,
    dir: &TempDir,
    projections: &str,
) -> super::Gateway<crate::log::EmbeddedLog> {
    super::Gateway::start_with_projector_delay(
        std::sync::Arc::clone(log),
        crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key")).expect("key"),
        crate::projections::ProjectionStore::open(&dir.path().join(projections))
            .expect("projections"),
        crate::domain::calendar::Calendar::weekdays(),
        std::time::Duration::from_secs(60),
    )
}

/// The seq of the state `gw` remembers of `app`, if any.
fn remembered<L: EventLog>(gw: &super::Gateway<L>, app: &str) -> Option<u64> {
    gw.states.latest(app).map(|r| r.seq)
}

/// Given a forwarded application (seq 2) that this gateway remembers nothing of and its
/// projections have not folded (an action loads it by folding its whole history, and
/// remembers what it folded), when its lead handler checks an accept naming seq 2, then the
/// check answers the status and seq the accept would give (accepted, 3), its event type, not a
/// repeat and no warnings; the log still ends at seq 2, and the gateway still remembers no
/// state of the application. An accept from a stale seq 1, loading the application the same
/// way, is refused and leaves its state remembered (seq 2); the lead's accept from seq 2 then
/// answers what the check said.
#[tokio::test]
async fn a_check_answers_what_the_action_would_do_and_changes_nothing() {
    let dir = TempDir::new("service-act-check");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = &lagging(&log, &dir, "projections");
    let lead = region(&lead_code());
    let app = super::fixtures::forwarded(gw).await;
    gw.states.forget();
    assert!(gw.store.get(&app).expect("view").is_none(), "projected");

    let checked = gw
        .act_check(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("the accept would pass");

    assert_eq!(
        (checked.status.as_str(), checked.seq, checked.kind.as_str()),
        ("accepted", 3, "application.accepted")
    );
    assert!(
        !checked.repeated && checked.warnings.is_empty(),
        "{checked:?}"
    );
    assert_eq!(gw.log.read(&app).await.expect("read").len(), 2);
    assert_eq!(remembered(gw, &app), None, "the check remembered a state");
    // The action's load on the same memory and log remembers what it folded, refused or not.
    let stale = gw
        .act(&lead, &app, accept(Some("受理-0001")), Some(1))
        .await;
    assert!(
        matches!(stale, Err(ServiceError::StaleSeq { actual: 2, .. })),
        "{stale:?}"
    );
    assert_eq!(
        remembered(gw, &app),
        Some(2),
        "the action remembered nothing"
    );
    let acted = gw
        .act(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("accepted");
    assert_eq!(
        (acted.status.as_str(), acted.seq, acted.event.kind.as_str()),
        (checked.status.as_str(), checked.seq, checked.kind.as_str())
    );
}

/// Given an application forwarded through one gateway (which remembers its state at seq 2) and
/// accepted by its lead through another on the same log (seq 3), neither gateway's projections
/// folding it, when the lead checks an extension of the limit through the first gateway (whose
/// load brings the state it remembers up to date with the accept, as an action's does), then
/// the check answers the extension (seq 4, not a repeat) and the first gateway still remembers
/// the state at seq 2. An extension from the stale seq 2 through it, loading the application
/// the same way, is refused and leaves it remembering seq 3.
#[tokio::test]
async fn a_check_leaves_a_state_it_brought_up_to_date_as_it_was() {
    let dir = TempDir::new("service-act-check-catch-up");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let (first, second) = (
        &lagging(&log, &dir, "projections-1"),
        &lagging(&log, &dir, "projections-2"),
    );
    let lead = region(&lead_code());
    let extend = || {
        Command::ExtendDeadline(DeadlineExtended {
            reason: "负责人批准延长".into(),
        })
    };
    let app = super::fixtures::forwarded(first).await;
    second
        .act(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("accepted");
    assert_eq!(remembered(first, &app), Some(2));
    assert!(first.store.get(&app).expect("view").is_none(), "projected");

    let checked = first
        .act_check(&lead, &app, extend(), Some(3))
        .await
        .expect("the extension would pass");

    assert_eq!((checked.seq, checked.repeated), (4, false), "{checked:?}");
    assert_eq!(
        remembered(first, &app),
        Some(2),
        "the check remembered a state"
    );
    // The action's load on the same memory and log remembers the state it brought up to date.
    let stale = first.act(&lead, &app, extend(), Some(2)).await;
    assert!(
        matches!(stale, Err(ServiceError::StaleSeq { actual: 3, .. })),
        "{stale:?}"
    );
    assert_eq!(
        remembered(first, &app),
        Some(3),
        "the action remembered nothing"
    );
    assert_eq!(first.log.read(&app).await.expect("read").len(), 3);
}

/// Given a forwarded application, when checks are sent that the action would refuse — a stale
/// `expected_seq`, the origin taking the lead's accept, a region that is no party, an id that
/// names nothing, an operator — then each is refused as the action is (the same error), and
/// nothing is appended.
#[tokio::test]
async fn a_check_is_refused_as_the_action_is() {
    let dir = TempDir::new("service-act-check-refused");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let (origin, lead) = (region(&origin_code()), region(&lead_code()));
    let stranger = crate::demo::REGIONS
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code != origin_code() && *code != lead_code())
        .map(region)
        .expect("a region that is no party");
    let app = super::fixtures::forwarded(gw).await;
    let missing = crate::ids::new_v7();

    let stale = gw.act_check(&lead, &app, accept(None), Some(1)).await;
    assert!(
        matches!(
            stale,
            Err(ServiceError::StaleSeq {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    let wrong_role = gw.act_check(&origin, &app, accept(None), Some(2)).await;
    assert!(
        matches!(
            wrong_role,
            Err(ServiceError::Domain(DomainError::WrongRole { .. }))
        ),
        "{wrong_role:?}"
    );
    let no_party = gw.act_check(&stranger, &app, accept(None), None).await;
    assert!(
        matches!(
            no_party,
            Err(ServiceError::Domain(DomainError::NotAParty { .. }))
        ),
        "{no_party:?}"
    );
    let not_found = gw.act_check(&lead, &missing, accept(None), None).await;
    assert!(
        matches!(not_found, Err(ServiceError::NotFound(_))),
        "{not_found:?}"
    );
    let operator = gw
        .act_check(
            &crate::auth::Principal::Operator {
                token_id: "o".into(),
            },
            &app,
            accept(None),
            None,
        )
        .await;
    assert!(
        matches!(operator, Err(ServiceError::Forbidden(_))),
        "{operator:?}"
    );
    // The same refusals as the action's, word for word.
    let acted = gw.act(&lead, &app, accept(None), Some(1)).await;
    assert_eq!(format!("{acted:?}"), format!("{stale:?}"));
    assert_eq!(gw.log.read(&app).await.expect("read").len(), 2);
}

/// Given an application its lead accepted from seq 2, when the lead checks that very accept
/// again from seq 2 (a retry whose first answer was lost), then the check answers as the action
/// would: `repeated`, the seq and status the first sending gave; another accept from seq 2 is
/// stale. An accept checked on the accepted application without a seq is the lifecycle's
/// refusal, with its state.
#[tokio::test]
async fn a_check_of_the_action_that_already_landed_is_its_repeat() {
    let dir = TempDir::new("service-act-check-repeat");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let lead = region(&lead_code());
    let app = super::fixtures::forwarded(gw).await;
    gw.act(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("accepted");

    let again = gw
        .act_check(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("its repeat");
    assert!(again.repeated, "{again:?}");
    assert_eq!((again.status.as_str(), again.seq), ("accepted", 3));
    let other = gw
        .act_check(&lead, &app, accept(Some("受理-0002")), Some(2))
        .await;
    assert!(
        matches!(other, Err(ServiceError::StaleSeq { actual: 3, .. })),
        "{other:?}"
    );
    let refused = gw.act_check(&lead, &app, accept(None), None).await;
    assert!(
        matches!(refused, Err(ServiceError::Refused { seq: 3, .. })),
        "{refused:?}"
    );
    assert_eq!(gw.log.read(&app).await.expect("read").len(), 3);
}

/// Given a forwarded application, when its lead checks an accept whose 受理编号 is the
/// applicant's ID number, then the check warns of it (`personal-data` at `/reference`), as the
/// action would, and nothing is stored: the log holds the two events it held.
#[tokio::test]
async fn a_check_warns_of_the_applicants_number_before_it_is_stored() {
    let dir = TempDir::new("service-act-check-personal");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let lead = region(&lead_code());
    let app = super::fixtures::forwarded(gw).await;
    let example = super::fixtures::example();
    let id_number = example["applicant"]["id_number"]
        .as_str()
        .expect("an ID number");

    let checked = gw
        .act_check(&lead, &app, accept(Some(id_number)), Some(2))
        .await
        .expect("warned, not refused");

    let warned: Vec<(&str, &str)> = checked
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.rule.as_str()))
        .collect();
    assert_eq!(warned, [("/reference", "personal-data")], "{checked:?}");
    assert!(!checked.warnings[0].message.contains(id_number));
    assert_eq!(gw.log.read(&app).await.expect("read").len(), 2);
}

/// Given an application accepted 60 days ago (its decision limit long run out), when its lead
/// checks an extension of the limit, then the check carries the `deadline-lapsed` warning the
/// extension would, and the log is as it was.
#[tokio::test]
async fn a_check_of_a_late_extension_is_told_the_limit_ran_out() {
    let dir = TempDir::new("service-act-check-lapsed");
    let log =
        std::sync::Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = super::fixtures::gateway_on(&log, &dir, "p1");
    let lead = region(&lead_code());
    let app = super::fixtures::accepted_long_ago(&gw, &dir).await;
    let extend = Command::ExtendDeadline(DeadlineExtended {
        reason: "负责人批准延长".into(),
    });

    let checked = gw
        .act_check(&lead, &app, extend, Some(3))
        .await
        .expect("warned, not refused");

    let rules: Vec<&str> = checked.warnings.iter().map(|w| w.rule.as_str()).collect();
    assert_eq!(rules, ["deadline-lapsed"], "{checked:?}");
    assert_eq!((checked.status.as_str(), checked.seq), ("accepted", 4));
    assert_eq!(log.read(&app).await.expect("read").len(), 3);
}

/// Given a JetStream stream whose `max_msg_size` an administrator set below the size of a
/// sealed accept while the gateway runs, when the accept is checked, then the check is refused
/// as the accept itself is (the event too large for the log, 413), and nothing is appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_refuses_an_event_the_streams_largest_message_refuses() {
    use crate::log::LogError;
    use std::time::{Duration, Instant};

    let server = crate::testnats::NatsServer::start();
    let (config, log) = super::tests::polled_jetstream(&server).await;
    let dir = TempDir::new("service-act-check-js");
    let gw = super::fixtures::gateway_on(&log, &dir, "p");
    let lead = region(&lead_code());
    let app = super::fixtures::forwarded(&gw).await;
    // A 受理编号 long enough that the accept is larger than the submission's forward.
    let long = "受理".repeat(40);
    gw.act_check(&lead, &app, accept(Some(&long)), Some(2))
        .await
        .expect("fits a stream without a limit");

    let (js, kept) = super::tests::stream_settings(&server, &config).await;
    let mut capped = kept;
    capped.max_message_size = 600;
    js.update_stream(capped).await.expect("cap the stream");
    let started = Instant::now();
    let refused = loop {
        match gw
            .act_check(&lead, &app, accept(Some(&long)), Some(2))
            .await
        {
            Err(refused) => break refused,
            Ok(_) => {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the check never saw the stream's limit"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    assert!(
        matches!(&refused, ServiceError::Log(LogError::TooLarge(reason)) if reason.contains("max_msg_size")),
        "{refused}"
    );
    assert_eq!(crate::http::problem::Problem::from(refused).status, 413);
    let acted = gw.act(&lead, &app, accept(Some(&long)), Some(2)).await;
    assert!(
        matches!(&acted, Err(ServiceError::Log(LogError::TooLarge(_)))),
        "{acted:?}"
    );
    assert_eq!(log.read(&app).await.expect("read").len(), 2);
}
