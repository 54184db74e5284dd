//! End to end, against the real binary: a region that registered a request-signing key
//! (`tongban regions key`) must sign its state-changing requests. Unsigned, badly signed, stale,
//! tampered and replayed requests get 401 naming what is wrong; signed ones go through, and their
//! signatures come back with the events as evidence that verifies with the region's public key
//! alone. A region without a key keeps working with its token, and removing the key restores that.

mod common;

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{BIN, Client, Gateway, TempDir, register_regions};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SIGNED_REGION: &str = "310000";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn base64url_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64url") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 3339 UTC for `offset_secs` from now.
fn rfc3339(offset_secs: i64) -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        + offset_secs;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The signature headers for a POST of `body` to `path`, dated `date`, signed with `key`.
fn sign(key: &SigningKey, path: &str, date: &str, body: &[u8]) -> Vec<(String, String)> {
    let digest = hex(&Sha256::digest(body));
    let canonical = format!("POST\n{path}\n{date}\n{digest}");
    let sig = hex(&key.sign(canonical.as_bytes()).to_bytes());
    vec![
        ("Date".into(), date.into()),
        ("X-Tongban-Content-SHA256".into(), digest),
        (
            "X-Tongban-Signature".into(),
            format!("keyid=\"{SIGNED_REGION}\",sig=\"{sig}\""),
        ),
    ]
}

fn post(
    client: &Client,
    path: &str,
    headers: &[(String, String)],
    extra: &[(&str, &str)],
    body: &[u8],
) -> common::Response {
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.extend_from_slice(extra);
    client.send("POST", path, &all, Some(body)).expect("POST")
}

/// A POST of `body` to `path`, signed now with `key`, with no other header.
fn signed_post(client: &Client, key: &SigningKey, path: &str, body: &[u8]) -> common::Response {
    post(client, path, &sign(key, path, &rfc3339(0), body), &[], body)
}

