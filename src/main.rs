//! `tongban`: the federation gateway's command line. One file per command under `cli/`.
#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

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
