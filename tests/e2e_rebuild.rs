//! `tongban rebuild` on a real data directory written by the real gateway: the key it checks the
//! seals with, and what it does with verified heads signed over events the log lost.

mod common;

use common::stored::rewrite;
use common::{
    Gateway, TempDir, application, copy_dir, files_below, parties, tongban, two_accepted,
};

use serde_json::json;

/// Another gateway's key, which signed nothing of these logs: its `gateway.key` file's text (the
/// private seed in hex) and its public key in hex.
fn another_gateway() -> (String, String) {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let seed = [9; 32];
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    (hex(&seed), hex(key.as_bytes()))
}

/// The key id `GET /v1/keys` serves for a public key in hex.
fn kid(hex: &str) -> String {
    tongban_gateway::envelope::PublicKey::from_hex(hex)
        .expect("a public key")
        .kid()
}

/// Given a log of two applications, when `tongban rebuild` is given another gateway's key
/// (`--public-key`), then it is refused before anything is changed (exit 2, every file of the
/// data directory as it was), naming the key and saying the log was not signed by it, and so is
/// a `gateway.key` that is not the log's; the data directory's own key is named with where it
/// came from; and `--public-key` with the log's key while `gateway.key` is another's is warned of
/// before the rebuild, naming both. (Found by an operator's walkthrough: every application was
/// held "at an event this build does not fold", exit 0, and the gateway then answered 404s.)
#[test]
fn a_rebuild_names_its_key_and_refuses_one_that_signed_nothing_of_the_log() {
    let (dir, _, key) = two_accepted("rebuild-wrong-key");
    let data = dir.0.join("data");
    let (other_seed, other) = another_gateway();
    let before = files_below(&data);

    let (code, out, err) = tongban(&["rebuild", "--public-key", &other], &data);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains(&format!(
            "checked with key {} (public_key_hex {other}, given with --public-key)",
            kid(&other)
        )),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "the log was not signed by key {} (public_key_hex {other}, given with --public-key)",
            kid(&other)
        )) && err.contains("position 1")
            && err.contains("Nothing was changed"),
        "{err}"
    );
    assert!(files_below(&data) == before, "the data directory changed");

    // The directory's own key, which signed the log: named with its file, and rebuilt.
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "checked with key {} (public_key_hex {key}) from {}",
            kid(&key),
            data.join("gateway.key").display()
        )),
        "{out}"
    );
    assert!(!err.contains("WARN"), "{err}");

    // gateway.key another gateway's: refused with it, warned of under the log's key.
    let own = std::fs::read(data.join("gateway.key")).expect("key");
    std::fs::write(data.join("gateway.key"), other_seed).expect("another key");
    let before = files_below(&data);
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!(
            "the log was not signed by key {} (public_key_hex {other}, from {})",
            kid(&other),
            data.join("gateway.key").display()
        )) && err.contains("restore gateway.key from the backup"),
        "{err}"
    );
    assert!(files_below(&data) == before, "the data directory changed");
    let (code, out, err) = tongban(&["rebuild", "--public-key", &key], &data);
    assert_eq!(code, 0, "{out}{err}");
    let warned = err
        .lines()
        .find(|l| l.contains("WARN") && l.contains("--public-key is not the key"))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(
        warned.contains(&format!("given={}", kid(&key)))
            && warned.contains(&format!("gateway_key={}", kid(&other))),
        "{warned}"
    );
    std::fs::write(data.join("gateway.key"), own).expect("the key back");
}

/// Given an application whose accept was rewritten in the stored log, when the projections are
/// rebuilt, then the rebuild says it is held at an event that does not verify under the key it
/// checked with, not at one "this build does not fold" (which is kept for events a newer build
/// wrote).
#[test]
fn a_rebuild_says_an_event_that_does_not_verify_apart_from_one_it_does_not_fold() {
    let (dir, [_, rewritten], key) = two_accepted("rebuild-held-why");
    let data = dir.0.join("data");
    rewrite(&data.join("log"), &rewritten, 2, |data| {
        data["materials_checked"] = json!(false);
    });
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "1 application(s) held at an event that does not verify under key {}",
            kid(&key)
        )),
        "{out}"
    );
    assert!(!out.contains("this build does not fold"), "{out}");
}

/// Given a log whose verified heads a rebuild signed over its whole length, and that log then
/// put back to an older copy (its last application lost), when `tongban rebuild --accept-lost`
/// lets the lost events go, then it sets the heads aside (`verified-heads.jsonl.lost-<seconds>`),
/// saying so, and no later rebuild says again that heads stand past the log's end and to restore
/// it from a backup, while `verify` calls the log intact; new heads are written over the log as
/// it is. (Found by an operator's walkthrough: every rebuild after `--accept-lost` advised the
/// restore.)
#[test]
fn accepting_lost_events_sets_the_heads_signed_over_them_aside() {
    let dir = TempDir::new("rebuild-accept-lost-heads");
    let data = dir.0.join("data");
    common::register_regions(&data);
    let accepted = |gw: &Gateway| {
        let (body, origin, handlers) = parties(gw, &data, "proxy");
        let forward = (&origin, "forward", json!({"materials_checked": true}));
        application(
            &origin,
            &body,
            &[forward, (&handlers[0], "accept", json!({}))],
        );
    };
    let mut gw = Gateway::start(&data, false);
    accepted(&gw);
    assert_eq!(gw.terminate().code(), Some(0));
    let older = dir.0.join("log-older");
    copy_dir(&data.join("log"), &older);
    let mut gw = Gateway::start(&data, false);
    accepted(&gw);
    assert_eq!(gw.terminate().code(), Some(0));
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 verified head(s) written"), "{out}");

    std::fs::remove_dir_all(data.join("log")).expect("remove the log");
    copy_dir(&older, &data.join("log"));
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--accept-lost"), "{err}");
    let (code, out, err) = tongban(&["rebuild", "--accept-lost"], &data);
    assert_eq!(code, 0, "{out}{err}");
    let aside: Vec<String> = std::fs::read_dir(&data)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("verified-heads.jsonl.lost-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?} {err}");
    assert!(
        err.contains(&format!(
            "were set aside as {}",
            data.join(&aside[0]).display()
        )),
        "{err}"
    );
    assert!(!err.contains("stand past the end"), "{err}");
    assert!(out.contains("1 verified head(s) written"), "{out}");

    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !err.contains("stand past the end") && !err.contains("restore the log"),
        "{err}"
    );
    let (code, out, err) = tongban(&["verify"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact: 3 events"), "{out}");
}
