//! The regions' acknowledged feed cursors beside an application's events: what settles "we
//! never received it".
//!
//! An event's log position is where it sits in the feed of every region party to its
//! application (the projections give each party every event of the application). A region's
//! adapter acknowledges its feed up to a position (`POST /v1/regions/{region}/feed/ack`), and
//! the cursor only moves forward. So a cursor at or past an event's position says the region
//! acknowledged every item of its feed up to the cursor, that event among them; unless its feed
//! gives a marker there instead of the event (an event the projection withheld: `held`, or passed
//! over: `repeated`), which is then said, since the region took a marker, not the event; one before it
//! says it has not acknowledged it yet (a read leaves no trace, so it may have read it). It
//! says the region's adapter took the event, not that its staff saw it. Operators found the
//! cursor only in the gateway's log lines before; the tools now show it beside the events, with
//! when the latest acknowledgement moved it where the gateway stores that.
//!
//! A later acknowledgement moves the cursor on and its time with it, but a dispute over a
//! deadline asks when the region *first* acknowledged past the event: each event shows that too,
//! from the history of the region's acknowledgements ([`tongban_gateway::log::acks`]), with the
//! token that took it; or that the history does not reach back to it, never the latest move's
//! time in its place.
//!
//! The cursor is read as it is now, whatever point the timeline is judged at: it is the region's
//! state, not the application's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use tongban_gateway::log::{FirstAck, Moved};
use tongban_gateway::projections::marked::{FeedCursors, Marker};

use crate::html::{beijing, escape, region};
use crate::timeline::Timeline;

/// The cursors a tool could read for the application's parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursors {
    /// Each party's cursor as read now, by region code, and the positions of the application's
    /// events its feeds give as markers instead of the events.
    Read(FeedCursors),
    /// None could be read, and why (in English, for the command line and the JSON; the page
    /// says so in Chinese).
    Unavailable(String),
}

/// One party's feed beside the application's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feed {
    pub region: String,
    /// `origin` (收件地) or `handler` (办理地).
    pub role: &'static str,
    /// The position up to which the region acknowledged its feed (0: nothing yet).
    pub acked: u64,
    /// When the acknowledgement that moved the cursor to `acked` was taken (RFC 3339, UTC);
    /// null where that is not what the gateway knows (`moved_by` says what it knows).
    pub acked_at: Option<String>,
    /// What moved the cursor to `acked`: `acknowledgement` (at `acked_at`), `gateway` (the
    /// gateway itself at `moved_at`: back to the end of a log restored from a backup, or the
    /// hand-over of its own cursors to the stream's bucket; no acknowledgement time is known),
    /// `unknown` (last written at `moved_at` by a gateway build that does not say how, or by
    /// hand: an acknowledgement or a gateway's move), `not_stored` (no time is kept for this
    /// position), or null when nothing was acknowledged.
    pub moved_by: Option<&'static str>,
    /// When the cursor was moved to `acked` by something other than an acknowledgement known as
    /// such (RFC 3339, UTC): never to be read as an acknowledgement's time.
    pub moved_at: Option<String>,
    /// Why the tool could not read which positions the region's feed gave as markers (absent
    /// when it could): each event's `given` is then `unknown` and none is said `acknowledged`,
    /// since a cursor past a position the feed gave as a marker is no receipt of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markers_unread: Option<String>,
    /// Why the history of the region's acknowledgements could not be read (absent when it
    /// could): each event's `first_ack` is then `unread`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_unread: Option<String>,
    /// The application's events in the region's feed, in seq order: those the timeline counts
    /// and places in the log.
    pub events: Vec<Given>,
}

/// One event in a region's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Given {
    pub seq: u64,
    pub position: u64,
    #[serde(rename = "type")]
    pub kind: String,
    /// What the region's feed gives at `position`: `event` (the event itself), `held_marker`
    /// (a `held` marker without the event's content: the projection is held at this event, one
    /// that did not verify or did not follow the one before it in the log, and the chain counts
    /// it in seq order), `repeated_marker` (a `repeated` marker: a second event under a seq the
    /// projection had folded), or `nothing` (a marker went to the parties the projection knew
    /// then, not to this region), or `unknown` (which positions were given as markers could
    /// not be read: [`Feed::markers_unread`]).
    pub given: &'static str,
    /// The region's cursor is at or past `position`: it acknowledged what its feed gives there.
    pub cursor_past: bool,
    /// The region acknowledged the event itself: its feed gives the event (`given` is `event`)
    /// and the cursor is at or past it. A cursor past a marker is no receipt of the event.
    pub acknowledged: bool,
    /// The region's first acknowledgement at or past `position`, from the history of its
    /// acknowledgements.
    pub first_ack: First,
}

