//! `tongban verify [--app ID] [--data DIR] [--nats URL [--nats-creds FILE]]`: recheck every hash
//! chain and signature, in the embedded log or in the JetStream stream.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::{EmbeddedLog, EventLog, JetStreamConfig, JetStreamLog, LogError};
use tongban_gateway::server::DataDir;
use tongban_replay::verify;

use super::progress::Progress;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let dir = DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ));
    let app = args.value("app");
    let nats = args.value("nats").map(|url| {
        let mut config = JetStreamConfig::new(url);
        config.creds = args.value("nats-creds").map(PathBuf::from);
        config.create_stream = false;
        config
    });
    args.finish()?;
    let key = GatewayKey::load_or_create(&dir.key())?.public();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        match nats {
            Some(config) => {
                let log = JetStreamLog::open(&config).await?;
                Ok::<_, CliError>(check(&log, app.as_deref(), &key).await?)
            }
            None => {
                let log = EmbeddedLog::open(&dir.log())?;
                Ok(check(&log, app.as_deref(), &key).await?)
            }
        }
    })?;
    println!("{}", report.summary());
    for b in &report.broken {
        println!("BROKEN {b}");
    }
    Ok(if report.broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn check<L: EventLog>(
    log: &L,
    app: Option<&str>,
    key: &tongban_gateway::envelope::PublicKey,
) -> Result<verify::Report, LogError> {
    match app {
        Some(app) => verify::verify_app(log, app, key).await,
        None => {
            let mut bar = Progress::new("verifying");
            let report = verify::verify_all(log, key, |done, head| bar.update(done, head)).await;
            bar.finish();
            report
        }
    }
}
