//! The Prometheus text exposition format (version 0.0.4), written by hand: a few `# HELP` /
//! `# TYPE` lines and `name{labels} value` samples need no library.

use std::fmt::Write;

use super::Snapshot;

/// The content type scrapers expect.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Accumulates one exposition.
#[derive(Debug, Default)]
pub struct Text(String);

/// Escapes a label value (backslash, double quote, newline), as the format requires.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Text {
    /// `# HELP` and `# TYPE` for a metric family; call once before its samples.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, pairs: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{name}{} {value}", labels(pairs));
    }

    /// A histogram's `_bucket`, `_sum` and `_count` samples; bounds and sum are divided by
    /// `scale` (1e6 turns recorded microseconds into the seconds Prometheus expects).
    pub fn histogram(&mut self, name: &str, pairs: &[(&str, &str)], s: &Snapshot, scale: f64) {
        for (bound, count) in s.bounds.iter().zip(&s.cumulative) {
            let le = format!("{}", *bound as f64 / scale);
            let mut with_le = pairs.to_vec();
            with_le.push(("le", &le));
            self.sample(&format!("{name}_bucket"), &with_le, count);
        }
        let mut with_le = pairs.to_vec();
        with_le.push(("le", "+Inf"));
        self.sample(&format!("{name}_bucket"), &with_le, s.count);
        self.sample(&format!("{name}_sum"), pairs, s.sum as f64 / scale);
        self.sample(&format!("{name}_count"), pairs, s.count);
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_histograms_end_with_inf() {
        static B: [u64; 2] = [1_000, 2_000];
        let h = super::super::Histogram::new(&B);
        h.record(1_500);
        let mut t = Text::default();
        t.family("x_seconds", "histogram", "test");
        t.histogram("x_seconds", &[("route", "a\"b")], &h.snapshot(), 1e6);
        let out = t.finish();
        assert!(
            out.contains("x_seconds_bucket{route=\"a\\\"b\",le=\"0.001\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{route=\"a\\\"b\",le=\"+Inf\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_sum{route=\"a\\\"b\"} 0.0015\n"),
            "{out}"
        );
    }
}
