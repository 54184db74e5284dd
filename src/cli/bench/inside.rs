//! What the gateway's own `/metrics` say about a stage: the request time it measured itself, and
//! the two storage steps a submission waits for: the append (on the embedded log the group
//! commit's write and fsync, on JetStream the publish's ack) and the projection batch that
//! read-your-writes waits for.
//!
//! The client's latency and the gateway's differ. Each bench client keeps one request in flight,
//! so when the gateway stalls for 40 ms only the 16 requests already inside it see 40 ms there;
//! every request falling due meanwhile waits in its client and is charged from when it was due
//! (open loop). The gateway's figures say where such a stall was: in the disk, in the projections,
//! or neither (then the time was spent before routing, or in the client).

use serde_json::{Value, json};

/// The route the bench submits to, as `/metrics` labels it.
const FORMS_ROUTE: &str = r#"route="/v1/regions/{region}/forms/{matter}""#;

/// The gateway's own figures over one stage: bucket upper bounds in milliseconds, as Prometheus
/// histograms only know which bucket an observation fell in.
#[derive(Debug, Clone, PartialEq)]
pub struct Inside {
    pub requests: Spread,
    /// Embedded log: group commits (write and fsync).
    pub syncs: Spread,
    /// JetStream: publishes until their ack.
    pub acks: Spread,
    /// The projector reading each batch back from the log, then applying it.
    pub reads: Spread,
    pub applies: Spread,
    /// What the gateway wrote over the stage, where its `/proc/<pid>/io` is readable.
    pub written: Option<Written>,
}

/// The bytes the gateway process wrote over a stage, from `/proc/<pid>/io`, beside the events it
/// appended: what each submission costs the disk, the log's own share and the projections',
/// flushes and compactions included (those that fell within the stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// `tongban_events_appended_total`'s growth.
    pub events: u64,
    /// `wchar`: bytes passed to `write` and its kin (files and sockets).
    pub write_calls: u64,
    /// `write_bytes`: bytes the process sent, or caused to be sent, to the storage device.
    pub device: u64,
}

/// A process's write counters, `(wchar, write_bytes)`, from the text of `/proc/<pid>/io`.
pub fn io_counters(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((field("wchar")?, field("write_bytes")?))
}

impl Written {
    /// From `/proc/<pid>/io` and `/metrics` before and after a stage.
    pub fn between(io: ((u64, u64), (u64, u64)), metrics: (&str, &str)) -> Written {
        let ((calls_before, device_before), (calls_after, device_after)) = io;
        let appended = |text| gauge_total(text, "tongban_events_appended_total");
        Written {
            events: appended(metrics.1).saturating_sub(appended(metrics.0)),
            write_calls: calls_after.saturating_sub(calls_before),
            device: device_after.saturating_sub(device_before),
        }
    }

    fn per_event_kb(&self, bytes: u64) -> f64 {
        bytes as f64 / self.events.max(1) as f64 / 1000.0
    }

    fn text(&self) -> String {
        if self.events == 0 {
            return "no events appended".to_string();
        }
        format!(
            "{:.1} KB by write calls, {:.1} KB to the device ({} events)",
            self.per_event_kb(self.write_calls),
            self.per_event_kb(self.device),
            self.events
        )
    }
}

/// One histogram's change over a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub count: u64,
    /// From the histogram's sum, so exact (zero without observations).
    pub mean_ms: f64,
    /// The bucket bound at or under which 99% of observations fell (`None`: past the last bound).
    pub p99_ms: Option<f64>,
    /// The bound of the highest bucket with an observation (`None`: past the last bound).
    pub max_ms: Option<f64>,
    /// Observations over 10 ms.
    pub over_10ms: u64,
}

