//! `tongban adapt`: a region's local form translated on the command line, in the charset the
//! caller names.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tongban");

fn golden(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("adapters/regions/310000/golden")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Shanghai's spec reads GBK; a file re-saved as UTF-8 (without the declaration) is read as
/// UTF-8 when `--charset UTF-8` says so: 顾雪 stays 顾雪, not 椤鹃洩.
/// `tongban adapt` of Shanghai's social-security-card form with `--charset UTF-8`, fed `input`.
fn adapt_as_utf8(input: &[u8]) -> std::process::Output {
    adapt(
        &[
            "--region",
            "310000",
            "--matter",
            "social-security-card",
            "--charset",
            "UTF-8",
        ],
        input,
    )
}

#[test]
fn the_charset_given_is_the_one_read() {
    let gbk = golden("social-security-card.local.xml");
    let text = tongban_adapters::codec::decode_strict(&gbk, "GBK").expect("GBK golden");
    let utf8: String = text
        .lines()
        .filter(|l| !l.starts_with("<?xml"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = adapt_as_utf8(utf8.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("canonical JSON");
    let want: serde_json::Value =
        serde_json::from_slice(&golden("social-security-card.canonical.json")).expect("golden");
    assert_eq!(got, want);
    assert_eq!(got["applicant"]["name"], "顾雪");
}

/// The XML file declares GBK and `--charset UTF-8` says otherwise: refused (exit 1) in the
/// command line's terms, naming --charset, never a Content-Type the user did not write.
#[test]
fn a_charset_that_disagrees_with_the_declaration_names_the_option() {
    let gbk = golden("social-security-card.local.xml");
    let out = adapt_as_utf8(&gbk);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--charset 给出的字符集 UTF-8"), "{err}");
    assert!(err.contains("GBK"), "{err}");
    assert!(!err.contains("Content-Type"), "{err}");
}

/// A JSON form in GBK (杨帆 is D1 EE B7 AB) given without `--charset`: refused (exit 1) as not
/// UTF-8, told to give `--charset GBK`, in the command line's terms, never a Content-Type the
/// user did not write; given with it, the form is read (and refused only for what it lacks).
#[test]
fn a_form_that_is_not_utf8_is_told_to_give_its_charset() {
    let form = b"{\"QYR_XM\": \"\xD1\xEE\xB7\xAB\"}";
    let args = ["--region", "510000", "--matter", "hukou-transfer"];
    let out = adapt(&args, form);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("正文不是有效的 UTF-8 编码") && err.contains("--charset GBK"),
        "{err}"
    );
    assert!(!err.contains("Content-Type"), "{err}");
    let out = adapt(&[&args[..], &["--charset", "GBK"]].concat(), form);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("UTF-8"), "{err}");
    assert!(err.contains("[required]"), "{err}");
}

/// `tongban adapt <args>` fed `input`.
fn adapt(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .arg("adapt")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tongban adapt");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// `--reverse` writes a local form only from a body the gateway would take: a body of another
/// matter, or one missing a required field, is refused (exit 1) with each problem named, not
/// written as a form that holds whatever happened to map; a valid body is written, and what the
/// form has no field for is named (paths only), as a local read's X-Tongban-Unmapped says.
#[test]
fn reverse_writes_only_a_valid_body_of_the_adapters_matter() {
    let canonical_of = |region: &str, matter: &str| -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
            "adapters/regions/{region}/golden/{matter}.canonical.json"
        ));
        serde_json::from_slice(&std::fs::read(&path).expect("golden")).expect("json")
    };
    let args = [
        "--region",
        "440000",
        "--matter",
        "medical-filing",
        "--reverse",
    ];
    let valid = canonical_of("440000", "medical-filing");
    let out = adapt(&args, valid.to_string().as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON form");
    assert!(written.get("formData").is_some(), "{written}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Shanghai's body names its materials' format, which Guangdong's form has no field for:
    // written, and the path named (never the value).
    let shanghai = canonical_of("310000", "social-security-card");
    let out = adapt(
        &[
            "--region",
            "440000",
            "--matter",
            "social-security-card",
            "--reverse",
        ],
        shanghai.to_string().as_bytes(),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("has no field for /materials/*/format"),
        "{said}"
    );

    // A company's body and Guangdong's person-only business-registration form: refused at the
    // applicant's kind (exit 1), not written as a person.
    let mut company = canonical_of("440000", "business-registration");
    company["applicant"] = serde_json::json!({
        "kind": "organisation",
        "name": "广州示例控股有限公司",
        "credit_code": "91110000600037341L"
    });
    let out = adapt(
        &[
            "--region",
            "440000",
            "--matter",
            "business-registration",
            "--reverse",
        ],
        company.to_string().as_bytes(),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(out.stdout.is_empty(), "nothing written");
    assert!(said.contains("/applicant/kind [const-outbound]"), "{said}");

    let out = adapt(&args, b"{\"foo\": 1}");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing written");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("names no matter"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let other = canonical_of("440000", "social-security-card");
    let out = adapt(&args, other.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a social-security-card submission"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut missing = valid.clone();
    missing["form"]
        .as_object_mut()
        .expect("form")
        .remove("insured_region");
    let out = adapt(&args, missing.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing written");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("/form/insured_region [required]"), "{said}");
}

/// A form nested one level past the gateway's limit (33 levels, the root the first) is refused
/// by `tongban adapt` as the gateway refuses it, naming the limit and the line and column where
/// the form went past it; at 32 levels it is read (its made-up element then only an unknown
/// field). The command line's reader held forms to 64 levels, so a form it took the gateway
/// refused.
#[test]
fn a_form_nested_past_the_gateways_limit_is_refused() {
    let gbk = golden("social-security-card.local.xml");
    let text = tongban_adapters::codec::decode_strict(&gbk, "GBK").expect("GBK golden");
    let form = |levels: usize| {
        // The root and `levels - 1` more below it, the first on the root's line, each next one
        // on the following line: level 33 is at line 32.
        let deep = format!(
            "{}x{}",
            "<X>\n".repeat(levels - 1),
            "</X>".repeat(levels - 1)
        );
        text.lines()
            .filter(|l| !l.starts_with("<?xml"))
            .collect::<Vec<_>>()
            .join("\n")
            .replacen("<APPROVEDATAINFO>", &format!("<APPROVEDATAINFO>{deep}"), 1)
    };
    let out = adapt_as_utf8(form(33).as_bytes());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "nothing translated");
    assert!(
        err.contains("XML line 32, column 1: elements nest deeper than 32 levels"),
        "{err}"
    );
    assert!(err.contains("<X> here is level 33"), "{err}");

    let out = adapt_as_utf8(form(32).as_bytes());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("deeper"), "{err}");
}
