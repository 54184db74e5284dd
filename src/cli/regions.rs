//! `tongban regions add|token|operator|revoke|key|list`: manage who may call the gateway. Works on the
//! data directory directly; a running gateway picks changes up at once.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_gateway::auth::book::TokenEntry;
use tongban_gateway::auth::{IssuedToken, RegionBook, Revocation};
use tongban_gateway::server::DataDir;

use super::output::outln;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let sub = args.required_positional("add|token|operator|revoke|key|list")?;
    let dir = DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ));
    let new_book = !dir.regions().is_file();
    if new_book && !matches!(sub.as_str(), "add" | "operator") {
        // Like the operator tools: a mistyped --data is an error, not an empty federation (and
        // these commands could not succeed on an empty book anyway).
        return Err(CliError(format!(
            "{} holds no region book (regions.json): check --data, or register a region with \
             `tongban regions add <code> <name> --data {}`",
            dir.0.display(),
            dir.0.display()
        )));
    }
    let book = RegionBook::open(&dir.regions())?;
    // A first region or operator token starts a book; said so, since a mistyped --data starts
    // one too, and the token printed would work on no running gateway.
    let started = || {
        if new_book && dir.regions().is_file() {
            eprintln!(
                "started a new region book at {} (a new federation's: if you meant an existing \
                 one, check --data)",
                dir.regions().display()
            );
        }
    };
    match sub.as_str() {
        "add" => {
            let code = args.required_positional("code")?;
            let name = args.required_positional("name")?;
            let label = args.value("label");
            args.finish()?;
            let t = book.add_region(&code, &name, label.as_deref())?;
            started();
            show_once(&book, &dir, &t)?;
            eprintln!(
                "region {code} {name}: token id {} (shown once; store it now)",
                t.id
            );
        }
        "token" => {
            let code = args.required_positional("code")?;
            let label = args.value("label");
            args.finish()?;
            let t = book.issue_token(&code, label.as_deref())?;
            show_once(&book, &dir, &t)?;
            eprintln!("region {code}: new token id {} (shown once)", t.id);
        }
        "operator" => {
            let label = args.value("label");
            args.finish()?;
            let t = book.issue_operator_token(label.as_deref())?;
            started();
            show_once(&book, &dir, &t)?;
            eprintln!("operator token id {} (shown once)", t.id);
        }
        "revoke" => {
            let id = args.required_positional("token-id")?;
            args.finish()?;
            match book.revoke(&id)? {
                Revocation::Revoked => eprintln!("revoked token {id}"),
                Revocation::AlreadyRevoked { at } => {
                    // Exit 1: nothing changed. A script tells "revoked now" (0) from "was
                    // revoked before" (1) from an error such as an unknown id (2).
                    eprintln!("token {id} was revoked already, at {at}; nothing changed");
                    return Ok(ExitCode::from(1));
                }
            }
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
            let had = book.signing_key(&code).is_some();
            book.set_signing_key(&code, key.as_deref())?;
            if remove && !had {
                // Exit 1: nothing changed, as for a token revoked already.
                eprintln!("region {code} has no request signing key; nothing changed");
                return Ok(ExitCode::from(1));
            } else if remove {
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
                let signing = match &r.signing_key {
                    Some(k) => format!("\tsigning key: {k}"),
                    None => String::new(),
                };
                outln!("{code}\t{}{signing}", r.name)?;
                for t in &r.tokens {
                    outln!("{}", token_line(t, "region"))?;
                }
            }
            outln!("operator")?;
            for t in &snapshot.operators {
                outln!("{}", token_line(t, "operator"))?;
            }
        }
        other => {
            return Err(CliError(format!(
                "unknown regions command {}: add, token, operator, revoke, key or list",
                tongban_gateway::shown::said(other, tongban_gateway::shown::code)
            )));
        }
    }
    if sub != "list" {
        remind_of_the_other_gateways(&dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// Each gateway reads the region book in its own data directory: on a stream shared by several
/// gateways, a change made in one directory (a token revoked above all) holds on the gateway
/// serving from it only, until `regions.json` is copied to the others. Said after every change
/// to a directory that follows a stream, where forgetting it leaves a revoked token working.
fn remind_of_the_other_gateways(dir: &DataDir) {
    let follows = std::fs::read_to_string(dir.log_source()).unwrap_or_default();
    if follows.trim().starts_with("jetstream:") {
        eprintln!(
            "note: {} follows a JetStream stream, which other gateways may serve too: this \
             change holds only on the gateway serving from {}. Copy {} to the data directory \
             of every other gateway of the stream (each takes it at once); until then a token \
             revoked here still works there, and a new token or region is refused there (401)",
            dir.0.display(),
            dir.0.display(),
            dir.regions().display()
        );
    }
}

/// One token of `regions list`, indented under its region (or `operator`): its id (as events name
/// the actor, `440000/<id>`), its kind, when it was made and revoked (RFC 3339, UTC; `active`
/// while it acts), and its label. Revoked tokens stay listed: the log still names them.
fn token_line(t: &TokenEntry, kind: &str) -> String {
    let revoked = match &t.revoked {
        Some(at) => format!("revoked {at}"),
        None => "active".to_string(),
    };
    let label = match &t.label {
        Some(l) => format!("\tlabel: {l}"),
        None => String::new(),
    };
    format!(
        "  {}\t{kind}\tcreated {}\t{revoked}{label}",
        t.id, t.created
    )
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
        Ok(_) => Err(CliError(format!(
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