impl Inside {
    /// The change between two scrapes of `/metrics` taken before and after a stage.
    pub fn between(before: &str, after: &str) -> Inside {
        let spread = |name: &str, label: &str| Spread::between(before, after, name, label);
        Inside {
            requests: spread("tongban_http_request_duration_seconds", FORMS_ROUTE),
            syncs: spread("tongban_log_sync_duration_seconds", ""),
            acks: spread("tongban_log_publish_ack_duration_seconds", ""),
            reads: spread("tongban_projection_read_duration_seconds", ""),
            applies: spread("tongban_projection_apply_duration_seconds", ""),
            written: None,
        }
    }

    /// A line per figure the backend has (a JetStream gateway has no fsync of its own, an
    /// embedded one no publishes).
    pub fn text(&self) -> String {
        let mut out = format!(
            "  inside the gateway, same stage:\n    requests {}\n",
            self.requests.text()
        );
        for (what, spread) in [
            ("group commits (write+fsync)", &self.syncs),
            ("publishes until acked", &self.acks),
        ] {
            if spread.count > 0 {
                out.push_str(&format!("    {what} {}\n", spread.text()));
            }
        }
        out.push_str(&format!(
            "    projection batches read {}\n    projection batches applied {}\n",
            self.reads.text(),
            self.applies.text()
        ));
        if let Some(w) = &self.written {
            out.push_str(&format!("    written per event appended: {}\n", w.text()));
        }
        out
    }

    pub fn json(&self) -> Value {
        json!({
            "requests": self.requests.json(),
            "group_commits": self.syncs.json(),
            "publish_acks": self.acks.json(),
            "projection_reads": self.reads.json(),
            "projection_batches": self.applies.json(),
            "written": self.written.map(|w| json!({
                "events": w.events,
                "write_call_bytes": w.write_calls,
                "device_bytes": w.device,
            })),
        })
    }
}

/// What one gateway's `/metrics` say of the reads that named a log position over a leg
/// (`X-Tongban-Read-After`): how long they waited for it, how many did not reach it (refused or
/// abandoned), and how often the gateway asked the stream where it ends for them (when the
/// push had not told it yet); beside them, its projector's batches over the leg, which a read
/// naming another gateway's write waits for: the read of that gateway's events from the stream,
/// and their folding into the projections.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaching {
    /// Which gateway of the leg: the `first` or the `second` started.
    pub gateway: &'static str,
    /// Whether its `/metrics` has the series at all (a gateway older than them does not).
    pub reported: bool,
    pub waits: Spread,
    pub not_reached: u64,
    pub asks: u64,
    pub reads: Spread,
    pub applies: Spread,
}

impl Reaching {
    /// The change between two scrapes of the gateway's `/metrics`.
    pub fn between(gateway: &'static str, before: &str, after: &str) -> Reaching {
        let name = "tongban_read_after_wait_seconds";
        let not_reached = |text: &str| {
            total(text, "tongban_read_after_total", "outcome=")
                - total(text, "tongban_read_after_total", "outcome=\"reached\"")
        };
        let asks = |text: &str| total(text, "tongban_log_end_asked_total", "");
        let spread = |name: &str| Spread::between(before, after, name, "");
        Reaching {
            gateway,
            reported: after.contains("tongban_read_after_total{"),
            waits: spread(name),
            not_reached: not_reached(after).saturating_sub(not_reached(before)),
            asks: asks(after).saturating_sub(asks(before)),
            reads: spread("tongban_projection_read_duration_seconds"),
            applies: spread("tongban_projection_apply_duration_seconds"),
        }
    }

    pub fn text(&self) -> String {
        if !self.reported {
            return format!(
                "  inside the {} gateway: reads naming a position not reported\n",
                self.gateway
            );
        }
        format!(
            "  inside the {} gateway: reads naming a position {}; {} not reached; asked the \
             stream where it ends {} times\n    its projector, same leg: batches read {}; \
             applied {}\n",
            self.gateway,
            self.waits.text(),
            self.not_reached,
            self.asks,
            self.reads.text(),
            self.applies.text()
        )
    }

