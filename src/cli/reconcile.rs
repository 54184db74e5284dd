//! `tongban reconcile --region <code> --records <file> [--encoding utf-8|gbk|gb18030]
//! [--tolerance-seconds N] [--format text|json] [--public-key HEX] [--data DIR | --nats URL]`: compare a province's
//! own export (JSONL or CSV; UTF-8, or GBK / GB 18030 when it is not UTF-8) with the log. Exit
//! code 0 when they agree, 1 when there are discrepancies or the log holds records that are not
//! events, which the reconciliation passes over and names (in the report, and on stderr): it
//! cannot say the two agree over them.

use std::process::ExitCode;

use tongban_gateway::auth::RegionBook;
use tongban_replay::reconcile::{Category, LogIndex, export_text, parse_records};

use super::output::outln;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = offline::Source::from_args(&mut args, offline::Tool::Reconcile)?;
    let region = args
        .value("region")
        .ok_or_else(|| CliError("--region <code> is required".into()))?;
    check_region(&region)?;
    source.asked_about("<code>", &region);
    let records = args
        .value("records")
        .ok_or_else(|| CliError("--records <file> is required".into()))?;
    let tolerance = match args.value("tolerance-seconds") {
        Some(s) => tolerance_seconds(&s)?,
        None => DEFAULT_TOLERANCE_SECONDS,
    };
    let format = args.value("format").unwrap_or_else(|| "text".into());
    if !["text", "json"].contains(&format.as_str()) {
        return Err(CliError(format!(
            "--format must be text or json, not {}",
            tongban_gateway::shown::said(&format, tongban_gateway::shown::code)
        )));
    }
    let encoding = args.value("encoding");
    args.finish()?;
    source.require_log()?;
    // As `find --region` and the HTTP route: a code of no region of the federation would
    // report every record as missing from the log. The book is what `regions list` prints; an
    // empty one (a `--nats` deployment's bare `--data`) knows no region, and the log is asked
    // instead once read.
    let book = RegionBook::open(&source.dir.regions())?;
    let book_knows = !book.snapshot().regions.is_empty();
    if book_knows && !book.has_region(&region) {
        return Err(CliError(format!(
            "--region {region} is no region of this federation (see `tongban regions list`)"
        )));
    }
    let bytes = std::fs::read(&records).map_err(|e| CliError(format!("{records}: {e}")))?;
    let text = export_text(&bytes, encoding.as_deref())
        .map_err(|e| CliError(format!("{records}: {e}")))?;
    // Before the log is read: a file that is no export is refused at once, saying why (exit 2).
    let parsed = parse_records(&text).map_err(|e| CliError(format!("{records}: {e}")))?;
    // Counted as the gateway's projections fold them: an event whose seal does not hold is
    // reported, not counted (the directory's key, or --public-key). Without either it is
    // refused, as `verify` and `replay` are: a reconciliation of events unchecked would tell a
    // province it is behind an event planted in the log.
    let key = source.key()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let index = runtime.block_on(async {
        let mut index = LogIndex::new(&region).verifying(key);
        let passed = super::offline::each_event(&source.open().await?, |p| index.add(p)).await?;
        offline::say_passed_over(
            &passed,
            "this reconciliation",
            "an event of the region's stored there was compared with nothing, so its \
             application may show as behind or missing in the log",
        );
        index.passed_over(passed);
        Ok::<_, CliError>(index)
    })?;
    if !book_knows && !index.names_region() {
        return Err(CliError(format!(
            "--region {region} takes part in no application of the log, and {} lists no \
             regions to check it against: check the code",
            source.dir.regions().display()
        )));
    }
    let report = index.reconcile(parsed, tolerance * 1000);
    match format.as_str() {
        "json" => outln!("{}", serde_json::to_string_pretty(&report)?)?,
        _ => {
            outln!("{}", report.summary())?;
            for d in &report.discrepancies {
                // `line 2: column 66: missing field "updated_at"`: a record that did not read
                // names no application, and its reason names no line (this line does).
                let line = d.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                let id = d
                    .app
                    .as_deref()
                    .or(d.serial.as_deref())
                    .map(|id| format!("{id}: "))
                    .unwrap_or_default();
                // missing-at-province: the log's status and the region's own serial, which
                // are what the operator looks the application up by at the province.
                let missing = match (d.category, &d.log_status) {
                    (Category::MissingAtProvince, Some(status)) => format!(
                        " (log status {status}{})",
                        d.serial
                            .as_deref()
                            .map(|s| format!(", serial {s}"))
                            .unwrap_or_default()
                    ),
                    _ => String::new(),
                };
                outln!(
                    "{}",
                    tongban_replay::printable::line(format!("{line}{id}{}{missing}", d.detail))
                )?;
            }
        }
    }
    Ok(if report.agrees() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The most `--tolerance-seconds` takes: 30 days, as `GET /v1/regions/{region}/reconcile` does.
use tongban_gateway::http::operator::{DEFAULT_TOLERANCE_SECONDS, MAX_TOLERANCE_SECONDS};

/// `--tolerance-seconds`: a whole number of seconds from 0 to 30 days, written as the HTTP
/// parameter's (`?tolerance_seconds=`) is read ([`Numeral`], in its one spelling: `030`, `+30`,
/// `-0` are refused as there). What was given is quoted only in a number's form
/// ([`tongban_gateway::shown::seq`]: never a phone's or an ID number's digits, nor a name).
fn tolerance_seconds(s: &str) -> Result<i64, CliError> {
    use tongban_gateway::http::extract::WHOLE_NUMBER_SPELLING;
    use tongban_schemas::registry::Numeral;
    let wanted = format!(
        "--tolerance-seconds {}: expected a whole number of seconds from 0 to \
         {MAX_TOLERANCE_SECONDS} (30 days)",
        tongban_gateway::shown::said(s, tongban_gateway::shown::seq)
    );
    match Numeral::read(s) {
        Numeral::Number(n) if n <= MAX_TOLERANCE_SECONDS.unsigned_abs() => {
            i64::try_from(n).map_err(|_| CliError(wanted))
        }
        Numeral::Number(_) | Numeral::TooLarge => Err(CliError(wanted)),
        Numeral::Misspelt => Err(CliError(format!(
            "{wanted}, written in {WHOLE_NUMBER_SPELLING}"
        ))),
    }
}

/// `--region`: a region's code (six digits, GB/T 2260), as events name regions; anything else
/// would match no application and report every record as missing from the log. The value is
/// quoted only when it has a region code's form (a typo, `44000`): an ID number or a name typed
/// there is said by its length.
pub(super) fn check_region(region: &str) -> Result<(), CliError> {
    if tongban_gateway::domain::is_region_code(region) {
        Ok(())
    } else {
        Err(CliError(format!(
            "--region {} is not a region code: six digits (GB/T 2260) such as 440000",
            tongban_gateway::shown::said(region, tongban_gateway::shown::region)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_a_whole_number_of_seconds_up_to_thirty_days() {
        assert_eq!(tolerance_seconds("0").ok(), Some(0));
        assert_eq!(tolerance_seconds("2592000").ok(), Some(2_592_000));
        for bad in ["-1", "2592001", "9223372036854775807", "5m", ""] {
            let err = tolerance_seconds(bad).expect_err(bad);
            assert!(err.0.contains("0 to 2592000"), "{bad}: {err}");
        }
    }

    /// Given a tolerance written otherwise than as the HTTP parameter takes it (a leading zero,
    /// a sign, a space) or a phone number typed there, when it is read, then it is refused as
    /// `?tolerance_seconds=` refuses it, saying how numbers are written and quoting only what
    /// is no phone, ID number or name. (Found by a review: `030`, `+30` and `-0` were taken,
    /// and the raw value echoed.)
    #[test]
    fn tolerance_is_read_by_the_query_numbers_rule() {
        for bad in ["030", "+30", "-0", " 30", "00"] {
            let err = tolerance_seconds(bad).expect_err(bad);
            assert!(
                err.0
                    .contains("without a sign, spaces, a fraction or leading zeros"),
                "{bad}: {err}"
            );
            assert!(err.0.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
        for personal in ["13812345678", "330106198506122344", "zhangsan"] {
            let err = tolerance_seconds(personal).expect_err(personal);
            assert!(!err.0.contains(personal), "{personal}: {err}");
        }
    }

    #[test]
    fn the_region_is_a_region_code() {
        assert!(check_region("440000").is_ok());
        for bad in ["guangdong", "44000", "044000", "4400000"] {
            let err = check_region(bad).expect_err(bad);
            assert!(err.0.contains("not a region code"), "{bad}: {err}");
        }
        assert!(check_region("44000").is_err_and(|e| e.0.starts_with("--region \"44000\" is")));
        for personal in ["11010519491231002X", "13987654321", "张三", "zhangsan"] {
            let err = check_region(personal).expect_err(personal);
            assert!(!err.0.contains(personal), "{personal}: {err}");
        }
    }
}
