//! `possible-duplicate`: the warning a submission (and its dry run) carries when the same
//! applicant already has an open application for the same matter that the submitting region
//! is a party to, as real 跨省通办 platforms tell a clerk "该申请人已有在办的同一事项". A paper
//! form entered twice under two Idempotency-Keys is otherwise two applications, taken silently.
//!
//! Never a refusal: applying again for a matter may be meant, and only the clerk can tell. The
//! earlier applications are found in the projections' applicant index
//! ([`crate::projections::applicants`]), which holds a keyed digest of the applicant's
//! identifier, never the number; the warning names the earlier application by its id, status
//! and handlers only, and only to a region that is a party to it (its origin or a handler):
//! another region learns nothing of an application it could not read.

use serde_json::Value;
use tongban_schemas::Violation;

use super::Gateway;
use crate::domain::Application;
use crate::domain::personal::applicant_id;
use crate::log::EventLog;

/// The warning's rule.
pub const POSSIBLE_DUPLICATE: &str = "possible-duplicate";

/// How many earlier applications one answer names at most: a clerk needs one to look at, and an
/// applicant with many open (a province's test applicant, a benchmark sending one form a
/// million times) made every submission read and name all of them, its cost growing with each.
pub const MAX_NAMED: usize = 3;

/// How many listed applications one submission reads at most to find them, all of applications the
/// submitting region is party to (the index is read under its own region,
/// [`crate::projections::applicants`]): the named, its own application (a retry's), and
/// applications that ended since (a fold without the index's secret leaves them listed, and
/// one this gateway just closed is not yet folded).
const MAX_READ: usize = 8;

/// Whether the submission the warning is given with was taken, or is a dry run's: the message
/// says which in plain words, so a clerk never reads it as a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The submission was appended (or is a retry of one that was).
    Submitted,
    /// A dry run: a submission of it would be taken.
    WouldBe,
}

impl<L: EventLog> Gateway<L> {
    /// One `possible-duplicate` warning per open application of `applicant` for `matter` that
    /// `region` is a party to (at most [`MAX_NAMED`], found among the first [`MAX_READ`]
    /// applications on `region`'s own list in the index, so what another region's applications are
    /// never shows in what `region` is told, nor in how long it took), other than the one this
    /// submission makes or made (an Idempotency-Key's own application, which a retry finds in
    /// the index), at the applicant's identifier. One point read of the index, nearly always
    /// empty, and a view read per application it names. Seen by the projections, which follow
    /// the log within milliseconds, and by the state this gateway remembers of the application
    /// ([`super::states`]), which holds its own actions before the projections do: a clerk who
    /// withdraws an application and at once enters the next is not told the withdrawn one is
    /// open. An application submitted through another gateway a moment ago may not be named
    /// yet.
    /// Nothing here refuses: an index or view that cannot be read is logged (without the
    /// applicant) and the submission goes on without the warning.
    pub fn possible_duplicates(
        &self,
        region: &str,
        applicant: &Value,
        matter: &str,
        idempotency_key: Option<&str>,
        taken: Taken,
    ) -> Vec<Violation> {
        let earlier = match self
            .store
            .open_applications_of(applicant, matter, region, MAX_READ)
        {
            Ok(earlier) if !earlier.is_empty() => earlier,
            Ok(_) => return Vec::new(),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "the applicant index could not be read: the submission is taken without \
                     a possible-duplicate check"
                );
                return Vec::new();
            }
        };
        let own: Vec<String> = idempotency_key
            .map(|key| {
                std::iter::once(self.app_ids.for_key(region, key))
                    .chain(self.app_ids.unkeyed_retry(region, key))
                    .collect()
            })
            .unwrap_or_default();
        let pointer = applicant_id(applicant).map_or("/applicant", |id| id.pointer());
        let mut warnings = Vec::new();
        for app in earlier.iter().filter(|app| !own.contains(app)) {
            let view = match self.store.get(app) {
                Ok(Some(view)) => view,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(
                        app = %app,
                        error = %e,
                        "an application the applicant index names could not be read: left out \
                         of the possible-duplicate check"
                    );
                    continue;
                }
            };
            // This gateway's own latest events of it, which the view may not fold yet: a final
            // one (withdrawn a moment ago) is named to no one, a later status is the one said.
            let remembered = self.states.latest(app);
            let state = match &remembered {
                Some(r) if r.state.status.is_final() => continue,
                Some(r) if r.seq > view.state.seq => &r.state,
                _ => &view.state,
            };
            if let Some(w) = duplicate_warning(state, region, pointer, taken) {
                warnings.push(w);
                if warnings.len() == MAX_NAMED {
                    break;
                }
            }
        }
        warnings
    }
}