/// When a region first acknowledged at or past an event's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct First {
    /// `recorded`: the acknowledgement taken `at` with `token`, which moved the cursor from
    /// `from` (before the position) to `to` (at or past it); `not_acknowledged`: the cursor is
    /// before the position; `not_kept`: the cursor passed it before the history reaches back
    /// (acknowledged before the gateway kept the history, or moved past it otherwise: carried
    /// over, handed over), `history_from` then says where the cursor was at the history's first
    /// record past it; `unread`: the history could not be read (the feed's `history_unread`).
    pub state: &'static str,
    /// RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The acknowledging token, `<region>/<token id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_from: Option<u64>,
}

impl First {
    fn state(state: &'static str) -> First {
        First {
            state,
            at: None,
            token: None,
            from: None,
            to: None,
            history_from: None,
        }
    }

    /// What `first` (`None`: not read) says of a position.
    fn of(first: Option<&FirstAck>) -> First {
        match first {
            None => First::state("unread"),
            Some(FirstAck::NotYet) => First::state("not_acknowledged"),
            Some(FirstAck::NotKept { kept_from }) => First {
                history_from: *kept_from,
                ..First::state("not_kept")
            },
            Some(FirstAck::Taken(r)) => First {
                state: "recorded",
                at: Some(r.at.to_rfc3339()),
                token: Some(r.actor.clone()),
                from: Some(r.from),
                to: Some(r.to),
                history_from: None,
            },
        }
    }
}

/// What a cursor proves, said once under the cursors in the command line's output.
pub const MEANING: &str = "a cursor at or past an event's log position: the region acknowledged \
     every item of its feed up to the cursor, this event among them (its feed lists the events \
     of the applications it is party to, so this one was in it, unless it is said to be given \
     as a marker: then the region took the marker, never the event's content); before it: not acknowledged \
     yet, though its adapter may have read it (a read leaves no trace). It says the region's \
     adapter took the event, not that its staff saw it. Cursors are as they stand now, whatever \
     the point above, and each only moves forward; when the region first acknowledged at or past \
     an event, and with which token, is from the history of its acknowledgements (the cursor \
     keeps only its latest move's time)";

/// Each party of `t` (its origin, then its handlers) with its cursor from `cursors` and every
/// placed event of the timeline compared with it, and with what its feed gives at the event's
/// position (the event, or a marker: [`tongban_gateway::projections::marked`]). A party whose
/// cursor was not read is left out.
///
/// A position given as a `repeated` marker is not a counted step when the log holds the event
/// the projection folded before it (the chain keeps the first copy whose seal holds, and two
/// different events under one seq stop it), but it is checked all the same: a projection that
/// folded a copy whose seal does not hold leaves the replay counting the later one.
pub fn of(t: &Timeline, cursors: &FeedCursors) -> Vec<Feed> {
    let parties = std::iter::once((t.origin.as_str(), "origin"))
        .chain(t.handlers.iter().map(|h| (h.as_str(), "handler")));
    let mut out: Vec<Feed> = Vec::new();
    for (region, role) in parties {
        if out.iter().any(|f| f.region == region) {
            continue;
        }
        let Some(acked) = cursors.acked.get(region) else {
            continue;
        };
        let first = cursors.first.get(region);
        let events = t
            .steps
            .iter()
            .filter_map(|s| {
                s.position.map(|position| {
                    let given = match cursors.marked.get(&position) {
                        None if cursors.marked_unread.is_some() => "unknown",
                        None => "event",
                        Some(m) if !m.parties.iter().any(|p| p == region) => "nothing",
                        Some(m) => match m.marker {
                            Marker::Held => "held_marker",
                            Marker::Repeated => "repeated_marker",
                        },
                    };
                    let cursor_past = acked.position >= position;
                    Given {
                        seq: s.seq,
                        position,
                        kind: s.kind.clone(),
                        given,
                        cursor_past,
                        acknowledged: cursor_past && given == "event",
                        first_ack: First::of(first.and_then(|f| f.get(&position))),
                    }
                })
            })
            .collect();
        let (moved_by, moved_at) = match (acked.position, acked.moved) {
            (0, _) => (None, None),
            (_, Moved::Acknowledged(_)) => (Some("acknowledgement"), None),
            (_, Moved::ByGateway(at)) => (Some("gateway"), Some(at.to_rfc3339())),
            (_, Moved::Written(at)) => (Some("unknown"), Some(at.to_rfc3339())),
            (_, Moved::NotStored) => (Some("not_stored"), None),
        };
        out.push(Feed {
            region: region.to_string(),
            role,
            acked: acked.position,
            acked_at: acked
                .moved
                .acknowledged_at()
                .filter(|_| acked.position > 0)
                .map(|at| at.to_rfc3339()),
            moved_by,
            moved_at,
            markers_unread: cursors.marked_unread.clone(),
            history_unread: match first {
                Some(_) => None,
                None => Some(cursors.history_unread.clone().unwrap_or_else(|| {
                    "the history of the region's acknowledgements was not read".to_string()
                })),
            },
            events,
        });
    }
    out
}

