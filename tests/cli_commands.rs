//! The command line itself, run as the built binary: every command's `--help`, a stdout closed
//! by its reader (`tongban verify | head`, and under a command that issues a token), a data
//! directory held by a running gateway, and the `--public-key` errors.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, Gateway, TempDir, files_below};

/// Runs the binary with its stdout a pipe whose reading end is closed before it starts: every
/// write it makes to stdout fails with a broken pipe, as under `| head -0`.
fn with_stdout_closed(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongban");
    child.wait_with_output().expect("wait")
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tongban")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A data directory whose log holds one submitted application, written by the real gateway;
/// returns the gateway still running, the application's id and the served public key.
fn one_application(data: &Path) -> (Gateway, String, String) {
    let tokens = common::register_regions(data);
    let gw = Gateway::start(data, false);
    let matters = gw.client(None).get("/v1/matters").json();
    let body = matters["matters"][0]["example"].clone();
    let origin = body["origin"].as_str().expect("origin").to_string();
    let r = gw
        .client(Some(&tokens[&origin]))
        .post("/v1/applications", &body);
    assert_eq!(r.status, 201, "{}", text(&r.body));
    let id = r.json()["id"].as_str().expect("id").to_string();
    let key = gw.client(None).get("/v1/keys").json()["keys"][0]["public_key_hex"]
        .as_str()
        .expect("key")
        .to_string();
    (gw, id, key)
}

/// Runs the binary with `args`, which must refuse them (exit 2): its standard error.
fn refused(args: &[&str]) -> String {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

/// [`one_application`] in `<dir>/data` of a new directory, its gateway stopped: the directory,
/// the data directory, the served public key and the log head the gateway served last.
fn stopped_application(label: &str) -> (TempDir, std::path::PathBuf, String, serde_json::Value) {
    let dir = TempDir::new(label);
    let data = dir.0.join("data");
    let (mut gw, _, key) = one_application(&data);
    let head = gw
        .client(Some(&common::tokens(&data)["operator"]))
        .get("/v1/log/head")
        .json();
    assert_eq!(gw.terminate().code(), Some(0));
    (dir, data, key, head)
}

/// A valid Ed25519 public key that is not the gateway's: every signature fails under it.
fn another_key() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Given a reader that closes the pipe before reading (`tongban verify | head`), when any command
/// that prints runs into it, then it stops quietly, with no panic, and exits with the code its
/// verdict has: verify with another key 1 (broken), reconcile with a discrepancy 1, others 0.
#[test]
fn every_command_stops_quietly_on_a_closed_stdout() {
    let dir = TempDir::new("cli-pipe");
    let data = dir.0.join("data");
    let (mut gw, id, key) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let records = dir.0.join("records.csv");
    std::fs::write(
        &records,
        format!("app,status,updated_at\n{id},delivered,2026-11-02T01:00:00Z\n"),
    )
    .expect("records");
    let other = another_key();
    let d = data.to_str().expect("path");
    let r = records.to_str().expect("path");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["verify", "--data", d, "--public-key", &other], 1),
        (vec!["verify", "--data", d, "--public-key", &key], 0),
        (vec!["replay", &id, "--data", d], 0),
        (vec!["replay", &id, "--data", d, "--format", "json"], 0),
        (vec!["replay", &id, "--data", d, "--public-key", &other], 1),
        (vec!["dispute", &id, "--data", d], 0),
        (
            vec![
                "reconcile",
                "--region",
                "440000",
                "--records",
                r,
                "--data",
                d,
            ],
            1,
        ),
        (vec!["regions", "list", "--data", d], 0),
        (vec!["schemas", "list"], 0),
        (vec!["schemas", "show", "application.submitted"], 0),
        (vec!["adapt", "--list"], 0),
        (vec!["verify", "--help"], 0),
        (vec!["--help"], 0),
    ];
    for (args, code) in cases {
        let out = with_stdout_closed(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

/// The offline tools read the log without changing a byte of the data directory (fjall would
/// trim its journal and remove old version files on an open in place), leave no copy behind, and
/// the dispute page, which holds the applicant's personal data, is written readable by its owner
/// only.
#[test]
fn the_offline_tools_leave_the_directory_as_they_found_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli-read-only");
    let data = dir.0.join("data");
    let (mut gw, id, key) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let before = files_below(&data);
    let beside = |d: &Path| std::fs::read_dir(d).expect("dir").count();
    let siblings = beside(&dir.0);
    let d = data.to_str().expect("path");
    let page = dir.0.join("pages").join("dispute.html");
    let p = page.to_str().expect("path");
    for args in [
        vec!["verify", "--data", d, "--public-key", &key],
        vec!["verify", "--app", &id, "--data", d, "--public-key", &key],
        vec!["replay", &id, "--data", d],
        vec!["dispute", &id, "--data", d, "--out", p],
    ] {
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(files_below(&data) == before, "the data directory changed");
    // Another key: every signature fails and nothing else, which verify tells apart.
    let out = run(&["verify", "--data", d, "--public-key", &another_key()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("note: no event's signature verifies under key"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        beside(&dir.0),
        siblings + 1,
        "a copy left beside it (pages/ is the one new)"
    );
    let mode = std::fs::metadata(&page).expect("page").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

/// Given a stopped gateway's data directory, when `tongban dispute --out` names a file in it
/// (the signing key, the log's journal; through `..`, through a symbolic link to the directory,
/// or a file not there yet), then it is refused, `--force` or not, exit 2, before the log is
/// read, and the directory is byte for byte as it was; a file outside it that exists is refused
/// too, naming it, and replaced only with `--force`; a directory holding another gateway's key
/// is refused as that gateway's. (Found by an operator's walkthrough: `--out DIR/gateway.key`
/// answered "wrote …", exit 0, and the key was gone.)
#[test]
fn dispute_out_writes_nothing_in_a_data_directory_and_over_no_file_unasked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli-out");
    let data = dir.0.join("data");
    let (mut gw, id, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let journal = std::fs::read_dir(data.join("log"))
        .expect("log")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "jnl"))
        .expect("a journal file");
    std::os::unix::fs::symlink(&data, dir.0.join("alias")).expect("link");
    let before = files_below(&data);
    let d = data.to_str().expect("path").to_string();
    let inside = [
        data.join("gateway.key"),
        journal.clone(),
        data.join("regions.json"),
        dir.0.join("data/../data/gateway.key"),
        dir.0.join("alias/gateway.key"),
        dir.0.join("alias/reports/page.html"),
        data.join("reports/new/../page.html"),
        data.join("page.html"),
    ];
    for out in &inside {
        for force in [false, true] {
            let o = out.to_str().expect("path");
            let mut args = vec!["dispute", id.as_str(), "--data", &d, "--out", o];
            if force {
                args.push("--force");
            }
            let done = run(&args);
            let err = text(&done.stderr);
            assert_eq!(done.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("--out {o} is inside the data directory")),
                "{args:?}: {err}"
            );
            // Refused before the log was read: no key or calendar note.
            assert!(!err.contains("calendar"), "{args:?}: {err}");
        }
    }
    // The data directory named through a link: its files are still its own.
    let alias = dir.0.join("alias");
    let a = alias.to_str().expect("path");
    let o = data.join("page.html");
    let done = run(&[
        "dispute",
        &id,
        "--data",
        a,
        "--out",
        o.to_str().expect("path"),
    ]);
    let err = text(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(err.contains("is inside the data directory"), "{err}");
    assert!(files_below(&data) == before, "the data directory changed");
    assert!(!data.join("reports").exists());

    // Outside it: a file there already is the user's, refused without --force.
    let kept = dir.0.join("kept.html");
    std::fs::write(&kept, b"keep me").expect("write");
    let k = kept.to_str().expect("path");
    let done = run(&["dispute", &id, "--data", &d, "--out", k]);
    let err = text(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("--out {k} is there already"))
            && err.contains("unless --force is given"),
        "{err}"
    );
    assert_eq!(std::fs::read(&kept).expect("kept"), b"keep me");
    // A directory is no file, --force or not.
    let done = run(&[
        "dispute",
        &id,
        "--data",
        &d,
        "--out",
        dir.0.to_str().expect("path"),
        "--force",
    ]);
    assert_eq!(done.status.code(), Some(2));
    assert!(
        text(&done.stderr).contains("is a directory"),
        "{}",
        text(&done.stderr)
    );
    // --force replaces it, for its owner alone.
    let done = run(&["dispute", &id, "--data", &d, "--out", k, "--force"]);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let page = std::fs::read_to_string(&kept).expect("page");
    assert!(page.contains(&id), "not the page");
    let mode = std::fs::metadata(&kept).expect("page").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // --force alone, with no file to replace, is a mistake said as such.
    let done = run(&["dispute", &id, "--data", &d, "--force"]);
    assert_eq!(done.status.code(), Some(2));
    assert!(text(&done.stderr).contains("--force goes with --out FILE"));

    // Another gateway's directory (it holds a key), not the one --data names.
    let other = dir.0.join("other-gateway");
    std::fs::create_dir_all(other.join("log")).expect("dir");
    std::fs::write(other.join("gateway.key"), b"a key").expect("key");
    let o = other.join("log/page.html");
    let done = run(&[
        "dispute",
        &id,
        "--data",
        &d,
        "--out",
        o.to_str().expect("path"),
    ]);
    let err = text(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "is inside {}, a gateway's data directory",
            other.display()
        )),
        "{err}"
    );
    assert!(!o.exists());

    // `bench --work` makes its gateways' directories there: never in a data directory, named
    // as it is, through a symbolic link, or below it. (It wrote into one.)
    for work in [data.clone(), dir.0.join("alias"), data.join("log")] {
        let w = work.to_str().expect("path");
        let err = refused(&["bench", "--only", "fjall", "--duration", "1", "--work", w]);
        assert!(
            err.starts_with(&format!(
                "tongban: --work {w} is inside {}, a gateway's data directory (it holds \
                 gateway.key): nothing is ever written there but by the gateway; name a \
                 directory outside it",
                data.canonicalize().expect("data").display()
            )),
            "{err}"
        );
        assert!(files_below(&data) == before, "bench --work {w} changed {d}");
    }
}

/// Given a log with one application, when `replay`, `dispute` and `verify --app` are given an
/// id that is no lowercase UUID (in capitals, without dashes, its first 8 characters, a
/// province's serial, with a space around it, empty, a phone number), then each refuses it for
/// its form (exit 2) with the HTTP API's rule and words, before reading the log, never as "no
/// application … in the log"; a serial is pointed to `tongban find --serial`; nothing typed is
/// quoted but the id a UUID in capitals would be. A well-formed id the log does not hold is
/// still told as absent. (An operator's walkthrough read "no application F8173684-… in the log"
/// as "it does not exist".)
#[test]
fn a_mistyped_application_id_is_refused_for_its_form_not_answered_as_absent() {
    let dir = TempDir::new("cli-app-id");
    let data = dir.0.join("data");
    let (mut gw, id, _) = one_application(&data);
    let upper = id.to_uppercase();
    // Over HTTP, the same id in capitals: the words the offline tools must use.
    let operator = common::tokens(&data)["operator"].clone();
    let r = gw
        .client(Some(&operator))
        .get(&format!("/v1/applications/{upper}/events"));
    assert_eq!(r.status, 400);
    let http = format!("application ids are lowercase UUIDs: {id}");
    assert!(text(&r.body).contains(&http), "{}", text(&r.body));
    let r = gw
        .client(Some(&operator))
        .get("/v1/applications/GD-2026-0929-A/events");
    assert_eq!(r.status, 400);
    let none = "application ids are lowercase UUIDs (as POST /v1/applications answers them)";
    assert!(text(&r.body).contains(none), "{}", text(&r.body));
    assert_eq!(gw.terminate().code(), Some(0));
    let d = data.to_str().expect("path");
    let spaced = format!("{id} ");
    let undashed = id.replace('-', "");
    let cases: [(&str, &str); 7] = [
        (&upper, &http),
        (&undashed, "32 hex digits without the dashes"),
        (&upper[..8], "the start of an id? give it whole"),
        ("GD-2026-0929-A", "tongban find --serial <number>"),
        (&spaced, "it has white space around it"),
        ("", "it is empty"),
        ("13612345678", "it is 11 characters: 11 digits"),
    ];
    for (given, want) in cases {
        for (option, args) in [
            ("<app-id>", vec!["replay", given, "--data", d]),
            ("<app-id>", vec!["dispute", given, "--data", d]),
            ("--app", vec!["verify", "--app", given, "--data", d]),
        ] {
            let out = run(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.starts_with(&format!(
                    "tongban: {option}: application ids are lowercase UUIDs"
                )) && err.contains(want),
                "{args:?}: {err}"
            );
            assert!(!err.contains("in the log"), "{args:?}: {err}");
            // Refused before the log was read: no key or calendar note.
            assert!(
                !err.contains("calendar") && !err.contains("key "),
                "{args:?}: {err}"
            );
            if given != upper && !given.trim().is_empty() {
                assert!(!err.contains(given.trim()), "{args:?} quoted it: {err}");
            }
        }
    }
    // Well formed, not in the log: that is an answer.
    let absent = "01a24b69-6aca-7ca8-9826-3440fd10472a";
    let out = run(&["replay", absent, "--data", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("no application {absent} in the log")),
        "{}",
        text(&out.stderr)
    );
}

/// Given an offline tool reading its copy of the log (it holds the log's personal data), when
/// it is interrupted (Ctrl-C, or SIGTERM from a supervisor), then the copy is removed before it
/// exits, with the signal's status.
#[test]
fn an_interrupted_offline_tool_removes_its_copy_of_the_log() {
    let dir = TempDir::new("cli-interrupted");
    let data = dir.0.join("data");
    let (mut gw, _, key) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let d = data.to_str().expect("path");
    let copies = || log_copies(&dir.0);
    for (signal, status) in [("-INT", 130), ("-TERM", 143)] {
        let child = Command::new(BIN)
            .args(["verify", "--data", d, "--public-key", &key])
            .env("TONGBAN_TEST_PAUSE_AFTER_COPY_MS", "30000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tongban");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while copies() == 0 {
            assert!(std::time::Instant::now() < deadline, "no copy was made");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(status), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("interrupted"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(copies(), 0, "the copy is removed after {signal}");
    }
}

/// Given an offline tool run with a bare relative `--data` (`cd X; tongban verify --data data`)
/// and killed outright (SIGKILL: no handler removes its copy of the log, which holds the log's
/// personal data), when the next tool runs there the same way, then it removes the copy left
/// beside the data directory. (Found by an operator's walkthrough: the data directory's parent
/// was the empty path, which names no directory to look in, so the copy stayed for good.)
#[test]
fn a_copy_left_by_a_killed_tool_is_removed_with_a_relative_data_directory() {
    let dir = TempDir::new("cli-relative-orphan");
    let data = dir.0.join("data");
    let (mut gw, _, key) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let copies = || log_copies(&dir.0);
    let verify = || {
        let mut command = Command::new(BIN);
        command
            .args(["verify", "--data", "data", "--public-key", &key])
            .current_dir(&dir.0)
            .stdin(Stdio::null());
        command
    };
    let mut child = verify()
        .env("TONGBAN_TEST_PAUSE_AFTER_COPY_MS", "30000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tongban");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The log's copy, seen twice a while apart (the projections' copy comes and goes first).
    let mut seen = 0;
    while seen < 2 {
        assert!(std::time::Instant::now() < deadline, "no copy was made");
        seen = if copies() == 1 { seen + 1 } else { 0 };
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    assert_eq!(copies(), 1, "SIGKILL leaves the copy");

    let out = verify().output().expect("run tongban");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(copies(), 0, "the killed tool's copy is removed");
}

/// The modes of every file and directory below `dir`, by path.
fn modes_below(dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let p = entry.expect("entry").path();
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            if p.is_dir() {
                stack.push(p.clone());
            }
            let rel = p.strip_prefix(dir).expect("below").display().to_string();
            out.push((rel, mode));
        }
    }
    out.sort();
    out
}

/// Sets `mode` on every file below `dir`.
fn chmod_files_below(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    for (rel, _) in modes_below(dir) {
        let p = dir.join(rel);
        if p.is_file() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
    }
}

/// Given a log whose files are read-only (0444, as a backup copied with `cp -a` often is), when
/// an offline tool reads it, then its copy of the log is writable by its owner (fjall writes to
/// any log it opens; a copy keeping the 0444 modes was refused, "not writable by this user",
/// exit 2, for a non-root user), verify exits 0, and the log's own files keep their modes. The
/// copy is looked at while the tool waits after making it, since root would open a read-only
/// copy all the same. (Found by an operator's walkthrough.)
#[test]
fn an_offline_tool_reads_a_log_whose_files_are_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli-read-only-files");
    let data = dir.0.join("data");
    let (mut gw, _, key) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    chmod_files_below(&data, 0o444);
    let modes = modes_below(&data);
    let d = data.to_str().expect("path");
    let copy = || {
        std::fs::read_dir(&dir.0)
            .expect("dir")
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".tongban-log-copy-")
            })
            .map(|e| e.path())
    };
    let child = Command::new(BIN)
        .args(["verify", "--data", d, "--public-key", &key])
        .env("TONGBAN_TEST_PAUSE_AFTER_COPY_MS", "30000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongban");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The projections' copy comes and goes first; the log's stays while the tool waits: the
    // copy seen twice, a while apart.
    let mut seen = None;
    let copied = loop {
        assert!(std::time::Instant::now() < deadline, "no copy was made");
        let now = copy();
        if let Some(root) = &now
            && now == seen
        {
            break root.clone();
        }
        seen = now;
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let journal = std::fs::metadata(copied.join("log/0.jnl"))
        .expect("the copy's journal")
        .permissions()
        .mode();
    let version = std::fs::metadata(copied.join("log/version"))
        .expect("the copy's version file")
        .permissions()
        .mode();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert_eq!(journal & 0o200, 0o200, "the copy's journal: {journal:o}");
    assert_eq!(version & 0o200, 0o200, "the copy's version: {version:o}");

    let out = run(&["verify", "--data", d, "--public-key", &key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("intact"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(modes_below(&data), modes, "the log's own modes changed");
    assert!(copy().is_none(), "a copy was left");
}

/// The token id a failed token command names on stderr (`token <id> was issued but …`).
fn issued_id(stderr: &str) -> String {
    stderr
        .split("token ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no token id in {stderr:?}"))
        .to_string()
}

/// The book's entry for the token `id`, wherever it is (a region's or the operators').
fn book_entry(data: &Path, id: &str) -> serde_json::Value {
    let book: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("regions.json")).expect("book"))
            .expect("book json");
    let regions = book["regions"].as_object().expect("regions");
    regions
        .values()
        .flat_map(|r| r["tokens"].as_array().expect("tokens"))
        .chain(book["operators"].as_array().expect("operators"))
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no token {id} in {book}"))
        .clone()
}

