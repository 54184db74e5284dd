//! Heads and records pages signed here with a key of the tests' own, as the gateway signs them:
//! for what a gateway would have to be made to sign (odd hashes), compared by both tools
//! (`tongban heads` and docs/audit/verify_chain.py).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::head_hash::{Running, SignedHead};

pub const AT: &str = "2026-12-06T07:30:00.000Z";

pub fn key() -> GatewayKey {
    GatewayKey::from_seed([8; 32])
}

/// A head over the records `events`, signed at `at`.
pub fn head(events: &[(u64, &str)], at: &str) -> Value {
    let mut running = Running::default();
    for (position, hash) in events {
        running.take(*position, hash);
    }
    serde_json::to_value(SignedHead::sign(&running, at, &key())).expect("head")
}

/// The last page of `GET /v1/log/records?after=N&to=M` listing `records`.
pub fn page(after: u64, to: u64, records: &[(u64, &str)]) -> Value {
    let statement =
        tongban_gateway::service::log_records::statement(after, to, records.iter().copied(), AT);
    json!({
        "after": after, "to": to, "next": null,
        "records": records
            .iter()
            .map(|(position, hash)| json!({"position": position, "hash": hash}))
            .collect::<Vec<_>>(),
        "at": AT, "kid": key().public().kid(), "sig": key().sign_bytes(statement.as_bytes()),
    })
}

/// `docs` written one after another, one per line, to `name` in `dir`: its path.
pub fn file(dir: &Path, name: &str, docs: &[&Value]) -> String {
    let path = dir.join(name);
    let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path.to_str().expect("path").to_string()
}

/// `tongban heads` and then docs/audit/verify_chain.py --heads alone on the same files (the
/// heads files, then `--records FILE` pairs): each one's exit code and output.
pub fn both_tools(
    data: &Path,
    heads: &[&str],
    records: &[&str],
) -> ((i32, String), (Option<i32>, String)) {
    both_tools_fed(data, heads, records, None)
}

/// [`both_tools`], each tool given `fed` on its standard input (a pipe), for a heads file
/// named `/dev/stdin`.
pub fn both_tools_fed(
    data: &Path,
    heads: &[&str],
    records: &[&str],
    fed: Option<&str>,
) -> ((i32, String), (Option<i32>, String)) {
    let public = key().public().to_hex();
    let data = data.to_str().expect("path");
    let mut rust = vec!["heads"];
    rust.extend_from_slice(heads);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit/verify_chain.py");
    let mut python = vec![script, "--key", public.as_str()];
    for file in heads {
        python.extend_from_slice(&["--heads", file]);
    }
    for file in records {
        rust.extend_from_slice(&["--records", file]);
        python.extend_from_slice(&["--records", file]);
    }
    rust.extend_from_slice(&["--public-key", &public, "--data", data]);
    let (code, rust) = super::run_fed(super::BIN, &rust, fed);
    (
        (code.unwrap_or(-1), rust),
        super::run_fed("python3", &python, fed),
    )
}

/// The one record the two parties' heads are over ([`two_parties`]): position 1.
pub const ONE_RECORD: [(u64, &str); 1] = [(
    1,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
)];

/// Two parties that each saved a head of their own over [`ONE_RECORD`], a second apart, in a
/// file of their own: what the heads tests compare when what they vary is elsewhere (an
/// option, a pipe, a page).
pub struct TwoParties {
    /// The test's directory, removed on drop: the parties' files are in it (bind it, `dir:
    /// _dir` at the least, for as long as they are read).
    pub dir: super::TempDir,
    /// A data directory for `tongban heads` to name (never made: the command reads none).
    pub data: PathBuf,
    /// The first party's head, and the path of its file `mine.jsonl`, which holds that head.
    pub mine_head: Value,
    pub mine: String,
    /// The second party's head, and the path of its file `theirs.jsonl`.
    pub theirs_head: Value,
    pub theirs: String,
}

/// [`TwoParties`] in a new temporary directory named after `label`.
pub fn two_parties(label: &str) -> TwoParties {
    let dir = super::TempDir::new(label);
    let mine_head = head(&ONE_RECORD, "2026-12-06T07:00:01.000Z");
    let theirs_head = head(&ONE_RECORD, "2026-12-06T07:00:02.000Z");
    let mine = file(&dir.0, "mine.jsonl", &[&mine_head]);
    let theirs = file(&dir.0, "theirs.jsonl", &[&theirs_head]);
    TwoParties {
        data: dir.0.join("data"),
        dir,
        mine_head,
        mine,
        theirs_head,
        theirs,
    }
}