/// The cursors for the command line: a line per party, a line per event under it, and what a
/// cursor proves.
pub fn text(t: &Timeline, cursors: &Cursors) -> String {
    let mut out = String::new();
    let read = match cursors {
        Cursors::Read(read) => read,
        Cursors::Unavailable(why) => {
            let _ = writeln!(out, "feed cursors: not read ({why})");
            return out;
        }
    };
    let _ = writeln!(out, "feed cursors (each party's, as acknowledged now):");
    for feed in of(t, read) {
        let up_to = match (feed.acked, &feed.acked_at, feed.moved_by, &feed.moved_at) {
            (0, ..) => "has acknowledged nothing yet".to_string(),
            (p, Some(at), ..) => format!(
                "acknowledged up to log position {p}, the acknowledgement that moved the cursor \
                 there taken at {at} ({} 北京时间)",
                beijing(at)
            ),
            (p, None, Some("gateway"), Some(at)) => format!(
                "acknowledged up to log position {p}; the cursor was moved there by the gateway at \
                 {at} ({} 北京时间: a restore's move back or the hand-over of its cursors), so \
                 when the region acknowledged it is not known",
                beijing(at)
            ),
            (p, None, Some("unknown"), Some(at)) => format!(
                "acknowledged up to log position {p}; the cursor was last written at {at} ({} \
                 北京时间) by a gateway build that does not say whether an acknowledgement or \
                 the gateway moved it",
                beijing(at)
            ),
            (p, ..) => format!(
                "acknowledged up to log position {p} (when is not stored for this position: \
                 moved before this gateway kept the time, by an older build, carried over a \
                 rebuild, or moved back by the gateway)"
            ),
        };
        let _ = writeln!(out, "  {} ({}): {up_to}", feed.region, feed.role);
        if let Some(why) = &feed.markers_unread {
            let _ = writeln!(
                out,
                "    which positions its feed gave as markers (held or repeated, without the \
                 event's content) could not be read ({why}): a cursor past an event is not \
                 said to be its receipt"
            );
        }
        if let Some(why) = &feed.history_unread {
            let _ = writeln!(
                out,
                "    the history of its acknowledgements could not be read ({why}): when it \
                 first acknowledged each event is not said"
            );
        }
        for g in &feed.events {
            let said = match (g.given, g.cursor_past) {
                ("event", true) => "acknowledged",
                ("event", false) => "not acknowledged (the cursor is before it)",
                ("held_marker", true) => {
                    "given as a held marker, content withheld (the cursor is past the marker: \
                     the region took the marker, not the event)"
                }
                ("held_marker", false) => {
                    "given as a held marker, content withheld (not acknowledged yet)"
                }
                ("repeated_marker", true) => {
                    "given as a repeated marker, content withheld (the cursor is past the \
                     marker: the region took the marker, not the event)"
                }
                ("repeated_marker", false) => {
                    "given as a repeated marker, content withheld (not acknowledged yet)"
                }
                ("unknown", true) => {
                    "the cursor is past it; whether the feed gave the event or a marker there \
                     could not be read"
                }
                ("unknown", false) => "not acknowledged (the cursor is before it)",
                _ => "not in its feed (the projection marked it for the parties it knew then)",
            };
            let _ = writeln!(
                out,
                "    seq {} {} at log position {}: {said}",
                g.seq, g.kind, g.position
            );
            if let Some(first) = first_text(&g.first_ack) {
                let _ = writeln!(out, "      {first}");
            }
        }
    }
    let _ = writeln!(out, "{MEANING}");
    out
}