/// The warning about an earlier application, in `state`, for a submission of `region`, at
/// `pointer`: none when it is final (an entry a fold without the index's secret left behind) or
/// `region` is no party to it.
pub fn duplicate_warning(
    state: &Application,
    region: &str,
    pointer: &str,
    taken: Taken,
) -> Option<Violation> {
    if state.status.is_final() || !state.is_party(region) {
        return None;
    }
    let handlers = state.handlers.join(", ");
    let (zh, en) = match taken {
        Taken::Submitted => (
            "本次申请仍已收件，作为另一件申请；如系同一申请重复录入，请撤回本次申请",
            "this submission was still taken, as another application: if it is the same one \
             entered twice, withdraw this one",
        ),
        Taken::WouldBe => (
            "本次申请提交时仍会收件，作为另一件申请；请先确认不是同一申请重复录入",
            "a submission of it would still be taken, as another application: check that it is \
             not the same one entered twice before sending it",
        ),
    };
    Some(Violation::new(
        pointer,
        POSSIBLE_DUPLICATE,
        format!(
            "该申请人已有在办的同一事项：申请 {id}（{status_zh}），办理地 {handlers}；{zh} (the \
             same applicant already has an open application for this matter: {id}, status \
             {status}, handled by {handlers}; {en})",
            id = state.id,
            status_zh = state.status.title_zh(),
            status = state.status.as_str(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Command;
    use tongban_schemas::Mode;

    const ID_NUMBER: &str = "11010519491231002X";

    /// An application from 440000 to handlers 330000 and 510000, submitted and forwarded,
    /// then `more`, as its view folds it.
    fn view(more: Vec<(&'static str, Command)>) -> Application {
        let events = crate::projections::applicants::tests::history(
            "0192aaaa-0000-7000-8000-000000000001",
            ("pension-transfer", Mode::Joint, &["330000", "510000"]),
            serde_json::json!({"kind": "person", "id_number": ID_NUMBER}),
            more,
        );
        let cal = crate::domain::calendar::Calendar::weekdays();
        crate::projections::ApplicationView::from_events(&events, &cal)
            .expect("folds")
            .expect("a view")
            .state
    }

    /// Given an open application the origin and both handlers are party to, when a party
    /// submits for the same applicant and matter, then it is warned at the applicant's number
    /// with the earlier application's id, status and handlers, and told its submission was
    /// taken (its dry run: would be), without the number; a region party to nothing is told
    /// nothing, and neither is anyone once the earlier application is withdrawn.
    #[test]
    fn a_party_is_told_of_an_open_application_of_the_same_applicant() {
        let open = view(Vec::new());
        for region in ["440000", "330000", "510000"] {
            let w = duplicate_warning(&open, region, "/applicant/id_number", Taken::Submitted)
                .expect("a warning");
            assert_eq!(
                (w.pointer.as_str(), w.rule.as_str()),
                ("/applicant/id_number", POSSIBLE_DUPLICATE)
            );
            for said in [
                "0192aaaa-0000-7000-8000-000000000001",
                "status forwarded",
                "已转交",
                "handled by 330000, 510000",
                "this submission was still taken",
                "该申请人已有在办的同一事项",
            ] {
                assert!(w.message.contains(said), "{said}: {}", w.message);
            }
            assert!(!w.message.contains(&ID_NUMBER[..17]), "{}", w.message);
        }
        let dry = duplicate_warning(&open, "440000", "/applicant/id_number", Taken::WouldBe)
            .expect("a warning");
        assert!(
            dry.message.contains("would still be taken"),
            "{}",
            dry.message
        );
        assert!(!dry.message.contains("was still taken"), "{}", dry.message);
        assert_eq!(
            duplicate_warning(&open, "310000", "/applicant/id_number", Taken::Submitted),
            None
        );
        let withdrawn = view(vec![("440000", Command::Withdraw(Default::default()))]);
        assert_eq!(
            duplicate_warning(
                &withdrawn,
                "440000",
                "/applicant/id_number",
                Taken::Submitted
            ),
            None
        );
    }

    /// The example's body re-routed from `origin` to `handlers` (its places moved with it), as
    /// a submission request.
    fn routed(origin: &str, handlers: &[&str]) -> crate::service::SubmitRequest {
        use crate::service::fixtures::{MATTER, example};
        let mut body = example();
        body["origin"] = serde_json::json!(origin);
        body["handlers"] = serde_json::json!(handlers);
        let matter = tongban_schemas::matters::get(MATTER).expect("matter");
        tongban_schemas::matters::jurisdiction::relocate(&matter.jurisdiction, &mut body);
        serde_json::from_value(body).expect("request")
    }

    /// A region other than the example's origin and lead handler, the first of `candidates`.
    fn another(candidates: &[&'static str], not: &[&str]) -> &'static str {
        candidates
            .iter()
            .find(|c| !not.contains(c))
            .copied()
            .expect("a region")
    }

    /// Given nine open applications of one applicant for one matter, eight between the
    /// example's origin and lead handler and one from a third region to the same lead handler,
    /// when the third region and a fourth one (party to none) check a submission for the same
    /// applicant, then the third is warned of its one application, whichever order the ids
    /// fall in, and the fourth of nothing, its read of the index finding no entry at all; the
    /// origin, party to eight, is named three. (The index was read by application id alone, its
    /// first eight entries as likely the origin's as the third region's: the third was often
    /// told nothing, and a region's answer told it whether the applicant had applications
    /// elsewhere.)
    #[tokio::test]
    async fn a_region_party_to_one_of_nine_open_applications_is_warned_of_its_one() {
        use crate::service::fixtures::{MATTER, example, gateway_on, lead_code, origin_code};
        let dir = crate::testutil::TempDir::new("duplicates-one-of-nine");
        let log = std::sync::Arc::new(
            crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"),
        );
        let gw = gateway_on(&log, &dir, "projections");
        let (origin, lead) = (origin_code(), lead_code());
        let regions = ["330000", "320000", "510000", "420000"];
        let third = another(&regions, &[&origin, &lead]);
        let none = another(&regions, &[&origin, &lead, third]);
        let mut theirs = Vec::new();
        for _ in 0..8 {
            let r = crate::service::fixtures::region(&origin);
            let submitted = gw
                .submit(&r, routed(&origin, &[&lead]), None)
                .await
                .expect("submit");
            theirs.push(submitted.id);
        }
        let own = gw
            .submit(
                &crate::service::fixtures::region(third),
                routed(third, &[&lead]),
                None,
            )
            .await
            .expect("submit")
            .id;
        gw.caught_up().await;
        let applicant = example()["applicant"].clone();
        assert_eq!(
            gw.store
                .open_applications_of(&applicant, MATTER, third, MAX_READ)
                .expect("read"),
            std::slice::from_ref(&own)
        );
        let told = gw.possible_duplicates(third, &applicant, MATTER, None, Taken::WouldBe);
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].message.contains(&own), "{}", told[0].message);
        assert!(
            gw.store
                .open_applications_of(&applicant, MATTER, none, MAX_READ)
                .expect("read")
                .is_empty()
        );
        assert_eq!(
            gw.possible_duplicates(none, &applicant, MATTER, None, Taken::WouldBe),
            Vec::new()
        );
        let at_origin = gw.possible_duplicates(&origin, &applicant, MATTER, None, Taken::WouldBe);
        assert_eq!(at_origin.len(), MAX_NAMED, "{at_origin:?}");
        assert!(
            at_origin
                .iter()
                .all(|w| theirs.iter().any(|app| w.message.contains(app.as_str())))
        );
        // Each application is on the list of each of its parties and where its base is: three
        // lists (the lead handler's names all nine) and nine bases.
        let index = gw.store.applicant_entries().expect("entries");
        assert_eq!(crate::projections::applicants::tests::lists_hold(&index), 3);
        assert_eq!(index.len(), 3 + 9);
        // Once all are withdrawn, none is left in the index.
        for app in &theirs {
            let r = crate::service::fixtures::region(&origin);
            gw.act(&r, app, Command::Withdraw(Default::default()), None)
                .await
                .expect("withdraw");
        }
        let r = crate::service::fixtures::region(third);
        gw.act(&r, &own, Command::Withdraw(Default::default()), None)
            .await
            .expect("withdraw");
        gw.caught_up().await;
        assert_eq!(gw.store.applicant_entries().expect("entries"), Vec::new());
    }

    /// Given an open application, when its origin forwards it and at once (the projector held
    /// back a second per batch, so its view still says submitted) checks a submission for the
    /// same applicant, then the warning says forwarded, as this gateway's remembered state
    /// does; when it withdraws it and at once submits again, then the new submission is told
    /// nothing. (A clerk who withdrew an application and at once entered the next was told the
    /// withdrawn one was open, and to withdraw the new one.)
    #[tokio::test]
    async fn a_submission_at_once_after_a_withdrawal_here_is_not_warned_of_it() {
        use crate::service::fixtures::{MATTER, example, origin_code, region, request};
        use std::time::Duration;
        let dir = crate::testutil::TempDir::new("duplicates-withdrawn-here");
        let log = crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let gw = crate::service::Gateway::start_with_projector_delay(
            std::sync::Arc::new(log),
            crate::envelope::GatewayKey::load_or_create(&dir.path().join("gateway.key"))
                .expect("key"),
            crate::projections::ProjectionStore::open(&dir.path().join("projections"))
                .expect("projections"),
            crate::domain::calendar::Calendar::weekdays(),
            Duration::from_millis(1000),
        );
        let origin = region(&origin_code());
        let code = origin_code();
        let applicant = example()["applicant"].clone();
        let first = gw
            .submit(&origin, request(), None)
            .await
            .expect("submit")
            .id;
        gw.caught_up().await;
        let status = |app: &str| {
            gw.store
                .get(app)
                .expect("get")
                .expect("projected")
                .state
                .status
        };
        assert_eq!(status(&first), crate::domain::Status::Submitted);

        gw.act(
            &origin,
            &first,
            Command::Forward(tongban_schemas::events::Forwarded::checked()),
            None,
        )
        .await
        .expect("forward");
        let told = gw.possible_duplicates(&code, &applicant, MATTER, None, Taken::WouldBe);
        assert_eq!(
            status(&first),
            crate::domain::Status::Submitted,
            "projected"
        );
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].message.contains("status forwarded"),
            "{}",
            told[0].message
        );

        gw.act(&origin, &first, Command::Withdraw(Default::default()), None)
            .await
            .expect("withdraw");
        let second = gw.submit(&origin, request(), None).await.expect("submit");
        assert_ne!(
            status(&first),
            crate::domain::Status::Withdrawn,
            "projected"
        );
        assert!(
            second.warnings.iter().all(|w| w.rule != POSSIBLE_DUPLICATE),
            "{:?}",
            second.warnings
        );
    }
}
