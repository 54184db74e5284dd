//! Given / when / then: the verified heads the live projector signs as it folds, and a rebuild
//! that takes them, against the real embedded log.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use super::fixtures::{forwarded, origin_code};
use crate::domain::calendar::Calendar;
use crate::envelope::{Content, Envelope, GatewayKey};
use crate::log::{EmbeddedLog, EventLog};
use crate::projections::rebuild::{Checking, Seals, rebuild};
use crate::projections::verified::{self, VerifiedHead};
use crate::projections::{ProjectionStore, Submissions};
use crate::testutil::TempDir;

/// A gateway on the log in `dir`, signing a verified head every 4 positions.
fn gateway(dir: &TempDir, key: &GatewayKey) -> Gateway<EmbeddedLog> {
    let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
    let store = ProjectionStore::open(&dir.path().join("projections")).expect("projections");
    Gateway::start_attesting_every(Arc::new(log), key.clone(), store, Calendar::weekdays(), 4)
}

async fn caught_up(gw: &Gateway<EmbeddedLog>) {
    let end = *gw.log.head().borrow();
    assert!(gw.projector.wait_for(end, Duration::from_secs(10)).await);
}

/// Given a gateway that folded a few applications, then was stopped while an event with a zeroed
/// signature was appended to its log (planted on the disk), then started again and folded more,
/// when its verified heads are read and a rebuild takes them, then: the heads cover the log
/// from its start but for what the second start found already folded, the planted event's head
/// names it unverified, and the rebuild vouches for every other event by its hash alone yet holds
/// the planted one, as a rebuild checking every signature does. Re-signed without that name (a
/// head that said it verified), the same rebuild folds the planted event: the list is what
/// keeps it out.
#[test]
fn a_rebuild_vouched_for_by_the_heads_folds_what_checking_every_signature_folds() {
    let dir = TempDir::new("verified-heads");
    let key = GatewayKey::from_seed([5; 32]);
    // Each start in a runtime of its own: dropping it stops the projector, which lets go of
    // the log, as a process that ends does.
    let runtime = || tokio::runtime::Runtime::new().expect("runtime");
    let first_end = runtime().block_on(async {
        let gw = gateway(&dir, &key);
        for _ in 0..4 {
            forwarded(&gw).await;
        }
        caught_up(&gw).await;
        gw.projector.applied()
    });

    // Planted: the next event of a fresh application, its signature zeroed.
    let planted_app = crate::ids::new_v7();
    let planted = runtime().block_on(async {
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let content = Content {
            kind: "application.forwarded".to_string(),
            schema: "application.forwarded/1".to_string(),
            region: origin_code(),
            actor: "planted".to_string(),
            at: "2026-12-06T01:00:00.000Z".to_string(),
            data: serde_json::json!({"materials_checked": true}),
        };
        let mut env = Envelope::sealed_after(None, &planted_app, content, &key);
        env.sig = "0".repeat(128);
        log.append(env, 0).await.expect("append")
    });

    let end = runtime().block_on(async {
        let gw = gateway(&dir, &key);
        for _ in 0..4 {
            forwarded(&gw).await;
        }
        caught_up(&gw).await;
        let live_held = gw.store.held(&planted_app).expect("held");
        assert!(live_held.is_some(), "the live projector holds it");
        gw.projector.applied()
    });

    let file = verified::file_beside(&dir.path().join("projections"));
    let kept = verified::read(&file, &key.public()).expect("heads");
    assert_eq!(kept.refused, 0);
    let heads = kept.heads;
    // At least one per start (how many depends on how the projector's runs fell).
    assert!(heads.len() >= 2, "{heads:?}");
    // The first start vouches from the log's start; the second from its checkpoint on.
    assert_eq!(heads[0].from, 0, "{heads:?}");
    assert!(
        heads
            .iter()
            .all(|h| h.from < h.position && h.position <= end)
    );
    assert!(
        heads.iter().any(|h| h.from == first_end),
        "the second start's stretch begins at its checkpoint: {heads:?}"
    );
    let naming: Vec<&VerifiedHead> = heads
        .iter()
        .filter(|h| h.from < planted && planted <= h.position)
        .collect();
    assert_eq!(naming.len(), 1, "{heads:?}");
    assert_eq!(naming[0].unverified, [planted]);
    assert!(
        heads
            .iter()
            .filter(|h| h.position < planted || h.from >= planted)
            .all(|h| h.unverified.is_empty())
    );

    runtime().block_on(async {
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let rebuilt = |name: &'static str, seals: Seals| {
            let log = &log;
            let path = dir.path().join(name);
            async move {
                let (store, filled) = rebuild(
                    log,
                    &path,
                    &Calendar::weekdays(),
                    Checking::Seals(Box::new(seals)),
                    |_, _| {},
                )
                .await
                .expect("rebuild");
                (store.with_submissions(Submissions::for_log(log)), filled)
            }
        };
        let (each, each_filled) = rebuilt("each", Seals::each(key.public())).await;
        let (vouched, filled) = rebuilt(
            "vouched",
            Seals {
                heads: heads.clone(),
                ..Seals::each(key.public())
            },
        )
        .await;
        assert_eq!(each_filled.attested, 0);
        // Every event a head covers but the planted one: the second start's first events were
        // folded by the first start's process after its last head, or by the second before its
        // stretch began, and are checked one by one.
        let covered: u64 = (1..=end)
            .filter(|p| heads.iter().any(|h| h.from < *p && *p <= h.position))
            .count() as u64;
        assert_eq!(filled.attested, covered - 1, "{filled:?}");
        assert!(filled.mismatched.is_empty(), "{filled:?}");
        assert_eq!(filled.events, each_filled.events);
        let held_each = each.held(&planted_app).expect("held");
        let held_vouched = vouched.held(&planted_app).expect("held");
        assert!(held_each.is_some());
        assert_eq!(held_vouched, held_each);
        assert_eq!(
            vouched.held_count().expect("count"),
            each.held_count().expect("count")
        );

        // Signed again without naming it, the head would let it through.
        let lying: Vec<VerifiedHead> = heads
            .iter()
            .map(|h| {
                let running = crate::log::head_hash::Running {
                    position: h.position,
                    hash: h.hash.clone(),
                };
                VerifiedHead::sign(h.from, &running, Vec::new(), &h.at, &key)
            })
            .collect();
        let (lied_to, _) = rebuilt(
            "lied-to",
            Seals {
                heads: lying,
                ..Seals::each(key.public())
            },
        )
        .await;
        assert!(lied_to.held(&planted_app).expect("held").is_none());
    });
}