/// What the command line says of a region's first acknowledgement at or past an event, under
/// the event's line (nothing where the line says it all: not acknowledged, or not read).
fn first_text(first: &First) -> Option<String> {
    match (first.state, &first.at, &first.token) {
        ("recorded", Some(at), Some(token)) => Some(format!(
            "first acknowledged at {at} ({} 北京时间) with token {token}, which moved the cursor \
             from {} to {}",
            beijing(at),
            first.from.unwrap_or_default(),
            first.to.unwrap_or_default()
        )),
        ("not_kept", ..) => Some(format!(
            "when it was first acknowledged is not kept: the cursor passed it before the history \
             of acknowledgements reaches back ({})",
            match first.history_from {
                Some(from) => format!("the history's first move past it is from position {from}"),
                None => "no acknowledgement past it is recorded".to_string(),
            }
        )),
        _ => None,
    }
}

/// The cursors for JSON: `feeds` (each [`Feed`]), and `feeds_unavailable` (why none could be
/// read) when so.
pub fn json(t: &Timeline, cursors: &Cursors) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    match cursors {
        Cursors::Read(read) => {
            m.insert(
                "feeds".into(),
                serde_json::to_value(of(t, read)).unwrap_or_default(),
            );
        }
        Cursors::Unavailable(why) => {
            m.insert("feeds".into(), serde_json::Value::Array(Vec::new()));
            m.insert("feeds_unavailable".into(), why.clone().into());
        }
    }
    m
}