fn problem_type(r: &common::Response) -> String {
    assert_eq!(
        r.status,
        401,
        "expected 401, got {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let p = r.json();
    let t = p["type"].as_str().expect("type").to_string();
    t.rsplit(':').next().unwrap_or_default().to_string()
}

fn golden(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/adapters/regions/{SIGNED_REGION}/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("golden file")
}

/// A gateway (started in a new temporary directory, `_dir`, there while it lives) whose region
/// [`SIGNED_REGION`] signs its requests with the key made from `seed`: the gateway, that
/// region's client and its signing key.
fn signing(name: &str, seed: u8) -> (TempDir, Gateway, Client, SigningKey) {
    let (dir, gw, tokens, key) = signing_with_tokens(name, seed);
    let client = gw.client(Some(&tokens[SIGNED_REGION]));
    (dir, gw, client, key)
}

/// [`signing`], with every region's token and the operator's instead of the one client.
fn signing_with_tokens(
    name: &str,
    seed: u8,
) -> (
    TempDir,
    Gateway,
    std::collections::BTreeMap<String, String>,
    SigningKey,
) {
    let dir = TempDir::new(name);
    let data = dir.0.join("data");
    let tokens = register_regions(&data);
    let key = SigningKey::from_bytes(&[seed; 32]);
    common::tongban_on(
        &data,
        &[
            "regions",
            "key",
            SIGNED_REGION,
            &hex(key.verifying_key().as_bytes()),
        ],
    );
    let gw = Gateway::start(&data, false);
    (dir, gw, tokens, key)
}

#[test]
fn signed_requests_over_http() {
    let dir = TempDir::new("signed");
    let data = dir.0.join("data");
    let tokens = register_regions(&data);
    let key = SigningKey::from_bytes(&[42; 32]);
    let public_hex = hex(key.verifying_key().as_bytes());
    common::tongban_on(&data, &["regions", "key", SIGNED_REGION, &public_hex]);
    // A malformed key is refused by the CLI.
    let out = Command::new(BIN)
        .args(["regions", "key", SIGNED_REGION, "abcd", "--data"])
        .arg(&data)
        .output()
        .expect("tongban regions");
    assert!(!out.status.success());

    let mut gw = Gateway::start(&data, false);
    let shanghai = gw.client(Some(&tokens[SIGNED_REGION]));
    let guangdong = gw.client(Some(&tokens["440000"]));
    let body = golden("social-security-card.canonical.json");
    let path = "/v1/applications";
    let idem = [("Idempotency-Key", "signed-1")];

    // Unsigned: 401, saying the region signs its requests.
    let r = post(&shanghai, path, &[], &idem, &body);
    assert_eq!(problem_type(&r), "signature-missing");
    assert!(r.json()["detail"].as_str().unwrap().contains(SIGNED_REGION));
    // Signed with another key: 401.
    let other = SigningKey::from_bytes(&[7; 32]);
    let r = post(
        &shanghai,
        path,
        &sign(&other, path, &rfc3339(0), &body),
        &idem,
        &body,
    );
    assert_eq!(problem_type(&r), "signature-invalid");
    // Signed for another path: 401 (the path is covered).
    let r = post(
        &shanghai,
        path,
        &sign(&key, "/v1/applications?x=1", &rfc3339(0), &body),
        &idem,
        &body,
    );
    assert_eq!(problem_type(&r), "signature-invalid");
    // Ten minutes old, or ten minutes ahead: 401 stale.
    for offset in [-600, 600] {
        let r = post(
            &shanghai,
            path,
            &sign(&key, path, &rfc3339(offset), &body),
            &idem,
            &body,
        );
        assert_eq!(problem_type(&r), "signature-stale");
    }
    // The body changed after signing: 401, the digest does not match.
    let mut tampered = body.clone();
    tampered.push(b' ');
    let r = post(
        &shanghai,
        path,
        &sign(&key, path, &rfc3339(0), &body),
        &idem,
        &tampered,
    );
    assert_eq!(problem_type(&r), "signature-digest-mismatch");
    // Nothing of that was appended.
    assert_eq!(
        guangdong.get("/v1/regions/440000/inbox").json()["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        0
    );

    // Signed properly: 201. Sent again as is (a retry after a lost answer): the same application.
    let headers = sign(&key, path, &rfc3339(0), &body);
    let r = post(&shanghai, path, &headers, &idem, &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = post(&shanghai, path, &headers, &idem, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], id.as_str());
    // The same signed request under a fresh key, or under none, is a replay: the key is not
    // signed, and would otherwise make a new application per key from one captured signature.
    let r = post(
        &shanghai,
        path,
        &headers,
        &[("Idempotency-Key", "signed-2")],
        &body,
    );
    assert_eq!(problem_type(&r), "signature-replayed");
    let r = post(&shanghai, path, &headers, &[], &body);
    assert_eq!(problem_type(&r), "signature-replayed");

    // A signed action; the same signature again is refused as a replay.
    let forward = format!("/v1/applications/{id}/forward");
    let fbody = json!({"expected_seq": 1, "materials_checked": true})
        .to_string()
        .into_bytes();
    let fheaders = sign(&key, &forward, &rfc3339(0), &fbody);
    let r = post(&shanghai, &forward, &fheaders, &[], &fbody);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let forward_event = r.json()["event"]["id"]
        .as_str()
        .expect("event id")
        .to_string();
    let r = post(&shanghai, &forward, &fheaders, &[], &fbody);
    assert_eq!(problem_type(&r), "signature-replayed");

    // A region without a key keeps acting with its token alone.
    let r = guangdong.post(&format!("/v1/applications/{id}/accept"), &json!({}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // The adapter form route too: unsigned 401, signed (with an HTTP date) 201.
    let form = golden("social-security-card.local.xml");
    let form_path = "/v1/regions/310000/forms/social-security-card";
    let xml = [("Content-Type", "application/xml; charset=GBK")];
    let r = post(&shanghai, form_path, &[], &xml, &form);
    assert_eq!(problem_type(&r), "signature-missing");
    let http_date = gw
        .client(None)
        .get("/healthz")
        .header("date")
        .expect("a Date header")
        .to_string();
    let r = post(
        &shanghai,
        form_path,
        &sign(&key, form_path, &http_date, &form),
        &xml,
        &form,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    // A mistyped region on a signed route is still refused unsigned first (401), on the form
    // route and on the feed's ack alike: the signature rule holds whatever the path names.
    let ack = json!({"position": 1}).to_string().into_bytes();
    for (path, headers, body) in [
        (
            "/v1/regions/31000/forms/social-security-card",
            &xml[..],
            &form[..],
        ),
        ("/v1/regions/31000/feed/ack", &[][..], &ack[..]),
    ] {
        let r = post(&shanghai, path, &[], headers, body);
        assert_eq!(
            r.status,
            401,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(problem_type(&r), "signature-missing", "{path}");
    }

    // Moving the region's feed cursor: unsigned 401, signed 200.
    let ack_path = format!("/v1/regions/{SIGNED_REGION}/feed/ack");
    let r = post(&shanghai, &ack_path, &[], &[], &ack);
    assert_eq!(problem_type(&r), "signature-missing");
    let r = post(
        &shanghai,
        &ack_path,
        &sign(&key, &ack_path, &rfc3339(0), &ack),
        &[],
        &ack,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // The evidence comes back beside the events, and verifies with the public key alone (read
    // by the signer: the other party is not served the body, see
    // a_signed_local_forms_body_is_served_only_to_its_signer_and_operators).
    let answer = shanghai
        .get(&format!("/v1/applications/{id}/events"))
        .json();
    let events = answer["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    let evidence = answer["request_signatures"]
        .as_object()
        .expect("signatures");
    assert_eq!(
        evidence.len(),
        2,
        "submission and forward, not accept: {evidence:?}"
    );
    let submitted = events[0]["id"].as_str().expect("id");
    assert!(evidence.contains_key(submitted));
    assert!(evidence.contains_key(&forward_event));
    assert!(!evidence.contains_key(events[2]["id"].as_str().expect("id")));
    // Envelopes are unchanged: exactly the contract's fields.
    let fields: Vec<&str> = events[0]
        .as_object()
        .expect("envelope")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields.len(), 12, "{fields:?}");
    let public =
        VerifyingKey::from_bytes(&unhex(&public_hex).try_into().expect("32 bytes")).expect("key");
    for (event_id, e) in evidence {
        let sent = base64url_decode(e["body_base64url"].as_str().expect("body"));
        let digest = hex(&Sha256::digest(&sent));
        assert_eq!(e["body_sha256"], digest.as_str());
        let canonical = format!(
            "{}\n{}\n{}\n{digest}",
            e["method"].as_str().expect("method"),
            e["path"].as_str().expect("path"),
            e["date"].as_str().expect("date"),
        );
        assert_eq!(e["canonical"], canonical.as_str());
        assert_eq!(e["keyid"], SIGNED_REGION);
        assert_eq!(e["public_key"], public_hex.as_str());
        let sig = ed25519_dalek::Signature::from_slice(&unhex(e["sig"].as_str().expect("sig")))
            .expect("signature");
        assert!(
            public.verify(canonical.as_bytes(), &sig).is_ok(),
            "evidence of {event_id} verifies"
        );
    }
    // The submission's evidence carries the exact body the region sent.
    assert_eq!(
        base64url_decode(
            evidence[submitted]["body_base64url"]
                .as_str()
                .expect("body")
        ),
        body
    );

    // The dispute page shows the region's own signatures beside the events, each checked again
    // from what was kept alone: the submission's and the forward's, not the acceptance's.
    let signed_rows = |page: &str| {
        let section = page
            .split("id=\"request-signatures\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no request signatures section: {page}"));
        let section = section.split("<h2>").next().unwrap_or_default().to_string();
        assert_eq!(
            section.matches("<span class=\"ok\">通过</span>").count(),
            2,
            "{section}"
        );
        assert!(!section.contains("不通过"), "{section}");
        assert!(
            section.contains(&public_hex)
                && section.contains(&format!("POST <bdi>/v1/applications/{id}/forward</bdi>"))
                && section.contains("POST <bdi>/v1/applications</bdi><"),
            "{section}"
        );
    };
    let page = guangdong.get(&format!("/ui/applications/{id}"));
    assert_eq!(page.status, 200);
    signed_rows(&String::from_utf8(page.body).expect("utf-8"));

    // Removing the key: the region's token alone acts again (no restart).
    common::tongban_on(&data, &["regions", "key", SIGNED_REGION, "--remove"]);
    let r = post(
        &shanghai,
        path,
        &[],
        &[("Idempotency-Key", "unsigned-2")],
        &body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let new_id = r.json()["id"].as_str().expect("id").to_string();
    let answer: Value = shanghai
        .get(&format!("/v1/applications/{new_id}/events"))
        .json();
    assert_eq!(answer["request_signatures"], json!({}));
    // Removing it again changes nothing, and says so (exit 1), as revoking a revoked token does.
    let again = std::process::Command::new(common::BIN)
        .args(["regions", "key", SIGNED_REGION, "--remove", "--data"])
        .arg(&data)
        .output()
        .expect("tongban");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("has no request signing key"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // Offline, from the stopped gateway's data directory: the same signatures, checked again;
    // and from a copy restored without its evidence/, a page that says why none is shown.
    assert_eq!(gw.terminate().code(), Some(0));
    let (code, page, err) = common::tongban(&["dispute", &id], &data);
    assert_eq!(code, 0, "{err}");
    signed_rows(&page);
    let restored = dir.0.join("restored");
    common::copy_dir(&data, &restored);
    std::fs::remove_dir_all(restored.join("evidence")).expect("remove evidence");
    let (code, page, err) = common::tongban(&["dispute", &id], &restored);
    assert_eq!(code, 0, "{err}");
    assert!(
        page.contains("id=\"request-signatures-unavailable\"") && page.contains("没有"),
        "{page}"
    );
}

/// Given a region that signs, when it sends two identical submissions signed within the same
/// second, then with fractional-second Dates (as docs/signed-requests.md's client sends them)
/// both are taken (201, two applications), while with the same whole-second Date the second is
/// refused as `signature-replayed` with a detail saying why (an identical request signed in the
/// same second has an identical signature) and how to avoid it. Guards the documented client
/// against refusals of requests it really signed afresh.
#[test]
fn identical_requests_signed_in_one_second_pass_with_fractional_dates() {
    let (_dir, _gw, shanghai, key) = signing("signed-fraction", 42);
    let body = golden("social-security-card.canonical.json");
    let path = "/v1/applications";

    // One second, read once, so both Dates fall within it whatever the clock does meanwhile.
    let second = rfc3339(0);
    let whole = second.strip_suffix('Z').expect("UTC");
    let mut ids = Vec::new();
    for fraction in ["001", "002"] {
        let date = format!("{whole}.{fraction}Z");
        let r = post(&shanghai, path, &sign(&key, path, &date, &body), &[], &body);
        assert_eq!(
            r.status,
            201,
            "{date}: {}",
            String::from_utf8_lossy(&r.body)
        );
        ids.push(r.json()["id"].as_str().expect("id").to_string());
    }
    assert_ne!(ids[0], ids[1]);

    // The same whole-second Date twice: the second signing is byte for byte the first.
    let r = post(
        &shanghai,
        path,
        &sign(&key, path, &second, &body),
        &[],
        &body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = post(
        &shanghai,
        path,
        &sign(&key, path, &second, &body),
        &[],
        &body,
    );
    assert_eq!(problem_type(&r), "signature-replayed");
    let detail = r.json()["detail"].as_str().expect("detail").to_string();
    assert!(detail.contains("same second"), "{detail}");
    assert!(detail.contains("fractional seconds"), "{detail}");
}

/// Given a signing region whose platform writes a UTF-8 byte order mark before its JSON, when it
/// signs the body as sent (mark included), then the request is taken: the gateway reads the JSON
/// after the mark, checks the digest over the bytes as sent, and keeps exactly those bytes as
/// evidence. Guards the BOM stripping against breaking signatures.
#[test]
fn a_body_with_a_byte_order_mark_is_signed_as_sent() {
    let (_dir, _gw, shanghai, key) = signing("signed-bom", 42);
    let mut body = b"\xef\xbb\xbf".to_vec();
    body.extend_from_slice(&golden("social-security-card.canonical.json"));
    let path = "/v1/applications";
    let r = signed_post(&shanghai, &key, path, &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().expect("id").to_string();
    let answer = shanghai
        .get(&format!("/v1/applications/{id}/events"))
        .json();
    let evidence = answer["request_signatures"]
        .as_object()
        .expect("signatures");
    let kept = evidence.values().next().expect("the submission's evidence");
    assert_eq!(
        base64url_decode(kept["body_base64url"].as_str().expect("body")),
        body
    );
}

/// Given a signing region whose client prints hex in capitals, when it sends the body's digest
/// and the signature in upper case, the canonical string signed with the digest in lowercase,
/// then the request is taken, as docs/signed-requests.md says; and a signature over a canonical
/// string whose digest line is in capitals is `signature-invalid`: the gateway rebuilds that
/// line from the body, in lowercase. (Found by an adapter author's walkthrough: the guide said
/// the header was lowercase only, which deployed clients sending capitals contradict.)
#[test]
fn hex_in_capitals_is_read_but_the_canonical_digest_is_lowercase() {
    let (_dir, _gw, shanghai, key) = signing("signed-case", 7);
    let body = golden("social-security-card.canonical.json");
    let path = "/v1/applications";
    let capitals: Vec<(String, String)> = sign(&key, path, &rfc3339(0), &body)
        .into_iter()
        .map(|(name, value)| match name.as_str() {
            "X-Tongban-Content-SHA256" => (name, value.to_ascii_uppercase()),
            "X-Tongban-Signature" => {
                let (keyid, sig) = value.split_once(",sig=").expect("sig");
                (name, format!("{keyid},sig={}", sig.to_ascii_uppercase()))
            }
            _ => (name, value),
        })
        .collect();
    assert!(
        capitals
            .iter()
            .any(|(n, v)| n == "X-Tongban-Content-SHA256"
                && v.chars().any(|c| c.is_ascii_uppercase()))
    );
    let r = post(&shanghai, path, &capitals, &[], &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    // The digest line itself in capitals: no longer the string the gateway verifies.
    let body = golden("criminal-record-certificate.canonical.json");
    let date = rfc3339(0);
    let digest = hex(&Sha256::digest(&body)).to_ascii_uppercase();
    let canonical = format!("POST\n{path}\n{date}\n{digest}");
    let sig = hex(&key.sign(canonical.as_bytes()).to_bytes());
    let headers = vec![
        ("Date".to_string(), date),
        ("X-Tongban-Content-SHA256".to_string(), digest),
        (
            "X-Tongban-Signature".to_string(),
            format!("keyid=\"{SIGNED_REGION}\",sig=\"{sig}\""),
        ),
    ];
    let r = post(&shanghai, path, &headers, &[], &body);
    assert_eq!(problem_type(&r), "signature-invalid");
}

/// Given a signing region that sends its local form with a field its spec does not have (an
/// internal note holding a third person's ID number), when it submits it signed, then the field
/// is warned `unknown-field` as not in the event but kept in the request's evidence; the other
/// party (the handler) reads the events and the evidence page with the signature record but
/// without the body, told it is withheld and who is served it; the signing region and an
/// operator read the body the region signed. (Found by an integrator's walkthrough: every party
/// was served the whole local form.)
#[test]
fn a_signed_local_forms_body_is_served_only_to_its_signer_and_operators() {
    let (_dir, gw, tokens, key) = signing_with_tokens("signed-form-body", 11);
    let shanghai = gw.client(Some(&tokens[SIGNED_REGION]));
    let guangdong = gw.client(Some(&tokens["440000"]));
    let operator = gw.client(Some(&tokens["operator"]));
    let third_person = b"110105194912310021";
    let golden_form = golden("social-security-card.local.xml");
    let at = golden_form
        .windows(b"</SQRXX>".len())
        .position(|w| w == b"</SQRXX>")
        .expect("the applicant's element");
    let mut form = golden_form[..at].to_vec();
    form.extend_from_slice(b"<NBBZ>");
    form.extend_from_slice(third_person);
    form.extend_from_slice(b"</NBBZ>");
    form.extend_from_slice(&golden_form[at..]);
    let path = "/v1/regions/310000/forms/social-security-card";
    let r = post(
        &shanghai,
        path,
        &sign(&key, path, &rfc3339(0), &form),
        &[("Content-Type", "application/xml; charset=GBK")],
        &form,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    let warning = answer["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["rule"] == "unknown-field")
        .unwrap_or_else(|| panic!("an unknown-field warning: {answer}"))
        .clone();
    assert_eq!(warning["field"], "NBBZ", "{warning}");
    let message = warning["message"].as_str().expect("message");
    assert!(
        message.contains("not in the event")
            && message.contains("kept in the signed request's evidence"),
        "{message}"
    );
    let id = answer["id"].as_str().expect("id").to_string();
    let events = format!("/v1/applications/{id}/events");
    let evidence_of = |client: &Client| {
        let answer = client.get(&events).json();
        answer["request_signatures"]
            .as_object()
            .expect("signatures")
            .values()
            .next()
            .unwrap_or_else(|| panic!("the submission's evidence: {answer}"))
            .clone()
    };

    // The handler: the signature record, without the body, told who holds it.
    let other = evidence_of(&guangdong);
    assert_eq!(other["body_base64url"], Value::Null, "{other}");
    assert_eq!(other["body_sha256"], hex(&Sha256::digest(&form)));
    let why = other["body_withheld"].as_str().expect("body_withheld");
    assert!(why.contains("310000") && why.contains("operators"), "{why}");
    // What it keeps still verifies under the region's key.
    let canonical = other["canonical"].as_str().expect("canonical");
    let sig = ed25519_dalek::Signature::from_slice(&unhex(other["sig"].as_str().expect("sig")))
        .expect("signature");
    assert!(
        key.verifying_key()
            .verify(canonical.as_bytes(), &sig)
            .is_ok()
    );
    let page = guangdong.get(&format!("/ui/applications/{id}"));
    assert_eq!(page.status, 200);
    let page = String::from_utf8_lossy(&page.body).into_owned();
    assert!(page.contains("请求正文不向本方提供"), "{page}");
    assert!(!page.contains("body_base64url"), "{page}");

    // The signer and an operator: the exact bytes signed.
    for reader in [&shanghai, &operator] {
        let kept = evidence_of(reader);
        assert_eq!(kept["body_withheld"], Value::Null, "{kept}");
        assert_eq!(
            base64url_decode(kept["body_base64url"].as_str().expect("body")),
            form
        );
    }
    let page = operator.get(&format!("/ui/applications/{id}"));
    assert!(String::from_utf8_lossy(&page.body).contains("body_base64url"));
}

/// Given a region that signs its requests and an application it submitted, when it sends an
/// action's dry run (`…/forward/check`) unsigned, then it is answered (200: the status and seq
/// the forward would give), as the submission's dry run is, while the forward itself unsigned
/// is 401 `signature-missing`; and the dry run used no signature: the signed forward sent after
/// it is taken, and it is the one whose signature is kept as evidence.
#[test]
fn an_actions_dry_run_is_answered_unsigned() {
    let (_dir, _gw, shanghai, key) = signing("signed-act-check", 43);
    let body = golden("social-security-card.canonical.json");
    let path = "/v1/applications";
    let r = signed_post(&shanghai, &key, path, &body);
    let id = common::created_id(&r);
    let forward = format!("/v1/applications/{id}/forward");
    let fbody = json!({"expected_seq": 1, "materials_checked": true})
        .to_string()
        .into_bytes();

    let checked = post(&shanghai, &format!("{forward}/check"), &[], &[], &fbody);

    let answer = common::success(&checked);
    assert_eq!(
        (&answer["status"], &answer["seq"], &answer["type"]),
        (
            &json!("forwarded"),
            &json!(2),
            &json!("application.forwarded")
        ),
        "{answer}"
    );
    let r = post(&shanghai, &forward, &[], &[], &fbody);
    assert_eq!(problem_type(&r), "signature-missing");
    let acted = common::success(&signed_post(&shanghai, &key, &forward, &fbody));
    assert_eq!(acted["seq"], json!(2), "{acted}");
    let events = common::success(&shanghai.get(&format!("/v1/applications/{id}/events")));
    let forwarded = acted["event"]["id"].as_str().expect("event id");
    assert!(
        events["request_signatures"][forwarded].is_object(),
        "{events}"
    );
}

/// Given a region that signs its requests and an application it submitted, when its team posts
/// its export to its own region's reconcile route unsigned, then it is reconciled (200, the
/// record agreeing): a reconciliation changes nothing, as the reads and dry runs do not; and
/// signature headers sent with it, even a signature that does not verify, are ignored, not
/// refused.
#[test]
fn a_reconciliation_is_answered_unsigned() {
    let (_dir, _gw, shanghai, key) = signing("signed-reconcile", 44);
    let body = golden("social-security-card.canonical.json");
    let id = common::created_id(&signed_post(&shanghai, &key, "/v1/applications", &body));
    let view = common::success(&shanghai.get(&format!("/v1/applications/{id}")));
    let updated = view["updated_at"].as_str().expect("updated_at");
    let export = format!("app,status,updated_at\n{id},submitted,{updated}\n").into_bytes();
    let path = format!("/v1/regions/{SIGNED_REGION}/reconcile");
    let csv = [("Content-Type", "text/csv")];

    let unsigned = common::success(&post(&shanghai, &path, &[], &csv, &export));
    assert_eq!(unsigned["agreeing"], json!(1), "{unsigned}");
    assert_eq!(unsigned["agrees"], json!(true), "{unsigned}");

    // A digest and a signature of another body: refused on any route that checks them.
    let forged = sign(&key, &path, &rfc3339(0), b"another body");
    let ignored = common::success(&post(&shanghai, &path, &forged, &csv, &export));
    assert_eq!(ignored, unsigned);
}
