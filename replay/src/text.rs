//! Plain-text rendering of a timeline, for terminals.

use std::fmt::Write;

use crate::timeline::{DeadlineAt, Timeline};

fn deadlines_line(ds: &[DeadlineAt]) -> String {
    if ds.is_empty() {
        return "—".into();
    }
    ds.iter()
        .map(|d| {
            let kind = serde_json::to_value(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let sit = serde_json::to_value(d.situation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("{kind} {sit} (due {}, {})", d.due, d.responsible)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "application {}  matter {}  mode {}  origin {}  handlers {}",
        t.app,
        t.matter,
        t.mode,
        t.origin,
        t.handlers.join(",")
    );
    let _ = writeln!(
        out,
        "{:>4}  {:<24}  {:<6}  {:<18}  {:<34}  {:<20}  deadlines",
        "seq", "at (UTC)", "region", "actor", "event", "status after"
    );
    for s in &t.steps {
        let _ = writeln!(
            out,
            "{:>4}  {:<24}  {:<6}  {:<18}  {:<34}  {:<20}  {}",
            s.seq,
            s.at,
            s.region,
            s.actor,
            s.kind,
            s.status_after,
            deadlines_line(&s.deadlines)
        );
    }
    let _ = writeln!(out, "state as of {}: {}", t.as_of, t.status);
    let _ = writeln!(
        out,
        "deadlines as of {}: {}",
        t.as_of,
        deadlines_line(&t.deadlines)
    );
    out
}
