//! `tongban find --serial S [--region R] [--data DIR | --nats URL]`: the applications a province's
//! own serial names, read from the log without a gateway (as replay and reconcile read it): the
//! origin's `Idempotency-Key` of a submission, or a handler's 受理编号 (`reference` of an
//! acceptance), the same serials `GET /v1/applications?serial=` answers from the projections.
//! Prints one line per application, `<app id>\t<region that gave it>\t<idempotency-key|reference>`
//! (ids and codes only); exit 1 when the serial names none.

use std::process::ExitCode;

use tongban_gateway::domain::personal::OwnNumbers;
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
    // Whether the serial may be quoted back if it names no application; if so, whether a
    // submission in the log names it as a person's ID number or phone all the same.
    let mut quotable = quotable(&serial);
    let found = runtime.block_on(async {
        let mut found: Vec<(String, String, &'static str)> = Vec::new();
        let passed = offline::each_event(&source.open().await?, |p| {
            let e = &p.event;
            if quotable
                && e.kind == "application.submitted"
                && OwnNumbers::of(&e.data).kind_of(&serial).is_some()
            {
                quotable = false;
            }
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
        // Quoted unless it may be personal data ([`quotable`]): what was typed may be an
        // applicant's ID number or phone.
        eprintln!(
            "no application in the log has the serial {}{}",
            match quotable {
                true => format!("{serial:?}"),
                false => tongban_gateway::shown::said(&serial, |_| false),
            },
            region
                .as_ref()
                .map(|r| format!(" from region {r}"))
                .unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a serial searched for may be quoted back, by what it is made of: a province's number
/// (`440300261206001`, `鄂政务2026-000123`, `GD-2026-01`) holds a digit, and is neither a
/// person's name (no digit), an address (`@`) nor an ID number or mobile number by the gateway's
/// rules ([`tongban_gateway::ids::searched_personal_kind`]: an 18-character 公民身份号码 of a
/// known region, its check character right or not, or a mobile number, however typed: in
/// groups, brackets, full-width characters). A legacy 15-digit ID number has the shape
/// of a 受理编号 of region code, date and sequence: it is hidden where a submission in the log
/// names it ([`OwnNumbers`], judged as the log is read), as the timelines hide an application's
/// own numbers.
fn quotable(serial: &str) -> bool {
    serial.chars().count() <= 64
        && serial.chars().any(|c| c.is_ascii_digit())
        && !serial.chars().any(|c| c == '@' || c.is_control())
        && tongban_gateway::ids::searched_personal_kind(serial).is_none()
}
