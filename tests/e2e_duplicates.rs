//! End to end, against the real binary over real sockets: a submission for an applicant and
//! matter that already have an open application the submitting region is a party to is taken
//! and warned of (`possible-duplicate`, naming the earlier application), on the canonical route,
//! its dry run, the local-form route and its translation (there at the province's own field);
//! never about the caller's own application (a retry), nor to a region party to none of them,
//! nor once the earlier one is closed; and the applicant index a `tongban rebuild` makes warns
//! as the live one did.

mod common;

use common::{Client, Gateway, TempDir, register_regions, success};
use serde_json::{Value, json};

/// A golden file of `region`'s adapters (`adapters/regions/<region>/golden/<file>`).
fn golden(region: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/adapters/regions/{region}/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("golden file")
}

/// The canonical body 上海 submits for 顾雪's social security card (to 广东).
fn body() -> Value {
    serde_json::from_slice(&golden("310000", "social-security-card.canonical.json")).expect("json")
}

/// 上海's own form of the same application (GBK XML).
fn local_form() -> Vec<u8> {
    golden("310000", "social-security-card.local.xml")
}

/// The `possible-duplicate` warnings of an answer.
fn duplicates(answer: &Value) -> Vec<Value> {
    answer["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["rule"] == json!("possible-duplicate"))
        .cloned()
        .collect()
}

/// The one `possible-duplicate` warning of `answer` that names `app`.
fn naming(answer: &Value, app: &str) -> Value {
    let named: Vec<Value> = duplicates(answer)
        .into_iter()
        .filter(|w| w["message"].as_str().unwrap_or_default().contains(app))
        .collect();
    assert_eq!(named.len(), 1, "one warning naming {app}: {answer}");
    named[0].clone()
}

/// Submits `body` through `c` under `key`: its answer, once the projections hold the new
/// application (its read after the answer's position), so that the next submission's check
/// sees it.
fn submit(c: &Client, key: &str, body: &Value) -> (u16, Value) {
    let r = c.post_with("/v1/applications", &[("Idempotency-Key", key)], body);
    let answer = success(&r);
    let position = r.header("x-tongban-position").expect("position");
    let id = answer["id"].as_str().expect("id");
    let read = c.send(
        "GET",
        &format!("/v1/applications/{id}"),
        &[("X-Tongban-Read-After", position)],
        None,
    );
    success(&read.expect("read"));
    (r.status, answer)
}

/// Every key and value of the applicant index in the projections of `data` (digests and ids,
/// no personal data), read with no gateway running on them.
fn applicant_index(
    data: &std::path::Path,
) -> Vec<tongban_gateway::projections::applicants::RawEntry> {
    tongban_gateway::projections::ProjectionStore::open(&data.join("projections"))
        .expect("projections")
        .applicant_entries()
        .expect("applicant index")
}

/// Fails unless `message` says every one of `said`, naming those it misses.
fn says_all(message: &str, said: &[&str]) {
    let missing: Vec<&&str> = said.iter().filter(|s| !message.contains(**s)).collect();
    assert!(missing.is_empty(), "{missing:?} not in: {message}");
}

/// Given 上海's form (GBK XML, the applicant's number at `SQRXX/ZJHM`) and 浙江's (JSON, at
/// `申请人/身份证号`), each submitted once through its local-form route, when the same form is
/// translated and submitted again under another key, then the `possible-duplicate` warning names
/// the province's own field (its pointer, field name and label, the canonical path beside
/// them), as every other warning and error of those routes does, and no value; while the same
/// application checked on the canonical route is warned at the canonical path.
#[test]
fn on_the_local_form_routes_the_warning_names_the_provinces_own_field() {
    let dir = TempDir::new("duplicates-local-fields");
    let data = dir.0.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let tokens = register_regions(&data);
    let gw = Gateway::start(&data, false);
    let forms = [
        (
            "310000",
            "social-security-card",
            "social-security-card.local.xml",
            "application/xml; charset=GBK",
            ["/SQRXX/ZJHM", "ZJHM", "证件号码"],
        ),
        (
            "330000",
            "pension-transfer",
            "pension-transfer.local.json",
            "application/json",
            ["/申请人/身份证号", "身份证号", "公民身份号码"],
        ),
    ];
    for (region, matter, file, content_type, [pointer, field, label]) in forms {
        let c = gw.client(Some(&tokens[region]));
        let form = golden(region, file);
        let sent = |route: &str, key: &str| {
            let r = c
                .send(
                    "POST",
                    &format!("/v1/regions/{region}/{route}/{matter}"),
                    &[("Content-Type", content_type), ("Idempotency-Key", key)],
                    Some(&form),
                )
                .expect(route);
            success(&r)
        };
        let first = sent("forms", &format!("{region}-dup-1"));
        let first_id = first["id"].as_str().expect("id").to_string();
        assert_eq!(duplicates(&first), Vec::<Value>::new(), "{first}");
        // Taken in by the projections before the next form, as a read after it waits for.
        success(&c.get(&format!("/v1/applications/{first_id}")));

        let at_own_field = |answer: &Value, taken: &str| {
            let w = naming(answer, &first_id);
            assert_eq!(
                [&w["pointer"], &w["field"], &w["label"], &w["canonical"]],
                [
                    &json!(pointer),
                    &json!(field),
                    &json!(label),
                    &json!("/applicant/id_number")
                ],
                "{region}: {w}"
            );
            assert_eq!(w.get("value"), None, "{region}: {w}");
            says_all(
                w["message"].as_str().expect("message"),
                &["该申请人已有在办的同一事项", taken],
            );
        };
        at_own_field(
            &sent("translate", &format!("{region}-dup-2")),
            "would still be taken",
        );
        at_own_field(
            &sent("forms", &format!("{region}-dup-2")),
            "was still taken",
        );

        // The canonical route names the canonical path.
        let canonical: Value = serde_json::from_slice(&golden(
            region,
            &file
                .replace(".local.xml", ".canonical.json")
                .replace(".local.json", ".canonical.json"),
        ))
        .expect("canonical body");
        let r = c.post_with(
            "/v1/applications/check",
            &[("Idempotency-Key", &format!("{region}-dup-3"))],
            &canonical,
        );
        let w = naming(&success(&r), &first_id);
        assert_eq!(w["pointer"], json!("/applicant/id_number"), "{region}: {w}");
        assert_eq!(w.get("field"), None, "{region}: {w}");
    }
}

/// On the embedded log: [`warned`].
#[test]
fn a_second_open_application_of_an_applicant_is_taken_and_warned_of() {
    let dir = TempDir::new("duplicates");
    warned(&dir.0.join("data"), &[]);
}

/// Given an applicant with five open applications of one matter (a province's test applicant,
/// or one form sent again and again), when a sixth is submitted, then it names three of them,
/// not all: every submission had read and named every earlier one, its cost growing with each.
#[test]
fn at_most_three_earlier_applications_are_named() {
    let dir = TempDir::new("duplicates-bounded");
    let data = dir.0.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let tokens = register_regions(&data);
    let gw = Gateway::start(&data, false);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let mut earlier = Vec::new();
    for i in 0..5 {
        let (status, answer) = submit(&shanghai, &format!("sh-many-{i}"), &body());
        assert_eq!(status, 201, "{answer}");
        assert_eq!(duplicates(&answer).len(), i.min(3), "{answer}");
        let app = answer["id"].as_str().expect("id").to_string();
        success(&shanghai.get(&format!("/v1/applications/{app}")));
        earlier.push(app);
    }
    let (status, sixth) = submit(&shanghai, "sh-many-5", &body());
    assert_eq!(status, 201, "{sixth}");
    let named = duplicates(&sixth);
    assert_eq!(named.len(), 3, "{sixth}");
    for w in &named {
        let message = w["message"].as_str().expect("message");
        assert!(
            earlier.iter().any(|app| message.contains(app.as_str())),
            "{message}"
        );
    }
}

/// On a JetStream stream, where the views hold the applicant and the translation's dry run
/// measures the sealed event against the stream's largest message: [`warned`].
#[test]
fn a_second_open_application_on_a_stream_is_taken_and_warned_of() {
    let dir = TempDir::new("duplicates-nats");
    let nats = common::nats::NatsServer::start();
    warned(&dir.0.join("data"), &["--nats", &nats.url()]);
}

/// Given 上海's application for 顾雪's social security card, on a gateway started on `data` with
/// `log` (its `--nats` URL, or nothing for the embedded log), when the same form is entered
/// again under another key (canonical, dry run, local form and its translation), then each is
/// taken and warned of the open applications, never of its own, while 浙江 is told nothing, a
/// new one after the withdrawals is told nothing, and a rebuilt index warns as the live one did.
fn warned(data: &std::path::Path, log: &[&str]) {
    std::fs::create_dir_all(data).expect("data");
    let tokens = register_regions(data);
    let mut gw = Gateway::start_with(data, false, log);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let zhejiang = gw.client(Some(&tokens["330000"]));
    let id_number = body()["applicant"]["id_number"]
        .as_str()
        .expect("id number")
        .to_string();

    // Given 上海's first application for 顾雪, which nothing was open before: no warning, and
    // none on its retry (the same key names the same application, which is no duplicate of
    // itself).
    let (status, first) = submit(&shanghai, "sh-dup-1", &body());
    assert_eq!(status, 201);
    assert_eq!(duplicates(&first), Vec::<Value>::new(), "{first}");
    let first_id = first["id"].as_str().expect("id").to_string();
    // The warning reads the projections as they stand, without waiting for them (a submission
    // is not slowed for it): a read, which waits for every acknowledged write, lets them take
    // each application in before the next form, as the seconds between a clerk's two forms do.
    let projected = |app: &str| success(&shanghai.get(&format!("/v1/applications/{app}")));
    projected(&first_id);
    let (status, retry) = submit(&shanghai, "sh-dup-1", &body());
    assert_eq!(
        (status, retry["id"].as_str()),
        (200, Some(first_id.as_str()))
    );
    assert_eq!(duplicates(&retry), Vec::<Value>::new(), "{retry}");

    // When the same form is entered again under another key, then it is taken all the same
    // (201, a new application) and warned of at the applicant's number, naming the first
    // application, its status and its handler, and saying it was taken; the number itself is
    // in no warning.
    let (status, second) = submit(&shanghai, "sh-dup-2", &body());
    assert_eq!(status, 201);
    let second_id = second["id"].as_str().expect("id").to_string();
    projected(&second_id);
    assert_ne!(second_id, first_id);
    let w = naming(&second, &first_id);
    assert_eq!(w["pointer"], json!("/applicant/id_number"));
    says_all(
        w["message"].as_str().expect("message"),
        &[
            "status submitted",
            "handled by 440000",
            "was still taken",
            "该申请人已有在办的同一事项",
        ],
    );
    assert!(!second.to_string().contains(&id_number[..17]), "{second}");
    // Its retry is told of the first again (the same request, the same answer), never of
    // itself.
    let (_, second_again) = submit(&shanghai, "sh-dup-2", &body());
    naming(&second_again, &first_id);
    assert_eq!(duplicates(&second_again).len(), 1, "{second_again}");

    // The dry run says the same of both open applications, as would-be-taken.
    let r = shanghai.post_with(
        "/v1/applications/check",
        &[("Idempotency-Key", "sh-dup-3")],
        &body(),
    );
    let check = success(&r);
    for app in [&first_id, &second_id] {
        let w = naming(&check, app);
        says_all(
            w["message"].as_str().expect("message"),
            &["would still be taken"],
        );
    }
    // Under the first one's key, the dry run leaves that application out, as its retry does.
    let r = shanghai.post_with(
        "/v1/applications/check",
        &[("Idempotency-Key", "sh-dup-1")],
        &body(),
    );
    let own = success(&r);
    naming(&own, &second_id);
    assert_eq!(duplicates(&own).len(), 1, "{own}");

    // 上海's own form of the same application, translated and submitted: the same warning, at
    // 上海's own field for the applicant's number, beside the form's own warnings.
    let xml = ("Content-Type", "application/xml; charset=GBK");
    let form = local_form();
    let translated = shanghai
        .send(
            "POST",
            "/v1/regions/310000/translate/social-security-card",
            &[xml],
            Some(&form),
        )
        .expect("translate");
    let translated = success(&translated);
    let w = naming(&translated, &first_id);
    assert_eq!(w["pointer"], json!("/SQRXX/ZJHM"), "{w}");
    says_all(
        w["message"].as_str().expect("message"),
        &["would still be taken"],
    );
    let r = shanghai
        .send(
            "POST",
            "/v1/regions/310000/forms/social-security-card",
            &[xml, ("Idempotency-Key", "sh-dup-form")],
            Some(&form),
        )
        .expect("form");
    let by_form = success(&r);
    assert_eq!(r.status, 201);
    let w = naming(&by_form, &second_id);
    assert_eq!(w["pointer"], json!("/SQRXX/ZJHM"), "{w}");
    says_all(
        w["message"].as_str().expect("message"),
        &["was still taken"],
    );
    let form_id = by_form["id"].as_str().expect("id").to_string();

    // A region party to none of them (浙江 applying to 广东 for the same person) is told
    // nothing of them.
    let mut elsewhere = body();
    elsewhere["origin"] = json!("330000");
    let elsewhere = common::relocated(elsewhere);
    let r = zhejiang.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "zj-dup-1")],
        &elsewhere,
    );
    let answer = success(&r);
    assert_eq!(duplicates(&answer), Vec::<Value>::new(), "{answer}");

    // Once 上海's applications are withdrawn, a new one is warned of none of them (nor of
    // 浙江's, which 上海 is no party to).
    for app in [&first_id, &second_id, &form_id] {
        success(&shanghai.post(&format!("/v1/applications/{app}/withdraw"), &json!({})));
    }
    // Taken in by the projections before the next form (on a stream a submission at once after
    // the last withdrawal was warned of it).
    for app in [&first_id, &second_id, &form_id] {
        assert_eq!(projected(app)["status"], json!("withdrawn"));
    }
    let (status, fresh) = submit(&shanghai, "sh-dup-4", &body());
    assert_eq!(status, 201);
    assert_eq!(duplicates(&fresh), Vec::<Value>::new(), "{fresh}");
    let fresh_id = fresh["id"].as_str().expect("id").to_string();

    // No line the gateway logged holds the number.
    let logged = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert!(
        !logged.contains(&id_number[..17]),
        "the ID number in the log"
    );

    // Then the projections are rebuilt from the log: the rebuilt index is the live one, byte
    // for byte (a withdrawal that left an entry of any party behind live differs from the
    // rebuild, which never indexes an application submitted and withdrawn in one run), and
    // names the open application, and none of those withdrawn.
    assert!(gw.terminate().success());
    let live = applicant_index(data);
    // The two open applications (上海's and 浙江's, each to 广东): a list per party region (广东's
    // naming both) and where each one's base is.
    assert_eq!(live.len(), 3 + 2, "{live:?}");
    let rebuild: Vec<&str> = std::iter::once("rebuild")
        .chain(log.iter().copied())
        .collect();
    let (code, _, stderr) = common::tongban(&rebuild, data);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(applicant_index(data), live);
    let gw = Gateway::start_with(data, false, log);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let (status, after) = submit(&shanghai, "sh-dup-5", &body());
    assert_eq!(status, 201);
    naming(&after, &fresh_id);
    assert_eq!(duplicates(&after).len(), 1, "{after}");
}
