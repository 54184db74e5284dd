//! `tongban dispute <app-id> [--out FILE] [--data DIR] [--nats URL]`: the evidence page for one application
//! (HTML, Chinese labels): the chain with hashes and signatures, its verification, the statutory
//! deadlines met or missed and by whom, and the raw events.

use std::process::ExitCode;

use tongban_gateway::time::Timestamp;
use tongban_replay::timeline::{self, Point};

use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let app = args.required_positional("app-id")?;
    let source = offline::Source::from_args(&mut args);
    let out = args.value("out");
    args.finish()?;
    let evidence = offline::load(&source, &app)?;
    let t = timeline::build(
        &evidence.events,
        &evidence.calendar,
        Point::Now,
        Timestamp::now(),
    )?;
    let html = evidence.report(&t);
    match out {
        Some(path) => {
            std::fs::write(&path, html)?;
            eprintln!("wrote {path}");
        }
        None => println!("{html}"),
    }
    Ok(offline::verdict(&evidence.verification))
}
