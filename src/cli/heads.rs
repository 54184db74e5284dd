//! `tongban heads FILE... [--records FILE]... [--public-key HEX] [--data DIR]`: saved log heads
//! compared among themselves, without the log ([`tongban_replay::heads::compare`]).
//!
//! For parties who keep heads but not the log (a province, an auditor): each exchanges the
//! heads it kept (`GET /v1/log/head`) with the others and fetches the log's records between
//! (`GET /v1/log/records?after=N&to=M`, every page, saved one after another in a file, or in
//! several, each given with its own `--records`, as the audit script takes them); then gives
//! every file here. Each heads file is one party, by its real path
//! ([`tongban_replay::heads::read_parties`]). Two heads the gateway signed at one position with
//! different hashes are FORKED; a head that the one before it, carried forward over the records,
//! does not arrive at is INCONSISTENT: either way the gateway showed two histories (or, for
//! INCONSISTENT, its log changed since it signed). Every head must be compared with another
//! party's (another file's): at its position, or joined to it over records. Exit 0 when every
//! head is signed by the gateway, compared with another party's, and all agrees; 1 when a head
//! is not signed, or two disagree; 2 when a file does not read, or some head was compared with
//! no other party's (INCOMPLETE, or NOTHING COMPARED when none was). Where the records given do
//! not join two consecutive positions heads name, the last lines say which records to fetch
//! (`fetch GET /v1/log/records?after=N&to=M …`), as the audit script's do: those between heads
//! first, then the stretch from the log's start to the lowest head, marked optional.

use std::process::ExitCode;

use tongban_replay::heads::records::Records;
use tongban_replay::heads::{self, HeadFinding, compare};
use tongban_replay::printable::line;

use super::output::outln;
use super::{Args, CliError};

/// Why a head was compared with no other party's, true of a head several files hold too (the
/// copies are other files' heads, and vouch for nothing); the audit script says it alike.
const NOT_VOUCHED: &str = "no file that does not hold it has a head of its own (one no other \
    file holds) at its position or a later one, there or joined to it by the records given \
    (copies of one head in several files vouch for nothing)";

/// How many stretches of records to fetch are named one by one (then one request for them all).
const FETCH_SHOWN: usize = 5;

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = super::offline::Source::from_args(&mut args, super::offline::Tool::Heads)?;
    if source.nats.is_some() {
        return Err(CliError(
            "heads compares heads files among themselves and reads no log: drop --nats (to \
             check heads against the stream, run `tongban verify --heads FILE --nats URL`)"
                .into(),
        ));
    }
    // The records may be saved in several files, each given with its own --records.
    let records_files = args.values("records");
    let mut files = Vec::new();
    while let Some(file) = args.next_positional() {
        files.push(file);
    }
    args.finish()?;
    if files.is_empty() {
        return Err(CliError(
            "give the heads files to compare (each JSON Lines of heads saved from GET \
             /v1/log/head): tongban heads mine.jsonl theirs.jsonl [--records records.json]..."
                .into(),
        ));
    }
    let (kept, parties) = heads::read_parties(&files).map_err(CliError)?;
    let key = source.key()?;
    let mut records = Records::default();
    for file in &records_files {
        let text = tongban_adapters::codec::read_utf8(file)
            .map_err(|e| CliError(format!("--records {file}: {e}")))?;
        // A records page is another party's file: its errors quote what it holds.
        records.read(&text, file, &key).map_err(|e| {
            CliError(format!(
                "--records {file}: {}",
                tongban_replay::printable::line(e)
            ))
        })?;
    }
    let (trusted, unsigned) = heads::trusted(kept, &key);
    let compared = compare::compare(&trusted, &records);
    let disagree = records.disagreements();
    let problems = unsigned.len() + compared.found() + disagree.len() + records.unsigned.len();
    let (verdict, code) = match (problems, compared.compared, compared.alone.len()) {
        (1.., _, _) => ("BROKEN", 1),
        (0, 1.., 0) => ("agree", 0),
        (0, 0, _) => ("NOTHING COMPARED", 2),
        (0, _, _) => ("INCOMPLETE", 2),
    };
    outln!(
        "{verdict}: {} head(s) from {} file(s), {} signed by the gateway (key {}), {} compared \
         with another file's; {} position(s) held by two heads or more; {} pair(s) of \
         consecutive positions joined by the records given, {} not joined",
        compared.heads + unsigned.len(),
        parties,
        compared.heads,
        key.kid(),
        compared.compared,
        compared.shared,
        compared.joined,
        compared.unjoined,
    )?;
    outln!("{}", source.key_source(&key).note())?;
    for head in unsigned {
        let finding = HeadFinding::Unsigned {
            head,
            kid: key.kid(),
        };
        outln!("BROKEN {}", line(finding))?;
    }
    for page in &records.unsigned {
        outln!("BROKEN {}", line(page))?;
    }
    for disagree in &disagree {
        outln!("BROKEN {}", line(disagree))?;
    }
    for fork in &compared.forks {
        outln!("FORKED {}", line(fork))?;
    }
    for inconsistent in &compared.inconsistent {
        outln!("INCONSISTENT {}", line(inconsistent))?;
    }
    for head in compared.alone.iter().take(5) {
        outln!(
            "NOT COMPARED saved head at log position {} (signed at {}, {}): {NOT_VOUCHED}, so it \
             proves nothing against a gateway showing each party its own history",
            head.head.position,
            line(&head.head.at),
            line(&head.from)
        )?;
    }
    if compared.alone.len() > 5 {
        outln!("… and {} more not compared", compared.alone.len() - 5)?;
    }
    // The records the pairs not joined want, exactly: the audit script names them alike.
    for fetch in compare::fetch_lines(&compared.to_fetch, FETCH_SHOWN) {
        outln!("{}", line(fetch))?;
    }
    if !compared.alone.is_empty() && compared.to_fetch.iter().all(|f| f.optional) {
        outln!(
            "note: heads are compared with the other parties' heads: at one position, or joined \
             over the records between, GET /v1/log/records?after=N&to=M from the lower position \
             to the higher (every page, following `next`), saved one after another in a file \
             given with --records (or in several, each with its own --records)"
        )?;
    }
    Ok(ExitCode::from(code))
}
