//! Reading the log and evidence without a running gateway, for the operator commands: from a data
//! directory (embedded log) or from the JetStream stream (`--nats URL [--nats-creds FILE]`). The
//! data directory still supplies the gateway key, the region names and the holiday calendar.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tongban_gateway::auth::RegionBook;
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, GatewayKey, PublicKey};
use tongban_gateway::log::{AnyLog, EmbeddedLog, EventLog, JetStreamConfig, JetStreamLog};
use tongban_gateway::server::{DataDir, load_calendar};
use tongban_replay::timeline::Timeline;
use tongban_replay::verify::{self, Report};

use super::{Args, CliError};

pub fn data_dir(args: &mut Args) -> DataDir {
    DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ))
}

/// Where the events come from.
pub struct Source {
    pub dir: DataDir,
    pub nats: Option<JetStreamConfig>,
}

impl Source {
    /// `--data DIR` and optionally `--nats URL [--nats-creds FILE]`.
    pub fn from_args(args: &mut Args) -> Source {
        let dir = data_dir(args);
        let nats = args.value("nats").map(|url| {
            let mut config = JetStreamConfig::new(url);
            config.creds = args.value("nats-creds").map(PathBuf::from);
            // Reading never creates or changes the stream.
            config.create_stream = false;
            config
        });
        Source { dir, nats }
    }

    pub async fn open(&self) -> Result<AnyLog, CliError> {
        Ok(match &self.nats {
            Some(config) => AnyLog::JetStream(JetStreamLog::open(config).await?),
            None => AnyLog::Embedded(EmbeddedLog::open(&self.dir.log())?),
        })
    }

    pub fn key(&self) -> Result<PublicKey, CliError> {
        if !self.dir.key().exists() {
            return Err(CliError(format!(
                "{} holds no gateway key (gateway.key)",
                self.dir.0.display()
            )));
        }
        Ok(GatewayKey::load_or_create(&self.dir.key())?.public())
    }

    pub fn calendar(&self) -> Result<Calendar, CliError> {
        Ok(load_calendar(&self.dir.holidays())?)
    }
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

pub fn load(source: &Source, app: &str) -> Result<Evidence, CliError> {
    let key = source.key()?;
    let calendar = source.calendar()?;
    let names = RegionBook::open(&source.dir.regions())?
        .snapshot()
        .regions
        .into_iter()
        .map(|(c, r)| (c, r.name))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let events =
        runtime.block_on(async { Ok::<_, CliError>(source.open().await?.read(app).await?) })?;
    if events.is_empty() {
        return Err(CliError(format!("no application {app} in the log")));
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
