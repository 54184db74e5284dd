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
//! then a party region (the origin, then each handler once: [`crate::domain::parties_of`]) and
//! 0x00 (a *region prefix*) → the ids of the open applications under it, each followed by
//! 0x00, in id order, at most [`LISTED`]: one list per party region, so a submission reads only
//! its own region's list, and every application it reads is one it is party to. Read by
//! application id alone, the first few were as likely another region's or stale, which left a
//! region party to one of many open applications untold, and the difference (told nothing, or
//! after some view reads) would say to a region whether the applicant had applications
//! elsewhere. Beside the lists, `@` and the application id → the base: a terminal event of an
//! application over the embedded log has no applicant at hand (its view leaves the submission
//! in the log), and finds its base there to take it off each party's list, the parties read
//! from its view (fixed at submission).
//!
//! Why lists and not a key per application: nearly every submission's applicant has no open
//! application of the matter at all, and a prefix read over keys per application could not be
//! answered "none" by the tables' filters: it sought into every table's index and read a data
//! block of each, 10.6% of the gateway's CPU at 800,000 stored applications. One key per region
//! prefix is a point read, which the filters answer; a count of the entries beside them did the
//! same, but its keys cost fjall's compactions as much as it saved (docs/performance.md, "Round
//! 49"). The list is bounded: past [`LISTED`] open applications of one matter before one region
//! (a province's test applicant), it holds the first in id order and is marked, and the rest
//! are entries of their own ([`entry`]: the prefix, then the id), read only when a run takes
//! listed ones off, to move the next onto the list. What a prefix holds depends only on which
//! applications are open there, never on the order they were folded in: a rebuild and the live
//! projection keep the same bytes.
//!
//! An application enters at its submission and leaves when its status is final
//! ([`crate::domain::Status::is_final`]), in the projection batch that folds the event. A store
//! that folds without the secret (a rebuild with no gateway key at hand) indexes nothing and
//! says from where its index is whole (`applicants-from` in `meta`), as a store made before the
//! index does: `tongban rebuild` with the key indexes the earlier ones. Readers judge each
//! listed application by its view as well, so one a keyless fold left listed names nothing
//! closed.

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

    /// The prefix every list of `applicant`'s open applications of `matter` starts with; `None`
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

/// The prefix of `region`'s list under `base` ([`ApplicantDigests::prefix`]): what a
/// submission of `region` reads, so it reads only applications it is party to. It is the list's
/// key.
pub(super) fn region_prefix(base: &[u8], region: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(base.len() + region.len() + 1);
    k.extend_from_slice(base);
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k
}

/// How many open applications one region prefix lists at most ([`self`]): a clerk needs one
/// to look at, and the warning names three. Past it, the rest are entries of their own.
pub const LISTED: usize = 32;

/// What ends a list that has more open applications than [`LISTED`], kept as entries
/// ([`entry`]): never in an application id.
const MORE: u8 = b'+';

/// The key under which `app`'s base is kept: `@` never begins a digest's hex.
pub(super) fn where_of(app: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + app.len());
    k.push(b'@');
    k.extend_from_slice(app.as_bytes());
    k
}

/// The key of `app` under `region_prefix` when the list there is full ([`LISTED`]): the prefix,
/// then the id. Builds before the lists wrote every application so.
pub(super) fn entry(region_prefix: &[u8], app: &str) -> Vec<u8> {
    [region_prefix, app.as_bytes()].concat()
}

/// An entry ([`entry`]): its region prefix (up to and with its last 0x00; an application id
/// holds none) and application id. `None` for a key that is none: where an application's base
/// is (`@`), or a list (which ends with the 0x00).
pub(super) fn entry_of(key: &[u8]) -> Option<(&[u8], &[u8])> {
    if key.first() == Some(&b'@') || key.last() == Some(&0) {
        return None;
    }
    let end = key.iter().rposition(|b| *b == 0)?;
    Some(key.split_at(end + 1))
}

/// The application ids a list holds, as stored ([`self`]); an id that does not read is left out.
pub(super) fn listed(value: &[u8]) -> Vec<String> {
    value
        .split(|b| *b == 0)
        .filter(|id| !id.is_empty() && *id != [MORE])
        .filter_map(|id| String::from_utf8(id.to_vec()).ok())
        .collect()
}

/// Whether a list, as stored, says more open applications are kept as entries past it.
pub(super) fn has_more(value: &[u8]) -> bool {
    value.last() == Some(&MORE)
}

/// What a run leaves under one region prefix ([`relisted`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Relisted {
    /// The list's value; `None`: no application is left, the key goes.
    pub list: Option<Vec<u8>>,
    /// Entries to write: open applications past the list's bound not kept as entries yet.
    pub entered: Vec<String>,
    /// Entries to remove: applications that ended, or that the list now holds.
    pub removed: Vec<String>,
}

