//! Given / when / then: a submission records the matter version its form was validated against,
//! and a read hands the form out in the latest version's shape, over the real embedded log.

use std::sync::Arc;

use serde_json::{Value, json};
use tongban_schemas::events::Submitted;
use tongban_schemas::matters;
use tongban_schemas::registry::{Compatibility, Registry, SubjectConfig, Upcaster, VersionRef};

use super::{Gateway, ServiceError, SubmitRequest, prepare_submission};
use crate::domain::Event;
use crate::envelope::{Content, Envelope};
use crate::log::{EmbeddedLog, EventLog};
use crate::projections::FormUpcastError;
use crate::testutil::TempDir;

use super::fixtures::{MATTER, example, origin_code as origin, region};

/// A gateway over a fresh embedded log that upcasts forms through `registry`.
fn gateway(dir: &TempDir, registry: &'static Registry) -> Gateway<EmbeddedLog> {
    let opened = super::fixtures::opened(dir);
    let Ok(mut gw) = Arc::try_unwrap(opened.gateway) else {
        panic!("the gateway is not shared yet");
    };
    gw.registry = registry;
    gw
}

async fn submit(gw: &Gateway<EmbeddedLog>) -> String {
    let request: SubmitRequest = serde_json::from_value(example()).expect("request");
    gw.submit(&region(&origin()), request, None)
        .await
        .expect("submit")
        .id
}

/// Pretend the matter's next version (3) renamed `form.insured_region` to `form.insured_division`.
fn rename_insured_region(mut body: Value) -> Result<Value, String> {
    let form = body
        .get_mut("form")
        .and_then(Value::as_object_mut)
        .ok_or("no form")?;
    let region = form.remove("insured_region").ok_or("no insured_region")?;
    form.insert("insured_division".into(), region);
    Ok(body)
}

/// An upcaster that fails, quoting (as it should not) the applicant's ID number.
fn refuse(body: Value) -> Result<Value, String> {
    let id = body["applicant"]["id_number"].as_str().unwrap_or_default();
    Err(format!("cannot read the applicant \"{id}\""))
}

/// The built-in registry plus the matter's next version, 3 (the form of version 2, today's,
/// renamed as above), whose version 2 data is brought up by `upcaster`.
fn registry_with_next(upcaster: Upcaster) -> &'static Registry {
    let subject = matters::subject_of(MATTER);
    let mut registry = Registry::with_builtin();
    // A rename is not backward compatible: the upcaster is what reads version 1.
    registry.set_config(
        &subject,
        SubjectConfig {
            compatibility: Compatibility::None,
            ..SubjectConfig::default()
        },
    );
    let mut next = registry
        .schema(&subject, VersionRef::Latest)
        .cloned()
        .expect("today's document");
    let form = &mut next["$defs"]["SocialSecurityCardForm"];
    let region = form["properties"]
        .as_object_mut()
        .and_then(|p| p.remove("insured_region"))
        .expect("insured_region");
    form["properties"]["insured_division"] = region;
    form["required"] = json!(["insured_division", "application_type", "delivery"]);
    next["examples"] = json!([rename_insured_region(example()).expect("example")]);
    assert_eq!(registry.register(&subject, next), Ok(3));
    registry.register_upcaster(&subject, 2, upcaster);
    Box::leak(Box::new(registry))
}

// ---- recording the version ------------------------------------------------------------------

#[tokio::test]
async fn a_submission_records_the_matter_version_it_was_validated_against() {
    // Given a gateway on the built-in registry
    let dir = TempDir::new("form-version-record");
    let gw = gateway(&dir, Registry::builtin());
    let matter = matters::get(MATTER).expect("matter");
    // When a region submits
    let app = submit(&gw).await;
    // Then the event names the matter version its form was checked against, under the new
    // version of the submission event's schema
    let events = gw.log.read(&app).await.expect("read");
    assert_eq!(events[0].schema, "application.submitted/2");
    assert_eq!(events[0].data["matter_version"], json!(matter.version));
    let view = gw
        .application(&region(&origin()), &app)
        .await
        .expect("read");
    assert_eq!(view.matter_version, matter.version);
}

#[test]
fn a_body_an_adapter_checked_records_the_version_of_the_schema_it_passed() {
    // Given a body checked in full against its matter (as a region's adapter does)
    let matter = matters::get(MATTER).expect("matter");
    let (report, checked) = matter.check_owned(example());
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    // When the gate prepares it
    let (event, _, _) =
        prepare_submission(&origin(), checked.expect("checked"), None).expect("prepared");
    // Then the event records that matter's version
    let Event::Submitted(s) = event else {
        panic!("a submission");
    };
    assert_eq!(s.matter_version, matter.version);
}

// ---- submissions written before the version was recorded -------------------------------------

