//! The applicant index: the open applications of each applicant, by matter.
//!
//! Real 跨省通办 platforms tell a clerk "该申请人已有在办的同一事项" when the same applicant
//! applies for the same matter while an earlier application of theirs is still open: a paper
//! form entered twice under two Idempotency-Keys is otherwise two applications, two handlers'
//! work and two clocks. The submission is never refused for it (a second application may be
//! meant: a matter applied for again after a mistake), only warned of
//! (`crate::service::Gateway`'s `possible-duplicate`), so the index only has to say which open
//! applications to look at.
//!
//! An applicant is named by the person's 公民身份号码 or the organisation's 统一社会信用代码
//! ([`crate::domain::personal::applicant_id`]), and an ID number has so few candidates that an
//! unkeyed hash of it is reversed by trying them all in minutes. So the key holds a keyed digest
//! of it, as application ids are keyed ([`crate::ids::AppIds`]): HMAC-SHA-256 under a secret
//! derived from the gateway key for this purpose alone, of the applicant's kind, 0x00 and the
//! identifier (first 16 bytes, hex); then 0x00, the matter's code, 0x00 (the entry's *base*),
//! then a party region (the origin, then each handler once: [`crate::domain::parties_of`]),
//! 0x00 and the application id: one entry per party, each with an empty value. A submission
//! reads only its own region's entries (`base`, region, 0x00), so every entry it reads is of an
//! application it is party to: read by application id alone, the first few entries were as
//! likely another region's or stale, which left a region party to one of many open
//! applications untold, and the difference (told nothing, or after some view reads) would say
//! to a region whether the applicant had applications elsewhere. Beside the entries, `@` and
//! the application id → the base: a terminal event of an application over the embedded log has
//! no applicant at hand (its view leaves the submission in the log), and finds its base there
//! to remove each party's entry, the parties read from its view (fixed at submission). And
//! under each region prefix itself, how many entries it has ([`count_key`]), moved in the same
//! batch as the entries: a submission first reads that one key, which the tables' filters
//! answer, and reads the entries only when there are some.
//!
//! An application enters at its submission and leaves when its status is final
//! ([`crate::domain::Status::is_final`]), in the projection batch that folds the event. A store
//! that folds without the secret (a rebuild with no gateway key at hand) indexes nothing and
//! says from where its index is whole (`applicants-from` in `meta`), as a store made before the
//! index does: `tongban rebuild` with the key indexes the earlier ones. Readers judge each
//! entry by the application's view as well, so an entry a keyless fold left behind names
//! nothing closed.

use serde_json::Value;

use crate::domain::personal::{ApplicantId, applicant_id};
use crate::envelope::GatewayKey;
use crate::ids::Hmac;

/// The keyed digests of applicants ([`self`]): every gateway of a log derives the same secret
/// from the gateway key they share, so each finds the others' entries after a rebuild.
#[derive(Clone)]
pub struct ApplicantDigests {
    hmac: Hmac,
}

impl ApplicantDigests {
    /// The purpose the secret is derived for: a secret of its own, so that no digest here is an
    /// application id's or anything else's.
    const PURPOSE: &'static str = "applicant/v1";

    pub fn new(key: &GatewayKey) -> ApplicantDigests {
        ApplicantDigests {
            hmac: Hmac::new(&key.derived_secret(ApplicantDigests::PURPOSE)),
        }
    }

    /// The prefix every entry of `applicant`'s open applications of `matter` starts with; `None`
    /// for an applicant that gives no identifier.
    pub fn prefix(&self, applicant: &Value, matter: &str) -> Option<Vec<u8>> {
        applicant_id(applicant).map(|id| self.prefix_of(&id, matter))
    }

    fn prefix_of(&self, id: &ApplicantId, matter: &str) -> Vec<u8> {
        let mac = self
            .hmac
            .of(&[id.kind.as_bytes(), &[0], id.number.as_bytes()]);
        let mut k = String::with_capacity(34 + matter.len());
        crate::hex::push(&mac[..16], &mut k);
        k.push('\0');
        k.push_str(matter);
        k.push('\0');
        k.into_bytes()
    }
}

/// One key of the index and its value, as stored.
pub type RawEntry = (Vec<u8>, Vec<u8>);

/// The prefix of `region`'s entries under `base` ([`ApplicantDigests::prefix`]): what a
/// submission of `region` reads, so it reads only applications it is party to.
pub(super) fn region_prefix(base: &[u8], region: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(base.len() + region.len() + 1);
    k.extend_from_slice(base);
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k
}

/// The keys of `app`'s entries under `base`, one per party region in `parties` (its origin and
/// handlers, as [`crate::domain::Application::parties`] gives them).
pub(super) fn entries(base: &[u8], parties: &[String], app: &str) -> Vec<Vec<u8>> {
    parties
        .iter()
        .map(|region| {
            let mut k = region_prefix(base, region);
            k.extend_from_slice(app.as_bytes());
            k
        })
        .collect()
}

