//! The key `tongban rebuild` checks the events' seals with: said with where it came from, as
//! `verify`, `replay` and `dispute` say it; compared with the data directory's own; and checked
//! against the log's first and last events before any projection is dropped.
//!
//! Why: a rebuild given another gateway's key (`--public-key`) held every application, said
//! they were held "at an event this build does not fold", and exited 0; the gateway then served
//! 404s with `/healthz` ok. A key that signed neither end of the log is refused before anything
//! is changed, by the rule a gateway's start applies to its own key
//! ([`tongban_gateway::log::ends`]).

use tongban_gateway::envelope::{GatewayKey, PublicKey};
use tongban_gateway::log::AnyLog;
use tongban_gateway::log::ends::KeyAtEnds;
use tongban_replay::provenance::KeyOrigin;

use super::CliError;
use super::offline::Source;
use super::output::outln;

/// Says which key the seals are checked with and where it came from; and, when `--public-key`
/// is not the key in the data directory's `gateway.key`, warns of it before anything is folded:
/// one of the two is not this log's key.
pub fn announce(source: &Source, key: &PublicKey) -> Result<(), CliError> {
    outln!(
        "the events' seals are checked with {}",
        source.key_source(key).note()
    )?;
    if source.public_key.is_none() {
        return Ok(());
    }
    // A key that does not load is said when a gateway starts; here only a different one is.
    if let Ok(Some(own)) = GatewayKey::load(&source.dir.key())
        && own.public() != *key
    {
        let own = own.public();
        tracing::warn!(
            given = %key.kid(),
            gateway_key = %own.kid(),
            path = %source.dir.key().display(),
            "--public-key is not the key in this data directory's gateway.key, which its \
             gateway signs with: the events are checked with the key given. If that is the \
             log's key, gateway.key is not (a gateway would not start on this directory); if \
             gateway.key is, --public-key names another gateway's key"
        );
    }
    Ok(())
}

/// Refuses `key` when the log was not signed by it: neither its first event nor its last
/// verifies under it ([`KeyAtEnds`]). Checked before any projection is dropped, so that nothing
/// is changed: a rebuild with it would hold every application.
pub async fn refuse_if_not_the_logs(
    source: &Source,
    log: &AnyLog,
    key: &PublicKey,
) -> Result<(), CliError> {
    let KeyAtEnds::SignsNeither { first, last } = KeyAtEnds::of(&log.ends().await?, key) else {
        return Ok(());
    };
    Err(not_the_logs(source, key, first, last))
}

/// The refusal of a key that signed neither the log's first event (at `first`) nor its last.
fn not_the_logs(source: &Source, key: &PublicKey, first: u64, last: u64) -> CliError {
    let named = source.key_source(key);
    let (from, way_out) = match &named.origin {
        KeyOrigin::DataDir(path) => (
            format!("from {path}"),
            format!(
                "{path} is not the key this log was signed with (a gateway would not start on \
                 it either): restore gateway.key from the backup of this data directory \
                 (docs/operations.md, \"Backups\"), or pass --public-key with the log's key as \
                 recorded (public_key_hex from GET /v1/keys)"
            ),
        ),
        _ => (
            "given with --public-key".to_string(),
            "compare it with public_key_hex from GET /v1/keys as recorded for this log's \
             gateways (`tongban verify --public-key HEX` tells whether a key signed it); without \
             --public-key, the key in the data directory's gateway.key is used"
                .to_string(),
        ),
    };
    CliError(format!(
        "the log was not signed by key {} (public_key_hex {}, {from}): neither its first event \
         (position {first}) nor its last (position {last}) verifies under it, so a rebuild with \
         it would hold every application. Nothing was changed; {way_out}",
        named.kid, named.public_key_hex
    ))
}
