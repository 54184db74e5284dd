//! `tongban replay <app-id> [--at RFC3339 | --seq N] [--format text|json|html] [--data DIR] [--nats URL]`:
//! one application's timeline and its state as of a point, straight from the log, with the
//! verdict of its chain's verification (exit 1 when it is broken).

use std::process::ExitCode;

use tongban_gateway::time::Timestamp;
use tongban_replay::printable::line;
use tongban_replay::timeline::{self, Point, PointError};

use super::output::{out, outln};
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let app = args.required_positional("app-id")?;
    let source = offline::Source::from_args(&mut args, offline::Tool::Replay)?;
    // The same rules as `?at=` / `?seq=` over HTTP, in the command line's terms.
    let refused = |e: PointError| match e {
        PointError::Both => CliError("give --at or --seq, not both".into()),
        e => CliError(format!("--{} {e}", e.field())),
    };
    let at = args.value("at");
    let point = Point::parse(at.as_deref(), args.value("seq").as_deref()).map_err(refused)?;
    let format = args.value("format").unwrap_or_else(|| "text".into());
    if !["text", "json", "html"].contains(&format.as_str()) {
        return Err(CliError(format!(
            "--format must be text, json or html, not {}",
            tongban_gateway::shown::said(&format, tongban_gateway::shown::code)
        )));
    }
    args.finish()?;
    let evidence = offline::load(&source, &app)?;
    // The page shows the regions' request signatures; text and JSON do not.
    let evidence = match format.as_str() {
        "html" => evidence.with_requests(&source),
        _ => evidence,
    };
    let point = point
        .check(&evidence.events, Timestamp::now())
        .map_err(|e| refused(e.as_written(at.as_deref())))?;
    let verification = &evidence.verification;
    let t = match timeline::build(
        &evidence.events,
        &evidence.key,
        &evidence.calendar,
        point,
        Timestamp::now(),
    ) {
        Ok(t) => t,
        // No chain to fold (its first event is gone): the verification's findings say what the
        // log holds instead, and the exit code is the verdict's, as for any broken chain.
        Err(e @ timeline::TimelineError::NoStart { .. }) => {
            match format.as_str() {
                "json" => {
                    let value = tongban_replay::json::no_start(
                        &app,
                        &e.to_string(),
                        verification,
                        &evidence.provenance,
                    );
                    outln!("{}", serde_json::to_string_pretty(&value)?)?;
                }
                // The page of every raw event and the verification, saying why nothing folds.
                "html" => outln!("{}", evidence.page())?,
                _ => {
                    outln!("{}", line(&e))?;
                    outln!("verification: {}", verification.summary())?;
                    for finding in verification.findings() {
                        outln!("{}", line(finding))?;
                    }
                }
            }
            return Ok(offline::verdict(verification));
        }
        Err(e) => return Err(e.into()),
    };
    // Each event at its position in the log, which a region's feed cursor is compared with.
    let t = t.place(evidence.placed());
    // A timeline from a log that does not verify is still shown as far as its chain verifies,
    // the events from the break on listed as not counted, and never without saying so: the
    // verdict goes with it in every format, and the exit code is 1.
    match format.as_str() {
        "json" => {
            let value = tongban_replay::json::document(&t, verification, &evidence.provenance);
            outln!("{}", serde_json::to_string_pretty(&value)?)?;
        }
        "html" => outln!("{}", evidence.report(&t))?,
        _ => {
            out!("{}", tongban_replay::text::render(&t))?;
            // Each party's acknowledged cursor against the positions above: "we never received it".
            if let Some(cursors) = &evidence.provenance.cursors {
                out!("{}", tongban_replay::feeds::text(&t, cursors))?;
            }
            if let Some(calendar) = &evidence.provenance.calendar {
                outln!("{}", calendar.note())?;
            }
            outln!("verification: {}", verification.summary())?;
            if verification.chain_intact() {
                outln!("{}", tongban_replay::verify::LATEST_REMOVED)?;
            }
            outln!("{}", source.key_source(&evidence.key).note())?;
            for finding in verification.findings() {
                outln!("{}", line(finding))?;
            }
        }
    }
    Ok(offline::verdict(verification))
}