/// The key under which `app`'s base is kept: `@` never begins a digest's hex.
pub(super) fn where_of(app: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + app.len());
    k.push(b'@');
    k.extend_from_slice(app.as_bytes());
    k
}

/// The application id of an entry read back under `prefix` ([`region_prefix`]; `None` for one
/// that does not read, and for the prefix's own count, [`count_key`]).
pub(super) fn app_of(key: &[u8], prefix: &[u8]) -> Option<String> {
    let rest = key.strip_prefix(prefix)?;
    if rest.is_empty() {
        return None;
    }
    String::from_utf8(rest.to_vec()).ok()
}

/// The key of how many entries `region_prefix` has (u64 BE; absent at none): the prefix itself,
/// which no entry is (each goes on with an application id).
///
/// Why it is there: nearly every submission's applicant has no open application of the matter
/// at all, and a prefix read cannot be answered "none" by the tables' filters, so it sought into
/// every table's index and read a data block of each: 10.6% of the gateway's CPU at 800,000
/// stored applications (docs/performance.md, "Round 49"). A point read of the count is answered
/// by the filters, and only a prefix that has entries is read through.
pub(super) fn count_key(region_prefix: &[u8]) -> &[u8] {
    region_prefix
}

/// The region prefix an entry's key is under ([`region_prefix`]): up to and with its last 0x00
/// (an application id holds none). `None` for a key that is no entry: where an application's
/// base is (`@`), or a prefix's count ([`count_key`], which ends with the 0x00).
pub(super) fn prefix_of_entry(key: &[u8]) -> Option<&[u8]> {
    if key.first() == Some(&b'@') || key.last() == Some(&0) {
        return None;
    }
    let end = key.iter().rposition(|b| *b == 0)?;
    Some(&key[..=end])
}