/// Given a reader that closes the pipe before reading, when a command that issues a token
/// (`regions add`, `regions token`, `regions operator`) cannot show its secret, then it fails
/// (exit 2) saying the token was issued but not shown, naming its id and not the secret, and the
/// token is revoked in the book, so no live token is left that nobody holds.
#[test]
fn token_commands_fail_and_revoke_the_token_on_a_closed_stdout() {
    let dir = TempDir::new("cli-pipe-token");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let ok = run(&["regions", "add", "330000", "浙江省", "--data", d]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let kept = text(&ok.stdout).trim().to_string();
    for args in [
        vec!["regions", "add", "440000", "广东省", "--data", d],
        vec!["regions", "token", "330000", "--data", d],
        vec!["regions", "operator", "--data", d],
    ] {
        let out = with_stdout_closed(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("was issued but could not be shown") && err.contains("revoked"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("tb_") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        let id = issued_id(&err);
        let entry = book_entry(&data, &id);
        assert!(entry["revoked"].is_string(), "{args:?}: {entry}");
    }
    // Only the token that was shown is live: the region's first, and no operator's.
    let list = run(&["regions", "list", "--data", d]);
    let listed = text(&list.stdout);
    let live = |section: &str| -> Vec<String> {
        listed_tokens(&listed, section)
            .into_iter()
            .filter(|t| t.contains("\tactive"))
            .collect()
    };
    assert_eq!(live("440000"), Vec::<String>::new(), "{listed}");
    assert_eq!(live("operator"), Vec::<String>::new(), "{listed}");
    assert_eq!(live("330000").len(), 1, "{listed}");
    assert!(kept.starts_with("tb_"), "{kept}");
}

/// The token lines `regions list` prints under the section that begins with `section` (a region
/// code, or `operator`).
fn listed_tokens(listed: &str, section: &str) -> Vec<String> {
    listed
        .lines()
        .skip_while(|l| l.split('\t').next() != Some(section))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::to_string)
        .collect()
}

/// Given tokens issued with and without `--label`, one of them revoked, when the operator lists
/// the book, then every token is there, the revoked one too, with its kind, when it was made and
/// revoked (RFC 3339, UTC) and its label; revoking it again exits 1 saying when it was revoked and
/// changes nothing; an unknown id exits 2; `list` on a directory without a region book is an
/// error (exit 2) that names the directory and creates nothing.
#[test]
fn regions_list_shows_every_token_with_its_times_kind_and_label() {
    let dir = TempDir::new("cli-regions-list");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let issue = |args: &[&str]| {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        err.split("token id ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("no token id in {err:?}"))
            .to_string()
    };
    let first = issue(&["regions", "add", "440000", "广东省", "--data", d]);
    let window = issue(&[
        "regions",
        "token",
        "440000",
        "--label",
        "窗口系统 window",
        "--data",
        d,
    ]);
    let op = issue(&["regions", "operator", "--label", "duty", "--data", d]);
    let out = run(&["regions", "revoke", &first, "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let book_before = std::fs::read(data.join("regions.json")).expect("book");

    let out = run(&["regions", "revoke", &first, "--data", d]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let revoked_at = book_entry(&data, &first)["revoked"]
        .as_str()
        .expect("revoked")
        .to_string();
    assert!(
        err.contains(&format!(
            "token {first} was revoked already, at {revoked_at}"
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read(data.join("regions.json")).expect("book"),
        book_before
    );
    let out = run(&["regions", "revoke", "ffffffff", "--data", d]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let out = run(&["regions", "token", "440000", "--label", "a\tb", "--data", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("token label"),
        "{}",
        text(&out.stderr)
    );

    let list = run(&["regions", "list", "--data", d]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    let gd = listed_tokens(&listed, "440000");
    assert_eq!(gd.len(), 2, "{listed}");
    let created = book_entry(&data, &first)["created"]
        .as_str()
        .expect("created")
        .to_string();
    assert!(created.ends_with('Z'), "{created}");
    assert_eq!(
        gd[0],
        format!("  {first}\tregion\tcreated {created}\trevoked {revoked_at}"),
        "{listed}"
    );
    assert!(
        gd[1].starts_with(&format!("  {window}\tregion\tcreated 20"))
            && gd[1].ends_with("\tactive\tlabel: 窗口系统 window"),
        "{listed}"
    );
    let ops = listed_tokens(&listed, "operator");
    assert_eq!(ops.len(), 1, "{listed}");
    assert!(
        ops[0].starts_with(&format!("  {op}\toperator\tcreated "))
            && ops[0].ends_with("\tactive\tlabel: duty"),
        "{listed}"
    );

    // A mistyped --data: the commands that need a book say so and make nothing.
    let missing = dir.0.join("nonexist");
    let m = missing.to_str().expect("path");
    for args in [
        vec!["regions", "list", "--data", m],
        vec!["regions", "token", "440000", "--data", m],
        vec!["regions", "revoke", "t-1", "--data", m],
        vec!["regions", "key", "440000", "--remove", "--data", m],
    ] {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{} holds no region book", missing.display())),
            "{args:?}: {err}"
        );
        assert!(text(&out.stdout).is_empty());
        assert!(!missing.exists(), "{args:?}");
    }
    // The first region starts a book, and says where, since a mistyped --data starts one too.
    let out = run(&["regions", "add", "440000", "广东省", "--data", m]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("started a new region book at"), "{err}");
    let out = run(&["regions", "token", "440000", "--data", m]);
    assert!(!text(&out.stderr).contains("started a new region book"));
}

/// Given a gateway serving on a data directory, when the offline tools are pointed at the same
/// directory (every one docs/operations.md, "Checking the log", names), then each says that a
/// running gateway holds it, which of the gateway's routes answers the same while it runs (the
/// serial lookup for find, the reconcile route for reconcile …), and how to run it itself (stop
/// the gateway, or read a JetStream log with --nats), exit 2; once the gateway stops they read
/// it.
#[test]
fn offline_tools_name_a_directory_held_by_a_running_gateway() {
    let dir = TempDir::new("cli-in-use");
    let data = dir.0.join("data");
    let (mut gw, id, _) = one_application(&data);
    let d = data.to_str().expect("path");
    // Every offline command docs/operations.md ("Checking the log") names.
    let heads = dir.0.join("heads.jsonl");
    let head = gw
        .client(Some(&common::tokens(&data)["operator"]))
        .get("/v1/log/head")
        .json();
    std::fs::write(&heads, format!("{head}\n")).expect("heads");
    let records = dir.0.join("gd.csv");
    std::fs::write(&records, "app,status,updated_at\n").expect("records");
    let (heads, records) = (
        heads.to_str().expect("path"),
        records.to_str().expect("path"),
    );
    // Each with what the running gateway answers instead (none for a rebuild), naming the
    // application or region asked about where the route has it (a serial, which may be a
    // person's number, stays a placeholder). (Found by a walkthrough: `<id>` and `<code>` were
    // left for the operator to retype.)
    let replay_route = format!("GET /v1/applications/{id}/replay");
    let page_route = format!("GET /ui/applications/{id}");
    for (args, instead) in [
        (vec!["verify", "--data", d], Some("GET /v1/log/head")),
        (
            vec!["verify", "--heads", heads, "--data", d],
            Some("GET /v1/log/head"),
        ),
        (
            vec!["replay", id.as_str(), "--data", d],
            Some(replay_route.as_str()),
        ),
        (
            vec!["dispute", id.as_str(), "--data", d],
            Some(page_route.as_str()),
        ),
        (
            vec!["find", "--serial", "gd-1", "--data", d],
            Some("GET /v1/applications?serial=<serial>"),
        ),
        (
            vec![
                "reconcile",
                "--region",
                "440000",
                "--records",
                records,
                "--data",
                d,
            ],
            Some("POST the export to /v1/regions/440000/reconcile"),
        ),
        (
            vec!["statistics", "--region", "440000", "--data", d],
            Some("GET /v1/regions/440000/statistics"),
        ),
        (vec!["rebuild", "--data", d], None),
        // Refused before it connects: a rebuild onto a stream would replace the projections
        // the running gateway serves.
        (
            vec!["rebuild", "--nats", "nats://127.0.0.1:9", "--data", d],
            None,
        ),
    ] {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{d} is in use by a running gateway"))
                && err.contains("stop that gateway")
                && err.contains("--nats"),
            "{args:?}: {err}"
        );
        match instead {
            Some(route) => assert!(
                err.contains(&format!("While it runs, ask it instead: {route}")),
                "{args:?}: {err}"
            ),
            None => assert!(!err.contains("While it runs"), "{args:?}: {err}"),
        }
        assert!(!err.contains("FjallError"), "{args:?}: {err}");
    }
    assert_eq!(gw.terminate().code(), Some(0));
    let out = run(&["verify", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `--public-key` names what is wrong: the length, the first character that is no hex digit and
/// where it is, or 64 hex digits that are no Ed25519 public key. Checked before any directory
/// is opened (none is created).
#[test]
fn a_wrong_public_key_is_named_for_what_is_wrong() {
    let dir = TempDir::new("cli-key");
    let missing = dir.0.join("missing");
    let d = missing.to_str().expect("path");
    let digits = "0123456789abcdef".repeat(4);
    let not_hex = format!("{}z{}", &digits[..9], &digits[10..]);
    // y = 2 decodes to no point of the curve (ed25519-dalek refuses it); all zeros is a point
    // of small order, which tongban refuses as weak.
    let mut point = [0u8; 32];
    point[0] = 2;
    assert!(
        ed25519_dalek::VerifyingKey::from_bytes(&point).is_err(),
        "the fixture must be no point of the curve"
    );
    let off_curve: String = point.iter().map(|b| format!("{b:02x}")).collect();
    let cases = [
        ("abc", "3 hex digits; an Ed25519 public key has 64"),
        (&digits[..62], "62 hex digits; an Ed25519 public key has 64"),
        (not_hex.as_str(), "character 10 is 'z', not a hex digit"),
        (
            off_curve.as_str(),
            "not a valid Ed25519 public key: 64 hex digits, but no point of the Ed25519 curve: \
             most likely a typo",
        ),
        // A point of small order is a point: said to be weak, never "no point".
        (
            &"00".repeat(32),
            "not a valid Ed25519 public key: a weak key (small order), refused",
        ),
        (
            &format!("01{}", "00".repeat(31)),
            "not a valid Ed25519 public key: a weak key (small order), refused",
        ),
    ];
    for (key, want) in cases {
        for command in [
            vec!["verify", "--public-key", key, "--data", d],
            vec!["replay", "x", "--public-key", key, "--data", d],
        ] {
            let out = run(&command);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
            assert!(err.contains(want), "{key}: want {want:?} in {err}");
            assert!(!err.contains("got 64 characters"), "{err}");
            assert!(!missing.exists(), "{command:?} created {d}");
        }
    }
}

/// `tongban regions key` says what is wrong with a key refused: a point of small order (`01`
/// then 62 zeros, the identity) is a valid point of the curve, and is refused as a weak key,
/// not as no point; 32 bytes that decode to no point are said to be that; either way the book
/// keeps no key for the region. (It said "not … a valid curve point" of a weak key.)
#[test]
fn regions_key_refuses_a_weak_key_as_weak() {
    let dir = TempDir::new("cli-weak-key");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let out = run(&["regions", "add", "320000", "江苏", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    let off_curve: String = off_curve.iter().map(|b| format!("{b:02x}")).collect();
    for (key, want, not) in [
        (
            format!("01{}", "00".repeat(31)),
            "as a request signing key: a weak key (small order), refused",
            "no point",
        ),
        (
            off_curve,
            "as a request signing key: 64 hex digits, but no point of the Ed25519 curve",
            "weak",
        ),
        ("abcd".to_string(), "not 64 hex digits", "weak"),
    ] {
        let out = run(&["regions", "key", "320000", &key, "--data", d]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {err}");
        assert!(err.contains(want) && !err.contains(not), "{key}: {err}");
        let book = std::fs::read_to_string(data.join("regions.json")).expect("book");
        assert!(!book.contains("signing_key"), "{book}");
    }
}

/// Given a region book, when `tongban regions add` is given a well-formed code that is no GB/T
/// 2260 division (no application could name it as a party), then it is refused, exit 2, naming
/// the code and the table, and the book is unchanged byte for byte. A book that holds such a
/// code already (one an earlier build wrote, whose table still listed a division since merged)
/// is read all the same: the book's own rules check a code's form only, so that `regions list`
/// and `regions token` go on working on it and an upgraded gateway starts on it and serves the
/// region, where checking the table there would stop the gateway at the upgrade.
#[test]
fn a_code_outside_the_division_table_is_refused_when_added_and_read_when_held() {
    let dir = TempDir::new("cli-regions-unlisted");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let out = run(&["regions", "add", "440000", "广东省", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let book_path = data.join("regions.json");
    let before = std::fs::read(&book_path).expect("book");

    let out = run(&["regions", "add", "990000", "某地", "--data", d]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("region code 990000 is not in the GB/T 2260 code table"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty(), "no token shown");
    assert_eq!(std::fs::read(&book_path).expect("book"), before);

    // As a build whose table listed it left the book.
    let mut book: serde_json::Value = serde_json::from_slice(&before).expect("book json");
    book["regions"]["990000"] = serde_json::json!({"name": "某地", "tokens": []});
    std::fs::write(&book_path, serde_json::to_vec_pretty(&book).expect("json")).expect("write");
    let out = run(&["regions", "list", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("990000\t某地"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["regions", "token", "990000", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    assert!(token.starts_with("tb_"), "{token}");
    let gw = Gateway::start(&data, false);
    let r = gw.client(Some(&token)).get("/v1/regions/990000/feed");
    assert_eq!(r.status, 200, "{}", text(&r.body));
    assert_eq!(r.json()["region"], serde_json::json!("990000"));
}

/// Given `tongban reconcile --help` and operators.md's Reconciliation section, which named
/// `--tolerance-seconds` without its default, when read, then both state the default the
/// command and the HTTP endpoint use (300 seconds, the one constant /openapi.json states too).
#[test]
fn reconcile_help_and_the_operators_guide_state_the_default_tolerance() {
    use tongban_gateway::http::operator::{DEFAULT_TOLERANCE_SECONDS, MAX_TOLERANCE_SECONDS};
    let out = run(&["reconcile", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let stated = format!(
        "--tolerance-seconds: how far a record's updated_at may be from the log's times before \
         it is\n      reported (0 to {MAX_TOLERANCE_SECONDS}, 30 days; default \
         {DEFAULT_TOLERANCE_SECONDS})"
    );
    assert!(help.contains(&stated), "{help}");
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operators.md"),
    )
    .expect("docs/operators.md");
    let section = guide
        .split("\n## ")
        .find(|s| s.starts_with("Reconciliation"))
        .expect("the Reconciliation section");
    assert!(
        section.contains(&format!(
            "`--tolerance-seconds` 0 to\n{MAX_TOLERANCE_SECONDS}, 30 days, default \
             {DEFAULT_TOLERANCE_SECONDS}, five minutes"
        )),
        "{section}"
    );
}

/// Every command takes `--help` and `-h`: its usage, exit 0, and nothing done (no gateway
/// started, no region book created).
#[test]
fn every_command_answers_help_with_its_usage() {
    let dir = TempDir::new("cli-help");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    for command in [
        "serve",
        "regions",
        "verify",
        "replay",
        "dispute",
        "find",
        "rebuild",
        "reconcile",
        "statistics",
        "adapt",
        "load",
        "bench",
        "schemas",
    ] {
        for flag in ["--help", "-h"] {
            let out = run(&[command, flag, "--data", d]);
            let stdout = text(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{command} {flag}: {}",
                text(&out.stderr)
            );
            assert!(stdout.starts_with("usage:\n"), "{command}: {stdout}");
            assert!(
                stdout.contains(&format!("  tongban {command} ")),
                "{command}: {stdout}"
            );
            assert!(!data.exists(), "{command} {flag} created {d}");
        }
    }
    // The offline tools' help says how they read the log, and serve's names the rate limit.
    let verify = text(&run(&["verify", "--help"]).stdout);
    assert!(verify.contains("stop the gateway first"), "{verify}");
    let serve = text(&run(&["serve", "-h"]).stdout);
    assert!(serve.contains("--rate-limit"), "{serve}");
    let top = run(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    let top = text(&top.stdout);
    // The whole usage, however it is asked for.
    for asked in [&["-h"][..], &["help"], &["help", "--help"]] {
        let out = run(asked);
        assert_eq!(out.status.code(), Some(0), "{asked:?}");
        assert_eq!(text(&out.stdout), top, "{asked:?}");
    }
    let serve_line = top
        .lines()
        .find(|l| l.starts_with("  tongban serve ["))
        .expect("the serve line");
    assert!(serve_line.contains("--rate-limit"), "{serve_line}");
    // A command that does not exist is still a usage error.
    let out = run(&["frobnicate", "--help"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown command \"frobnicate\""));
}

/// The command line's own refusals name what they refuse: a `dispute --out` that cannot be
/// written names the path; an option given twice is refused naming it; `serve` on an address in
/// use fails before it creates the data directory; and `serve` with no region registered says
/// how to register one.
#[test]
fn cli_refusals_name_the_path_the_option_and_the_address() {
    let dir = TempDir::new("cli-refusals");
    let (mut gw, id, _) = one_application(&dir.0.join("data"));
    assert_eq!(gw.terminate().code(), Some(0));
    // A file where the page's directory would be: no directory can be made there.
    let blocker = dir.0.join("not-a-dir");
    std::fs::write(&blocker, b"").expect("file");
    let out_file = blocker.join("x.html");
    let out = run(&[
        "dispute",
        &id,
        "--data",
        dir.0.join("data").to_str().expect("path"),
        "--out",
        out_file.to_str().expect("path"),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("writing {}: ", out_file.display())),
        "{err}"
    );

    let out = run(&["replay", "x", "--seq", "2", "--seq", "3"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--seq is given more than once"), "{err}");

    // Credentials for a server not named: said so, not "unknown option", and the embedded log
    // is not read in the stream's place.
    let out = run(&[
        "verify",
        "--data",
        dir.0.join("data").to_str().expect("path"),
        "--nats-creds",
        "/etc/tongban.creds",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--nats-creds goes with --nats URL"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let data = dir.0.join("x2");
    let out = run(&[
        "serve",
        "--listen",
        &addr,
        "--data",
        data.to_str().expect("path"),
    ]);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("listening on {addr}")), "{err}");
    assert!(!data.exists(), "serve created {}", data.display());
    drop(taken);

    let mut gw = Gateway::start(&data, false);
    assert_eq!(gw.terminate().code(), Some(0));
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert!(
        log.contains("no region is registered")
            && log.contains(&format!(
                "tongban regions add <code> <name> --data {}",
                data.display()
            )),
        "{log}"
    );
}

/// Given a log with one application, when `tongban reconcile` is given a file that is no export
/// (a JSON array, a CSV header without `updated_at`, an empty file, blank lines), then it exits 2
/// naming the file, the line and what is wrong, before reading the log. (An empty file was
/// taken for a province that holds nothing: every application missing-at-province, exit 1.)
#[test]
fn reconcile_refuses_what_it_cannot_read() {
    let dir = TempDir::new("cli-reconcile");
    let data = dir.0.join("data");
    let (mut gw, id, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let d = data.to_str().expect("path");
    let records = dir.0.join("records.csv");
    let r = records.to_str().expect("path");
    let reconcile = |contents: &str, extra: &[&str]| {
        std::fs::write(&records, contents).expect("records");
        let mut args = vec![
            "reconcile",
            "--region",
            "440000",
            "--records",
            r,
            "--data",
            d,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    for (contents, want) in [
        (
            format!("[{{\"app\":\"{id}\"}}]"),
            "line 1: the file is a JSON array; export JSON Lines".to_string(),
        ),
        (
            format!("app,status,updated\n{id},submitted,2026-11-02 09:00:00\n"),
            format!(
                "tongban: {r}: line 1: the header has no column \"updated_at\" (columns read: \
                 app, status, updated)"
            ),
        ),
        (
            String::new(),
            format!("tongban: {r}: the export is empty (no line, not even a header)"),
        ),
        (
            "\n \r\n".to_string(),
            format!("tongban: {r}: the export is empty"),
        ),
    ] {
        let out = reconcile(&contents, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{contents}: {err}");
        assert!(err.contains(&want), "{contents}: want {want:?} in {err}");
    }
    // A region of no province of this federation, and a format it does not print, are refused
    // as `find` and `replay` refuse them.
    let csv = format!("app,status,updated_at\n{id},submitted,2026-11-02 09:00:00\n");
    std::fs::write(&records, &csv).expect("records");
    for (args, want) in [
        (
            vec![
                "reconcile",
                "--region",
                "110000",
                "--records",
                r,
                "--data",
                d,
            ],
            "--region 110000 is no region of this federation",
        ),
        (
            vec![
                "reconcile",
                "--region",
                "440000",
                "--records",
                r,
                "--data",
                d,
                "--format",
                "xml",
            ],
            "--format must be text or json, not \"xml\"",
        ),
    ] {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
    }
    // A record that does not read is told once by its line, with the application it names
    // (which is then not also missing at the province), and a line that names none with no
    // stand-in id.
    let out = reconcile(
        &format!("{{\"app\":\"{id}\",\"status\":\"submitted\"}}\n{{\"status\":\n"),
        &[],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("\nline 1: {id}: column "))
            && stdout.contains(
                ": missing field \"updated_at\"; the log has this application (submitted), and \
                 this line, its record, could not be compared\n"
            ),
        "{stdout}"
    );
    assert!(stdout.contains("\nline 2: column "), "{stdout}");
    assert!(!stdout.contains("missing-at-province: "), "{stdout}");
    assert!(!stdout.contains(": -:"), "{stdout}");
    // A seq other than the log's last is reported with both; columns it does not compare are
    // named in the header, their values never shown.
    let out = reconcile(
        &format!("app,status,updated_at,seq,name\n{id},submitted,2026-11-02 09:00:00,7,张三\n"),
        &[],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("\n  not compared (columns this does not read): name\n")
            && stdout.contains("\n  seq-differs: 1")
            && stdout.contains(
                "the province's last event of this application is seq 7, the log's seq 1"
            ),
        "{stdout}"
    );
    assert!(!stdout.contains("张三"), "{stdout}");
    // An application the province has no record of is shown with the log's status (and the
    // region's own serial, when the log holds one): its origin's export has no records.
    std::fs::write(&records, "app,status,updated_at\n").expect("records");
    let shown: Vec<String> = tongban_gateway::demo::REGIONS
        .iter()
        .map(|(code, _)| {
            text(&run(&["reconcile", "--region", code, "--records", r, "--data", d]).stdout)
        })
        .filter(|out| out.contains(&id))
        .collect();
    assert!(!shown.is_empty());
    for out in &shown {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{id}: ")))
            .unwrap_or_else(|| panic!("{out}"));
        // Said with the region's part in it and the event by which it received it, when and
        // where in the log: the origin, its submission.
        assert!(
            line.starts_with(&format!(
                "{id}: the log has this application; the province's records do not; "
            )) && line.contains(
                " is its origin (收件地), and submitted it itself \
                 (application.submitted, seq 1, log position "
            ) && line.contains(" 北京时间 (log status submitted"),
            "{line}"
        );
    }
}

/// Given the gateway's own answers saved with curl (an application's events, a region's feed
/// page, the replay, the application, the inbox, a log head, a problem document, the dispute
/// page), the events answer pretty-printed, and JSON Lines whose records have none of the
/// members, when `tongban reconcile --records` is given each, then it is refused as a whole
/// (exit 2) saying what the file is, never made a report of discrepancies; over HTTP the events
/// answer posted as an export is a 400 saying the same. (An operator's walkthrough got "missing
/// field status" per line and every application missing at the province.)
#[test]
fn reconcile_refuses_the_gateways_own_answers_for_what_they_are() {
    let dir = TempDir::new("cli-reconcile-answers");
    let data = dir.0.join("data");
    let (mut gw, id, _) = one_application(&data);
    let tokens = common::tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    let origin = operator.get(&format!("/v1/applications/{id}")).json()["origin"]
        .as_str()
        .expect("origin")
        .to_string();
    let region = gw.client(Some(&tokens[&origin]));
    let body = |path: &str, c: &common::Client| {
        let r = c.get(path);
        assert!(r.status < 500, "{path}: {}", r.status);
        text(&r.body)
    };
    let events = body(&format!("/v1/applications/{id}/events"), &operator);
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&events).expect("json"),
    )
    .expect("pretty");
    let answers = [
        (
            events.clone(),
            "this is an application's events, as GET /v1/applications/{id}/events answers them",
        ),
        (pretty, "the file is one JSON document written over"),
        (
            body(&format!("/v1/regions/{origin}/feed?after=0"), &region),
            "a page of a region's feed",
        ),
        (
            body(&format!("/v1/applications/{id}/replay"), &operator),
            "an application's timeline",
        ),
        (
            body(&format!("/v1/applications/{id}"), &operator),
            "one application, as GET /v1/applications/{id} answers it",
        ),
        (
            body(&format!("/v1/regions/{origin}/inbox"), &region),
            "a page of one of the gateway's lists",
        ),
        (body("/v1/log/head", &operator), "a signed log head"),
        (
            body(
                "/v1/applications/00000000-0000-7000-8000-000000000000",
                &operator,
            ),
            "an error the gateway answered instead",
        ),
        (
            body(&format!("/ui/applications/{id}"), &operator),
            "the file is an HTML page",
        ),
        (
            "{\"App\": \"x\", \"Status\": \"accepted\"}\n".to_string(),
            "none of the members app, serial, status and updated_at (members read: App, Status)",
        ),
    ];
    // Over HTTP, as an export posted: the same refusal, a 400.
    let r = operator
        .send(
            "POST",
            &format!("/v1/regions/{origin}/reconcile"),
            &[("Content-Type", "application/x-ndjson")],
            Some(events.as_bytes()),
        )
        .expect("POST");
    assert_eq!(r.status, 400, "{}", text(&r.body));
    assert!(text(&r.body).contains(answers[0].1), "{}", text(&r.body));
    assert_eq!(gw.terminate().code(), Some(0));
    let d = data.to_str().expect("path");
    let records = dir.0.join("saved.json");
    let r = records.to_str().expect("path");
    for (contents, want) in &answers {
        std::fs::write(&records, contents).expect("write");
        let out = run(&[
            "reconcile",
            "--region",
            &origin,
            "--records",
            r,
            "--data",
            d,
        ]);
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{want}: {err}\n{}",
            text(&out.stdout)
        );
        assert!(
            err.starts_with(&format!("tongban: {r}: line 1: "))
                && err.contains(want)
                && err.contains("not a province's records export")
                || err.contains(want) && err.contains("not JSON Lines"),
            "want {want:?} in {err}"
        );
        assert!(text(&out.stdout).is_empty(), "a report was printed");
    }
}

/// Given a data directory written by the gateway, when its `log/lock` is removed (backup tools
/// leave lock files out), then `verify` exits 2 naming that file and how to recreate it, with
/// no Rust debug text and no advice to restore the log from a backup; when `projections/lock`
/// is, it verifies the chain (exit 0) and warns naming the file and what it did not check.
#[test]
fn verify_names_a_missing_lock_file() {
    let dir = TempDir::new("cli-missing-lock");
    let data = dir.0.join("data");
    let (mut gw, _, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let d = data.to_str().expect("path");

    let lock = data.join("log").join("lock");
    std::fs::remove_file(&lock).expect("remove log/lock");
    let out = run(&["verify", "--data", d]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{} is missing: it is fjall's lock file",
            lock.display()
        )) && err.contains(&format!("`touch {}`", lock.display())),
        "{err}"
    );
    assert!(
        !err.contains("Io(") && !err.contains("restore the log from a backup"),
        "{err}"
    );
    std::fs::write(&lock, "").expect("recreate log/lock");

    let lock = data.join("projections").join("lock");
    std::fs::remove_file(&lock).expect("remove projections/lock");
    let out = run(&["verify", "--data", d]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(text(&out.stdout).starts_with("intact: "), "{err}");
    assert!(
        err.contains(
            "it was not checked whether events were lost from the log's end (past the last \
             position the projections applied)"
        ) && err.contains(&format!("{} is missing", lock.display())),
        "{err}"
    );
}

/// Runs `tongban serve` on `data` and expects it to refuse to start: its exit code and stderr.
/// A gateway that starts after all is stopped, and the test fails.
fn serve_refused(data: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongban");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!("serve started; stderr:\n{}", text(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("wait");
    (out.status.code(), text(&out.stderr))
}

/// Given a data directory a gateway served the embedded log from, when `serve --nats` names
/// servers (here none answer: nats://127.0.0.1:1), then it is refused for following the embedded
/// log, before it connects, with the way to serve either log, not "cannot connect to NATS"; and
/// the same directory restored without its `log-source` starts on the embedded log and writes the
/// file again (docs/operations.md says every directory names its log), so that `--nats` is then
/// refused alike. (Found by an operator's walkthrough: the refusal named NATS, and the file was
/// not recreated.)
#[test]
fn serve_with_nats_on_an_embedded_directory_is_refused_for_that_before_connecting() {
    let dir = TempDir::new("cli-embedded-nats");
    let data = dir.0.join("data");
    let (mut gw, _, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let source = data.join("log-source");
    assert_eq!(
        std::fs::read_to_string(&source).expect("log-source"),
        "embedded\n"
    );
    let refused = || {
        let (code, err) = serve_refused(&data, &["--nats", "nats://127.0.0.1:1"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("follow the embedded log")
                && err.contains("To serve the embedded log, start without --nats")
                && err.contains("tongban rebuild --nats URL")
                && !err.contains("cannot connect"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&source).expect("log-source"),
            "embedded\n"
        );
    };
    refused();
    std::fs::remove_file(&source).expect("restored without log-source");
    let mut gw = Gateway::start(&data, false);
    assert_eq!(gw.terminate().code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&source).expect("log-source written again"),
        "embedded\n"
    );
    refused();
}

/// Given a data directory a gateway ran on, restored without `log-source` and without an
/// embedded log (`DIR/log`), as a stream's directory is, when `serve` starts it without `--nats`,
/// then it is refused saying the log-source is missing and how to name the log, and the directory
/// is left as it came: no `log-source` written, no empty `DIR/log` made (which bound it to the
/// embedded log for good). (A review finding: the start wrote `log-source=embedded` and made the
/// log before the checks refused it.)
#[test]
fn a_used_directory_without_log_source_or_log_is_refused_and_left_as_it_came() {
    let dir = TempDir::new("cli-no-log-source");
    let data = dir.0.join("data");
    let (mut gw, _, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    std::fs::remove_file(data.join("log-source")).expect("restored without log-source");
    std::fs::remove_dir_all(data.join("log")).expect("and without the embedded log");
    let before = common::files_below(&data);
    let (code, err) = serve_refused(&data, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("its log-source is missing")
            && err.contains("start with --nats")
            && err.contains("restore")
            && err.contains("Nothing was started or written"),
        "{err}"
    );
    assert!(!data.join("log-source").exists(), "no log-source written");
    assert!(!data.join("log").exists(), "no embedded log made");
    assert!(
        common::files_below(&data) == before,
        "the directory is unchanged"
    );
}

/// Given a new data directory whose first start is refused after the log was made (a
/// `holidays.json` that does not read), then the start removes what it made (no `log/`,
/// `projections/`, `evidence/` or `log-source` left), so the next start, with the file fixed,
/// is a new directory's, not refused as one a gateway ran on; and an empty projections
/// directory made ready for it (a mount point) is no sign of an earlier gateway.
#[test]
fn a_refused_first_start_leaves_nothing_it_made() {
    let dir = TempDir::new("cli-refused-first");
    let data = dir.0.join("data");
    common::register_regions(&data);
    std::fs::write(
        data.join("holidays.json"),
        b"{\"holidays\": [\"not a date\"]}",
    )
    .expect("w");
    let (code, err) = serve_refused(&data, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("holidays.json"), "{err}");
    for made in ["log", "projections", "evidence", "log-source"] {
        assert!(!data.join(made).exists(), "{made} left behind: {err}");
    }
    std::fs::remove_file(data.join("holidays.json")).expect("fixed");
    let mut gw = Gateway::start(&data, false);
    assert_eq!(gw.client(None).get("/healthz").status, 200);
    assert_eq!(gw.terminate().code(), Some(0));
    assert!(data.join("log-source").exists());

    // A new directory whose projections directory is there but empty (a mount point).
    let other = dir.0.join("other");
    common::register_regions(&other);
    std::fs::create_dir_all(other.join("projections").join("lost+found")).expect("mount point");
    let mut gw = Gateway::start(&other, false);
    assert_eq!(gw.client(None).get("/healthz").status, 200);
    assert_eq!(gw.terminate().code(), Some(0));
}

/// Given a data directory whose `log-source` is missing beside an old embedded log its
/// projections are past (as a directory rebuilt onto a stream keeps `DIR/log`), when `serve`
/// starts it without `--nats` and is refused, then no `log-source` is written: embedded stays
/// only inferred, and a start with `--nats` is refused saying so (the file is missing, how to
/// name the stream), not as a directory whose log-source says embedded. (A review finding: the
/// refused start wrote `log-source=embedded`, binding the directory to the wrong log.)
#[test]
fn a_refused_start_does_not_bind_a_directory_whose_log_is_only_inferred() {
    let dir = TempDir::new("cli-inferred-embedded");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let submit = || {
        let mut gw = Gateway::start(&data, false);
        let body = gw.client(None).get("/v1/matters").json()["matters"][0]["example"].clone();
        let origin = body["origin"].as_str().expect("origin").to_string();
        let r = gw
            .client(Some(&tokens[&origin]))
            .post("/v1/applications", &body);
        assert_eq!(r.status, 201, "{}", text(&r.body));
        assert_eq!(gw.terminate().code(), Some(0));
    };
    submit();
    let old_log = dir.0.join("old-log");
    common::copy_dir(&data.join("log"), &old_log);
    submit();
    std::fs::remove_dir_all(data.join("log")).expect("rm log");
    common::copy_dir(&old_log, &data.join("log"));
    std::fs::remove_file(data.join("log-source")).expect("log-source lost");
    let outside_log = |data: &Path| {
        let mut files = common::files_below(data);
        files.retain(|(path, _)| !path.starts_with("log/"));
        files
    };
    let before = outside_log(&data);

    let (code, err) = serve_refused(&data, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the event log ends at"), "{err}");
    assert!(!data.join("log-source").exists(), "no log-source written");
    assert!(outside_log(&data) == before, "the directory is unchanged");

    let (code, err) = serve_refused(&data, &["--nats", "nats://127.0.0.1:1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("names no log (its log-source is missing")
            && err.contains("tongban rebuild --nats URL")
            && err.contains("start without --nats, which writes log-source")
            && !err.contains("as its log-source says")
            && !err.contains("cannot connect"),
        "{err}"
    );
    assert!(!data.join("log-source").exists(), "no log-source written");
}

/// Given a data directory whose log holds an application, when it is restored without
/// `evidence/` while a region signs its requests, or without `regions.json`, then `serve` does
/// not start, makes neither, and says
/// to restore it from the backup of this directory and how to go on knowingly; with the file
/// back it starts. (Found by an SRE's walkthrough: it started and served the signed requests'
/// events with no signatures, or with no region able to call it.)
#[test]
fn serve_refuses_a_log_without_its_evidence_or_its_region_book() {
    let dir = TempDir::new("cli-restore");
    let data = dir.0.join("data");
    let (mut gw, _, _) = one_application(&data);
    assert_eq!(gw.terminate().code(), Some(0));
    let (evidence, kept) = (data.join("evidence"), dir.0.join("evidence.backup"));
    std::fs::rename(&evidence, &kept).expect("set evidence/ aside");
    // No region signs its requests: no evidence was ever kept, and an empty store loses
    // nothing (a directory from before evidence was kept starts as it did).
    let mut gw = Gateway::start(&data, false);
    assert_eq!(gw.terminate().code(), Some(0));
    assert!(evidence.is_dir(), "an empty evidence store is made");
    std::fs::remove_dir_all(&evidence).expect("remove the empty one");
    // A region that signs, or signed (its key removed since): its requests' evidence is what
    // the directory lost.
    let d = data.to_str().expect("path");
    let out = run(&["regions", "key", "440000", &another_key(), "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["regions", "key", "440000", "--remove", "--data", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (code, err) = serve_refused(&data, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("{} holds no evidence/", data.display()))
            && err.contains("Restore evidence/ from the backup of this data directory")
            && err.contains(&format!("`mkdir {}`", evidence.display())),
        "{err}"
    );
    assert!(!evidence.exists(), "serve made an empty evidence store");
    std::fs::rename(&kept, &evidence).expect("restore evidence/");

    let (book, kept) = (data.join("regions.json"), dir.0.join("regions.json.backup"));
    std::fs::rename(&book, &kept).expect("set regions.json aside");
    let (code, err) = serve_refused(&data, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("{} holds no regions.json", data.display()))
            && err.contains("Restore it from the backup of this data directory")
            && err.contains("is no restore: it issues new tokens"),
        "{err}"
    );
    assert!(!book.exists(), "serve made a region book");
    std::fs::rename(&kept, &book).expect("restore regions.json");

    let mut gw = Gateway::start(&data, false);
    assert_eq!(gw.terminate().code(), Some(0));
}

/// The log's head position as `/metrics` shows it.
fn log_head(gw: &Gateway, operator: &str) -> u64 {
    let r = gw.client(Some(operator)).get("/metrics");
    assert_eq!(r.status, 200, "{}", text(&r.body));
    text(&r.body)
        .lines()
        .find(|l| l.starts_with("tongban_log_head_position"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
        .expect("tongban_log_head_position")
}

/// Given a demo data directory left by a first start killed while it registered the regions
/// (one region registered as `--demo` registers it, no `demo-tokens.json`, no application),
/// when `serve --demo` starts on it, then it finishes the demo, saying so: every region and the
/// operator get a working token in `demo-tokens.json` (the region registered before a new one)
/// and the sample applications are added; the start after reuses it. A region book `--demo` did
/// not make is left as it is. (Found by
/// an SRE's walkthrough: such a directory stayed half-seeded for good, its help reading a file
/// that was never written.)
#[test]
fn serve_demo_finishes_a_first_start_that_was_interrupted() {
    let dir = TempDir::new("cli-demo-half");
    let data = dir.0.join("demo");
    common::tongban_on(
        &data,
        &["regions", "add", "440000", "广东省", "--label", "demo"],
    );
    let mut gw = Gateway::start(&data, true);
    let tokens = common::tokens(&data);
    assert_eq!(tokens.len(), 7, "{tokens:?}");
    for (code, token) in &tokens {
        let path = match code.as_str() {
            "operator" => "/v1/regions".to_string(),
            code => format!("/v1/regions/{code}/inbox"),
        };
        assert_eq!(gw.client(Some(token)).get(&path).status, 200, "{code}");
    }
    assert!(
        log_head(&gw, &tokens["operator"]) > 0,
        "no sample application"
    );
    assert_eq!(gw.terminate().code(), Some(0));
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert!(
        log.contains(
            "demo: finishing the demo data of a first start that was interrupted: 1 of its regions"
        ) && log.contains("sample applications"),
        "{log}"
    );
    let head = {
        let gw = Gateway::start(&data, true);
        let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
        assert!(log.contains("demo: reusing"), "{log}");
        assert_eq!(common::tokens(&data), tokens, "the tokens are kept");
        log_head(&gw, &tokens["operator"])
    };
    assert!(head > 0);

    // An operator's book: nothing added, and no help about a tokens file.
    let other = dir.0.join("other");
    common::tongban_on(&other, &["regions", "add", "440000", "广东省"]);
    let book = std::fs::read(other.join("regions.json")).expect("book");
    let mut gw = Gateway::start(&other, true);
    assert_eq!(gw.terminate().code(), Some(0));
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert!(
        log.contains("holds regions or tokens that --demo did not make"),
        "{log}"
    );
    assert!(!other.join("demo-tokens.json").exists());
    assert_eq!(
        std::fs::read(other.join("regions.json")).expect("book"),
        book
    );
}

/// Given `serve` with a `--data` that is a file, a `--listen` that is not IP:PORT (a port past
/// 65535, a host name), or a new data directory the user cannot write, then it stops saying
/// what is wrong and what is expected, not the operating system's or the parser's words alone
/// ("File exists", "invalid socket address syntax", "log-source: Permission denied"). (Found by
/// an SRE's walkthrough.)
#[test]
fn serve_says_what_is_wrong_with_its_data_directory_and_its_address() {
    let dir = TempDir::new("cli-serve-args");
    let file = dir.0.join("afile");
    std::fs::write(&file, b"").expect("file");
    for data in [file.clone(), file.join("sub")] {
        let (code, err) = serve_refused(&data, &[]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "the data directory {} is not a directory",
                data.display()
            )) && err.contains("name a directory with --data"),
            "{err}"
        );
        assert!(!err.contains("os error"), "{err}");
    }

    let data = dir.0.join("data");
    for listen in ["127.0.0.1:99999", "nohost:80", "8080"] {
        let out = run(&[
            "serve",
            "--data",
            data.to_str().expect("path"),
            "--listen",
            listen,
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("--listen {listen:?}: expected IP:PORT"))
                && err.contains("127.0.0.1:8080")
                && err.contains("a host name is not taken"),
            "{err}"
        );
        assert!(!data.exists(), "serve created {}", data.display());
    }

    // A directory the user cannot write: root writes anywhere, so this part is skipped as root
    // (as in CI).
    let locked = dir.0.join("locked");
    std::fs::create_dir(&locked).expect("dir");
    let mut perms = std::fs::metadata(&locked).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o500);
    std::fs::set_permissions(&locked, perms).expect("chmod");
    if std::fs::write(locked.join("probe"), b"").is_ok() {
        eprintln!("skipped the unwritable data directory: running as root");
        return;
    }
    let (code, err) = serve_refused(&locked, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "the data directory {} is not writable by this user",
            locked.display()
        )),
        "{err}"
    );
}

/// How many copies of a log the offline tools left beside the data directories in `dir`.
fn log_copies(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".tongban-log-copy-")
        })
        .count()
}

/// Given a suspension whose reason holds line breaks that write a normal-looking row (seq 5, a
/// time, a region, `application.withdrawn`) and a right-to-left override, when `tongban
/// replay` prints the timeline as text, then the reason stays on its event's line with its
/// breaks and its override escaped as JSON escapes them (`\n`, `\u202e`), and no line of the
/// output is a row of an event that never happened. (Found by a red-team walkthrough: the
/// reason was printed raw, a forged withdrawal among the rows.)
#[test]
fn replay_text_prints_a_stored_reason_on_its_own_line_escaped() {
    let dir = TempDir::new("cli-forged-row");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let mut gw = Gateway::start(&data, true);
    let (body, origin, handlers) = common::parties(&gw, &data, "online");
    let lead = &handlers[0];
    let forged = "专家评审\n   5  2026-12-06T16:02:11.512Z  310000  310000/x  \
                  application.withdrawn               withdrawn             —\n\u{202e}1234";
    let id = common::application(
        &origin,
        &body,
        &[
            (&origin, "forward", serde_json::json!({})),
            (lead, "accept", serde_json::json!({})),
            (
                lead,
                "suspend",
                serde_json::json!({"kind": "expert-review", "reason": forged}),
            ),
        ],
    );
    gw.terminate();
    let out = run(&["replay", &id, "--data", d]);
    let printed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{printed}{}", text(&out.stderr));
    assert!(
        !printed.contains("withdrawn ") || !printed.lines().any(|l| l.starts_with("   5")),
        "a forged row: {printed}"
    );
    assert!(
        !printed
            .lines()
            .any(|l| l.contains("application.withdrawn") && !l.contains("reason:")),
        "a forged row: {printed}"
    );
    assert!(
        printed.contains("reason: 专家评审\\n   5  2026-12-06T16:02:11.512Z")
            && printed.contains("—\\n\\u202e1234"),
        "{printed}"
    );
    assert!(
        !printed.contains('\u{202e}'),
        "the override printed raw: {printed}"
    );
}

/// Given files that hold an ID number (whole, or its digits as a number) where a head's, a
/// records page's or a tokens file's number or text belongs, when `heads`, `heads --records`,
/// `verify --heads` and `load --tokens` read them, then each refuses the file (exit 2) naming
/// it and what was expected, and no message holds the ID number's digits. (serde's own message
/// quoted them: `invalid type: string "11010519491231002X", expected u64`.)
#[test]
fn a_file_that_does_not_read_is_refused_without_echoing_what_it_holds() {
    let (dir, data, key, head) = stopped_application("cli-unread-personal");
    let write = |name: &str, text: String| {
        let path = dir.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("path").to_string()
    };
    let mut as_text = head.clone();
    as_text["position"] = serde_json::json!("11010519491231002X");
    let mut as_number = head.clone();
    as_number["hash"] = serde_json::json!(11010519491231002u64);
    let good = write("good.jsonl", format!("{head}\n"));
    let texts = write("text.jsonl", format!("{head}\n{as_text}\n"));
    let numbers = write("number.jsonl", format!("{as_number}\n"));
    let records = write(
        "records.json",
        r#"{"after":"11010519491231002X","to":1,"next":null,"records":[]}"#.to_string() + "\n",
    );
    let tokens = write("tokens.json", r#"{"440000":11010519491231002}"#.to_string());
    let d = data.to_str().expect("path");
    let cases: [(Vec<&str>, String); 6] = [
        (
            vec!["heads", &good, &texts, "--public-key", &key],
            format!("tongban: {texts}: line 2: not a head as GET /v1/log/head answers it"),
        ),
        (
            vec!["heads", &numbers, &good, "--public-key", &key],
            format!("tongban: {numbers}: line 1: not a head"),
        ),
        (
            vec!["heads", &good, "--records", &records, "--public-key", &key],
            format!("tongban: --records {records}: line 1: not a page"),
        ),
        (
            vec!["verify", "--heads", &texts, "--data", d],
            format!("tongban: --heads {texts}: line 2: not a head"),
        ),
        (
            vec!["verify", "--heads", &numbers, "--data", d],
            format!("tongban: --heads {numbers}: line 1: not a head"),
        ),
        (
            vec!["load", "--tokens", &tokens],
            format!("tongban: {tokens}: invalid type: integer"),
        ),
    ];
    for (command, want) in cases {
        let err = refused(&command);
        assert!(
            err.starts_with(&want),
            "{command:?}: want {want:?} in {err}"
        );
        assert!(!err.contains("0519491231"), "{command:?}: {err}");
    }
}

/// Given an ID number, a phone or a name typed where a region code, a matter, a token id, a
/// schema subject or a version belongs, when any command refuses it (exit 2), then the message
/// names the option or argument and the rule, and says the value by its length, never as
/// written; a typo of the right form (`44000`, a token id `abc`) is still quoted. (`--region
/// "11010519491231002X" is not a region code` echoed it, as `regions add`, `regions token`,
/// `regions revoke` and `adapt` did.)
#[test]
fn a_value_of_no_codes_form_is_said_by_its_length_not_echoed() {
    let dir = TempDir::new("cli-region-personal");
    let data = dir.0.join("data");
    let d = data.to_str().expect("path");
    let added = run(&["regions", "add", "440000", "广东", "--data", d]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let records = dir.0.join("records.csv");
    std::fs::write(&records, "app,status,updated_at\n").expect("records");
    let records = records.to_str().expect("path");
    let id = "11010519491231002X";
    let hidden = "(a value of 18 characters, not shown)";
    let region_rule = format!("--region {hidden} is not a region code: six digits (GB/T 2260)");
    let at = "2026-12-01T00:00:00+08:00";
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![
                "reconcile",
                "--region",
                id,
                "--records",
                records,
                "--data",
                d,
            ],
            region_rule.clone(),
        ),
        (
            vec!["statistics", "--region", id, "--at", at, "--data", d],
            region_rule.clone(),
        ),
        (
            vec!["find", "--serial", "A1", "--region", id, "--data", d],
            region_rule.clone(),
        ),
        (
            vec!["adapt", "--region", id, "--matter", "medical-filing"],
            format!("--region: no adapters for region {hidden}"),
        ),
        (
            vec!["adapt", "--region", "440000", "--matter", id],
            format!("--matter: region 440000 has no adapter for {hidden}"),
        ),
        (
            vec!["regions", "add", id, "张三", "--data", d],
            format!("region code {hidden} is not a 6-digit GB/T 2260 code"),
        ),
        (
            vec!["regions", "token", id, "--data", d],
            format!("region {hidden} is not registered"),
        ),
        (
            vec!["regions", "revoke", id, "--data", d],
            format!("no token with id {hidden}"),
        ),
        (
            vec!["regions", "key", "440000", id, "--data", d],
            "the key given as a request signing key: not 64 hex digits".to_string(),
        ),
        (
            vec!["schemas", "show", id],
            format!("no schema subject {hidden}"),
        ),
        (
            vec!["schemas", "show", "matter.medical-filing", "--version", id],
            format!("has no version {hidden}"),
        ),
        (
            vec![
                "reconcile",
                "--region",
                "44000",
                "--records",
                records,
                "--data",
                d,
            ],
            "--region \"44000\" is not a region code".to_string(),
        ),
        (
            vec!["regions", "revoke", "abc", "--data", d],
            "no token with id \"abc\"".to_string(),
        ),
        (
            vec!["regions", "token", "120000", "--data", d],
            "region 120000 is not registered; add it with `tongban regions add 120000 <name>`"
                .to_string(),
        ),
    ];
    for (command, want) in cases {
        let err = refused(&command);
        assert!(err.contains(&want), "{command:?}: want {want:?} in {err}");
        assert!(
            !err.contains("0519491231") && !err.contains("张三"),
            "{command:?}: {err}"
        );
    }
}

/// Given a log whose directory holds no gateway.key, when `rebuild`, `statistics` and
/// `reconcile` are run with neither `--public-key` nor (for rebuild) `--trust-log`, then each
/// refuses (exit 2), as `verify` and `replay` do, saying to give `--public-key` (or
/// `--trust-log`) and changing nothing; with the key given, or `--trust-log`, each runs. Given a
/// directory that is not there, rebuild names that alone, not the missing key. (All three went
/// ahead unchecked, exit 0; rebuild said the key was missing before it said the log was.)
#[test]
fn the_offline_tools_without_a_key_refuse_as_verify_does() {
    let (dir, data, key, _) = stopped_application("cli-keyless");
    std::fs::remove_file(data.join("gateway.key")).expect("remove the key");
    let d = data.to_str().expect("path");
    let before = files_below(&data);
    let no_key = format!("{d} holds no gateway key (gateway.key): pass --public-key HEX");
    let at = "2026-12-01T00:00:00+08:00";
    let records = dir.0.join("records.csv");
    std::fs::write(&records, "app,status,updated_at\n").expect("records");
    let r = records.to_str().expect("path");
    let reconcile = [
        "reconcile",
        "--region",
        "440000",
        "--records",
        r,
        "--data",
        d,
    ];
    for (command, also) in [
        (vec!["rebuild", "--data", d], Some("or --trust-log")),
        (
            vec!["statistics", "--region", "440000", "--at", at, "--data", d],
            None,
        ),
        (reconcile.to_vec(), None),
        (vec!["verify", "--data", d], None),
    ] {
        let err = refused(&command);
        assert!(
            err.starts_with(&format!("tongban: {no_key}")),
            "{command:?}: {err}"
        );
        assert!(
            also.is_none_or(|also| err.contains(also)),
            "{command:?}: {err}"
        );
        assert!(
            files_below(&data) == before,
            "{command:?} changed the directory"
        );
    }
    for command in [
        vec![
            "statistics",
            "--region",
            "440000",
            "--public-key",
            &key,
            "--data",
            d,
        ],
        vec!["rebuild", "--public-key", &key, "--data", d],
        vec!["rebuild", "--trust-log", "--data", d],
    ] {
        let out = run(&command);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {err}");
        // A rebuild without gateway.key leaves the applicant index empty, and says so in one
        // line of single spaces.
        if command[0] == "rebuild" {
            assert!(
                err.contains("the index of open applications by applicant is left empty (a"),
                "{err}"
            );
        }
    }
    // With the key, the reconciliation runs: the one application of the log, which the export
    // does not hold, is missing at the province (exit 1), not a refusal.
    let out = run(&[&reconcile[..], &["--public-key", &key]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("missing-at-province"),
        "{}",
        text(&out.stdout)
    );
    let missing = dir.0.join("missing");
    let err = refused(&["rebuild", "--data", missing.to_str().expect("path")]);
    assert_eq!(
        err,
        format!(
            "tongban: {} holds no embedded event log (log/): check --data, or for a JetStream \
             log pass --nats URL\n",
            missing.display()
        )
    );
}

/// Given an option without a command (`tongban --frob`), then it is named on stderr (exit 2,
/// nothing on stdout); `tongban --version` prints the version (exit 0); `tongban help verify`
/// answers as `tongban verify --help`, and `tongban help` of no command is a usage error; a
/// command or an argument that is an ID number is said by its length. (`--frob` and `--version`
/// printed the whole usage to stdout, exit 2, naming neither; `help verify` the whole usage.)
#[test]
fn an_option_without_a_command_is_named_and_help_takes_a_command() {
    let out = run(&["--frob"]);
    assert_eq!(text(&out.stdout), "");
    let err = refused(&["--frob"]);
    assert!(
        err.starts_with("tongban: unknown option --frob: give a command first"),
        "{err}"
    );
    // No command at all: the usage on stderr (exit 2), nothing on stdout; asked for, on stdout.
    let bare = run(&[]);
    assert_eq!(bare.status.code(), Some(2));
    assert_eq!(text(&bare.stdout), "");
    assert!(
        text(&bare.stderr).starts_with("tongban: give a command\n\n")
            && text(&bare.stderr).contains("usage:\n  tongban help"),
        "{}",
        text(&bare.stderr)
    );
    let helped = run(&["--help"]);
    assert_eq!(helped.status.code(), Some(0));
    assert!(text(&helped.stdout).contains("usage:\n  tongban help"));
    // A stray path is named as given; an ID number in its place by its length.
    assert!(
        refused(&["verify", "--data", "nowhere", "/tmp/heads.jsonl"])
            .contains("unexpected argument \"/tmp/heads.jsonl\""),
    );
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("tongban {}\n", env!("CARGO_PKG_VERSION"))
    );
    for command in ["verify", "reconcile", "regions"] {
        let helped = run(&["help", command]);
        assert_eq!(helped.status.code(), Some(0), "{}", text(&helped.stderr));
        assert_eq!(
            text(&helped.stdout),
            text(&run(&[command, "--help"]).stdout),
            "{command}"
        );
        assert!(text(&helped.stdout).starts_with("usage:\n  tongban "));
    }
    assert!(
        refused(&["help", "frobnicate"]).starts_with("tongban: unknown command \"frobnicate\"")
    );
    // A fragment of a command the note on offline reading names, or no name at all, is no
    // command (each printed the note, exit 0); a --format of a number is not echoed.
    for fragment in ["ver", ""] {
        assert!(
            refused(&["help", fragment]).starts_with("tongban: unknown command"),
            "{fragment:?}"
        );
    }
    let err = refused(&[
        "replay",
        "x",
        "--data",
        "nowhere",
        "--format",
        "11010519491231002X",
    ]);
    assert!(!err.contains("0519491231"), "{err}");
    for args in [
        &["11010519491231002X"][..],
        &["help", "11010519491231002X"],
        &["schemas", "list", "11010519491231002X"],
    ] {
        let err = refused(args);
        assert!(
            err.contains("(a value of 18 characters, not shown)") && !err.contains("0519491231"),
            "{args:?}: {err}"
        );
    }
}

/// Given files in GBK where UTF-8 belongs (a heads file, a records file, a candidate schema, a
/// tokens file, `holidays.json`), when `heads`, `verify --heads`, `schemas check`, `load` and
/// `rebuild` read them, then each refuses (exit 2) naming the file, saying it must be UTF-8 and
/// where the first byte that is not is; `find --serial ''` says the serial is empty, not
/// missing; `adapt --charset latin1` is a bad option (exit 2), not a problem of the form (1).
/// (Each said only `stream did not contain valid UTF-8`; find said `--serial is required`.)
#[test]
fn files_not_in_utf8_and_empty_or_unknown_values_are_named_for_what_they_are() {
    let (dir, data, key, head) = stopped_application("cli-not-utf8");
    let d = data.to_str().expect("path");
    // 张 in GBK (D5 C5) on the second line, third column.
    let gbk = b"{\n  \xD5\xC5\": 1}\n".to_vec();
    let write = |name: &str| {
        let path = dir.0.join(name);
        std::fs::write(&path, &gbk).expect("write");
        path.to_str().expect("path").to_string()
    };
    let (heads, records, schema, tokens) = (
        write("heads.jsonl"),
        write("records.json"),
        write("schema.json"),
        write("tokens.json"),
    );
    let fine = dir.0.join("fine.jsonl");
    std::fs::write(&fine, format!("{head}\n")).expect("write");
    let fine = fine.to_str().expect("path");
    let place = "must be UTF-8 text: line 2, column 3 (byte 0xD5) is not valid UTF-8; save it as \
                 UTF-8";
    let cases: [(Vec<&str>, String); 5] = [
        (
            vec!["heads", &heads, fine, "--public-key", &key],
            format!("tongban: {heads}: {place}"),
        ),
        (
            vec!["heads", fine, "--records", &records, "--public-key", &key],
            format!("tongban: --records {records}: {place}"),
        ),
        (
            vec!["verify", "--heads", &heads, "--data", d],
            format!("tongban: --heads {heads}: {place}"),
        ),
        (
            vec!["schemas", "check", "matter.medical-filing", &schema],
            format!("tongban: {schema}: {place}"),
        ),
        (
            vec!["load", "--tokens", &tokens],
            format!("tongban: {tokens}: {place}"),
        ),
    ];
    for (command, want) in cases {
        let err = refused(&command);
        assert_eq!(err, format!("{want}\n"), "{command:?}");
    }
    std::fs::write(data.join("holidays.json"), &gbk).expect("holidays");
    let err = refused(&["rebuild", "--data", d]);
    assert!(
        err.contains(&format!(
            "{}: holiday calendar {place}",
            data.join("holidays.json").display()
        )),
        "{err}"
    );
    std::fs::remove_file(data.join("holidays.json")).expect("holidays");

    for (serial, want) in [
        ("", "tongban: --serial is empty: give the province's"),
        ("  ", "tongban: --serial is empty (spaces only): give"),
    ] {
        let err = refused(&["find", "--serial", serial, "--data", d]);
        assert!(err.starts_with(want), "{err}");
    }
    assert!(refused(&["find", "--data", d]).starts_with("tongban: --serial is required"));

    let out = common::run_fed(
        BIN,
        &[
            "adapt",
            "--region",
            "440000",
            "--matter",
            "medical-filing",
            "--charset",
            "latin1",
        ],
        Some("{}"),
    );
    assert_eq!(out.0, Some(2), "{}", out.1);
    assert_eq!(
        out.1,
        "tongban: --charset \"latin1\": use UTF-8, GBK or GB18030\n"
    );
}
