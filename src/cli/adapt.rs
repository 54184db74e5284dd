//! `tongban adapt`: translate a province's local form on stdin to the canonical submission body
//! (or, with `--reverse`, a canonical body to the local form), through the same adapters the
//! gateway uses. Offline: needs no data directory and no running gateway.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use tongban_adapters::Registry;
use tongban_adapters::codec::CharsetSource;

use super::output::outln;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let specs = args.value("specs");
    let list = args.flag("list");
    let registry = match &specs {
        Some(dir) => Registry::with_dir(Path::new(dir))?,
        None => Registry::builtin()?.clone(),
    };
    if list {
        args.finish()?;
        for a in registry.all() {
            outln!(
                "{}\t{}\t{}\t{}",
                a.region,
                a.matter.code,
                a.content_type(),
                a.title.as_deref().unwrap_or("")
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let region = args
        .value("region")
        .ok_or_else(|| CliError("--region <code> is required".into()))?;
    let matter = args
        .value("matter")
        .ok_or_else(|| CliError("--matter <code> is required".into()))?;
    let reverse = args.flag("reverse");
    let charset = args.value("charset");
    args.finish()?;
    // A charset none of the accepted ones is a bad option (exit 2), said before stdin is read,
    // not a problem of the form (exit 1). Quoted only when it has a media type's form.
    if let Some(label) = &charset {
        tongban_adapters::codec::accepted_encoding(label).map_err(|_| {
            CliError(format!(
                "--charset {}: use UTF-8, GBK or GB18030",
                tongban_gateway::shown::said(label, tongban_gateway::shown::media_type)
            ))
        })?;
    }
    let adapter = registry.get(&region, &matter).ok_or_else(|| {
        use tongban_gateway::shown;
        // Quoted only when they have a region code's and a matter code's form: an ID number or
        // a name typed there is said by its length.
        let have = registry.matters_of(&region);
        CliError(if have.is_empty() {
            format!(
                "--region: no adapters for region {} (tongban adapt --list shows them)",
                shown::said(&region, shown::region)
            )
        } else {
            format!(
                "--matter: region {region} has no adapter for {}; it has: {}",
                shown::said(&matter, shown::code),
                have.join(", ")
            )
        })
    })?;
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    if reverse {
        let canonical: serde_json::Value = serde_json::from_slice(&input).map_err(|e| {
            CliError(format!(
                "stdin is not canonical JSON: {}",
                tongban_schemas::mask::serde_error(&e)
            ))
        })?;
        // Only a body the gateway would take is written: a form made of anything else would
        // hold whatever happened to map (or only the adapter's constants), and look valid.
        let sent = canonical.get("matter").and_then(serde_json::Value::as_str);
        if sent != Some(adapter.matter.code) {
            eprintln!(
                "the body is {}; this adapter writes {region}'s {matter} form",
                match sent {
                    Some(code) => format!("a {code} submission"),
                    None => "no submission (it names no matter)".to_string(),
                }
            );
            return Ok(ExitCode::from(1));
        }
        let report = adapter.matter.check_submission(&canonical);
        if !report.violations.is_empty() {
            eprintln!(
                "the body is not a valid {matter} submission ({} problem(s)):",
                report.violations.len()
            );
            for v in &report.violations {
                eprintln!("  {} [{}]: {}", v.pointer, v.rule, v.message);
            }
            return Ok(ExitCode::from(1));
        }
        match adapter.render(&canonical) {
            Ok(bytes) => {
                super::output::bytes(&bytes)?;
                // What the local form has no field for, as a local read's X-Tongban-Unmapped
                // says it: paths only, never values.
                let unmapped = adapter.unmapped(&canonical);
                if !unmapped.is_empty() {
                    eprintln!(
                        "note: the {region} form has no field for {}; left out",
                        unmapped.join(", ")
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(rejection) => {
                eprintln!("cannot write the {region} form:\n{rejection}");
                Ok(ExitCode::from(1))
            }
        }
    } else {
        // The charset given, in place of the spec's own, named as the option it came from (a
        // form that is not UTF-8 is told to give it with that option).
        let source = Some(CharsetSource::Option {
            option: "--charset",
            label: charset.as_deref(),
        });
        match adapter.translate_from(&input, source, &|_| Vec::new()) {
            Ok(t) => {
                for w in &t.warnings {
                    eprintln!("warning: {w}");
                }
                for (path, simplified) in &t.matching {
                    // A simplified copy for matching: printed only when asked for the form itself,
                    // and to the terminal, never to a log.
                    eprintln!("matching copy {path}: {simplified}");
                }
                let mut text = serde_json::to_string_pretty(&t.canonical)?;
                text.push('\n');
                super::output::bytes(text.as_bytes())?;
                Ok(ExitCode::SUCCESS)
            }
            Err(rejection) => {
                eprintln!(
                    "the {region} form for {matter} has {} problem(s):\n{rejection}",
                    rejection.total()
                );
                for w in &rejection.warnings {
                    eprintln!("warning: {w}");
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}
