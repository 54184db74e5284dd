//! A progress line on stderr, only when stderr is a terminal (never in logs or pipes).

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    label: &'static str,
    on_terminal: bool,
    started: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    pub fn new(label: &'static str) -> Progress {
        Progress {
            label,
            on_terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
        }
    }

    /// `done` of `total` (total 0: unknown).
    pub fn update(&mut self, done: u64, total: u64) {
        if !self.on_terminal
            || self
                .last_draw
                .is_some_and(|t| t.elapsed().as_millis() < 100)
        {
            return;
        }
        self.last_draw = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let line = if total > 0 {
            let pct = (done as f64 / total as f64 * 100.0).min(100.0);
            let filled = (pct / 5.0) as usize;
            format!(
                "\r{} [{}{}] {done}/{total} ({pct:.1}%, {rate:.0}/s)",
                self.label,
                "#".repeat(filled),
                " ".repeat(20 - filled.min(20))
            )
        } else {
            format!("\r{} {done} ({rate:.0}/s)", self.label)
        };
        let mut err = std::io::stderr();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.on_terminal {
            eprintln!();
        }
    }
}