#[tokio::test]
async fn a_v1_submission_without_the_version_decodes_as_version_1_and_still_verifies() {
    // Given a submission sealed under version 1 of the event, without `matter_version`
    let dir = TempDir::new("form-version-v1");
    let gw = gateway(&dir, Registry::builtin());
    let mut data = example();
    data["request_digest"] = json!("00".repeat(32));
    let content = Content {
        kind: Submitted::TYPE.into(),
        schema: format!("{}/1", Submitted::TYPE),
        region: origin(),
        actor: format!("{}/t0", origin()),
        at: "2026-11-02T01:00:00.000Z".into(),
        data,
    };
    assert_eq!(
        Registry::builtin()
            .validate(Submitted::TYPE, VersionRef::Number(1), &content.data)
            .map(|r| r.is_ok()),
        Ok(true),
        "a valid version 1 payload"
    );
    let app = crate::ids::new_v7();
    let old = Envelope::sealed_after(None, &app, content, &gw.key);
    gw.log.append(old, 0).await.expect("append");
    // When it is read back from the log
    let events = gw.log.read(&app).await.expect("read");
    // Then its envelope verifies as it was written, and it decodes as matter version 1
    assert!(events[0].data.get("matter_version").is_none());
    assert_eq!(events[0].verify_link(None, &gw.key.public()), Ok(()));
    match Event::from_envelope(&events[0]) {
        Ok(Event::Submitted(s)) => assert_eq!(s.matter_version, 1),
        other => panic!("expected a submission, got {other:?}"),
    }
    let view = gw
        .application(&region(&origin()), &app)
        .await
        .expect("view");
    // (read in today's version, which only added the materials' format: the form as it was)
    assert_eq!(
        view.matter_version,
        matters::get(MATTER).expect("matter").version
    );
    assert_eq!(view.form, example()["form"]);
}

// ---- upcasting forms on read ----------------------------------------------------------------

#[tokio::test]
async fn a_form_recorded_at_v2_is_read_in_the_next_versions_shape() {
    // Given a submission recorded under matter version 2 (today's), and a registry where the
    // matter has a version 3 with an upcaster
    let dir = TempDir::new("form-version-upcast");
    let gw = gateway(&dir, registry_with_next(rename_insured_region));
    let app = submit(&gw).await;
    assert_eq!(
        gw.log.read(&app).await.expect("read")[0].data["matter_version"],
        json!(2)
    );
    // When it is read
    let view = gw
        .application(&region(&origin()), &app)
        .await
        .expect("view");
    // Then the form is in version 3's shape, and the view says so
    assert_eq!(view.matter_version, 3);
    assert_eq!(
        view.form["insured_division"],
        example()["form"]["insured_region"]
    );
    assert!(view.form.get("insured_region").is_none());
    assert_eq!(view.applicant, example()["applicant"]);
    let rendered = crate::http::applications::render(&view, None, &gw.calendar, gw.caps());
    assert_eq!(rendered["matter_version"], json!(3));
    // And the log still holds what was submitted
    let events = gw.log.read(&app).await.expect("read");
    assert_eq!(events[0].data["form"], example()["form"]);
}

#[tokio::test]
async fn a_form_that_does_not_upcast_is_a_typed_error_without_personal_data() {
    // Given a submission recorded under matter version 2, and a version 3 whose upcaster fails
    let dir = TempDir::new("form-version-fail");
    let gw = gateway(&dir, registry_with_next(refuse));
    let app = submit(&gw).await;
    // When it is read
    let err = gw
        .application(&region(&origin()), &app)
        .await
        .expect_err("does not upcast");
    // Then the error names the application, the matter and the versions
    let ServiceError::FormUpcast(FormUpcastError {
        app: failed,
        matter,
        from,
        to,
        ..
    }) = &err
    else {
        panic!("expected FormUpcast, got {err:?}");
    };
    assert_eq!(
        (failed.as_str(), matter.as_str(), *from, *to),
        (app.as_str(), MATTER, 2, 3)
    );
    // …and neither it nor the problem document repeats the applicant's personal data
    let problem = crate::http::problem::Problem::from(err);
    assert_eq!(problem.status, 500);
    let applicant = &example()["applicant"];
    let shown = format!(
        "{} {}",
        problem.detail,
        serde_json::to_string(&problem).expect("json")
    );
    for field in ["id_number", "name", "phone"] {
        let value = applicant[field].as_str().expect("personal value");
        assert!(!shown.contains(value), "{field} leaked: {shown}");
    }
    assert!(shown.contains(&app) && shown.contains("matter.social-security-card/2"));
}

#[tokio::test]
async fn a_view_stored_before_the_version_was_recorded_reads_as_version_1() {
    // Given a view as an earlier build stored it, without `matter_version`
    let dir = TempDir::new("form-version-stored");
    let gw = gateway(&dir, Registry::builtin());
    let app = submit(&gw).await;
    let view = gw
        .application(&region(&origin()), &app)
        .await
        .expect("view");
    let mut stored = serde_json::to_value(&view).expect("json");
    stored
        .as_object_mut()
        .expect("object")
        .remove("matter_version");
    // When it is read back
    let read: crate::projections::ApplicationView = serde_json::from_value(stored).expect("reads");
    // Then its form counts as matter version 1
    assert_eq!(read.matter_version, 1);
}