/// What a run leaves under a region prefix whose list held `listed` and, past the bound, the
/// entries `entries` (the first in id order, at least as many as `ended`: the most the list
/// can take back) and more still when `beyond`, once the run has ended `ended` and opened `opened`: the open
/// applications in id order, each once, the first [`LISTED`] in the list and the rest as
/// entries, the list marked when there are any. The same whatever order the run's events came
/// in, or how many runs they were folded in: it depends only on which applications are open.
/// An ended application is removed as an entry too when the list had more (it may be one past
/// those read).
pub(super) fn relisted(
    listed: &[String],
    entries: &[String],
    beyond: bool,
    ended: &[String],
    opened: &[String],
) -> Relisted {
    let mut open: Vec<&String> = listed
        .iter()
        .chain(entries)
        .chain(opened)
        .filter(|id| !ended.contains(id))
        .collect();
    open.sort_unstable();
    open.dedup();
    let past = open.split_off(open.len().min(LISTED));
    let more = !past.is_empty() || beyond;
    let list = (!open.is_empty() || more).then(|| {
        let mut value = Vec::with_capacity(open.iter().map(|id| id.len() + 1).sum::<usize>() + 1);
        for id in &open {
            value.extend_from_slice(id.as_bytes());
            value.push(0);
        }
        if more {
            value.push(MORE);
        }
        value
    });
    let entered = past
        .iter()
        .filter(|id| !entries.contains(id))
        .map(|id| id.to_string())
        .collect();
    let mut removed: Vec<String> = entries
        .iter()
        .filter(|id| !past.contains(id))
        .cloned()
        .collect();
    if beyond || !entries.is_empty() {
        removed.extend(
            ended
                .iter()
                .filter(|id| !listed.contains(id) && !entries.contains(id))
                .cloned(),
        );
    }
    Relisted {
        list,
        entered,
        removed,
    }
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
        for region in ["440000", "330000"] {
            let key = region_prefix(&prefix, region);
            let text = String::from_utf8_lossy(&key);
            assert!(!text.contains("1101051949123100"), "{text}");
            assert!(!text.contains("张三"), "{text}");
            assert!(key.starts_with(&prefix) && key.ends_with(b"\0"), "{text}");
            // No list is read as an entry of the index before the lists.
            assert_eq!(entry_of(&key), None);
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
        assert_eq!(entry_of(&where_of(APP)), None);
        // An entry as builds before the lists wrote it: its region prefix, then its application.
        let own = region_prefix(&prefix, "440000");
        let entry = [own.as_slice(), APP.as_bytes()].concat();
        assert_eq!(entry_of(&entry), Some((own.as_slice(), APP.as_bytes())));
    }

    /// One region prefix as the store keeps it: its list and the entries past it.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Prefix {
        list: Option<Vec<u8>>,
        entries: std::collections::BTreeSet<String>,
    }

    impl Prefix {
        /// A run applied as the projection batch applies it: the list read, and past a full
        /// one as many entries as it could take back.
        fn run(&mut self, ended: &[String], opened: &[String]) {
            let listed = self.list.as_deref().map(listed).unwrap_or_default();
            let (entries, beyond) = match self.list.as_deref() {
                Some(list) if has_more(list) => {
                    let n = ended.len();
                    let all: Vec<String> = self.entries.iter().cloned().collect();
                    (all.iter().take(n).cloned().collect(), all.len() > n)
                }
                _ => (Vec::new(), false),
            };
            let after = relisted(&listed, &entries, beyond, ended, opened);
            self.list = after.list;
            for app in after.removed {
                self.entries.remove(&app);
            }
            self.entries.extend(after.entered);
        }

        /// What a prefix holds with these applications open, however it got there.
        fn of(open: &std::collections::BTreeSet<String>) -> Prefix {
            let mut list = Vec::new();
            for id in open.iter().take(LISTED) {
                list.extend_from_slice(id.as_bytes());
                list.push(0);
            }
            if open.len() > LISTED {
                list.push(MORE);
            }
            Prefix {
                list: (!open.is_empty()).then_some(list),
                entries: open.iter().skip(LISTED).cloned().collect(),
            }
        }
    }

    fn ids(n: std::ops::Range<usize>) -> Vec<String> {
        n.map(|i| format!("0192aaaa-0000-7000-8000-{i:012}"))
            .collect()
    }

    /// Given a list, when a run ends some of its applications and opens others, then it holds
    /// the open ones in id order, each once, and its key goes once none is left; one opened and
    /// ended in the same run never enters; a damaged id is left out.
    #[test]
    fn a_list_holds_the_open_applications_in_id_order() {
        let mut p = Prefix::default();
        p.run(&[], &ids(1..2));
        assert_eq!(p.list, Some([ids(1..2)[0].as_bytes(), b"\0"].concat()));
        p.run(&[], &ids(0..1));
        assert_eq!(p.list.as_deref().map(listed), Some(ids(0..2)));
        p.run(&ids(0..1), &ids(5..6));
        assert_eq!(
            p.list.as_deref().map(listed),
            Some([ids(1..2), ids(5..6)].concat())
        );
        p.run(&[ids(1..2), ids(5..6)].concat(), &[]);
        assert_eq!(p, Prefix::default());
        p.run(&ids(7..8), &ids(7..9));
        assert_eq!(p.list.as_deref().map(listed), Some(ids(8..9)));
        // Opened twice (a run handed over again): once.
        p.run(&[], &[ids(3..4), ids(3..4)].concat());
        assert_eq!(
            p.list.as_deref().map(listed),
            Some([ids(3..4), ids(8..9)].concat())
        );
        let damaged = [b"\xff\xfe\0".as_slice(), p.list.as_deref().expect("a list")].concat();
        assert_eq!(listed(&damaged), [ids(3..4), ids(8..9)].concat());
    }

    /// Given applications of one applicant and matter before one region opened and ended in a
    /// scrambled order, past the bound (past twice the bound, so runs end applications among
    /// entries the projection batch does not read) and back below it, when the events are folded one run per
    /// event (as the live projector may), in runs of seven (a catch-up) and as one run (a
    /// rebuild), then after every run the prefix holds exactly what its open applications make
    /// it: the first [`LISTED`] in id order on the list, marked when there are more, the rest as
    /// entries; none lost, none left behind, the same bytes whichever way it was folded.
    #[test]
    fn past_its_bound_a_list_keeps_the_rest_as_entries_whatever_the_order() {
        // Each of 160 applications opens once and ends at most once, after it opened: four
        // times in five an opening while any is left.
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let all = ids(0..160);
        let mut events: Vec<(bool, String)> = Vec::new();
        let mut opened: Vec<String> = Vec::new();
        let (mut unopened, mut ended) = (all.clone(), 0);
        while !unopened.is_empty() || ended < 150 {
            if !unopened.is_empty() && (opened.len() == ended || next(5) > 0) {
                let id = unopened.swap_remove(next(unopened.len()));
                events.push((true, id.clone()));
                opened.push(id);
            } else {
                let open: Vec<&String> = opened
                    .iter()
                    .filter(|id| !events.iter().any(|(o, e)| !o && e == *id))
                    .collect();
                let id = open[next(open.len())].clone();
                events.push((false, id));
                ended += 1;
            }
        }
        let mut peak = 0;
        for per_run in [1, 7, events.len()] {
            let mut prefix = Prefix::default();
            let mut open = std::collections::BTreeSet::new();
            for run in events.chunks(per_run) {
                let (mut e, mut o) = (Vec::new(), Vec::new());
                for (opens, id) in run {
                    if *opens {
                        open.insert(id.clone());
                        o.push(id.clone());
                    } else {
                        open.remove(id);
                        e.push(id.clone());
                    }
                }
                prefix.run(&e, &o);
                peak = peak.max(open.len());
                assert_eq!(prefix, Prefix::of(&open), "{per_run} per run");
            }
        }
        assert!(peak > 2 * LISTED + 5, "past twice the bound: {peak}");
    }

    /// Fails unless `index` (as [`crate::projections::ProjectionStore`]'s `applicant_entries`
    /// gives it) holds lists, their entries and bases only: each list in id order, each id once,
    /// none empty, entries only past a full list marked as having more, each after every id on
    /// the list, and every application's base. Returns how many lists there are.
    pub(crate) fn lists_hold(index: &[RawEntry]) -> usize {
        let mut lists = 0;
        let mut last: Option<(&[u8], Vec<String>, bool)> = None;
        for (key, value) in index {
            if key.first() == Some(&b'@') {
                continue;
            }
            if let Some((prefix, app)) = entry_of(key) {
                let app = String::from_utf8_lossy(app).into_owned();
                let (list_key, ids, more) = last.as_ref().expect("an entry without its list");
                assert_eq!(*list_key, prefix, "an entry without its list");
                assert!(
                    *more && ids.len() == LISTED,
                    "an entry past a list not full"
                );
                assert!(
                    ids.iter().all(|id| *id < app),
                    "{app} before the list's end"
                );
                assert!(
                    index.iter().any(|(k, _)| k == &where_of(&app)),
                    "{app} without its base"
                );
                continue;
            }
            let ids = listed(value);
            assert!(!ids.is_empty(), "an empty list");
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
            for id in &ids {
                assert!(
                    index.iter().any(|(k, _)| k == &where_of(id)),
                    "{id} listed without its base"
                );
            }
            last = Some((key.as_slice(), ids, has_more(value)));
            lists += 1;
        }
        lists
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
        // Three open applications, each on the list of each party (origin and handler) and
        // where its base is: six lists of one; the withdrawn one left none behind.
        let index = rebuilt.applicant_entries().expect("entries");
        assert_eq!(lists_hold(&index), 6);
        assert_eq!(index.len(), 6 + 3);
        // Live, the person's medical-filing lists held one, two, then one again at the
        // withdrawal: the same bytes as the run that never listed the withdrawn one.
        assert_eq!(live.applicant_entries().expect("entries"), index);
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
