//! `tongban regions add|token|operator|revoke|key|list`: manage who may call the gateway. Works on the
//! data directory directly; a running gateway picks changes up at once.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_gateway::auth::{IssuedToken, RegionBook};
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
            show_once(&book, &dir, &t)?;
            eprintln!(
                "region {code} {name}: token id {} (shown once; store it now)",
                t.id
            );
        }
        "token" => {
            let code = args.required_positional("code")?;
            args.finish()?;
            let t = book.issue_token(&code)?;
            show_once(&book, &dir, &t)?;
            eprintln!("region {code}: new token id {} (shown once)", t.id);
        }
        "operator" => {
            args.finish()?;
            let t = book.issue_operator_token()?;
            show_once(&book, &dir, &t)?;
            eprintln!("operator token id {} (shown once)", t.id);
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

/// Prints a newly issued token's secret, which exists nowhere else (the book keeps its hash). If
/// stdout cannot take it (a closed pipe, a full disk), the token is revoked here before the
/// command fails: a live token that nobody holds, possibly an operator's, is only a risk, its
/// secret cannot be recovered, and revoking is the book's ordinary operation, so the person loses
/// nothing but has to run the command again. Should the revocation fail too, the error names the
/// token id (never the secret) and the command that revokes it.
fn show_once(book: &RegionBook, dir: &DataDir, t: &IssuedToken) -> Result<(), CliError> {
    let Err(e) = super::output::strict(format!("{}\n", t.secret).as_bytes()) else {
        return Ok(());
    };
    let id = &t.id;
    match book.revoke(id) {
        Ok(()) => Err(CliError(format!(
            "token {id} was issued but could not be shown ({e}), so it has been revoked; run \
             the command again with a stdout that can take the token"
        ))),
        Err(revoke) => Err(CliError(format!(
            "token {id} was issued but could not be shown ({e}), and revoking it failed \
             ({revoke}): revoke it with `tongban regions revoke {id} --data {}`",
            dir.0.display()
        ))),
    }
}
