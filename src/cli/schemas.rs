//! `tongban schemas list|show|check|export`: the schema registry from the command line, for people
//! writing adapters or reviewing a schema change before it is proposed. Reads the registry built
//! into the binary; needs no running gateway and no data directory.

use std::path::PathBuf;
use std::process::ExitCode;

use tongban_schemas::registry::{Registry, VersionRef};

use super::out_path::OutPath;
use super::output::outln;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let sub = args.required_positional("list|show|check|export")?;
    let reg = Registry::builtin();
    match sub.as_str() {
        "list" => {
            args.finish()?;
            for s in reg.subjects() {
                let kind = serde_json::to_value(s.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                outln!("{}\t{kind}\tv{}\t{}", s.subject, s.latest, s.title)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        "show" => {
            let subject = args.required_positional("subject")?;
            let version = args.value("version").unwrap_or_else(|| "latest".into());
            args.finish()?;
            let doc = document(reg, &subject, &version)?;
            outln!("{}", serde_json::to_string_pretty(doc)?)?;
            Ok(ExitCode::SUCCESS)
        }
        "check" => {
            let subject = args.required_positional("subject")?;
            let file = args.required_positional("file")?;
            args.finish()?;
            check(reg, &subject, &file)
        }
        "export" => {
            let out = PathBuf::from(
                args.value("out")
                    .unwrap_or_else(|| "tongban-schemas".into()),
            );
            let force = args.flag("force");
            args.finish()?;
            export(reg, &out, force)
        }
        other => Err(CliError(format!(
            "unknown schemas command {}: list, show, check or export",
            tongban_gateway::shown::said(other, tongban_gateway::shown::code)
        ))),
    }
}

fn document<'a>(
    reg: &'a Registry,
    subject: &str,
    version: &str,
) -> Result<&'a serde_json::Value, CliError> {
    let versions = reg.versions(subject).ok_or_else(|| {
        CliError(format!(
            "no schema subject {}; `tongban schemas list` shows them",
            tongban_gateway::shown::said(subject, tongban_gateway::shown::code)
        ))
    })?;
    VersionRef::parse(version)
        .and_then(|v| reg.schema(subject, v))
        .ok_or_else(|| {
            CliError(format!(
                "subject {subject} has no version {}; it has {versions:?} (or latest)",
                tongban_gateway::shown::said(version, tongban_gateway::shown::version)
            ))
        })
}

/// Judges a candidate file under the subject's policy: exit 0 when it could be registered as the
/// next version, 1 with every incompatibility otherwise (2 for unusable input, as every command).
/// The notices (what the policy does not refuse but other parties would meet) follow, either way.
fn check(reg: &Registry, subject: &str, file: &str) -> Result<ExitCode, CliError> {
    let policy = reg
        .config(subject)
        .filter(|_| reg.versions(subject).is_some())
        .ok_or_else(|| {
            CliError(format!(
                "no schema subject {}; `tongban schemas list` shows them",
                tongban_gateway::shown::said(subject, tongban_gateway::shown::code)
            ))
        })?
        .compatibility;
    let text =
        tongban_adapters::codec::read_utf8(file).map_err(|e| CliError(format!("{file}: {e}")))?;
    // What serde quotes of the file is masked, as every refusal of a caller's file masks it.
    let candidate: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError(format!(
            "{file}: not JSON: {}",
            tongban_schemas::mask::serde_error(&e)
        ))
    })?;
    let verdict = reg
        .judge(subject, &candidate)
        .map_err(|e| CliError(format!("{file}: {e}")))?;
    let (found, notices) = (verdict.incompatibilities, verdict.notices);
    // The incompatibilities first, then the notices, as the HTTP answer gives both: a province
    // fixing what is refused still needs to know whom the rest of the change hurts.
    if found.is_empty() {
        outln!(
            "{file}: compatible with {subject} under {}",
            policy.as_str()
        )?;
    } else {
        outln!(
            "{file}: {} incompatibilit{} with {subject} under {}:",
            found.len(),
            if found.len() == 1 { "y" } else { "ies" },
            policy.as_str()
        )?;
        for i in &found {
            outln!("  {i}\n    affects: {}", i.affects())?;
        }
    }
    for i in &notices {
        outln!(
            "  note (not refused under {}): {i}\n    affects: {}",
            policy.as_str(),
            i.affects()
        )?;
    }
    Ok(if found.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes every registered version as `<out>/<subject>/<version>.json`, in the same layout and
/// formatting as the checked-in `schemas/json/`, for other parties' validators. Every file is
/// checked before the first is written ([`OutPath`]): one there already refuses the export
/// (`force` replaces them), and so does an `out` inside a gateway's data directory, so that a
/// refusal leaves nothing half exported.
fn export(reg: &Registry, out: &std::path::Path, force: bool) -> Result<ExitCode, CliError> {
    let mut documents = Vec::new();
    for s in reg.subjects() {
        for v in &s.versions {
            let Some(doc) = reg.schema(&s.subject, VersionRef::Number(*v)) else {
                continue;
            };
            let path = out.join(&s.subject).join(format!("{v}.json"));
            let text = format!("{}\n", serde_json::to_string_pretty(doc)?);
            documents.push((path, text));
        }
    }
    let checked = documents
        .iter()
        .map(|(path, text)| Ok((OutPath::check("--out", path, None, force)?, text)))
        .collect::<Result<Vec<_>, CliError>>()?;
    for ((path, _), (out, text)) in documents.iter().zip(&checked) {
        // Made as before, with the umask (public documents), not for the owner alone as the
        // write would make a missing directory.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError(format!("{}: {e}", dir.display())))?;
        }
        out.write_public(text.as_bytes())?;
    }
    eprintln!(
        "wrote {} schema documents under {}",
        checked.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