/// The page's section of the cursors (`id="feeds"`): each party's cursor and when it moved
/// there, and a table of the events with, for each party, whether it acknowledged the event.
pub fn html(out: &mut String, t: &Timeline, cursors: &Cursors, names: &BTreeMap<String, String>) {
    out.push_str("<h2 id=\"feeds\">接收确认（各地区分发队列的确认游标）</h2>");
    let read = match cursors {
        Cursors::Read(read) => read,
        Cursors::Unavailable(_) => {
            out.push_str(
                "<p class=\"broken\" id=\"feeds-unavailable\">各地区的确认游标此刻无法读取（原因见网关日志或命令的输出）。</p>",
            );
            return;
        }
    };
    let feeds = of(t, read);
    out.push_str(
        "<p>确认游标：该地区的适配器已确认（POST /v1/regions/{region}/feed/ack）其分发队列中截至该日志位置的全部事件；其分发队列只列出该地区参与的申请的事件，本申请的每个事件都在其中，除投影暂停于其上而以标记给出（不含事件内容）的事件。游标不小于事件的日志位置，即该地区已确认接收该事件；小于则尚未确认（读取不留痕迹，其适配器可能已读到）。确认只说明该地区的适配器已接收，不说明其工作人员已查看。游标为现在的值，与所选时点无关；确认只前进不后退（恢复备份后网关可将其回退至日志末尾）；游标只保存最近一次移动的时间，且只在知道是确认所移时显示为确认的时间。各事件的首次确认（该地区第一次确认至该事件的日志位置或其后）取自确认历史，见下方“首次确认”表。</p>",
    );
    out.push_str(
        "<div class=\"scroll\"><table id=\"feed-cursors\"><tr><th>地区</th><th>角色</th><th>已确认至日志位置</th><th>移至该位置的确认的时间（北京时间）</th></tr>",
    );
    for f in &feeds {
        let role = match f.role {
            "origin" => "收件地",
            _ => "办理地",
        };
        let at = match (f.acked, &f.acked_at, f.moved_by, &f.moved_at) {
            (0, ..) => "—".to_string(),
            (_, Some(at), ..) => escape(&beijing(at)),
            (_, None, Some("gateway"), Some(at)) => format!(
                "未知：游标由网关于 {} 移至此处（恢复备份后的回退或游标移交），不是确认的时间",
                escape(&beijing(at))
            ),
            (_, None, Some("unknown"), Some(at)) => format!(
                "未知：游标最后于 {} 写入，写入的网关版本未说明是确认还是网关所移",
                escape(&beijing(at))
            ),
            _ => "未保存（此位置没有保存时间：在网关开始保存确认时间之前前移、由旧版本网关前移、经重建投影保留或由网关回退）".to_string(),
        };
        let acked = match f.acked {
            0 => "尚未确认任何事件".to_string(),
            p => p.to_string(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{role}</td><td>{acked}</td><td>{at}</td></tr>",
            region(names, &f.region)
        );
    }
    out.push_str("</table></div>");
    // The reason is the operator's (English, naming directories); the page says what it means.
    if read.marked_unread.is_some() {
        out.push_str(
            "<p class=\"broken\" id=\"markers-unread\">未能读取标记：各地区的分发队列在哪些日志位置以标记（暂停或重复，不含事件内容）代替事件给出，此处无法读取（原因见命令的输出），故游标已过的事件不显示为已确认。</p>",
        );
    }
    let Some(first) = feeds.first() else {
        return;
    };
    out.push_str(
        "<div class=\"scroll\"><table id=\"feed-events\"><tr><th>序号</th><th>事件</th><th>日志位置</th>",
    );
    for f in &feeds {
        let _ = write!(out, "<th>{}</th>", region(names, &f.region));
    }
    out.push_str("</tr>");
    for (i, g) in first.events.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            g.seq,
            escape(&g.kind),
            g.position
        );
        for f in &feeds {
            let cell = match f.events.get(i).map(|g| (g.given, g.cursor_past)) {
                Some(("event", true)) => "<td class=\"ok\">已确认</td>",
                Some(("event", false)) => "<td class=\"broken\">尚未确认</td>",
                Some(("held_marker", past)) => match past {
                    true => {
                        "<td class=\"broken\">以标记给出，内容未分发（已确认该标记，非事件）</td>"
                    }
                    false => "<td class=\"broken\">以标记给出，内容未分发（尚未确认该标记）</td>",
                },
                Some(("repeated_marker", past)) => match past {
                    true => {
                        "<td class=\"broken\">以重复标记给出，内容未分发（已确认该标记，非事件）</td>"
                    }
                    false => {
                        "<td class=\"broken\">以重复标记给出，内容未分发（尚未确认该标记）</td>"
                    }
                },
                Some(("unknown", true)) => {
                    "<td class=\"broken\">游标已过；未能读取标记：不知给出的是事件还是标记</td>"
                }
                Some(("unknown", false)) => "<td class=\"broken\">尚未确认</td>",
                Some(_) => "<td class=\"broken\">不在其分发队列中</td>",
                None => "<td>—</td>",
            };
            out.push_str(cell);
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div>");
    first_html(out, &feeds, names);
}

/// The table of each party's first acknowledgement at or past each event (`id="feed-first"`),
/// from the history of its acknowledgements.
fn first_html(out: &mut String, feeds: &[Feed], names: &BTreeMap<String, String>) {
    let Some(first) = feeds.first() else {
        return;
    };
    out.push_str(
        "<p>首次确认：该地区第一次确认至该事件的日志位置或其后的时间（北京时间）与所用令牌，取自确认历史（每次使游标前移的确认一条记录）；其后的确认不改变它。确认历史不及之处（在网关开始保存确认历史之前确认，或游标未经确认而前移）写明未保存，不以游标最近一次移动的时间代替。</p>",
    );
    out.push_str(
        "<div class=\"scroll\"><table id=\"feed-first\"><tr><th>序号</th><th>日志位置</th>",
    );
    for f in feeds {
        let _ = write!(out, "<th>{}</th>", region(names, &f.region));
    }
    out.push_str("</tr>");
    for (i, g) in first.events.iter().enumerate() {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td>", g.seq, g.position);
        for f in feeds {
            let Some(g) = f.events.get(i) else {
                out.push_str("<td>—</td>");
                continue;
            };
            let a = &g.first_ack;
            let _ = match (a.state, &a.at, &a.token) {
                ("recorded", Some(at), Some(token)) => write!(
                    out,
                    "<td class=\"ok\">{}，令牌 {}（游标 {} → {}）</td>",
                    escape(&beijing(at)),
                    escape(token),
                    a.from.unwrap_or_default(),
                    a.to.unwrap_or_default()
                ),
                ("not_acknowledged", ..) => write!(out, "<td class=\"broken\">从未确认至此</td>"),
                ("not_kept", ..) => write!(
                    out,
                    "<td class=\"broken\">未保存：游标在确认历史开始之前已过此位置</td>"
                ),
                _ => write!(out, "<td class=\"broken\">无法读取确认历史</td>"),
            };
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div>");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tongban_gateway::domain::calendar::Calendar;
    use tongban_gateway::log::{AckRecord, Acked, FirstAck, Moved};
    use tongban_gateway::projections::marked::FeedCursors;
    use tongban_gateway::time::Timestamp;

    use super::Cursors;
    use crate::timeline::{self, Point, Timeline};

    /// An accepted application's timeline, its three events at log positions 10, 20, 30.
    fn placed() -> Timeline {
        let events = crate::reconcile::tests::to_accepted("GD-F1", "SL-F1");
        let key = crate::reconcile::tests::key();
        let mut t = timeline::build(
            &events,
            &key,
            &Calendar::weekdays(),
            Point::Now,
            Timestamp::now(),
        )
        .expect("timeline");
        for (i, s) in t.steps.iter_mut().enumerate() {
            s.position = Some(10 * (i as u64 + 1));
        }
        t
    }

    /// Given a handler whose cursor is at 30, moved there by an acknowledgement at a known time,
    /// and whose history reaches back only to 15 (the first record moved the cursor from 15 to
    /// 30; its first acknowledgement past 10 was taken before the history), when the tools
    /// render its feed, then the event at 10 says its first acknowledgement is not kept, never
    /// the latest move's time, and those at 20 and 30 name the record; with the history not
    /// read, each event's is `unread` and the reason is said once.
    #[test]
    fn a_first_acknowledgement_the_history_does_not_reach_is_said_not_kept() {
        let t = placed();
        let latest = Timestamp(1_790_000_000_000);
        let record = AckRecord {
            from: 15,
            to: 30,
            at: latest,
            actor: "handler/tok".into(),
        };
        let mut first = BTreeMap::new();
        first.insert(
            10,
            FirstAck::NotKept {
                kept_from: Some(15),
            },
        );
        first.insert(20, FirstAck::Taken(record.clone()));
        first.insert(30, FirstAck::Taken(record));
        let mut acked = BTreeMap::new();
        let moved = Moved::Acknowledged(latest);
        for region in std::iter::once(&t.origin).chain(&t.handlers) {
            acked.insert(
                region.clone(),
                Acked {
                    position: 30,
                    moved,
                },
            );
        }
        let handler = t.handlers[0].clone();
        let cursors = FeedCursors {
            acked,
            first: BTreeMap::from([(handler.clone(), first)]),
            ..Default::default()
        };
        let feeds = super::of(&t, &cursors);
        let feed = feeds.iter().find(|f| f.region == handler).expect("handler");
        let states: Vec<_> = feed.events.iter().map(|g| g.first_ack.state).collect();
        assert_eq!(states, ["not_kept", "recorded", "recorded"]);
        assert_eq!(feed.events[0].first_ack.at, None);
        assert_eq!(feed.events[0].first_ack.history_from, Some(15));
        assert_eq!(feed.history_unread, None);
        // The origin's history was not read here: said so, per event and once for the feed.
        let origin = feeds.iter().find(|f| f.region == t.origin).expect("origin");
        assert!(origin.events.iter().all(|g| g.first_ack.state == "unread"));
        assert!(origin.history_unread.is_some());

        let text = super::text(&t, &Cursors::Read(cursors.clone()));
        let at = latest.to_rfc3339();
        assert_eq!(
            text.matches(&format!("first acknowledged at {at}")).count(),
            2,
            "{text}"
        );
        assert!(
            text.contains(
                "when it was first acknowledged is not kept: the cursor passed it before the \
                 history of acknowledgements reaches back (the history's first move past it is \
                 from position 15)"
            ),
            "{text}"
        );
        assert!(
            text.contains("the history of its acknowledgements could not be read"),
            "{text}"
        );
        let mut html = String::new();
        super::html(&mut html, &t, &Cursors::Read(cursors), &BTreeMap::new());
        assert_eq!(
            html.matches("未保存：游标在确认历史开始之前已过此位置")
                .count(),
            1,
            "{html}"
        );
        assert_eq!(html.matches("无法读取确认历史").count(), 3, "{html}");
    }
}
