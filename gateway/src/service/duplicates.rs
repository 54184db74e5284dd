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
use crate::domain::personal::applicant_id;
use crate::log::EventLog;
use crate::projections::ApplicationView;

/// The warning's rule.
pub const POSSIBLE_DUPLICATE: &str = "possible-duplicate";

/// How many earlier applications one answer names at most: a clerk needs one to look at, and an
/// applicant with many open (a province's test applicant, a benchmark sending one form a
/// million times) made every submission read and name all of them, its cost growing with each.
pub const MAX_NAMED: usize = 3;

/// How many index entries one submission reads at most to find them: the named, its own
/// application (a retry's), and entries of applications that ended since (a fold without the
/// index's secret leaves them).
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
    /// entries of the index), other than the one this submission makes or made (an
    /// Idempotency-Key's own application, which a retry finds in the index), at the applicant's
    /// identifier. One prefix read of the index, nearly always empty, and a view read per
    /// application it names. Seen by the projections, which follow the log within milliseconds:
    /// an application submitted through another gateway a moment ago may not be named yet.
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
        let earlier = match self.store.open_applications_of(applicant, matter, MAX_READ) {
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
            if let Some(w) = duplicate_warning(&view, region, pointer, taken) {
                warnings.push(w);
                if warnings.len() == MAX_NAMED {
                    break;
                }
            }
        }
        warnings
    }
}

/// The warning about `earlier` for a submission of `region`, at `pointer`: none when `earlier`
/// is final (an entry a fold without the index's secret left behind) or `region` is no party
/// to it.
pub fn duplicate_warning(
    earlier: &ApplicationView,
    region: &str,
    pointer: &str,
    taken: Taken,
) -> Option<Violation> {
    let state = &earlier.state;
    let party = state.origin == region || state.handlers.iter().any(|h| h == region);
    if state.status.is_final() || !party {
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
    fn view(more: Vec<(&'static str, Command)>) -> ApplicationView {
        let events = crate::projections::applicants::tests::history(
            "0192aaaa-0000-7000-8000-000000000001",
            ("pension-transfer", Mode::Joint, &["330000", "510000"]),
            serde_json::json!({"kind": "person", "id_number": ID_NUMBER}),
            more,
        );
        let cal = crate::domain::calendar::Calendar::weekdays();
        ApplicationView::from_events(&events, &cal)
            .expect("folds")
            .expect("a view")
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
}
