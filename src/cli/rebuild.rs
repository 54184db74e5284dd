//! `tongban rebuild [--data DIR] [--nats URL]`: drop every projection and rebuild it from the log. Run it with
//! the gateway stopped (the data directory is locked while it runs).

use std::process::ExitCode;

use tongban_gateway::projections::rebuild::rebuild;
use tongban_gateway::server::load_calendar;

use super::progress::Progress;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = super::offline::Source::from_args(&mut args);
    let dir = source.dir.clone();
    args.finish()?;
    let cal = load_calendar(&dir.holidays())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let (_, n) = runtime.block_on(async {
        let log = source.open().await?;
        let mut bar = Progress::new("rebuilding projections");
        let out = rebuild(&log, &dir.projections(), &cal, |done, head| {
            bar.update(done, head)
        })
        .await;
        bar.finish();
        Ok::<_, CliError>(out?)
    })?;
    println!(
        "rebuilt projections from {n} events in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
