//! `tongban`: the federation gateway's command line. One file per command under `cli/`.
#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: profiles of the submission path showed a quarter of the
/// gateway's CPU in glibc's `malloc`/`free`/`malloc_consolidate` (JSON trees built and dropped per
/// request, across tokio's threads); see docs/performance.md, "Profiles". mimalloc did that job
/// until round 12, when jemalloc, alternated with it on the same build, spent 6–16% less CPU per
/// submission at the peak (4–20% at half peak) and held 7–30 MiB less at every point of the
/// growth bench from 33,000 applications on, while a heap profile showed the live heap flat from
/// 100,000 to 1,000,000 stored applications (docs/performance.md, "Round 12"). Its background
/// threads (the `background_threads` feature) return freed pages to the kernel while the gateway
/// is idle; `_RJEM_MALLOC_CONF` tunes it (docs/operations.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // The gateway serves the operators' evidence page and reconciliation, implemented in replay.
    tongban_gateway::http::operator::install(std::sync::Arc::new(
        tongban_replay::tools::ReplayTools,
    ));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = cli::run(args);
    // A signal is ending the process and removing the log copy the command read: what the
    // command made of the copy going is not its answer, the signal's exit status is.
    while cli::log_copy::interrupted() {
        std::thread::park();
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tongban: {e}");
            ExitCode::from(2)
        }
    }
}
