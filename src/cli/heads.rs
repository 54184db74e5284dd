//! `tongban heads FILE... [--public-key HEX] [--data DIR]`: saved log heads compared among
//! themselves, without the log ([`tongban_replay::heads::compare`]).
//!
//! For parties who keep heads but not the log (a province, an auditor): each exchanges the
//! heads it kept (`GET /v1/log/head`) with the others, asks the gateway for its head at each
//! position another party kept (`GET /v1/log/head?position=N`), and gives every file here. Two
//! heads the gateway signed at one position with different hashes are a fork: the gateway
//! showed two histories. Exit 0 when every head is signed by the gateway and every shared
//! position agrees, 1 when a head is not signed or two disagree, 2 when a file does not read.

use std::process::ExitCode;

use tongban_replay::heads::{self, HeadFinding, compare};

use super::output::outln;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = super::offline::Source::from_args(&mut args)?;
    if source.nats.is_some() {
        return Err(CliError(
            "heads compares heads files among themselves and reads no log: drop --nats (to \
             check heads against the stream, run `tongban verify --heads FILE --nats URL`)"
                .into(),
        ));
    }
    let mut files = Vec::new();
    while let Some(file) = args.next_positional() {
        files.push(file);
    }
    args.finish()?;
    if files.is_empty() {
        return Err(CliError(
            "give the heads files to compare (each JSON Lines of heads saved from GET \
             /v1/log/head): tongban heads mine.jsonl theirs.jsonl"
                .into(),
        ));
    }
    let mut kept = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| CliError(format!("{file}: {e}")))?;
        kept.extend(heads::parse(&text, file).map_err(|e| CliError(format!("{file}: {e}")))?);
    }
    let key = source.key()?;
    let (trusted, unsigned) = heads::trusted(kept, &key);
    let compared = compare::compare(&trusted);
    let agrees = unsigned.is_empty() && compared.forks.is_empty();
    outln!(
        "{}: {} head(s) from {} file(s), {} signed by the gateway (key {}); {} position(s) held \
         by two heads or more{}, {} by one head only",
        if agrees { "agree" } else { "BROKEN" },
        compared.heads + unsigned.len(),
        files.len(),
        compared.heads,
        key.kid(),
        compared.shared,
        if compared.forks.is_empty() {
            ", each with one running hash"
        } else {
            ""
        },
        compared.alone,
    )?;
    outln!("{}", source.key_source(&key).note())?;
    for head in unsigned {
        let finding = HeadFinding::Unsigned {
            head,
            kid: key.kid(),
        };
        outln!("BROKEN {finding}")?;
    }
    for fork in &compared.forks {
        outln!("FORKED {fork}")?;
    }
    if compared.alone > 0 {
        outln!(
            "note: a head is compared here only with heads at its own position: for a position \
             one file alone holds, ask the gateway for its head there (GET \
             /v1/log/head?position=N) and give it too, or check the heads against the log \
             (`tongban verify --heads FILE`)"
        )?;
    }
    Ok(if agrees {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
