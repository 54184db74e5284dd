//! `tongban dispute <app-id> [--out FILE [--force]] [--data DIR] [--nats URL]`: the evidence page
//! for one application (HTML, Chinese labels): the chain with hashes and signatures, its
//! verification, the statutory deadlines met or missed and by whom, and the raw events. `--out`
//! is checked before the log is read ([`OutPath`]): never in a data directory, never over a file
//! without `--force`.

use std::process::ExitCode;

use super::out_path::OutPath;
use super::output::outln;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let app = args.required_positional("app-id")?;
    let source = offline::Source::from_args(&mut args, offline::Tool::Dispute)?;
    let named = args.value("out");
    let force = args.flag("force");
    args.finish()?;
    let out = match (&named, force) {
        (Some(path), _) => Some(OutPath::check(
            "--out",
            std::path::Path::new(path),
            Some(&source.dir.0),
            force,
        )?),
        (None, true) => {
            return Err(CliError(
                "--force goes with --out FILE (it lets the page replace that file); without \
                 --out the page is printed to stdout"
                    .into(),
            ));
        }
        (None, false) => None,
    };
    let evidence = offline::load(&source, &app)?.with_requests(&source);
    // The page as far as the events fold: an event this build cannot read is named on it, and
    // the verification and every raw event are shown all the same.
    let html = evidence.page();
    // Which key proved the page, as verify and replay say it; the page says it too.
    eprintln!("{}", source.key_source(&evidence.key).note());
    if let Some(calendar) = &evidence.provenance.calendar {
        eprintln!("{}", calendar.note());
    }
    match (out, &named) {
        (Some(out), Some(path)) => {
            // Owner-only: the page holds the applicant's name, ID number and phone.
            out.write_private(html.as_bytes())?;
            eprintln!("wrote {path} (readable by its owner only: it holds personal data)");
        }
        _ => outln!("{html}")?,
    }
    Ok(offline::verdict(&evidence.verification))
}
