//! End to end, against the real binary: regions submit their own local forms through their
//! adapters (JSON and GBK XML), dry-run translations, read applications back in their own
//! dialect, and get every problem of a broken form at once in their own field names — with no
//! personal data in the gateway's log.

mod common;

use common::{Gateway, TempDir, matter_example, tokens};
use serde_json::{Value, json};

fn golden(region: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/adapters/regions/{region}/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("golden file")
}

#[test]
fn local_forms_in_and_out_over_http() {
    let dir = TempDir::new("forms");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let as_region = |code: &str| gw.client(Some(&tokens[code]));
    let shanghai = as_region("310000");
    let xml = [("Content-Type", "application/xml; charset=GBK")];

    // Dry run: the GBK XML form of 上海 becomes exactly the canonical golden body.
    let form = golden("310000", "social-security-card.local.xml");
    let r = shanghai
        .send(
            "POST",
            "/v1/regions/310000/translate/social-security-card",
            &xml,
            Some(&form),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let want: Value =
        serde_json::from_slice(&golden("310000", "social-security-card.canonical.json")).unwrap();
    assert_eq!(r.json()["canonical"], want);

    // Submit it: 201, then the normal lifecycle applies (the lead handler 440000 sees it).
    let r = shanghai
        .send(
            "POST",
            "/v1/regions/310000/forms/social-security-card",
            &[xml[0], ("Idempotency-Key", "sh-ssc-1")],
            Some(&form),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_string();
    // Its log position, which a read through any gateway may name to be sure to see it.
    let position = r
        .header("x-tongban-position")
        .expect("position")
        .to_string();
    assert!(position.parse::<u64>().is_ok_and(|p| p > 0), "{position}");
    let canonical = as_region("440000")
        .send(
            "GET",
            &format!("/v1/applications/{id}"),
            &[("X-Tongban-Read-After", &position)],
            None,
        )
        .unwrap()
        .json();
    assert_eq!(canonical["applicant"], want["applicant"]);
    assert_eq!(canonical["status"], "submitted");

    // Read back in each party's own dialect: 上海 gets its GBK XML byte for byte, 广东 camelCase.
    let r = shanghai.get(&format!("/v1/applications/{id}?view=local"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=GBK")
    );
    assert_eq!(r.header("x-tongban-status"), Some("submitted"));
    assert_eq!(r.body, form, "the local view equals the form sent");
    assert_eq!(r.header("x-tongban-unmapped"), None, "nothing left out");
    let r = as_region("440000").get(&format!("/v1/applications/{id}?view=local"));
    assert_eq!(r.status, 200);
    let gd = r.json();
    assert_eq!(gd["SXBM"], "11440000MB2C9237XG4440120002000");
    assert_eq!(gd["sourceRegion"], "310000");
    assert_eq!(gd["applicant"]["name"], "顾雪");
    assert_eq!(gd["formData"]["applyType"], "1");
    // 广东's form has no place for a material's format: the view says so, by path only.
    assert_eq!(r.header("x-tongban-unmapped"), Some("/materials/*/format"));

    // A company's application read in a form that holds only persons (广东's business
    // registration fixes the applicant's kind): 422 naming the member and the value the form
    // takes, not the company written as a person with only the unmapped header to hint at it.
    let mut company: Value =
        serde_json::from_slice(&golden("440000", "business-registration.canonical.json")).unwrap();
    company["applicant"] = json!({
        "kind": "organisation",
        "name": "广州示例控股有限公司",
        "credit_code": "91110000600037341L"
    });
    let r = as_region("440000").post("/v1/applications", &company);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let company_id = r.json()["id"].as_str().unwrap().to_string();
    let r = as_region("440000").get(&format!("/v1/applications/{company_id}?view=local"));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(p["type"], "urn:tongban:problem:local-form-unwritable");
    assert_eq!(p["errors"][0]["canonical"], "/applicant/kind", "{p}");
    assert_eq!(p["errors"][0]["rule"], "const-outbound", "{p}");
    assert_eq!(p["errors"][0]["value"], "organisation", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"person\""),
        "{p}"
    );
    assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");

    // A party whose region has no adapter for the matter: 406, saying so.
    let hukou = golden("330000", "hukou-transfer.local.json");
    let r = as_region("330000")
        .send(
            "POST",
            "/v1/regions/330000/forms/hukou-transfer",
            &[],
            Some(&hukou),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let hukou_id = r.json()["id"].as_str().unwrap().to_string();
    let r = as_region("340000").get(&format!("/v1/applications/{hukou_id}?view=local"));
    assert_eq!(r.status, 406);
    assert_eq!(r.json()["type"], "urn:tongban:problem:no-local-form");
    assert!(r.json()["detail"].as_str().unwrap().contains("340000"));
    // An operator has no local form either: the same problem type under the same title (RFC
    // 9457), the detail saying why.
    let no_adapter_title = r.json()["title"].clone();
    let r = as_region("operator").get(&format!("/v1/applications/{hukou_id}?view=local"));
    assert_eq!(r.status, 406);
    assert_eq!(r.json()["type"], "urn:tongban:problem:no-local-form");
    assert_eq!(r.json()["title"], no_adapter_title);
    assert!(r.json()["detail"].as_str().unwrap().contains("operators"));
    let r = as_region("330000").get(&format!("/v1/applications/{hukou_id}?view=local"));
    assert_eq!(r.status, 200, "浙江 has a hukou-transfer adapter");
    assert_eq!(r.json()["申请人"]["姓名"], "李明");

    // Another region's token: 403. No adapter: 404. Wrong format: 415.
    let r = as_region("440000")
        .send(
            "POST",
            "/v1/regions/310000/forms/social-security-card",
            &xml,
            Some(&form),
        )
        .unwrap();
    assert_eq!(r.status, 403);
    let r = shanghai
        .send(
            "POST",
            "/v1/regions/310000/forms/hukou-transfer",
            &xml,
            Some(&form),
        )
        .unwrap();
    assert_eq!(r.status, 404);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("social-security-card")
    );
    let r = shanghai.post("/v1/regions/310000/forms/social-security-card", &json!({}));
    assert_eq!(r.status, 415);

    // A broken form: every problem at once, in 四川's own field names, personal data masked.
    let mut bad: Value =
        serde_json::from_slice(&golden("510000", "criminal-record-certificate.local.json"))
            .unwrap();
    let id_number = bad["SQR_GMSFHM"].as_str().unwrap().to_string();
    bad["SQR_GMSFHM"] = json!(format!("{}0", &id_number[..17]));
    bad["SQR_CSRQ"] = json!("1995-01-01");
    bad["ZMYT_DM"] = json!("07");
    let r = as_region("510000").post("/v1/regions/510000/forms/criminal-record-certificate", &bad);
    assert_eq!(r.status, 422);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["SQR_GMSFHM", "SQR_CSRQ", "ZMYT_DM"], "{p}");
    assert_eq!(p["errors"][0]["canonical"], "/applicant/id_number");
    assert_eq!(p["errors"][0]["label"], "公民身份号码");
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(!text.contains(&id_number[..17]));

    // The refusal's log line says why, as every refused write's does: the problem type.
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert!(
        log.lines().any(|l| l.contains("refused")
            && l.contains("/v1/regions/{region}/forms/{matter}")
            && l.contains("status=422")
            && l.contains("problem=\"invalid-local-form\"")),
        "{log}"
    );

    // Nothing personal reached the gateway's log.
    let personal = vec![
        id_number.clone(),
        id_number[..17].to_string(),
        "顾雪".to_string(),
        "何静".to_string(),
        want["applicant"]["id_number"].as_str().unwrap().to_string(),
    ];
    common::assert_absent_from(&gw.stderr_log, &personal);
}

/// The `errors` of a problem as (pointer, rule) pairs, in the order the answer lists them.
fn pointers_and_rules(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| {
                    (
                        e["pointer"].as_str().unwrap_or("").to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_handler_the_federation_lacks_is_a_local_form_problem_on_submit_and_dry_run() {
    let dir = TempDir::new("forms-unknown-region");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let outbox = || guangdong.get("/v1/regions/440000/outbox").json()["items"].clone();
    let before = outbox();
    let mut form: Value =
        serde_json::from_slice(&golden("440000", "medical-filing.local.json")).unwrap();
    // 620000 (甘肃省) is a valid GB/T 2260 code, but no region of the demo federation.
    assert!(
        !guangdong.get("/v1/regions").json()["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "620000")
    );
    form["targetRegion"] = json!("620000");
    for route in [
        "/v1/regions/440000/forms/medical-filing",
        "/v1/regions/440000/translate/medical-filing",
    ] {
        let r = guangdong.post_with(route, &[("Idempotency-Key", "gd-unknown-1")], &form);
        assert_eq!(
            r.status,
            422,
            "{route}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let p = r.json();
        assert_eq!(p["type"], "urn:tongban:problem:invalid-local-form", "{p}");
        assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");
        let e = &p["errors"][0];
        assert_eq!(e["pointer"], "/targetRegion", "{p}");
        assert_eq!(e["field"], "targetRegion", "{p}");
        assert_eq!(e["label"], "办理地区划 (多个以 ; 分隔)", "{p}");
        assert_eq!(e["canonical"], "/handlers/0", "{p}");
        assert_eq!(e["rule"], "unknown-region", "{p}");
        assert_eq!(e["value"], "620000", "{p}");
    }
    // Alongside a problem of the applicant, both in one answer, in a stable order.
    form["applicant"]["gender"] = json!("Q");
    let first = guangdong
        .post("/v1/regions/440000/forms/medical-filing", &form)
        .json();
    let found = pointers_and_rules(&first);
    assert!(
        found.contains(&("/applicant/gender".into(), "code".into())),
        "{first}"
    );
    assert!(
        found.contains(&("/targetRegion".into(), "unknown-region".into())),
        "{first}"
    );
    let again = guangdong
        .post("/v1/regions/440000/translate/medical-filing", &form)
        .json();
    assert_eq!(pointers_and_rules(&again), found);
    // A code that is no GB/T 2260 code at all is that, not also "no region of the federation".
    form["applicant"]["gender"] = json!("F");
    form["targetRegion"] = json!("999999");
    let p = guangdong
        .post("/v1/regions/440000/forms/medical-filing", &form)
        .json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![("/targetRegion".to_string(), "gb2260-unknown".to_string())],
        "{p}"
    );
    // Nothing was submitted.
    assert_eq!(outbox(), before);
}

/// Given a city of 四川 registered as a region of its own (`tongban regions add 510100 成都市`,
/// as a city running its own platform may be), when 四川 submits an application handled by it,
/// canonical or as a local form (or dry-runs the form), then it is refused 422 at the handler,
/// in the caller's own field for the form, with rule `same-province` naming both codes, and
/// nothing is submitted; a handler in another province is still taken. (Found by an adapter
/// author's walkthrough: the application was accepted, 201, an intra-province application
/// where every matter is 跨省.)
#[test]
fn a_handler_in_the_origins_province_is_refused_on_both_routes() {
    let dir = TempDir::new("forms-same-province");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    common::tongban_on(&data, &["regions", "add", "510100", "成都市"]);
    let sichuan = gw.client(Some(&tokens["510000"]));
    let outbox = || sichuan.get("/v1/regions/510000/outbox").json()["items"].clone();
    let before = outbox();

    // A certificate issued in 武侯区, which 成都 governs: only the province is wrong.
    let matter = "criminal-record-certificate";
    let mut body: Value =
        serde_json::from_slice(&golden("510000", &format!("{matter}.canonical.json")))
            .expect("golden");
    body["handlers"] = json!(["510100"]);
    body["form"]["issuing_region"] = json!("510107");
    let r = sichuan.post("/v1/applications", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![("/handlers/0".to_string(), "same-province".to_string())],
        "{p}"
    );
    let message = p["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("510100") && message.contains("510000"),
        "{message}"
    );

    let mut form: Value =
        serde_json::from_slice(&golden("510000", &format!("{matter}.local.json"))).expect("golden");
    form["BLD_XZQHDM"] = json!("510100");
    form["KJD_SSXQDM"] = json!("510107000000");
    for route in [
        format!("/v1/regions/510000/forms/{matter}"),
        format!("/v1/regions/510000/translate/{matter}"),
    ] {
        let r = sichuan.post(&route, &form);
        assert_eq!(
            r.status,
            422,
            "{route}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let p = r.json();
        assert_eq!(
            pointers_and_rules(&p),
            vec![("/BLD_XZQHDM".to_string(), "same-province".to_string())],
            "{route}: {p}"
        );
        assert_eq!(p["errors"][0]["canonical"], "/handlers/0", "{p}");
    }
    assert_eq!(outbox(), before);
    // Handled in 重庆, as the golden form is: another province, taken.
    let form: Value =
        serde_json::from_slice(&golden("510000", &format!("{matter}.local.json"))).expect("golden");
    let r = sichuan.post(&format!("/v1/regions/510000/forms/{matter}"), &form);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// Given 深圳 (`440300`) registered as a region of its own, when it submits a joint application
/// (多地联办) between 广州 and another province with one handler in 广东 and one elsewhere (a
/// pension transfer 广州 440106 → 上海 310101 handled by [310000, 440000]; a hukou move 广州
/// 440106 → 杭州 330106 by [330000, 440000]), then it is taken (201): the application is 跨省
/// although 广东 completes a part, and 广东 is the handler jurisdiction wants for 广州, which
/// 深圳 does not govern. With every handler in 广东 ([440000, 440100]) it is refused
/// `same-province` at each handler, the message saying it is joint. (Found in review: every
/// handler in the origin's province was refused whatever the mode, so no city region could
/// send these.)
#[test]
fn a_joint_application_with_one_handler_in_the_origins_province_is_taken() {
    let dir = TempDir::new("forms-joint-same-province");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let token = common::tongban_on(&data, &["regions", "add", "440300", "深圳市"]);
    common::tongban_on(&data, &["regions", "add", "440100", "广州市"]);
    let shenzhen = gw.client(Some(&token));
    let cases = [
        (
            "pension-transfer",
            "310000",
            ["/form/from_region", "/form/to_region"],
            "310101",
        ),
        (
            "hukou-transfer",
            "330000",
            [
                "/form/move_out_address/division",
                "/form/move_in_address/division",
            ],
            "330106",
        ),
    ];
    for (matter, other, [from, to], to_code) in cases {
        let spec = tongban_schemas::matters::get(matter).expect("a known matter");
        let mut body = spec.routed(tongban_schemas::Mode::Joint, "440300", &[other, "440000"]);
        *body.pointer_mut(from).expect(from) = json!("440106");
        *body.pointer_mut(to).expect(to) = json!(to_code);
        let r = shenzhen.post("/v1/applications", &body);
        assert_eq!(
            r.status,
            201,
            "{matter}: {}",
            String::from_utf8_lossy(&r.body)
        );

        body["handlers"] = json!(["440000", "440100"]);
        let r = shenzhen.post("/v1/applications", &body);
        assert_eq!(
            r.status,
            422,
            "{matter}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let p = r.json();
        let found: Vec<(String, String)> = pointers_and_rules(&p)
            .into_iter()
            .filter(|(_, rule)| rule == "same-province")
            .collect();
        assert_eq!(
            found,
            vec![
                ("/handlers/0".to_string(), "same-province".to_string()),
                ("/handlers/1".to_string(), "same-province".to_string())
            ],
            "{matter}: {p}"
        );
        let message = p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .find(|e| e["rule"] == "same-province")
            .and_then(|e| e["message"].as_str())
            .expect("message");
        assert!(
            message.contains("440000") && message.contains("440300") && message.contains("联办"),
            "{message}"
        );
    }
}

/// Given 四川's form naming its handler by name (`重庆`) where the region's code belongs, when
/// it is dry-run, then the one problem at `/BLD_XZQHDM` says what the field takes, a region's
/// 6-digit code (`region-code`), and a 12-digit code is told the same; following the message
/// (`500000`) translates. (Found by an adapter author's walkthrough: `重庆` was told "6 or 12
/// digits" by the generic pattern, and the 12 digits it allowed were then refused.)
#[test]
fn a_handler_code_is_told_to_be_a_regions_six_digits() {
    let dir = TempDir::new("forms-region-code");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let sichuan = gw.client(Some(&tokens["510000"]));
    let route = "/v1/regions/510000/translate/criminal-record-certificate";
    let mut form: Value =
        serde_json::from_slice(&golden("510000", "criminal-record-certificate.local.json"))
            .expect("golden");
    let mut messages = Vec::new();
    for wrong in ["重庆", "500000000000"] {
        form["BLD_XZQHDM"] = json!(wrong);
        let p = sichuan.post(route, &form).json();
        assert_eq!(
            pointers_and_rules(&p),
            vec![("/BLD_XZQHDM".to_string(), "region-code".to_string())],
            "{wrong}: {p}"
        );
        messages.push(p["errors"][0]["message"].clone());
    }
    assert_eq!(messages[0], messages[1]);
    let message = messages[0].as_str().expect("message");
    assert!(
        message.contains("6 位行政区划代码") && !message.contains("12"),
        "{message}"
    );
    form["BLD_XZQHDM"] = json!("500000");
    let r = sichuan.post(route, &form);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// Given 四川's JSON form with a member given twice, in a record of a list (`XM` of the first
/// `SQRY`) or at the top (`BLMS`), when it is dry-run or submitted, then the one problem is
/// `duplicate-member` at the member's pointer (`/SQRY/0/XM`, `/BLMS`), as the canonical route
/// names one, with the member's name as its field. (Found by an adapter author's walkthrough:
/// the pointer was empty, so which record held it was not said.)
#[test]
fn a_member_given_twice_in_a_local_form_is_named_at_its_pointer() {
    let dir = TempDir::new("forms-duplicate");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let sichuan = gw.client(Some(&tokens["510000"]));
    for (body, pointer, field) in [
        (r#"{"SQRY":[{"XM":"a","XM":"b"}]}"#, "/SQRY/0/XM", "XM"),
        (r#"{"BLMS":"1","BLMS":"2"}"#, "/BLMS", "BLMS"),
    ] {
        for route in [
            "/v1/regions/510000/translate/hukou-transfer",
            "/v1/regions/510000/forms/hukou-transfer",
        ] {
            let r = sichuan
                .send(
                    "POST",
                    route,
                    &[("Content-Type", "application/json")],
                    Some(body.as_bytes()),
                )
                .expect("POST");
            assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
            let p = r.json();
            assert_eq!(
                pointers_and_rules(&p),
                vec![(pointer.to_string(), "duplicate-member".to_string())],
                "{route}: {p}"
            );
            assert_eq!(p["errors"][0]["field"], field, "{p}");
        }
    }
}

/// Given a JSON form in GBK (杨帆 is D1 EE B7 AB), when it is sent as plain `application/json`,
/// then it is refused as not UTF-8 with a message saying to send it with `charset=GBK` (or
/// GB18030); sent so, or with no Content-Type at all when it is UTF-8, it is read (and refused
/// only for what it lacks); `text/plain` is 415 naming the form's content type. (Found by an
/// adapter author's walkthrough: the refusal did not say how a GBK form is sent.)
#[test]
fn a_json_form_in_gbk_is_told_to_name_its_charset() {
    let dir = TempDir::new("forms-gbk-json");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let sichuan = gw.client(Some(&tokens["510000"]));
    let route = "/v1/regions/510000/translate/hukou-transfer";
    let gbk: &[u8] = b"{\"QYR_XM\": \"\xD1\xEE\xB7\xAB\"}";
    let send = |content_type: Option<&str>, body: &[u8]| {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| vec![("Content-Type", ct)])
            .unwrap_or_default();
        sichuan
            .send("POST", route, &headers, Some(body))
            .expect("POST")
    };
    let p = send(Some("application/json"), gbk).json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![(String::new(), "encoding".to_string())],
        "{p}"
    );
    let message = p["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("application/json; charset=GBK") && message.contains("GB18030"),
        "{message}"
    );
    for (content_type, body) in [
        (Some("application/json; charset=GBK"), gbk),
        (Some("application/json; charset=GB18030"), gbk),
        (None, "{\"QYR_XM\": \"杨帆\"}".as_bytes()),
    ] {
        let r = send(content_type, body);
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        let found = pointers_and_rules(&r.json());
        assert!(
            found.iter().all(|(_, rule)| rule == "required"),
            "{content_type:?}: {found:?}"
        );
        assert!(!found.is_empty());
    }
    let r = send(Some("text/plain"), gbk);
    assert_eq!(r.status, 415, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("is sent as application/json")),
        "{}",
        r.json()
    );
}

/// The gateway's check that the origin is the submitting region refuses a local form at the
/// province's own field, as every other finding is, not at the canonical path (`/origin`) the
/// province never wrote; the dry run says the same, and nothing is submitted. The rule is the
/// one the canonical route's 403 names for the same fault, `origin-not-submitter` (it was
/// `domain`). What the adapter's own rules already found (a handler that is the origin) is not
/// said twice.
#[test]
fn an_origin_the_domain_refuses_is_a_local_form_problem() {
    let dir = TempDir::new("forms-domain");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let outbox = || guangdong.get("/v1/regions/440000/outbox").json()["items"].clone();
    let before = outbox();
    let golden: Value =
        serde_json::from_slice(&golden("440000", "medical-filing.local.json")).unwrap();
    // 310000 (上海市) is a region of the federation, but not the one submitting.
    let mut elsewhere = golden.clone();
    elsewhere["sourceRegion"] = json!("310000");
    let mut to_itself = golden.clone();
    to_itself["targetRegion"] = json!("440000");
    for route in [
        "/v1/regions/440000/forms/medical-filing",
        "/v1/regions/440000/translate/medical-filing",
    ] {
        let r = guangdong.post(route, &elsewhere);
        let p = r.json();
        assert_eq!(r.status, 422, "{route}: {p}");
        assert_eq!(p["type"], "urn:tongban:problem:invalid-local-form", "{p}");
        assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");
        let e = &p["errors"][0];
        assert_eq!(e["pointer"], "/sourceRegion", "{p}");
        assert_eq!(e["field"], "sourceRegion", "{p}");
        assert_eq!(e["label"], "收件地区划", "{p}");
        assert_eq!(e["canonical"], "/origin", "{p}");
        assert_eq!(e["rule"], "origin-not-submitter", "{p}");
        assert_eq!(e["value"], "310000", "{p}");
        let message = e["message"].as_str().unwrap_or("");
        assert!(
            message.contains("must be the submitting region 440000"),
            "{p}"
        );

        let p = guangdong.post(route, &to_itself).json();
        assert_eq!(
            pointers_and_rules(&p),
            vec![("/targetRegion".to_string(), "origin-is-handler".to_string())],
            "{p}"
        );
    }
    // The canonical route refuses the same fault (403: the caller may not submit for another
    // region) under the same rule, at its own field.
    let mut canonical = matter_example(&gw.client(None), "medical-filing");
    canonical["origin"] = json!("310000");
    let r = guangdong.post("/v1/applications", &canonical);
    let p = r.json();
    assert_eq!(r.status, 403, "{p}");
    assert_eq!(
        pointers_and_rules(&p),
        vec![("/origin".to_string(), "origin-not-submitter".to_string())],
        "{p}"
    );
    assert_eq!(outbox(), before, "nothing was submitted");
    // The golden form itself still goes through.
    let r = guangdong.post("/v1/regions/440000/forms/medical-filing", &golden);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// The form's rules across fields (a filing that ends before it starts, a 跨省 filing treated in
/// the insured province) refuse a canonical body at its fields and a province's local form at the
/// province's own field, with the rule's stable code; nothing is submitted. The rules are listed
/// with the matter, on `GET /v1/matters` and on its registry page.
#[test]
fn a_forms_rule_across_fields_names_the_field_canonical_and_local() {
    let dir = TempDir::new("forms-rules");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let outbox = || guangdong.get("/v1/regions/440000/outbox").json()["items"].clone();
    let before = outbox();
    let example = matter_example(&gw.client(None), "medical-filing");
    assert_eq!(example["origin"], "440000");

    // Canonical: both rules broken, both fields named in one answer.
    let mut body = example.clone();
    body["form"]["end_date"] = json!("2024-02-29");
    body["form"]["treatment_region"] = json!("330200");
    let r = guangdong.post("/v1/applications", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(p["type"], "urn:tongban:problem:invalid", "{p}");
    assert_eq!(
        pointers_and_rules(&p),
        vec![
            ("/form/end_date".to_string(), "end-before-start".to_string()),
            (
                "/form/treatment_region".to_string(),
                "same-province".to_string()
            ),
        ],
        "{p}"
    );
    let message = p["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("备案结束日期早于备案开始日期"), "{p}");
    assert!(!message.contains("2024"), "the roles, not the values: {p}");

    // Local: 广东's own form, refused at its own field, on submit and on the dry run.
    let mut local: Value =
        serde_json::from_slice(&golden("440000", "medical-filing.local.json")).unwrap();
    local["formData"]["endDate"] = json!("2024-02-01");
    for route in [
        "/v1/regions/440000/forms/medical-filing",
        "/v1/regions/440000/translate/medical-filing",
    ] {
        let r = guangdong.post(route, &local);
        let p = r.json();
        assert_eq!(r.status, 422, "{route}: {p}");
        assert_eq!(p["type"], "urn:tongban:problem:invalid-local-form", "{p}");
        assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");
        let e = &p["errors"][0];
        assert_eq!(e["pointer"], "/formData/endDate", "{p}");
        assert_eq!(e["field"], "endDate", "{p}");
        assert_eq!(e["label"], "备案结束日期", "{p}");
        assert_eq!(e["canonical"], "/form/end_date", "{p}");
        assert_eq!(e["rule"], "end-before-start", "{p}");
    }
    assert_eq!(outbox(), before, "nothing was submitted");

    // The rules, listed with the matter for a province's team to read.
    let anon = gw.client(None);
    let matters = anon.get("/v1/matters").json();
    let medical = matters["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["code"] == "medical-filing")
        .expect("medical-filing");
    // The form's rules follow the route's and the identifier checks' (`kind`).
    let form: Vec<&Value> = medical["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "form")
        .collect();
    let codes: Vec<&str> = form.iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes, ["end-before-start", "same-province"], "{medical}");
    assert_eq!(form[0]["pointer"], "/form/end_date");
    let page = anon.get("/registry/matter.medical-filing");
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("id=\"rule-table\""), "{html}");
    assert!(html.contains("<code>end-before-start</code>"), "{html}");

    // The example itself still goes through.
    let r = guangdong.post("/v1/applications", &example);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn every_problem_of_a_canonical_body_in_one_answer() {
    let dir = TempDir::new("forms-every-problem");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let outbox = || shanghai.get("/v1/regions/310000/outbox").json()["items"].clone();
    let before = outbox();
    let example = matter_example(&gw.client(None), "social-security-card");

    // A handler that is no GB/T 2260 code and a sex that is no GB/T 2261.1 code: both at once.
    let mut body = example.clone();
    body["handlers"] = json!(["999999"]);
    body["applicant"]["sex"] = json!("7");
    let r = shanghai.post("/v1/applications", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(p["type"], "urn:tongban:problem:invalid", "{p}");
    let found = pointers_and_rules(&p);
    assert!(
        found.contains(&("/handlers/0".into(), "gb2260-unknown".into())),
        "{p}"
    );
    assert!(found.iter().any(|(ptr, _)| ptr == "/applicant/sex"), "{p}");
    // Not also reported as no region of the federation (a consequence of the same code).
    assert_eq!(
        found.iter().filter(|(ptr, _)| ptr == "/handlers/0").count(),
        1,
        "{p}"
    );
    // The same body, the same answer in the same order.
    let again = shanghai.post("/v1/applications", &body).json();
    assert_eq!(pointers_and_rules(&again), found);

    // A well-formed handler the federation lacks, with a missing ID number.
    let mut body = example.clone();
    body["handlers"] = json!(["620000"]);
    body["applicant"]
        .as_object_mut()
        .unwrap()
        .remove("id_number");
    let p = shanghai.post("/v1/applications", &body).json();
    let found = pointers_and_rules(&p);
    assert!(
        found.contains(&("/handlers/0".into(), "unknown-region".into())),
        "{p}"
    );
    assert!(
        found.contains(&("/applicant/id_number".into(), "required".into())),
        "{p}"
    );

    // `handlers` misspelt `handler` no longer hides the missing ID number.
    let mut body = example.clone();
    let handlers = body.as_object_mut().unwrap().remove("handlers").unwrap();
    body["handler"] = handlers;
    body["applicant"]
        .as_object_mut()
        .unwrap()
        .remove("id_number");
    let p = shanghai.post("/v1/applications", &body).json();
    let found = pointers_and_rules(&p);
    assert!(found.iter().any(|(ptr, _)| ptr == "/handler"), "{p}");
    for want in [
        ("/handlers", "required"),
        ("/applicant/id_number", "required"),
    ] {
        assert!(
            found.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {p}"
        );
    }
    // Nothing was submitted.
    assert_eq!(outbox(), before);
    // And the example itself still goes through.
    let r = shanghai.post("/v1/applications", &example);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// Given the demo federation, when a submission names a handler without jurisdiction over the
/// form's places (a medical filing insured in Hangzhou sent to Guangdong; a joint hukou transfer
/// whose handlers leave the place moved into without its police), then it is refused 422 with
/// `handler-jurisdiction` at the handler (or at the place no handler governs), in the caller's own
/// field for a local form, on the dry run alike; a handler the federation lacks is that finding
/// alone; and nothing is submitted. The same filing sent to the insured province goes through.
#[test]
fn a_handler_without_jurisdiction_is_refused_at_its_field() {
    let dir = TempDir::new("forms-jurisdiction");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let outbox = || guangdong.get("/v1/regions/440000/outbox").json()["items"].clone();
    let before = outbox();

    // Canonical: insured in 330100 (杭州), handled by 310000 (上海).
    let mut body = matter_example(&gw.client(None), "medical-filing");
    assert_eq!(body["origin"], "440000");
    assert_eq!(body["form"]["insured_region"], "330100");
    body["handlers"] = json!(["310000"]);
    let r = guangdong.post("/v1/applications", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![(
            "/handlers/0".to_string(),
            "handler-jurisdiction".to_string()
        )],
        "{p}"
    );
    // The message says who decides, in words a local form's caller reads too (no canonical
    // field names: a province's finding names its own field).
    let message = p["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("参保地"), "{message}");
    assert!(!message.contains("/form/"), "{message}");
    // The matters' listing names the places, for adapters and tools that route.
    let matters = gw.client(None).get("/v1/matters").json();
    let listed = |code: &str| {
        matters["matters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["code"] == code)
            .map(|m| m["jurisdiction"]["places"].clone())
    };
    assert_eq!(
        listed("medical-filing"),
        Some(json!(["/form/insured_region"]))
    );
    assert_eq!(
        listed("hukou-transfer"),
        Some(json!([
            "/form/move_in_address/division",
            "/form/move_out_address/division"
        ]))
    );
    // A handler the federation lacks is that alone, not also without jurisdiction.
    body["handlers"] = json!(["620000"]);
    let p = guangdong.post("/v1/applications", &body).json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![("/handlers/0".to_string(), "unknown-region".to_string())],
        "{p}"
    );

    // A local form: Guangdong's filing insured in 440100 sent to 330000.
    let mut form: Value =
        serde_json::from_slice(&golden("440000", "medical-filing.local.json")).unwrap();
    assert_eq!(form["targetRegion"], "330000");
    form["formData"]["insuredArea"] = json!("440100");
    form["formData"]["treatArea"] = json!("330100");
    for route in [
        "/v1/regions/440000/forms/medical-filing",
        "/v1/regions/440000/translate/medical-filing",
    ] {
        let r = guangdong.post(route, &form);
        assert_eq!(
            r.status,
            422,
            "{route}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let p = r.json();
        assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");
        let e = &p["errors"][0];
        assert_eq!(e["pointer"], "/targetRegion", "{p}");
        assert_eq!(e["canonical"], "/handlers/0", "{p}");
        assert_eq!(e["rule"], "handler-jurisdiction", "{p}");
        // It names the province's own field for the place, in its words.
        let message = e["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("/formData/insuredArea (参保地)") && !message.contains("/form/"),
            "{message}"
        );
    }
    // A 620000 there is no region of the federation, that alone.
    form["targetRegion"] = json!("620000");
    let p = guangdong
        .post("/v1/regions/440000/translate/medical-filing", &form)
        .json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![("/targetRegion".to_string(), "unknown-region".to_string())],
        "{p}"
    );

    // Joint hukou transfer from 340104 into 330106, handled by 340000 and 310000: the lead is
    // not the place moved into, the place moved into has no handler, and 310000 governs nothing.
    let mut hukou = matter_example(&gw.client(None), "hukou-transfer");
    assert_eq!(hukou["form"]["move_in_address"]["division"], "330106");
    hukou["handlers"] = json!(["340000", "310000"]);
    let p = guangdong.post("/v1/applications", &hukou).json();
    assert_eq!(
        pointers_and_rules(&p),
        vec![
            (
                "/handlers/0".to_string(),
                "handler-jurisdiction".to_string()
            ),
            (
                "/handlers/1".to_string(),
                "handler-jurisdiction".to_string()
            ),
            (
                "/form/move_in_address/division".to_string(),
                "handler-jurisdiction".to_string()
            ),
        ],
        "{p}"
    );

    // Nothing was submitted; the filing sent to the insured province goes through.
    assert_eq!(outbox(), before);
    body["handlers"] = json!(["330000"]);
    let r = guangdong.post("/v1/applications", &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// Given applications submitted under Idempotency-Keys (a canonical body and a local form, both
/// handled by 330000), when the federation's rules change so that their bodies would now be
/// refused (330000 leaves the region book: its handler is `unknown-region`) and each is sent
/// again under its key, then each retry is answered 200 with the application its first sending
/// created, as every retry is, not 422; a new key with the same body is refused; and a key of
/// another request is still refused for what is wrong with the body. (Found by a walkthrough: a
/// window told "refused" after an upgrade sends the corrected request as a second application.)
#[test]
fn a_retry_refused_by_rules_changed_since_is_answered_with_its_application() {
    let dir = TempDir::new("forms-retry-rules");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let body = matter_example(&gw.client(None), "medical-filing");
    assert_eq!(body["handlers"], json!(["330000"]));
    let form = golden("440000", "medical-filing.local.json");
    let form: Value = serde_json::from_slice(&form).unwrap();
    assert_eq!(form["targetRegion"], "330000");
    let canonical_key = [("Idempotency-Key", "gd-rules-canonical-1")];
    let local_key = [("Idempotency-Key", "gd-rules-local-1")];
    let route = "/v1/regions/440000/forms/medical-filing";
    let first = guangdong.post_with("/v1/applications", &canonical_key, &body);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let first_local = guangdong.post_with(route, &local_key, &form);
    assert_eq!(
        first_local.status,
        201,
        "{}",
        String::from_utf8_lossy(&first_local.body)
    );

    // 330000 leaves the federation.
    let book = data.join("regions.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&book).unwrap()).unwrap();
    doc["regions"].as_object_mut().unwrap().remove("330000");
    std::fs::write(&book, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let fresh = guangdong.post("/v1/applications", &body);
    assert_eq!(
        fresh.status,
        422,
        "{}",
        String::from_utf8_lossy(&fresh.body)
    );
    assert!(
        pointers_and_rules(&fresh.json())
            .contains(&("/handlers/0".into(), "unknown-region".into())),
        "{}",
        fresh.json()
    );

    // Each retry is its first application.
    for (path, key, sent, first) in [
        ("/v1/applications", &canonical_key, &body, &first),
        (route, &local_key, &form, &first_local),
    ] {
        let again = guangdong.post_with(path, key, sent);
        assert_eq!(
            again.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&again.body)
        );
        assert_eq!(again.json()["id"], first.json()["id"], "{path}");
    }
    // Another request under a used key is refused for its body, as before.
    let mut other = body.clone();
    other["form"]["phone"] = json!("13900000000");
    let r = guangdong.post_with("/v1/applications", &canonical_key, &other);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        pointers_and_rules(&r.json()).contains(&("/handlers/0".into(), "unknown-region".into())),
        "{}",
        r.json()
    );
}

/// Given one person's 15-digit (pre-1999) ID number, when 四川 submits it in its local form and
/// in a canonical body, then both applications store the same 18-character number (GB 11643:
/// `19` inserted, the check character computed), and the canonical answer's warning says it
/// was stored upgraded; a retry of the canonical request as sent is recognised as the same
/// request (200, the same application). Every person of a body is upgraded (a business
/// registration's applicant, legal representative and investor), and a refused body's 422 lists
/// the warnings beside its errors, as a refused local form's does. (Found by an adapter
/// author's walkthrough: the canonical route stored the 15 digits, so the same person had two
/// numbers depending on the route, and its 422 had no `warnings`; an integrator's: the local
/// form's answer did not warn at all.)
#[test]
fn a_legacy_id_number_is_stored_upgraded_by_either_route() {
    const LEGACY: &str = "511602930618071";
    const UPGRADED: &str = "511602199306180719";
    let dir = TempDir::new("forms-legacy-id");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let sichuan = gw.client(Some(&tokens["510000"]));
    // The application an answer names, as its origin reads it.
    let stored = |origin: &common::Client, r: &common::Response| {
        assert!(
            r.status == 201 || r.status == 200,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let id = r.json()["id"].as_str().expect("id").to_string();
        origin.get(&format!("/v1/applications/{id}")).json()
    };

    let mut form: Value =
        serde_json::from_slice(&golden("510000", "hukou-transfer.local.json")).expect("golden");
    form["QYR_GMSFHM"] = json!(LEGACY);
    let local = sichuan.post_with(
        "/v1/regions/510000/forms/hukou-transfer",
        &[("Idempotency-Key", "sc-legacy-local")],
        &form,
    );
    assert_eq!(stored(&sichuan, &local)["applicant"]["id_number"], UPGRADED);
    // An answer's one gb11643-legacy warning, saying the number is stored upgraded, without
    // the number in clear.
    let legacy_of = |r: &common::Response| -> Value {
        let warnings = r.json()["warnings"].clone();
        let legacy: Vec<&Value> = warnings
            .as_array()
            .expect("warnings")
            .iter()
            .filter(|w| w["rule"] == "gb11643-legacy")
            .collect();
        assert_eq!(legacy.len(), 1, "{warnings}");
        let message = legacy[0]["message"].as_str().expect("message");
        assert!(
            message.contains("升位为 18 位号码存储") && message.contains("stored upgraded"),
            "{message}"
        );
        assert!(!warnings.to_string().contains(LEGACY), "{warnings}");
        legacy[0].clone()
    };
    // The form's caller is told so too, at its own field, as the canonical route's caller is
    // below (the form route upgraded it without a word).
    let legacy = legacy_of(&local);
    assert_eq!(legacy["field"], "QYR_GMSFHM", "{legacy}");
    assert_eq!(legacy["pointer"], "/QYR_GMSFHM", "{legacy}");
    assert_eq!(legacy["canonical"], "/applicant/id_number", "{legacy}");

    let mut body: Value =
        serde_json::from_slice(&golden("510000", "hukou-transfer.canonical.json")).expect("golden");
    body["applicant"]["id_number"] = json!(LEGACY);
    let key = [("Idempotency-Key", "sc-legacy-canonical")];
    let first = sichuan.post_with("/v1/applications", &key, &body);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(stored(&sichuan, &first)["applicant"]["id_number"], UPGRADED);
    assert_eq!(legacy_of(&first)["pointer"], "/applicant/id_number");
    let warnings = first.json()["warnings"].clone();
    let again = sichuan.post_with("/v1/applications", &key, &body);
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["warnings"], warnings);

    // Every person of a body: a business registration's three.
    let zhejiang_body = matter_example(&gw.client(None), "business-registration");
    let zhejiang = gw.client(Some(
        &tokens[zhejiang_body["origin"].as_str().expect("origin")],
    ));
    // In the order the answers list them.
    let people = [
        "/applicant/id_number",
        "/form/investors/0/party/id_number",
        "/form/legal_representative/id_number",
    ];
    let mut body = zhejiang_body.clone();
    for p in people {
        assert_eq!(body.pointer(p), Some(&json!("310101199211203453")), "{p}");
        *body.pointer_mut(p).expect("person") = json!("310101921120345");
    }
    let r = zhejiang.post("/v1/applications", &body);
    let view = stored(&zhejiang, &r);
    let legacy_at = |answer: &Value| -> Vec<String> {
        answer["warnings"]
            .as_array()
            .unwrap_or_else(|| panic!("no warnings: {answer}"))
            .iter()
            .filter(|w| w["rule"] == "gb11643-legacy")
            .filter_map(|w| w["pointer"].as_str().map(str::to_string))
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect()
    };
    assert_eq!(legacy_at(&r.json()), people, "{}", r.json());
    for p in people {
        assert_eq!(view.pointer(p), Some(&json!("310101199211203453")), "{p}");
    }

    // Refused for another reason: the warnings come with the errors.
    body["handlers"] = json!(["999999"]);
    let r = zhejiang.post("/v1/applications", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(legacy_at(&r.json()), people, "{}", r.json());
}

/// The adapters as JSON, without a token like the matters and schemas: which region reads which
/// matter in what form, and each one's field table; the registry's adapter table links there.
#[test]
fn adapters_are_listed_as_json_with_their_field_tables() {
    let dir = TempDir::new("adapters-json");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let anon = gw.client(None);

    let all = anon.get("/v1/adapters");
    assert_eq!(all.status, 200, "{}", String::from_utf8_lossy(&all.body));
    let all = all.json();
    let sh = all["adapters"]
        .as_array()
        .expect("adapters")
        .iter()
        .find(|a| a["region"] == "310000" && a["matter"] == "criminal-record-certificate")
        .expect("310000 criminal-record-certificate")
        .clone();
    assert_eq!(sh["format"], "xml");
    assert_eq!(sh["root"], "APPROVEDATAINFO");
    assert_eq!(sh["region_name"], "上海市");
    assert_eq!(
        sh["href"],
        "/v1/adapters/310000/criminal-record-certificate"
    );

    let medical = anon.get("/v1/adapters?matter=medical-filing").json();
    let regions: Vec<&str> = medical["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["330000", "340000", "440000"]);
    // A mistyped filter is said, not answered with an empty list; a region without adapters
    // has none.
    for (query, pointer, rule) in [
        ("region=44000", "query:region", "gb2260-format"),
        ("matter=medical-filling", "query:matter", "unknown-matter"),
    ] {
        let r = anon.get(&format!("/v1/adapters?{query}"));
        assert_eq!(r.status, 400, "{query}");
        let errors = &r.json()["errors"][0];
        assert_eq!(
            (&errors["pointer"], &errors["rule"]),
            (&json!(pointer), &json!(rule))
        );
    }
    let r = anon.get("/v1/adapters?region=620000");
    assert_eq!((r.status, r.json()), (200, json!({"adapters": []})));

    let one = anon.get(sh["href"].as_str().unwrap());
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(one["content_type"], sh["content_type"]);
    let fields = one["fields"].as_array().expect("fields");
    let row = |local: &str| {
        fields
            .iter()
            .find(|f| f["local"] == local)
            .unwrap_or_else(|| panic!("{local} in {fields:#?}"))
    };
    assert_eq!(row("/SQRXX/ZJHM")["canonical"], "/applicant/id_number");
    assert_eq!(row("/CLXX/CL/*/CLMC")["canonical"], "/materials/*/name");
    assert_eq!(row("/SXBM")["kind"], "const");
    // A field read through a code table lists its codes, so another province can read them.
    assert_eq!(
        row("/BLMS")["codes"][0],
        json!({"local": "1", "canonical": "online"})
    );
    assert!(row("/SQRXX/ZJHM").get("codes").is_none());
    // Each field says what is done to its value on the way in, so an integrator learns a date's
    // layout and what an absent field is taken as from the table, not from a refusal.
    let sichuan = anon
        .get("/v1/adapters/510000/criminal-record-certificate")
        .json();
    let transforms = |local: &str| {
        sichuan["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["local"] == local)
            .map(|f| f["transforms"].clone())
            .unwrap_or_else(|| panic!("{local} in {sichuan:#}"))
    };
    assert!(
        transforms("/SQR_CSRQ")
            .as_array()
            .is_some_and(|t| t.contains(&json!("date written yyyyMMdd"))),
        "{sichuan:#}"
    );
    assert_eq!(
        transforms("/SFDZZM"),
        json!([
            "code table yes-no-10 (see codes)",
            "absent, null or blank: taken as \"0\""
        ])
    );
    assert!(
        transforms("/SQR_LXDH")
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t
                .as_str()
                .is_some_and(|t| t.starts_with("full-width characters (U+FF01 to U+FF5E")))),
        "{sichuan:#}"
    );
    assert_eq!(
        transforms("/SSBM"),
        json!(null),
        "a constant is not transformed"
    );

    let none = anon.get("/v1/adapters/310000/hukou-transfer");
    assert_eq!(none.status, 404);
    assert!(
        none.json()["detail"]
            .as_str()
            .unwrap()
            .contains("criminal-record-certificate"),
        "names what the region has"
    );

    // The registry's HTML table links each adapter's JSON, which answers.
    let page = anon.get("/registry/matter.medical-filing");
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains("href=\"/v1/adapters/440000/medical-filing\""),
        "{html}"
    );
    assert!(html.contains("href=\"/v1/adapters?matter=medical-filing\""));
    let doc = anon.get("/openapi.json").json();
    assert!(doc["paths"]["/v1/adapters/{region}/{matter}"]["get"].is_object());
}

/// Given an `Idempotency-Key` that breaks its rule (a space in it, or 256 characters), when it
/// comes with a local form or a canonical body, then the key is refused first (400 at
/// `header:Idempotency-Key`, naming the rule) whatever the body holds: a form that would not even
/// translate is not reported instead, as the OpenAPI document promises ("refused before the form
/// is read"). Guards the order of the checks on both submit routes.
#[test]
fn a_bad_idempotency_key_is_refused_before_the_body_is_read() {
    let dir = TempDir::new("forms-key");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let shanghai = gw.client(Some(&tokens["310000"]));
    let long = "k".repeat(256);
    for key in ["a b", long.as_str()] {
        for (path, content_type, body) in [
            (
                "/v1/regions/310000/forms/social-security-card",
                "application/xml; charset=GBK",
                &b"<not-a-form"[..],
            ),
            ("/v1/applications", "application/json", &b"{oops"[..]),
        ] {
            let r = shanghai
                .send(
                    "POST",
                    path,
                    &[("Content-Type", content_type), ("Idempotency-Key", key)],
                    Some(body),
                )
                .unwrap();
            assert_eq!(
                r.status,
                400,
                "{path}: {}",
                String::from_utf8_lossy(&r.body)
            );
            let p = r.json();
            assert_eq!(p["errors"][0]["pointer"], "header:Idempotency-Key", "{p}");
            assert!(
                p["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("1 to 255 visible ASCII characters")),
                "{p}"
            );
        }
    }
}

/// Given a region whose runtime spec reads the ID number without the `id-number` transform and
/// its check (so
/// the gateway, not the adapter, upgrades a 15-digit number) and a local form under an
/// Idempotency-Key with such a number, when the rules change so that the form is refused (its
/// handler leaves the region book) and it is sent again under its key, then the retry is answered
/// 200 with the application its first sending created. (Found by a review: the retry was
/// compared by the upgraded body's digest while the first was kept by the body as sent, giving
/// 422 `idempotency-key-reused`.)
#[test]
fn a_retried_form_whose_id_number_the_gateway_upgraded_is_its_first_application() {
    let dir = TempDir::new("forms-retry-legacy");
    let data = dir.0.join("data");
    let specs = data.join("adapters/440000");
    std::fs::create_dir_all(&specs).expect("specs dir");
    let builtin = concat!(env!("CARGO_MANIFEST_DIR"), "/adapters/regions/440000");
    let person = std::fs::read_to_string(format!("{builtin}/_person.json")).expect("fragment");
    let plain = person.replace(
        "\"halfwidth\", \"id-number\"], \"check\": \"gb11643\"",
        "\"halfwidth\"]",
    );
    assert_ne!(
        plain, person,
        "the builtin fragment reads /certNo with id-number"
    );
    std::fs::write(specs.join("_person.json"), plain).expect("fragment");
    std::fs::copy(
        format!("{builtin}/medical-filing.json"),
        specs.join("medical-filing.json"),
    )
    .expect("spec");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let guangdong = gw.client(Some(&tokens["440000"]));
    let mut form: Value =
        serde_json::from_slice(&golden("440000", "medical-filing.local.json")).expect("golden");
    assert_eq!(form["targetRegion"], "330000");
    form["applicant"]["certNo"] = json!("511602930618071");
    form["applicant"]["birthday"] = json!("1993-06-18");
    form["applicant"]["gender"] = json!("M");
    let key = [("Idempotency-Key", "gd-legacy-retry-1")];
    let route = "/v1/regions/440000/forms/medical-filing";
    let first = guangdong.post_with(route, &key, &form);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let id = first.json()["id"].as_str().expect("id").to_string();
    let view = guangdong.get(&format!("/v1/applications/{id}")).json();
    assert_eq!(view["applicant"]["id_number"], "511602199306180719");

    // 330000 leaves the federation: the form is refused now, by the gateway's check.
    let book = data.join("regions.json");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(&book).expect("book")).expect("json");
    doc["regions"]
        .as_object_mut()
        .expect("regions")
        .remove("330000");
    std::fs::write(&book, serde_json::to_vec_pretty(&doc).expect("json")).expect("book");
    let fresh = guangdong.post(route, &form);
    assert_eq!(
        fresh.status,
        422,
        "{}",
        String::from_utf8_lossy(&fresh.body)
    );

    let again = guangdong.post_with(route, &key, &form);
    common::resubmitted(&again, &id);
}

/// Given a 户口迁移 (hukou-transfer) whose materials leave out `move-in-proof`, which the matter's
/// catalogue marks required, when 四川 checks it, submits it canonical and as its local form,
/// then each answer warns `material-missing` naming the material (at the caller's own list,
/// `/CLXX` on the form), the submission is still taken; and once forwarded, the handler's inbox
/// line says it awaits `accept` and lists every action the handler may take, `not-accept` and
/// `request-supplement` among them, the origin's outbox line `withdraw`, and the application's
/// view (`GET /v1/applications/{id}`) gives each of them the same `allowed` as its line, an
/// operator none. (Found by an integrator's walkthrough: nothing was said, and an adapter driven
/// by `awaiting` accepted the incomplete application.)
#[test]
fn a_missing_required_material_is_warned_and_the_inbox_lists_every_allowed_action() {
    let dir = TempDir::new("forms-material-missing");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let sichuan = gw.client(Some(&tokens["510000"]));
    let chongqing = gw.client(Some(&tokens["500000"]));
    // The answer's material-missing warnings: one, naming the material left out.
    let missing = |answer: &Value| -> Vec<Value> {
        let warned: Vec<Value> = answer["warnings"]
            .as_array()
            .unwrap_or_else(|| panic!("warnings: {answer}"))
            .iter()
            .filter(|w| w["rule"] == "material-missing")
            .cloned()
            .collect();
        assert_eq!(warned.len(), 1, "{answer}");
        let message = warned[0]["message"].as_str().expect("message");
        assert!(message.contains("move-in-proof"), "{message}");
        warned
    };

    let mut body: Value =
        serde_json::from_slice(&golden("510000", "hukou-transfer.canonical.json")).expect("golden");
    body["materials"]
        .as_array_mut()
        .expect("materials")
        .retain(|m| m["kind"] != "move-in-proof");
    let checked = sichuan.post("/v1/applications/check", &body);
    assert_eq!(
        checked.status,
        200,
        "{}",
        String::from_utf8_lossy(&checked.body)
    );
    let warned = missing(&checked.json());
    assert_eq!(warned[0]["pointer"], "/materials");
    let r = sichuan.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "sc-no-move-in-proof")],
        &body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(missing(&r.json()), warned, "{}", r.json());
    let id = r.json()["id"].as_str().expect("id").to_string();

    // The local form without it: warned at the form's own list of materials.
    let mut form: Value =
        serde_json::from_slice(&golden("510000", "hukou-transfer.local.json")).expect("golden");
    form["CLXX"]
        .as_array_mut()
        .expect("CLXX")
        .retain(|m| m["CLLBDM"] != "move-in-proof");
    let local = sichuan.post_with(
        "/v1/regions/510000/forms/hukou-transfer",
        &[("Idempotency-Key", "sc-no-move-in-proof-local")],
        &form,
    );
    assert_eq!(
        local.status,
        201,
        "{}",
        String::from_utf8_lossy(&local.body)
    );
    let warned = missing(&local.json());
    assert!(
        warned[0]["pointer"]
            .as_str()
            .is_some_and(|p| p.starts_with("/CLXX")),
        "{warned:?}"
    );

    let r = sichuan.post(
        &format!("/v1/applications/{id}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let line = common::box_line(&chongqing, "500000", "inbox", &id);
    assert_eq!(line["awaiting"], json!(["accept"]), "{line}");
    let allowed = line["allowed"].as_array().expect("allowed");
    for action in ["accept", "not-accept", "request-supplement"] {
        assert!(allowed.contains(&json!(action)), "{action}: {line}");
    }
    assert!(!allowed.contains(&json!("approve")), "{line}");
    // The origin's outbox line lists its own: it may withdraw, it may not accept.
    let line = common::box_line(&sichuan, "510000", "outbox", &id);
    assert_eq!(line["allowed"], json!(["withdraw"]), "{line}");
    // The application's own view says the same to each of them, by the same rules.
    let handler_line = common::box_line(&chongqing, "500000", "inbox", &id);
    for (party, line) in [(&chongqing, &handler_line), (&sichuan, &line)] {
        let view = party.get(&format!("/v1/applications/{id}")).json();
        assert_eq!(view["allowed"], line["allowed"], "{view}");
        assert_eq!(view["awaiting"][0]["action"], json!("accept"), "{view}");
    }
    let operator = gw.client(Some(&tokens["operator"]));
    let view = operator.get(&format!("/v1/applications/{id}")).json();
    assert!(view.get("allowed").is_none(), "{view}");
}

/// Given Shanghai's GBK XML form with a name in the sex code field (`<XB>张三丰</XB>`) and
/// Sichuan's JSON form with one there too (`SQR_XB_DM`), when each is translated, then each is
/// refused at that field with rule `code`, its value said by its shape (`(3 characters: 3
/// non-ASCII letters, not shown)`), the name nowhere in the answer; a code's typo there
/// (`8`) is still shown as sent, for the adapter's author. (Found by a red team: the name was
/// echoed in `value` while the digits beside it were masked.)
#[test]
fn a_name_in_a_code_field_of_a_local_form_is_never_echoed() {
    let dir = TempDir::new("forms-code-echo");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let problem_at = |r: &common::Response, field: &str| -> Value {
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        let p = r.json();
        p["errors"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["field"] == field))
            .cloned()
            .unwrap_or_else(|| panic!("no problem at {field}: {p}"))
    };

    let shanghai = gw.client(Some(&tokens["310000"]));
    let golden_xml = golden("310000", "social-security-card.local.xml");
    let at = golden_xml
        .windows(10)
        .position(|w| w == b"<XB>2</XB>")
        .expect("the golden form's sex code");
    // 张三丰 in GBK.
    let name: &[u8] = &[0xD5, 0xC5, 0xC8, 0xFD, 0xB7, 0xE1];
    for (sent, shown) in [
        (name, "(3 characters: 3 non-ASCII letters, not shown)"),
        (&b"8"[..], "8"),
    ] {
        let mut form = golden_xml[..at + 4].to_vec();
        form.extend_from_slice(sent);
        form.extend_from_slice(&golden_xml[at + 5..]);
        let r = shanghai
            .send(
                "POST",
                "/v1/regions/310000/translate/social-security-card",
                &[("Content-Type", "application/xml; charset=GBK")],
                Some(&form),
            )
            .expect("POST");
        let p = problem_at(&r, "XB");
        assert_eq!(
            (&p["rule"], &p["value"]),
            (&json!("code"), &json!(shown)),
            "{p}"
        );
        assert!(!String::from_utf8_lossy(&r.body).contains("张三丰"), "{p}");
    }

    let sichuan = gw.client(Some(&tokens["510000"]));
    let mut form: Value =
        serde_json::from_slice(&golden("510000", "criminal-record-certificate.local.json"))
            .expect("json");
    form["SQR_XB_DM"] = json!("何静");
    let r = sichuan.post(
        "/v1/regions/510000/translate/criminal-record-certificate",
        &form,
    );
    let p = problem_at(&r, "SQR_XB_DM");
    assert_eq!(
        (&p["rule"], &p["value"]),
        (
            &json!("code"),
            &json!("(2 characters: 2 non-ASCII letters, not shown)")
        ),
        "{p}"
    );
    assert!(!String::from_utf8_lossy(&r.body).contains("何静"), "{p}");
}

/// Given Zhejiang's JSON hukou-transfer form, whose 性别 and 民族 are read through tables of
/// 汉字 codes (男/女/未说明, 汉族/维吾尔族), with names typed there (`欧阳娜娜`, `张三丰` for a
/// member moving along, `司马相如`), and a mobile grouped by dots and a landline typed into the
/// two 区划代码, when the form is translated, then each field is refused with its value said by
/// its shape or masked, no name and no phone's digits anywhere in the answer. (Found by a review:
/// a value of 汉字 no longer than the longest 汉字 code was echoed as a possible code.)
#[test]
fn names_in_hanzi_code_fields_and_grouped_phones_are_never_echoed() {
    let dir = TempDir::new("forms-hanzi-code-echo");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let zhejiang = gw.client(Some(&tokens["330000"]));
    let mut form: Value =
        serde_json::from_slice(&golden("330000", "hukou-transfer.local.json")).expect("json");
    form["申请人"]["性别"] = json!("欧阳娜娜");
    form["申请人"]["民族"] = json!("司马相如");
    form["业务信息"]["随迁人员"][0]["性别"] = json!("张三丰");
    form["业务信息"]["迁入地址"]["区划代码"] = json!("138.0013.8000");
    form["业务信息"]["迁出地址"]["区划代码"] = json!("0571-88888888");

    let r = zhejiang.post("/v1/regions/330000/translate/hukou-transfer", &form);

    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    let value_at = |pointer: &str| -> Value {
        p["errors"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["pointer"] == pointer))
            .map(|e| e["value"].clone())
            .unwrap_or_else(|| panic!("no problem at {pointer}: {p}"))
    };
    assert_eq!(
        value_at("/申请人/性别"),
        json!("(4 characters: 4 non-ASCII letters, not shown)")
    );
    assert_eq!(
        value_at("/申请人/民族"),
        json!("(4 characters: 4 non-ASCII letters, not shown)")
    );
    assert_eq!(
        value_at("/业务信息/随迁人员/0/性别"),
        json!("(3 characters: 3 non-ASCII letters, not shown)")
    );
    for division in ["/业务信息/迁入地址/区划代码", "/业务信息/迁出地址/区划代码"]
    {
        let shown = value_at(division);
        let shown = shown.as_str().unwrap_or_default();
        assert!(
            !shown.contains("0013") && !shown.contains("8888"),
            "{division}: {shown}"
        );
    }
    let body = String::from_utf8_lossy(&r.body);
    for personal in ["欧阳娜娜", "司马相如", "张三丰", "0013.8000", "88888888"] {
        assert!(!body.contains(personal), "{personal} in {body}");
    }
}