    pub fn json(&self) -> Value {
        if !self.reported {
            return json!({ "gateway": self.gateway, "reported": false });
        }
        json!({
            "gateway": self.gateway,
            "reported": true,
            "waits": self.waits.json(),
            "not_reached": self.not_reached,
            "end_asked": self.asks,
            "projection_reads": self.reads.json(),
            "projection_batches": self.applies.json(),
        })
    }
}

fn ms(bound: Option<f64>) -> String {
    bound.map_or_else(
        || "past the last bucket".to_string(),
        |b| format!("≤ {b} ms"),
    )
}

impl Spread {
    /// Histogram `name`'s change (its first series whose labels contain `label`) between two
    /// scrapes of `/metrics`.
    fn between(before: &str, after: &str, name: &str, label: &str) -> Spread {
        Spread::of(
            &buckets(before, name, label),
            &buckets(after, name, label),
            sum(after, name, label) - sum(before, name, label),
        )
    }

    /// From cumulative `(upper bound in seconds, count)` pairs before and after (`+Inf` is the
    /// bound `f64::INFINITY`), and the seconds the histogram's sum grew by in between.
    fn of(before: &[(f64, u64)], after: &[(f64, u64)], took_secs: f64) -> Spread {
        let delta: Vec<(f64, u64)> = after
            .iter()
            .map(|(le, n)| {
                let was = before.iter().find(|(b, _)| b == le).map_or(0, |(_, n)| *n);
                (*le, n.saturating_sub(was))
            })
            .collect();
        let count = delta.last().map_or(0, |(_, n)| *n);
        let bound_at = |share: f64| {
            let wanted = (share * count as f64).ceil() as u64;
            delta
                .iter()
                .find(|(_, n)| *n >= wanted)
                .map(|(le, _)| *le)
                .filter(|le| le.is_finite())
                .map(|le| le * 1000.0)
        };
        let within_10ms = delta
            .iter()
            .rev()
            .find(|(le, _)| *le <= 0.010)
            .map_or(0, |(_, n)| *n);
        Spread {
            count,
            mean_ms: if count == 0 {
                0.0
            } else {
                took_secs.max(0.0) * 1000.0 / count as f64
            },
            p99_ms: bound_at(0.99),
            max_ms: bound_at(1.0),
            over_10ms: count - within_10ms.min(count),
        }
    }

    fn text(&self) -> String {
        if self.count == 0 {
            return "none".to_string();
        }
        format!(
            "{}: mean {:.1} ms, p99 {}, {} over 10 ms, slowest {}",
            self.count,
            self.mean_ms,
            ms(self.p99_ms),
            self.over_10ms,
            ms(self.max_ms)
        )
    }

    fn json(&self) -> Value {
        json!({
            "count": self.count,
            "mean_ms": self.mean_ms,
            "p99_ms_at_most": self.p99_ms,
            "max_ms_at_most": self.max_ms,
            "over_10ms": self.over_10ms,
        })
    }
}

/// The samples of series `series` (e.g. `x_seconds_bucket`) whose labels contain `label`:
/// `(labels, value)` for each.
fn samples<'a>(
    text: &'a str,
    series: &str,
    label: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let prefix = format!("{series}{{");
    text.lines().filter_map(move |line| {
        let (labels, value) = line.strip_prefix(&prefix)?.split_once("} ")?;
        labels.contains(label).then(|| (labels, value.trim()))
    })
}

/// The total of gauge `name` over all its series (every store's, say), 0 if absent.
pub fn gauge_total(text: &str, name: &str) -> u64 {
    total(text, name, "")
}

/// The total of counter or gauge `name` over its series whose labels contain `label`, 0 if
/// absent.
fn total(text: &str, name: &str, label: &str) -> u64 {
    samples(text, name, label)
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .map(|v| v.max(0.0) as u64)
        .sum()
}

/// The sum of histogram `name` (the first series whose labels contain `label`), 0 if absent.
fn sum(text: &str, name: &str, label: &str) -> f64 {
    samples(text, &format!("{name}_sum"), label)
        .find_map(|(_, value)| value.parse().ok())
        .unwrap_or(0.0)
}

