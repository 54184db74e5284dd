//! `tongban regions add|token|operator|revoke|key|list`: manage who may call the gateway. Works on the
//! data directory directly; a running gateway picks changes up at once.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_gateway::auth::RegionBook;
use tongban_gateway::server::DataDir;

use super::output::outln;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let sub = args.required_positional("add|token|operator|revoke|key|list")?;
    let dir = DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ));
    let book = RegionBook::open(&dir.regions())?;
    match sub.as_str() {
        "add" => {
            let code = args.required_positional("code")?;
            let name = args.required_positional("name")?;
            args.finish()?;
            let t = book.add_region(&code, &name)?;
            eprintln!(
                "region {code} {name}: token id {} (shown once; store it now)",
                t.id
            );
            outln!("{}", t.secret)?;
        }
        "token" => {
            let code = args.required_positional("code")?;
            args.finish()?;
            let t = book.issue_token(&code)?;
            eprintln!("region {code}: new token id {} (shown once)", t.id);
            outln!("{}", t.secret)?;
        }
        "operator" => {
            args.finish()?;
            let t = book.issue_operator_token()?;
            eprintln!("operator token id {} (shown once)", t.id);
            outln!("{}", t.secret)?;
        }
        "revoke" => {
            let id = args.required_positional("token-id")?;
            args.finish()?;
            book.revoke(&id)?;
            eprintln!("revoked token {id}");
        }
        "key" => {
            let code = args.required_positional("code")?;
            let remove = args.flag("remove");
            let key = if remove {
                None
            } else {
                Some(args.required_positional("ed25519-public-key-hex")?)
            };
            args.finish()?;
            book.set_signing_key(&code, key.as_deref())?;
            if remove {
                eprintln!("region {code}: request signing key removed; its token alone acts again");
            } else {
                eprintln!(
                    "region {code}: its POST requests must now be signed (docs/signed-requests.md)"
                );
            }
        }
        "list" => {
            args.finish()?;
            let snapshot = book.snapshot();
            for (code, r) in &snapshot.regions {
                let active: Vec<&str> = r
                    .tokens
                    .iter()
                    .filter(|t| t.revoked.is_none())
                    .map(|t| t.id.as_str())
                    .collect();
                let signing = match &r.signing_key {
                    Some(k) => format!("\tsigning key: {k}"),
                    None => String::new(),
                };
                outln!("{code}\t{}\ttokens: {}{signing}", r.name, active.join(","))?;
            }
            let ops: Vec<&str> = snapshot
                .operators
                .iter()
                .filter(|t| t.revoked.is_none())
                .map(|t| t.id.as_str())
                .collect();
            outln!("operator\t\ttokens: {}", ops.join(","))?;
        }
        other => return Err(CliError(format!("unknown regions command {other:?}"))),
    }
    Ok(ExitCode::SUCCESS)
}
