//! docs/adapters.md's samples are what the adapters answer: a sample an adapter author copies
//! into a test or a ticket must be the real thing, not a paraphrase that drifted from the code.

use serde_json::Value;
use tongban_adapters::Registry;

/// The text of docs/adapters.md.
fn guide() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/adapters.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first ```json block of the section headed `heading`.
fn first_json_block(doc: &str, heading: &str) -> Value {
    let section = doc
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let block = section
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("no JSON block in {heading:?}"));
    serde_json::from_str(block).unwrap_or_else(|e| panic!("{heading:?}: {e}\n{block}"))
}

/// Given the problem "Problems in the caller's own words" shows (四川's `SQR_GMSFHM` with a
/// wrong check character), when 四川's criminal-record-certificate form carries that number,
/// then the one problem is exactly the sample, member for member: its message quoted as the
/// check says it. (Found by an adapter author's walkthrough: the sample's message was in
/// words the check no longer used.)
#[test]
fn the_sample_problem_is_what_a_form_gets() {
    let sample = first_json_block(&guide(), "Problems in the caller's own words");
    let adapter = Registry::builtin()
        .expect("builtin specs")
        .get("510000", "criminal-record-certificate")
        .expect("四川's adapter");
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/regions/510000/golden/criminal-record-certificate.local.json"
    );
    let mut form: Value =
        serde_json::from_slice(&std::fs::read(golden).expect("golden")).expect("JSON");
    // The golden number with its check character changed from 2 to 0.
    assert_eq!(form["SQR_GMSFHM"], "510107199501016782");
    form["SQR_GMSFHM"] = Value::from("510107199501016780");
    let refused = adapter
        .translate(
            &serde_json::to_vec(&form).expect("bytes"),
            Some("application/json"),
        )
        .expect_err("a wrong check character is refused");
    assert_eq!(refused.problems.len(), 1, "{refused}");
    let got = serde_json::to_value(&refused.problems[0]).expect("JSON");
    assert_eq!(got, sample, "docs/adapters.md shows another problem");
}
