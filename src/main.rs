//! `tongban`: the federation gateway's command line. One file per command under `cli/`.
#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: profiles of the submission path showed a quarter of the
/// gateway's CPU in glibc's `malloc`/`free`/`malloc_consolidate` (JSON trees built and dropped per
/// request, across tokio's threads); see docs/performance.md, "Profiles".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The gateway serves the operators' evidence page and reconciliation, implemented in replay.
    tongban_gateway::http::operator::install(std::sync::Arc::new(
        tongban_replay::tools::ReplayTools,
    ));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tongban: {e}");
            ExitCode::from(2)
        }
    }
}
