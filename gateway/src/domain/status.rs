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
