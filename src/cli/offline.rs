//! Reading one application's evidence straight from a data directory, for the operator commands
//! that run without a gateway.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tongban_gateway::auth::RegionBook;
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, GatewayKey, PublicKey};
use tongban_gateway::log::{EmbeddedLog, EventLog};
use tongban_gateway::server::{DataDir, load_calendar};
use tongban_replay::timeline::Timeline;
use tongban_replay::verify::{self, Report};

use super::{Args, CliError};

pub fn data_dir(args: &mut Args) -> DataDir {
    DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ))
}

pub struct Evidence {
    pub events: Vec<Envelope>,
    pub calendar: Calendar,
    pub key: PublicKey,
    pub verification: Report,
    pub names: BTreeMap<String, String>,
}

impl Evidence {
    pub fn report(&self, t: &Timeline) -> String {
        tongban_replay::html::render(
            t,
            &self.events,
            &self.verification,
            &self.key.to_hex(),
            &self.names,
        )
    }
}

pub fn load(dir: &DataDir, app: &str) -> Result<Evidence, CliError> {
    if !dir.key().exists() {
        return Err(CliError(format!(
            "{} holds no gateway data (no gateway.key)",
            dir.0.display()
        )));
    }
    let key = GatewayKey::load_or_create(&dir.key())?.public();
    let calendar = load_calendar(&dir.holidays())?;
    let names = RegionBook::open(&dir.regions())?
        .snapshot()
        .regions
        .into_iter()
        .map(|(c, r)| (c, r.name))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let events = runtime.block_on(async {
        let log = EmbeddedLog::open(&dir.log())?;
        log.read(app).await
    })?;
    if events.is_empty() {
        return Err(CliError(format!(
            "no application {app} in {}",
            dir.0.display()
        )));
    }
    let verification = verify::verify_events(&events, &key);
    Ok(Evidence {
        events,
        calendar,
        key,
        verification,
        names,
    })
}
