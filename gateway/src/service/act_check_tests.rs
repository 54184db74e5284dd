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

/// Given a forwarded application (seq 2) that this gateway remembers nothing of, when its lead
/// handler checks an accept naming seq 2, then the check answers the status and seq the accept
/// would give (accepted, 3), its event type, not a repeat and no warnings; the log still ends
/// at seq 2, and the gateway remembers no state of the application. When the lead then accepts,
/// the action answers what the check said.
#[tokio::test]
async fn a_check_answers_what_the_action_would_do_and_changes_nothing() {
    let dir = TempDir::new("service-act-check");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let lead = region(&lead_code());
    let app = super::fixtures::forwarded(gw).await;
    gw.states.forget();

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
    assert!(gw.states.latest(&app).is_none(), "a state was remembered");
    let acted = gw
        .act(&lead, &app, accept(Some("受理-0001")), Some(2))
        .await
        .expect("accepted");
    assert_eq!(
        (acted.status.as_str(), acted.seq, acted.event.kind.as_str()),
        (checked.status.as_str(), checked.seq, checked.kind.as_str())
    );
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
