//! Where an application stands in its lifecycle.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// 已提交: at the origin, not yet forwarded.
    Submitted,
    /// 已转交: the handler has received it and must accept, refuse or ask for more within 5 days.
    Forwarded,
    /// 补正中: waiting for the applicant's supplement through the origin.
    SupplementRequested,
    /// 已补正: the supplement is back with the handler.
    Supplemented,
    /// 已受理: the decision clock runs.
    Accepted,
    /// 不予受理 (final).
    NotAccepted,
    /// 特别程序中: the clock is paused.
    Suspended,
    /// 联办中: at least one handler has completed its part.
    PartCompleted,
    /// 准予许可
    Approved,
    /// 不予许可
    Denied,
    /// 已出证
    ResultIssued,
    /// 已送达 (final).
    Delivered,
    /// 已撤回 (final).
    Withdrawn,
}

impl Status {
    /// Every status, in lifecycle order: what a message listing the canonical names lists.
    pub const ALL: [Status; 13] = [
        Status::Submitted,
        Status::Forwarded,
        Status::SupplementRequested,
        Status::Supplemented,
        Status::Accepted,
        Status::NotAccepted,
        Status::Suspended,
        Status::PartCompleted,
        Status::Approved,
        Status::Denied,
        Status::ResultIssued,
        Status::Delivered,
        Status::Withdrawn,
    ];

    /// The statuses one event can lead to from this one, as [`super::decide`] allows them (the
    /// domain tests explore every reachable state and hold the two equal): a supplement is
    /// requested at most once, so a supplemented application never returns to
    /// supplement-requested; a resumption returns to where the suspension began (accepted or
    /// part-completed); a deadline extension and a part completed that is not the first keep the
    /// status (not listed); a part completed ends the origin's right to withdraw (so does a
    /// suspension begun after one, which this list of statuses cannot tell apart).
    pub fn successors(self) -> &'static [Status] {
        use Status::*;
        match self {
            Submitted => &[Forwarded, Withdrawn],
            Forwarded => &[Accepted, NotAccepted, SupplementRequested, Withdrawn],
            SupplementRequested => &[Supplemented, NotAccepted, Withdrawn],
            Supplemented => &[Accepted, NotAccepted, Withdrawn],
            Accepted => &[Suspended, PartCompleted, Approved, Denied, Withdrawn],
            PartCompleted => &[Suspended, Approved, Denied],
            Suspended => &[Accepted, PartCompleted, Withdrawn],
            Approved => &[ResultIssued],
            Denied => &[Delivered],
            ResultIssued => &[Delivered],
            NotAccepted | Delivered | Withdrawn => &[],
        }
    }

    /// Whether the lifecycle leads from this status to `to` in one or more events: only then can
    /// a province's own record showing `to` be ahead of a log at this status (steps it never
    /// reported) rather than contradict it.
    pub fn leads_to(self, to: Status) -> bool {
        let mut seen = vec![self];
        let mut frontier = vec![self];
        while let Some(s) = frontier.pop() {
            for &n in s.successors() {
                if n == to {
                    return true;
                }
                if !seen.contains(&n) {
                    seen.push(n);
                    frontier.push(n);
                }
            }
        }
        false
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Forwarded => "forwarded",
            Status::SupplementRequested => "supplement-requested",
            Status::Supplemented => "supplemented",
            Status::Accepted => "accepted",
            Status::NotAccepted => "not-accepted",
            Status::Suspended => "suspended",
            Status::PartCompleted => "part-completed",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::ResultIssued => "result-issued",
            Status::Delivered => "delivered",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// 中文状态名, for pages read by people.
    pub fn title_zh(self) -> &'static str {
        match self {
            Status::Submitted => "已提交",
            Status::Forwarded => "已转交",
            Status::SupplementRequested => "补正中",
            Status::Supplemented => "已补正",
            Status::Accepted => "已受理",
            Status::NotAccepted => "不予受理",
            Status::Suspended => "特别程序中",
            Status::PartCompleted => "联办中",
            Status::Approved => "准予许可",
            Status::Denied => "不予许可",
            Status::ResultIssued => "已出证",
            Status::Delivered => "已送达",
            Status::Withdrawn => "已撤回",
        }
    }

    /// No further action is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::NotAccepted | Status::Delivered | Status::Withdrawn
        )
    }

    /// A decision (许可决定) has been made; withdrawal is no longer possible.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            Status::Approved | Status::Denied | Status::ResultIssued | Status::Delivered
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
