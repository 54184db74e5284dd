//! `tongban find --serial S [--region R] [--data DIR | --nats URL]`: the applications a province's
//! own serial names, read from the log without a gateway (as replay and reconcile read it): the
//! origin's `Idempotency-Key` of a submission, or a handler's 受理编号 (`reference` of an
//! acceptance), the same serials `GET /v1/applications?serial=` answers from the projections.
//! Prints one line per application, `<app id>\t<region that gave it>\t<idempotency-key|reference>`
//! (ids and codes only); exit 1 when the serial names none.

use std::process::ExitCode;

use tongban_gateway::projections::serials;

use tongban_replay::printable::printable;

use super::output::outln;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = offline::Source::from_args(&mut args)?;
    let serial = args.value("serial").unwrap_or_default();
    let serial = serial.trim().to_string();
    if serial.is_empty() {
        return Err(CliError(
            "--serial is required: the province's Idempotency-Key or 受理编号 of the application"
                .into(),
        ));
    }
    let region = args.value("region");
    if let Some(r) = &region {
        super::reconcile::check_region(r)?;
    }
    args.finish()?;
    source.require_log()?;
    // As `?region=` over HTTP: a code of no region of the federation names no serial's giver,
    // so it is a mistake to say, not an empty answer.
    if let Some(r) = &region {
        source.refuse_unknown_region(r)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let found = runtime.block_on(async {
        let mut found: Vec<(String, String, &'static str)> = Vec::new();
        let passed = offline::each_event(&source.open().await?, |p| {
            let e = &p.event;
            if let Some((kind, given)) = serials::of_event(e)
                && given == serial
                && region.as_ref().is_none_or(|r| *r == e.region)
                && !found.iter().any(|(app, _, _)| *app == e.app)
            {
                found.push((e.app.clone(), e.region.clone(), kind.as_str()));
            }
        })
        .await?;
        offline::say_passed_over(
            &passed,
            "this search",
            "a serial given in an event stored there is not found",
        );
        Ok::<_, CliError>(found)
    })?;
    for (app, given_by, given_as) in &found {
        let (app, given_by) = (printable(app), printable(given_by));
        outln!("{app}\t{given_by}\t{given_as}")?;
    }
    if found.is_empty() {
        // Quoted only in a serial's form that holds no personal data, as reconciliation
        // quotes serials: what was typed may be an applicant's ID number or phone.
        eprintln!(
            "no application in the log has the serial {}{}",
            tongban_gateway::shown::said(&serial, tongban_gateway::shown::serial),
            region
                .as_ref()
                .map(|r| format!(" from region {r}"))
                .unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
