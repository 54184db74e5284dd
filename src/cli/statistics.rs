//! `tongban statistics --region <code> [--at RFC3339] [--data DIR | --nats URL]`: a region's
//! statistics as they stood at an instant (now without `--at`), counted from the log without a
//! gateway, by the same count as `GET /v1/regions/{region}/statistics?at=`
//! ([`tongban_gateway::projections::statistics_at`]); printed as that route's JSON document.
//! Codes and counts only: no personal data. Records of the log that are not events are left out,
//! named in the document and on stderr.

use std::process::ExitCode;
use std::sync::Arc;

use tongban_gateway::projections::statistics_at;
use tongban_gateway::time::Timestamp;

use super::output::outln;
use super::progress::Progress;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = offline::Source::from_args(&mut args, offline::Tool::Statistics)?;
    let region = args
        .value("region")
        .ok_or_else(|| CliError("--region <code> is required".into()))?;
    super::reconcile::check_region(&region)?;
    source.asked_about("<code>", &region);
    let now = Timestamp::now();
    let at = match args.value("at") {
        Some(text) => {
            statistics_at::instant(&text, now).map_err(|e| CliError(format!("--at {e}")))?
        }
        None => now,
    };
    args.finish()?;
    source.require_log()?;
    source.refuse_unknown_region(&region)?;
    let (calendar, _) = source.calendar()?;
    let calendar = Arc::new(calendar);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Counted as the gateway's projections fold: an event whose seal does not hold is not
    // (the directory's key, or --public-key). Without either the count is refused, as `verify`
    // and `replay` are: figures counted unchecked would be given as the log's.
    let key = Some(source.key()?);
    let counted = runtime.block_on(async {
        let log = source.open().await?;
        let mut bar = Progress::new("counting");
        let counted = statistics_at::count(&log, &region, at, &calendar, key, |done, head| {
            bar.update(done, head)
        })
        .await;
        bar.finish();
        Ok::<_, CliError>(counted?)
    })?;
    offline::say_passed_over(
        &counted.passed_over,
        "these figures",
        "an event stored there is not counted, and its application is counted as it stood \
         before it",
    );
    outln!("{}", serde_json::to_string_pretty(&counted)?)?;
    Ok(ExitCode::SUCCESS)
}