/// How many entries a prefix holds as stored (`None` stored: none), the count a run moves by
/// `delta`: the value to store, `None` to remove the key.
pub(super) fn counted(stored: Option<&[u8]>, delta: i64) -> Option<[u8; 8]> {
    let before = stored
        .and_then(|v| <[u8; 8]>::try_from(v).ok())
        .map_or(0, u64::from_be_bytes);
    let after = i64::try_from(before)
        .unwrap_or(i64::MAX)
        .saturating_add(delta);
    u64::try_from(after)
        .ok()
        .filter(|n| *n > 0)
        .map(u64::to_be_bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = "0192aaaa-0000-7000-8000-000000000001";

    /// Given an applicant's ID number written two ways and the same gateway key, when their
    /// entries are keyed, then both land under one prefix per matter, no key holds the number
    /// (nor its first 17 digits), and another gateway key or another matter gives another
    /// prefix: the digest is keyed, so it cannot be recomputed from the number alone.
    #[test]
    fn an_applicants_key_is_a_keyed_digest_per_matter() {
        let key = GatewayKey::from_seed([3; 32]);
        let digests = ApplicantDigests::new(&key);
        let person = |id: &str| json!({"kind": "person", "id_number": id, "name": "张三"});
        let prefix = digests
            .prefix(&person("11010519491231002X"), "hukou-transfer")
            .expect("a prefix");
        assert_eq!(
            digests.prefix(&person("110105491231002"), "hukou-transfer"),
            Some(prefix.clone())
        );
        let parties = ["440000".to_string(), "330000".to_string()];
        let keys = entries(&prefix, &parties, APP);
        assert_eq!(keys.len(), 2);
        for (key_bytes, region) in keys.iter().zip(&parties) {
            let text = String::from_utf8_lossy(key_bytes);
            assert!(!text.contains("1101051949123100"), "{text}");
            assert!(!text.contains("张三"), "{text}");
            let own = region_prefix(&prefix, region);
            assert_eq!(app_of(key_bytes, &own).as_deref(), Some(APP));
            // Another region's prefix reads none of them.
            assert_eq!(app_of(key_bytes, &region_prefix(&prefix, "310000")), None);
        }
        assert_ne!(
            digests.prefix(&person("11010519491231002X"), "medical-filing"),
            Some(prefix.clone())
        );
        let other = ApplicantDigests::new(&GatewayKey::from_seed([4; 32]));
        assert_ne!(
            other.prefix(&person("11010519491231002X"), "hukou-transfer"),
            Some(prefix.clone())
        );
        // An applicant with no identifier has no entry.
        assert_eq!(
            digests.prefix(&json!({"kind": "person"}), "hukou-transfer"),
            None
        );
        assert!(!where_of(APP).starts_with(&prefix));
        // A region prefix's count is no entry: read back under its own prefix it names no
        // application, and it is under no prefix itself; an entry is under its region prefix.
        let own = region_prefix(&prefix, "440000");
        assert_eq!(app_of(count_key(&own), &own), None);
        assert_eq!(prefix_of_entry(count_key(&own)), None);
        assert_eq!(prefix_of_entry(&where_of(APP)), None);
        assert_eq!(prefix_of_entry(&keys[0]), Some(own.as_slice()));
    }

    /// A count moves by a run's delta; at none its key goes (never a zero or a negative count
    /// stored, whatever a damaged value read).
    #[test]
    fn a_count_moves_by_the_runs_delta_and_goes_at_none() {
        let n = |v: u64| v.to_be_bytes();
        assert_eq!(counted(None, 1), Some(n(1)));
        assert_eq!(counted(Some(&n(2)), 1), Some(n(3)));
        assert_eq!(counted(Some(&n(2)), -1), Some(n(1)));
        assert_eq!(counted(Some(&n(1)), -1), None);
        assert_eq!(counted(None, -1), None);
        assert_eq!(counted(Some(b"short"), 2), Some(n(2)));
    }

    /// Fails unless every region prefix in `index` (as [`crate::projections::ProjectionStore`]'s
    /// `applicant_entries` gives it) has a count equal to its entries, and no count is stored
    /// without entries: returns how many counts there are.
    pub(crate) fn counts_match(index: &[RawEntry]) -> usize {
        let mut entries: std::collections::BTreeMap<&[u8], u64> = Default::default();
        for (key, _) in index {
            if let Some(prefix) = prefix_of_entry(key) {
                *entries.entry(prefix).or_default() += 1;
            }
        }
        let counts: std::collections::BTreeMap<&[u8], u64> = index
            .iter()
            .filter(|(key, _)| key.first() != Some(&b'@') && key.last() == Some(&0))
            .map(|(key, value)| {
                let n = <[u8; 8]>::try_from(value.as_slice()).expect("a count is 8 bytes");
                (key.as_slice(), u64::from_be_bytes(n))
            })
            .collect();
        assert_eq!(
            counts, entries,
            "each region prefix's count against its entries"
        );
        counts.len()
    }

    /// The events of `app`: a submission from 440000 to `handlers` of `matter` in `mode` by
    /// `applicant`, forwarded, then `more` (each by the region that may take it). For the tests
    /// of the index and of the warning it feeds.
    pub(crate) fn history(
        app: &str,
        (matter, mode, handlers): (&str, tongban_schemas::Mode, &[&str]),
        applicant: serde_json::Value,
        more: Vec<(&'static str, crate::domain::Command)>,
    ) -> Vec<crate::envelope::Envelope> {
        use crate::domain::Command;
        use tongban_schemas::events as ev;
        let submit = ev::Submitted {
            matter: matter.into(),
            matter_version: 1,
            mode,
            origin: "440000".into(),
            handlers: handlers.iter().map(|h| h.to_string()).collect(),
            applicant,
            form: json!({}),
            materials: Vec::new(),
            idempotency_key: None,
            request_digest: String::new(),
        };
        let steps = [
            ("440000", Command::Submit(submit)),
            ("440000", Command::Forward(ev::Forwarded::checked())),
        ]
        .into_iter()
        .chain(more)
        .map(|(region, cmd)| (region, cmd, "2026-12-01T02:00:00.000Z".to_string()));
        crate::sample::sealed(app, steps, "t", &GatewayKey::from_seed([8; 32])).expect("legal")
    }

    const MEDICAL: &str = "medical-filing";

    /// The log: four applications, their events interleaved as concurrent writers leave them.
    /// The first (withdrawn) and the second (open, given the legacy 15-digit number) are one
    /// person's for medical-filing, the third the same person's for another matter, the fourth
    /// an organisation's.
    pub(crate) fn log() -> (Vec<crate::log::Positioned>, [String; 4]) {
        use crate::domain::Command;
        use tongban_schemas::Mode;
        let apps = [(); 4].map(|_| crate::ids::new_v7());
        let person = |id: &str| json!({"kind": "person", "id_number": id, "name": "张三"});
        let withdraw = || Command::Withdraw(Default::default());
        let histories = [
            history(
                &apps[0],
                (MEDICAL, Mode::Proxy, &["330000"]),
                person("11010519491231002X"),
                vec![("440000", withdraw())],
            ),
            history(
                &apps[1],
                (MEDICAL, Mode::Proxy, &["330000"]),
                person("110105491231002"),
                vec![],
            ),
            history(
                &apps[2],
                ("criminal-record-certificate", Mode::Proxy, &["330000"]),
                person("11010519491231002x"),
                vec![],
            ),
            history(
                &apps[3],
                (MEDICAL, Mode::Proxy, &["330000"]),
                json!({"kind": "organisation", "credit_code": "91110000600037341L"}),
                vec![],
            ),
        ];
        let mut log = Vec::new();
        for step in 0..3 {
            for h in &histories {
                if let Some(e) = h.get(step) {
                    log.push(crate::log::Positioned::read(
                        log.len() as u64 + 1,
                        e.clone(),
                    ));
                }
            }
        }
        (log, apps)
    }

    /// Given one person's applications (one withdrawn, one open, one of another matter) and an
    /// organisation's, when the log is folded in one run (as a rebuild folds it) and event by
    /// event (as the live projector may), then each store names, for the person and the matter,
    /// the open application only, for the other matter its own, and the two indexes are the
    /// same bytes: an application submitted and closed in one run never enters, one closed
    /// later leaves with the entry that says where it was.
    #[test]
    fn a_rebuild_yields_the_index_the_live_projection_keeps() {
        use crate::projections::ProjectionStore;
        let key = GatewayKey::from_seed([3; 32]);
        let cal = crate::domain::calendar::Calendar::weekdays();
        let (log, apps) = log();
        let (a, b) = (
            crate::testutil::TempDir::new("applicants-batched"),
            crate::testutil::TempDir::new("applicants-one-by-one"),
        );
        let rebuilt = ProjectionStore::open(a.path())
            .expect("open")
            .with_applicant_key(&key);
        let live = ProjectionStore::open(b.path())
            .expect("open")
            .with_applicant_key(&key);
        rebuilt.apply(&mut log.clone(), &cal).expect("apply");
        for p in &log {
            live.apply(&mut [p.clone()], &cal).expect("apply one");
        }
        let person = json!({"kind": "person", "id_number": "11010519491231002X"});
        let organisation = json!({"kind": "organisation", "credit_code": "91110000600037341L"});
        for store in [&rebuilt, &live] {
            // The origin and the handler each find the application; a region party to none
            // finds nothing.
            for region in ["440000", "330000"] {
                let open = |applicant: &serde_json::Value, matter: &str| {
                    store
                        .open_applications_of(applicant, matter, region, 8)
                        .expect("read")
                };
                assert_eq!(open(&person, MEDICAL), [apps[1].clone()]);
                assert_eq!(
                    open(&person, "criminal-record-certificate"),
                    [apps[2].clone()]
                );
                assert_eq!(open(&organisation, MEDICAL), [apps[3].clone()]);
            }
            assert_eq!(
                store
                    .open_applications_of(&person, MEDICAL, "310000", 8)
                    .expect("read"),
                Vec::<String>::new()
            );
            assert_eq!(store.applicants_indexed_from().expect("from"), 0);
        }
        // Three open applications, each an entry per party (origin and handler) and where its
        // base is, and each of their six region prefixes its count; the withdrawn one left none
        // behind (its prefixes' counts came back to the open one's, the first under the same).
        let index = rebuilt.applicant_entries().expect("entries");
        assert_eq!(counts_match(&index), 6);
        assert_eq!(index.len(), 9 + 6);
        // Another gateway key finds nothing: the digest is the key's.
        let other = ProjectionStore::open(a.path().join("other").as_path())
            .expect("open")
            .with_applicant_key(&GatewayKey::from_seed([4; 32]));
        other.apply(&mut log.clone(), &cal).expect("apply");
        assert_ne!(
            other.applicant_entries().expect("entries"),
            rebuilt.applicant_entries().expect("entries")
        );
    }

    /// Given a store folding without the applicants' secret (a rebuild with no gateway key at
    /// hand), when it applies the log, then it indexes nothing and says its index is whole only
    /// after the last position it folded; a store made before the index, when opened by a
    /// build that has it, says the same of its checkpoint.
    #[test]
    fn a_store_without_the_secret_or_from_before_the_index_says_where_it_starts() {
        use crate::projections::ProjectionStore;
        let cal = crate::domain::calendar::Calendar::weekdays();
        let (log, _) = log();
        let dir = crate::testutil::TempDir::new("applicants-keyless");
        let end = log.len() as u64;
        {
            let keyless = ProjectionStore::open(dir.path()).expect("open");
            assert_eq!(keyless.applicants_indexed_from().expect("from"), 0);
            keyless.apply(&mut log.clone(), &cal).expect("apply");
            assert!(keyless.applicant_entries().expect("entries").is_empty());
            assert_eq!(keyless.applicants_indexed_from().expect("from"), end);
            // As a store written before the applicant index existed.
            keyless.meta.remove("applicants-from").expect("remove");
            keyless.persist().expect("persist");
        }
        let reopened = ProjectionStore::open(dir.path()).expect("reopen");
        assert_eq!(reopened.applicants_indexed_from().expect("from"), end);
    }
}
