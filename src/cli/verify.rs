//! `tongban verify [--app ID | --heads FILE [--heads FILE]...] [--public-key HEX] [--data DIR]
//! [--nats URL [--nats-creds FILE]]`:
//! recheck every hash chain and signature, in the embedded log or in the JetStream stream,
//! against the gateway public key the checker holds (`--public-key`) or, failing that, the one
//! in the data directory, which the output then says proves nothing against whoever could
//! rewrite that directory. With `--heads FILE` (JSON Lines of heads saved from
//! `GET /v1/log/head`; given once per party's file, as the audit script takes it, a file named
//! twice read once), each head must be reproduced by the running hash over the log
//! ([`tongban_replay::heads`]): one that is not, or is not signed by the key, is BROKEN; two at
//! one position with different hashes, whichever files hold them, are a fork.
//!
//! Exit 0 intact (or an empty log, with a warning), 1 a broken link or a removed event (with
//! `--app`, also a position anywhere in the log that holds no event, or no readable one: whose it
//! was the log cannot tell), 3 every link sound but some event unreadable by this build, 2
//! nothing checked (no such log, no such application in a whole log, a usage error). With
//! `--app` on JetStream, the messages on the application's subject that are not its history
//! (another application's event, bytes that are not an event) are named, one `FOREIGN` line
//! each, and change no exit code; a copy of one of its own events there is a break (exit 1).

use std::process::ExitCode;

use tongban_gateway::log::{EventLog, LogError};
use tongban_replay::verify;

use super::output::outln;
use super::progress::Progress;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = super::offline::Source::from_args(&mut args, super::offline::Tool::Verify)?;
    let app = args.value("app");
    // One heads file per party, each given with its own --heads.
    let heads_files = args.values("heads");
    args.finish()?;
    if app.is_some() && !heads_files.is_empty() {
        return Err(CliError(
            "--heads checks the whole log: give it without --app".into(),
        ));
    }
    if let Some(app) = &app {
        super::offline::check_app_id("--app", app)?;
    }
    source.require_log()?;
    let key = source.key()?;
    let heads = if heads_files.is_empty() {
        None
    } else {
        let (kept, _) = tongban_replay::heads::read_parties(&heads_files)
            .map_err(|e| CliError(format!("--heads {e}")))?;
        Some(tongban_replay::heads::SavedHeads::new(kept, &key))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let log = source.open().await?;
        let mut report = check(&log, app.as_deref(), &key, heads).await?;
        report.given_key = source.public_key.is_some();
        // The log's end against where the projections were applied up to: the one record in
        // the directory of events lost from the log's end, which no chain shows.
        report.lost_end = super::offline::lost_end_of(&source, &log, None).await?;
        Ok::<_, CliError>(report)
    })?;
    if let Some(app) = &app
        && report.events == 0
        && report.chain_intact()
    {
        // Nothing was checked: no passing verdict, as replay and dispute refuse it too. (A log
        // that is not whole is reported below, exit 1: what it lost may have been this
        // application's events.)
        return Err(CliError(format!("no application {app} in the log")));
    }
    outln!("{}", report.summary())?;
    outln!("{}", source.key_source(&key).note())?;
    for finding in report.findings() {
        outln!("{}", tongban_replay::printable::line(finding))?;
    }
    if report.no_signature_verifies() {
        eprintln!(
            "note: no event's signature verifies under key {} (public_key_hex {}), while every \
             hash and link is sound: unless the whole log was re-signed, this is not the key the \
             log was signed with; compare it with public_key_hex from GET /v1/keys as you \
             recorded it",
            key.kid(),
            key.to_hex()
        );
    }
    if report.verdict() == verify::Verdict::Empty {
        eprintln!(
            "warning: the log holds no events, so nothing was checked; if it should hold some, \
             check --data or --nats"
        );
    }
    Ok(super::offline::verdict(&report))
}

async fn check<L: EventLog>(
    log: &L,
    app: Option<&str>,
    key: &tongban_gateway::envelope::PublicKey,
    heads: Option<tongban_replay::heads::SavedHeads>,
) -> Result<verify::Report, LogError> {
    match app {
        Some(app) => verify::verify_app(log, app, key).await,
        None => {
            let mut bar = Progress::new("verifying");
            let report =
                verify::verify_all_with_heads(log, key, heads, |done, head| bar.update(done, head))
                    .await;
            bar.finish();
            report
        }
    }
}
