//! `tongban dispute <app-id> [--out FILE] [--data DIR] [--nats URL]`: the evidence page for one application
//! (HTML, Chinese labels): the chain with hashes and signatures, its verification, the statutory
//! deadlines met or missed and by whom, and the raw events.

use std::process::ExitCode;

use super::output::outln;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let app = args.required_positional("app-id")?;
    let source = offline::Source::from_args(&mut args)?;
    let out = args.value("out");
    args.finish()?;
    let evidence = offline::load(&source, &app)?;
    // The page as far as the events fold: an event this build cannot read is named on it, and
    // the verification and every raw event are shown all the same.
    let html = evidence.page();
    // Which key proved the page, as verify and replay say it; the page says it too.
    eprintln!("{}", source.key_source(&evidence.key).note());
    if let Some(calendar) = &evidence.provenance.calendar {
        eprintln!("{}", calendar.note());
    }
    match out {
        Some(path) => {
            // Owner-only: the page holds the applicant's name, ID number and phone.
            tongban_gateway::fsutil::write_private_atomically(
                std::path::Path::new(&path),
                html.as_bytes(),
            )
            .map_err(|e| CliError(format!("writing {path}: {e}")))?;
            eprintln!("wrote {path} (readable by its owner only: it holds personal data)");
        }
        None => outln!("{html}")?,
    }
    Ok(offline::verdict(&evidence.verification))
}
