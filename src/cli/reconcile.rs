//! `tongban reconcile --region <code> --records <file> [--encoding utf-8|gbk|gb18030]
//! [--tolerance-seconds N] [--format text|json] [--data DIR | --nats URL]`: compare a province's
//! own export (JSONL or CSV; UTF-8, or GBK / GB 18030 when it is not UTF-8) with the log. Exit
//! code 0 when they agree, 1 when there are discrepancies.

use std::process::ExitCode;

use tongban_gateway::log::EventLog;
use tongban_replay::reconcile::{LogIndex, export_text, parse_records};

use super::progress::Progress;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = offline::Source::from_args(&mut args);
    let region = args
        .value("region")
        .ok_or_else(|| CliError("--region <code> is required".into()))?;
    let records = args
        .value("records")
        .ok_or_else(|| CliError("--records <file> is required".into()))?;
    let tolerance: i64 = match args.value("tolerance-seconds") {
        Some(s) => s
            .parse()
            .map_err(|_| CliError(format!("--tolerance-seconds {s:?} is not a number")))?,
        None => 300,
    };
    let format = args.value("format").unwrap_or_else(|| "text".into());
    let encoding = args.value("encoding");
    args.finish()?;
    source.require_log()?;
    let bytes = std::fs::read(&records).map_err(|e| CliError(format!("{records}: {e}")))?;
    let text = export_text(&bytes, encoding.as_deref())
        .map_err(|e| CliError(format!("{records}: {e}")))?;
    let parsed = parse_records(&text);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let index = runtime.block_on(async {
        let log = source.open().await?;
        let head = *log.head().borrow();
        let mut index = LogIndex::new(&region);
        let mut bar = Progress::new("reading the log");
        let mut from = 1;
        let mut done = 0;
        loop {
            let batch = log.read_all(from, 4096).await?;
            let Some(last) = batch.last() else { break };
            from = last.position + 1;
            done += batch.len() as u64;
            for p in &batch {
                index.add(&p.event);
            }
            bar.update(done, head);
        }
        bar.finish();
        Ok::<_, CliError>(index)
    })?;
    let report = index.reconcile(parsed, tolerance * 1000);
    match format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&report)?),
        _ => {
            println!("{}", report.summary());
            for d in &report.discrepancies {
                let line = d.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                let id = d.app.as_deref().or(d.serial.as_deref()).unwrap_or("-");
                println!("{line}{id}: {}", d.detail);
            }
        }
    }
    Ok(if report.agrees() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
