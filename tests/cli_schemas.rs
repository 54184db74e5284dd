//! `tongban schemas list|show|check|export`, run as the real binary.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, TempDir};
use serde_json::{Value, json};

fn tongban(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run tongban")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_shows_every_subject() {
    let o = tongban(&["schemas", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 23, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("matter.hukou-transfer\tmatter\tv2\t"))
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("application.accepted\tevent\tv1\t"))
    );
}

#[test]
fn show_prints_a_version_and_names_what_is_missing() {
    for version in [None, Some("1"), Some("latest")] {
        let mut args = vec!["schemas", "show", "application.denied"];
        if let Some(v) = version {
            args.extend(["--version", v]);
        }
        let o = tongban(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert_eq!(doc["$id"], "urn:tongban:schema:application.denied:1");
    }
    let o = tongban(&["schemas", "show", "matter.nothing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no schema subject \"matter.nothing\""));
    let o = tongban(&["schemas", "show", "application.denied", "--version", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no version \"9\""));
}

#[test]
fn check_exits_non_zero_listing_every_incompatibility() {
    let dir = TempDir::new("cli-check");
    let shown = tongban(&["schemas", "show", "application.denied"]);
    let current: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    let same = dir.0.join("same.json");
    std::fs::write(&same, current.to_string()).expect("write");
    let o = tongban(&["schemas", "check", "application.denied", &path(&same)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("compatible"));

    let mut candidate = current.clone();
    candidate["properties"]["reason"] = json!({"type": "integer", "description": "理由代码"});
    candidate["required"] = json!(["reason", "decision_number"]);
    candidate["examples"] =
        json!([{"reason": 3, "decision_number": "浙公户不准字〔2024〕第 0003 号"}]);
    let bad = dir.0.join("bad.json");
    std::fs::write(&bad, candidate.to_string()).expect("write");
    let o = tongban(&["schemas", "check", "application.denied", &path(&bad)]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 incompatibilities"), "{out}");
    let reason = out
        .lines()
        .find(|l| l.trim_start().starts_with("/reason"))
        .expect("/reason line");
    assert!(
        reason.contains("type-narrowed") && reason.contains("no longer accepted"),
        "{reason}"
    );
    let required = out
        .lines()
        .find(|l| l.trim_start().starts_with("/decision_number"))
        .expect("/decision_number line");
    assert!(
        required.contains("required-added") && required.contains("newly required"),
        "{required}"
    );
    // Each finding says what it means for the province, which cannot change the gateway's code:
    // whom to ask for an upcaster, not where to register one.
    let affects: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("affects: "))
        .collect();
    // The two incompatibilities come first (then the notices, the integer being new forward).
    assert!(affects.len() > 2, "{out}");
    for a in &affects[..2] {
        assert!(
            a.ends_with(
                "without an upcaster, which the gateway's maintainers register: propose the \
                 change to them"
            ) && !a.contains("schemas/README.md"),
            "{a}"
        );
    }

    // Unusable input is an error (2), not a verdict.
    let not_json = dir.0.join("not.json");
    std::fs::write(&not_json, "{").expect("write");
    let o = tongban(&["schemas", "check", "application.denied", &path(&not_json)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not JSON"));
    let o = tongban(&["schemas", "check", "matter.nothing", &path(&same)]);
    assert_eq!(o.status.code(), Some(2));
    let o = tongban(&[
        "schemas",
        "check",
        "application.denied",
        &path(&dir.0.join("missing.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// Given a candidate that is refused (a type narrowed) and also adds a member to a closed object
/// (a notice under BACKWARD), when checked, then both are printed, the incompatibility first,
/// and the exit code is still 1. The notices were printed only when nothing was refused, while
/// the HTTP answer gives both.
#[test]
fn check_prints_the_notices_of_a_refused_candidate_too() {
    let dir = TempDir::new("cli-check-notices");
    let shown = tongban(&["schemas", "show", "application.denied"]);
    let mut candidate: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    candidate["properties"]["reason"] = json!({"type": "integer", "description": "理由代码"});
    candidate["properties"]["appeal_deadline_days"] =
        json!({"type": "integer", "description": "申请复议期限 (日)"});
    candidate["examples"] =
        json!([{"reason": 3, "decision_number": "浙公户不准字〔2024〕第 0003 号"}]);
    let file = dir.0.join("both.json");
    std::fs::write(&file, candidate.to_string()).expect("write");
    let o = tongban(&["schemas", "check", "application.denied", &path(&file)]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("1 incompatibility"), "{out}");
    let refused = out
        .find("/reason [type-narrowed, backward against v1]")
        .expect("the incompatibility");
    let noted = out
        .find(
            "note (not refused under BACKWARD): /appeal_deadline_days \
             [property-added-to-closed-object, forward against v1]",
        )
        .expect("the notice");
    assert!(refused < noted, "incompatibilities first: {out}");
    // Two notices more at /reason: integer is new in the candidate, and its minLength is gone.
    assert_eq!(
        out.matches("note (not refused under BACKWARD)").count(),
        3,
        "{out}"
    );
    assert_eq!(out.matches("affects: ").count(), 4, "{out}");
}

#[test]
fn export_writes_what_is_checked_in() {
    let dir = TempDir::new("cli-export");
    let out = dir.0.join("export");
    let o = tongban(&["schemas", "export", "--out", &path(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote 34 schema documents"));
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/json");
    let mut compared = 0;
    for subject in std::fs::read_dir(&checked_in).expect("schemas/json") {
        let subject = subject.expect("entry").path();
        for file in std::fs::read_dir(&subject).expect("subject dir") {
            let file = file.expect("entry").path();
            let rel = file.strip_prefix(&checked_in).expect("relative");
            let exported = std::fs::read_to_string(out.join(rel))
                .unwrap_or_else(|e| panic!("{} not exported: {e}", rel.display()));
            let expected = std::fs::read_to_string(&file).expect("read");
            assert_eq!(exported, expected, "{} differs", rel.display());
            compared += 1;
        }
    }
    assert_eq!(compared, 34);
}

/// Given an export made once, when exported again to the same directory, then it is refused
/// (exit 2) naming a file there already, and no file is changed, not even one exported before
/// the first that is there; with `--force` every file is written again. An export into a
/// directory holding a gateway's key is refused, `--force` or not. (`--out` wrote over whatever
/// was there.)
#[test]
fn export_writes_over_no_file_unasked_and_nothing_into_a_data_directory() {
    let dir = TempDir::new("cli-export-again");
    let out = dir.0.join("export");
    let o = tongban(&["schemas", "export", "--out", &path(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // One file removed and one changed: the second export refuses before writing the first.
    let removed = out.join("application.accepted/1.json");
    std::fs::remove_file(&removed).expect("remove");
    let changed = out.join("matter.hukou-transfer/2.json");
    std::fs::write(&changed, "mine").expect("write");
    let o = tongban(&["schemas", "export", "--out", &path(&out)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is there already: nothing is written over a file unless --force is given"),
        "{err}"
    );
    assert!(!removed.exists(), "written before the refusal");
    assert_eq!(std::fs::read_to_string(&changed).expect("read"), "mine");
    let o = tongban(&["schemas", "export", "--out", &path(&out), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(removed.exists());
    assert_ne!(std::fs::read_to_string(&changed).expect("read"), "mine");

    let data = dir.0.join("data");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::write(data.join("gateway.key"), "a key").expect("key");
    for force in [false, true] {
        let target = path(&data.join("schemas"));
        let mut args = vec!["schemas", "export", "--out", target.as_str()];
        if force {
            args.push("--force");
        }
        let o = tongban(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("a gateway's data directory (it holds gateway.key)"),
            "{err}"
        );
        assert!(!data.join("schemas").exists());
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Given the published schema documents under `schemas/json`, then each is byte for byte the
/// one `schemas/SHA256SUMS` records, and every one recorded is there: a published version is
/// never edited (provinces validate against it and may have pinned its digest; it is served
/// `immutable`), and a new version adds its line (`cd schemas && sha256sum json/*/*.json >
/// SHA256SUMS` once it is reviewed). `sha256sum -c SHA256SUMS` checks the same.
#[test]
fn published_documents_are_the_ones_recorded() {
    use sha2::{Digest, Sha256};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let sums = std::fs::read_to_string(root.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut recorded = std::collections::BTreeMap::new();
    for line in sums.lines() {
        let (digest, path) = line.split_once("  ").expect("`<sha256>  <path>` lines");
        recorded.insert(path.to_string(), digest.to_string());
    }
    let mut found = std::collections::BTreeMap::new();
    for subject in std::fs::read_dir(root.join("json")).expect("json") {
        let subject = subject.expect("entry").path();
        for file in std::fs::read_dir(&subject).expect("subject") {
            let file = file.expect("entry").path();
            let bytes = std::fs::read(&file).expect("document");
            let path = file
                .strip_prefix(&root)
                .expect("under schemas")
                .to_string_lossy()
                .into_owned();
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            found.insert(path, digest);
        }
    }
    assert_eq!(
        found, recorded,
        "a published schema document changed, or one was added without its line in \
         schemas/SHA256SUMS: never edit a published version (bump it instead)"
    );
}
