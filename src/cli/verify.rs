//! `tongban verify [--app ID] [--data DIR]`: recheck every hash chain and signature.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::EmbeddedLog;
use tongban_gateway::server::DataDir;
use tongban_replay::verify;

use super::progress::Progress;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let dir = DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ));
    let app = args.value("app");
    args.finish()?;
    let key = GatewayKey::load_or_create(&dir.key())?.public();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let log = EmbeddedLog::open(&dir.log())?;
        match app {
            Some(app) => verify::verify_app(&log, &app, &key).await,
            None => {
                let mut bar = Progress::new("verifying");
                let report =
                    verify::verify_all(&log, &key, |done, head| bar.update(done, head)).await;
                bar.finish();
                report
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