/// The cumulative buckets of histogram `name` whose labels contain `label`, in bound order.
fn buckets(text: &str, name: &str, label: &str) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = samples(text, &format!("{name}_bucket"), label)
        .filter_map(|(labels, value)| {
            let le = labels.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, value.parse().ok()?))
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Histogram `name` of `backend` as `/metrics` renders it: cumulative `(le, count)` buckets
    /// and a sum of `secs`.
    fn histogram(name: &str, backend: &str, buckets: &[(&str, u64)], secs: f64) -> String {
        let mut out = format!("# TYPE {name} histogram\n");
        for (le, n) in buckets {
            out.push_str(&format!(
                "{name}_bucket{{backend=\"{backend}\",le=\"{le}\"}} {n}\n"
            ));
        }
        out + &format!("{name}_sum{{backend=\"{backend}\"}} {secs}\n")
    }

    /// A scrape with these cumulative counts and a sum of `secs`.
    fn scrape(counts: [u64; 4], secs: f64) -> String {
        let [a, b, c, inf] = counts;
        let buckets = [("0.001", a), ("0.01", b), ("0.05", c), ("+Inf", inf)];
        histogram(
            "tongban_log_sync_duration_seconds",
            "embedded",
            &buckets,
            secs,
        )
    }

    #[test]
    fn a_stage_is_the_difference_of_two_scrapes() {
        // Before: 10 fast commits. During the stage: 980 under 1 ms, 15 under 10 ms, 5 under 50.
        let before = scrape([10, 10, 10, 10], 0.005);
        let after = scrape([990, 1005, 1010, 1010], 1.005);
        let inside = Inside::between(&before, &after);
        assert_eq!(
            inside.syncs,
            Spread {
                count: 1000,
                mean_ms: inside.syncs.mean_ms,
                p99_ms: Some(10.0),
                max_ms: Some(50.0),
                over_10ms: 5,
            }
        );
        // One second over a thousand commits.
        assert!((inside.syncs.mean_ms - 1.0).abs() < 1e-9, "{inside:?}");
        // Histograms missing from the scrape (an embedded gateway publishes nothing): none, and
        // no line for them.
        assert_eq!(inside.acks.count, 0);
        assert_eq!(inside.acks.over_10ms, 0);
        assert_eq!(inside.applies.count, 0);
        let text = inside.text();
        assert!(!text.contains("publishes"), "{text}");
        assert!(
            text.contains(
                "group commits (write+fsync) 1000: mean 1.0 ms, p99 ≤ 10 ms, 5 over 10 ms, slowest ≤ 50 ms"
            ),
            "{text}"
        );
    }

    #[test]
    fn bytes_written_are_counted_per_event_appended_over_the_stage() {
        let io = "rchar: 100\nwchar: 5000000\nsyscr: 1\nsyscw: 2\nread_bytes: 0\n\
                  write_bytes: 7000000\ncancelled_write_bytes: 0\n";
        assert_eq!(io_counters(io), Some((5_000_000, 7_000_000)));
        assert_eq!(io_counters("rchar: 1\n"), None);
        let appended =
            |n: u64| format!("tongban_events_appended_total{{backend=\"embedded\"}} {n}\n");
        let w = Written::between(
            ((1_000_000, 1_000_000), (7_000_000, 8_000_000)),
            (&appended(500), &appended(1500)),
        );
        assert_eq!(
            w,
            Written {
                events: 1000,
                write_calls: 6_000_000,
                device: 7_000_000
            }
        );
        let mut inside = Inside::between(&scrape([0; 4], 0.0), &scrape([1; 4], 0.001));
        inside.written = Some(w);
        let text = inside.text();
        assert!(
            text.contains(
                "written per event appended: 6.0 KB by write calls, 7.0 KB to the device (1000 events)"
            ),
            "{text}"
        );
    }

    /// A gateway's read-after series: `reached` and `refused` reads, waits summing to `secs`
    /// with `fast` of them within 1 ms, and `asks` of the stream.
    fn reads(reached: u64, refused: u64, fast: u64, secs: f64, asks: u64) -> String {
        let all = reached + refused;
        format!(
            "tongban_log_end_asked_total{{backend=\"jetstream\"}} {asks}\n\
             tongban_read_after_total{{backend=\"jetstream\",outcome=\"reached\"}} {reached}\n\
             tongban_read_after_total{{backend=\"jetstream\",outcome=\"beyond-log\"}} 0\n\
             tongban_read_after_total{{backend=\"jetstream\",outcome=\"not-caught-up\"}} {refused}\n"
        ) + &histogram(
            "tongban_read_after_wait_seconds",
            "jetstream",
            &[("0.001", fast), ("0.0025", all), ("+Inf", all)],
            secs,
        )
    }

    #[test]
    fn reads_naming_a_position_are_counted_over_the_leg() {
        // The projector's batches: 10 read over the leg within 1 ms (10 ms in all), 10 applied
        // within 2.5 ms (20 ms in all).
        let projector = |n: u64, read_secs: f64, apply_secs: f64| {
            histogram(
                "tongban_projection_read_duration_seconds",
                "jetstream",
                &[("0.001", n), ("+Inf", n)],
                read_secs,
            ) + &histogram(
                "tongban_projection_apply_duration_seconds",
                "jetstream",
                &[("0.001", 0), ("0.0025", n), ("+Inf", n)],
                apply_secs,
            )
        };
        let before = reads(5, 1, 5, 0.002, 3) + &projector(2, 0.002, 0.004);
        let after = reads(105, 2, 95, 0.102, 13) + &projector(12, 0.012, 0.024);
        let r = Reaching::between("second", &before, &after);
        assert_eq!((r.reads.count, r.reads.p99_ms), (10, Some(1.0)));
        assert_eq!((r.applies.count, r.applies.p99_ms), (10, Some(2.5)));
        assert!((r.reads.mean_ms - 1.0).abs() < 1e-9, "{r:?}");
        assert!((r.applies.mean_ms - 2.0).abs() < 1e-9, "{r:?}");
        assert_eq!(
            (
                r.waits.count,
                r.not_reached,
                r.asks,
                r.waits.p99_ms,
                r.waits.max_ms
            ),
            (101, 1, 10, Some(2.5), Some(2.5))
        );
        assert!((r.waits.mean_ms - 100.0 / 101.0).abs() < 1e-9, "{r:?}");
        let text = r.text();
        assert!(
            text.contains("inside the second gateway: reads naming a position 101: mean 1.0 ms"),
            "{text}"
        );
        assert!(
            text.contains("1 not reached; asked the stream where it ends 10 times"),
            "{text}"
        );
        assert!(
            text.contains("its projector, same leg: batches read 10: mean 1.0 ms")
                && text.contains("; applied 10: mean 2.0 ms"),
            "{text}"
        );
        assert_eq!(r.json()["projection_batches"]["count"], 10);
        // A gateway older than these series: said so, no figure invented.
        let none = Reaching::between("first", "", "");
        assert!(!none.reported);
        assert_eq!(
            none.text(),
            "  inside the first gateway: reads naming a position not reported\n"
        );
        assert_eq!(none.json()["reported"], false);
    }

    #[test]
    fn observations_past_the_last_bound_have_no_bound() {
        let inside = Inside::between(&scrape([0; 4], 0.0), &scrape([50, 90, 98, 100], 30.0));
        assert_eq!(inside.syncs.p99_ms, None);
        assert_eq!(inside.syncs.max_ms, None);
        assert_eq!(inside.syncs.over_10ms, 10);
        let text = inside.text();
        assert!(
            text.contains(
                "group commits (write+fsync) 100: mean 300.0 ms, p99 past the last bucket, 10 over 10 ms"
            ),
            "{text}"
        );
        assert!(text.contains("projection batches applied none"), "{text}");
    }
}
