//! `tongban find --serial S [--region R] [--data DIR | --nats URL]`: the applications a province's
//! own serial names, read from the log without a gateway (as replay and reconcile read it): the
//! origin's `Idempotency-Key` of a submission, or a handler's 受理编号 (`reference` of an
//! acceptance), the same serials `GET /v1/applications?serial=` answers from the projections,
//! matched as it matches them ([`serials::typed_forms`]: an ID number typed with a lowercase `x`
//! finds the one keyed with `X`).
//! Prints one line per application, `<app id>\t<region that gave it>\t<idempotency-key|reference>`
//! (ids and codes only); exit 1 when the serial names none, saying so, and naming the serials
//! the log holds that differ from it only in letter case, which are not matched (a province's
//! serial is its own text), quoted only where the serial typed would be.

use std::process::ExitCode;

use tongban_gateway::domain::personal::OwnNumbers;
use tongban_gateway::log::{AnyLog, EventLog};
use tongban_gateway::projections::serials;

use tongban_replay::printable::printable;

use super::output::outln;
use super::{Args, CliError, offline};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let source = offline::Source::from_args(&mut args, offline::Tool::Find)?;
    let serial = args.value("serial");
    // Given but empty (`--serial ''`, a shell variable not set) is not "not given": said so.
    let serial = match serial.as_deref().map(str::trim) {
        None => {
            return Err(CliError(
                "--serial is required: the province's Idempotency-Key or 受理编号 of the \
                 application"
                    .into(),
            ));
        }
        Some("") => {
            return Err(CliError(format!(
                "--serial is empty{}: give the province's Idempotency-Key or 受理编号 of the \
                 application",
                match serial.as_deref() {
                    Some("") => "",
                    _ => " (spaces only)",
                }
            )));
        }
        Some(serial) => serial.to_string(),
    };
    let region = args.value("region");
    if let Some(r) = &region {
        super::reconcile::check_region(r)?;
    }
    args.finish()?;
    source.require_log()?;
    // As `?region=` over HTTP: a code of no region of the federation names no serial's giver,
    // so it is a mistake to say, not an empty answer.
    if let Some(r) = &region {
        source.refuse_unknown_region(r)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Whether the serial may be quoted back if it names no application ([`may_quote`]): of a
    // serial's form, and then whether a submission names it as a person's number is found while
    // the log is read (`named`).
    let of_form = form(&serial);
    // As the gateway's index looks a serial up: an ID number's `x` as its `X`, full-width
    // characters as their ASCII.
    let forms = serials::typed_forms(&serial);
    // Province serials are matched in their own letter case; one the log holds that differs
    // from the typed one only in case is not found, but is said, so that `zj-sl-0042` typed for
    // `ZJ-SL-0042` is not taken for an application the log does not have.
    let folded: Vec<String> = forms.iter().map(|f| f.to_lowercase()).collect();
    let mut named = false;
    let (found, quotable, in_other_case) = runtime.block_on(async {
        let log = source.open().await?;
        let mut found: Vec<(String, String, &'static str)> = Vec::new();
        let mut holders: Vec<String> = Vec::new();
        // The serials differing only in letter case: each as the log holds it, the
        // applications that hold it (of any region, as `holders`), and those `--region` gave.
        let mut near: Vec<InOtherCase> = Vec::new();
        let passed = offline::each_event(&log, |p| {
            let e = &p.event;
            if of_form
                && !named
                && e.kind == "application.submitted"
                && OwnNumbers::of(&e.data).held_in(&serial)
            {
                named = true;
            }
            let Some((kind, given)) = serials::of_event(e) else {
                return;
            };
            if !forms.contains(&given) {
                if folded.contains(&given.to_lowercase()) {
                    if !near.iter().any(|n| n.serial == given) {
                        near.push(InOtherCase::new(given.clone()));
                    }
                    if let Some(n) = near.iter_mut().find(|n| n.serial == given) {
                        n.held_by(e, kind.as_str(), region.as_deref());
                    }
                }
                return;
            }
            if !holders.contains(&e.app) {
                holders.push(e.app.clone());
            }
            if region.as_ref().is_none_or(|r| *r == e.region)
                && !found.iter().any(|(app, _, _)| *app == e.app)
            {
                found.push((e.app.clone(), e.region.clone(), kind.as_str()));
            }
        })
        .await?;
        offline::say_passed_over(
            &passed,
            "this search",
            "a serial given in an event stored there is not found",
        );
        let quotable = found.is_empty() && may_quote(&log, &serial, named, &holders).await;
        // Said only where nothing was found as typed, and judged as the typed serial is: of a
        // serial's form, named by no submission (held_in reads letters in either case), and
        // clear by its shape or by the submissions of the applications that hold it.
        near.retain(|n| !n.given.is_empty());
        if found.is_empty() {
            for n in &mut near {
                n.quotable = of_form && may_quote(&log, &n.serial, named, &n.holders).await;
            }
        }
        Ok::<_, CliError>((found, quotable, near))
    })?;
    for (app, given_by, given_as) in &found {
        let (app, given_by) = (printable(app), printable(given_by));
        outln!("{app}\t{given_by}\t{given_as}")?;
    }
    if found.is_empty() {
        // Quoted unless it may be personal data ([`quotable`]): what was typed may be an
        // applicant's ID number or phone, or one of them mistyped, which is said.
        eprintln!(
            "no application in the log has the serial {}{}{}{}",
            match quotable {
                true => format!("{serial:?}"),
                false => tongban_gateway::shown::said(&serial, |_| false),
            },
            region
                .as_ref()
                .map(|r| format!(" from region {r}"))
                .unwrap_or_default(),
            // Why it is not shown, only where it is not: a quoted serial is said by no rule
            // that hides it.
            tongban_gateway::ids::id_shaped_misread(&serial)
                .filter(|_| !quotable)
                .map(|m| format!("; {}", m.said()))
                .unwrap_or_default(),
            in_other_case_said(&in_other_case)
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// A serial the log holds that differs from the one searched for only in letter case.
struct InOtherCase {
    /// As the log holds it.
    serial: String,
    /// The applications that hold it, of any region: they tell whether it may be quoted.
    holders: Vec<String>,
    /// Those `--region` (if given) gave it to, each with the region and as what.
    given: Vec<(String, String, &'static str)>,
    quotable: bool,
}

impl InOtherCase {
    fn new(serial: String) -> InOtherCase {
        InOtherCase {
            serial,
            holders: Vec::new(),
            given: Vec::new(),
            quotable: false,
        }
    }

    /// Event `e` gives it, as `kind`; counted among what is said when `region` (`--region`)
    /// gave it or none is asked for.
    fn held_by(
        &mut self,
        e: &tongban_gateway::envelope::Envelope,
        kind: &'static str,
        region: Option<&str>,
    ) {
        if !self.holders.contains(&e.app) {
            self.holders.push(e.app.clone());
        }
        if region.is_none_or(|r| r == e.region)
            && !self.given.iter().any(|(app, _, _)| *app == e.app)
        {
            self.given.push((e.app.clone(), e.region.clone(), kind));
        }
    }
}

/// What the no-match message adds for the serials that differ from the one searched for only
/// in letter case: each quoted where it may be ([`InOtherCase::quotable`]), else only its
/// applications' ids and the regions that gave it, never its characters.
fn in_other_case_said(near: &[InOtherCase]) -> String {
    let each: Vec<String> = near
        .iter()
        .flat_map(|n| {
            n.given.iter().map(move |(app, region, kind)| {
                let (app, region) = (printable(app), printable(region));
                match n.quotable {
                    true => format!(
                        "{:?}, application {app}, given by region {region} as its {kind}",
                        n.serial
                    ),
                    false => format!(
                        "application {app}, given by region {region} as its {kind} (the serial \
                         is not shown: it may hold personal data)"
                    ),
                }
            })
        })
        .collect();
    match each.len() {
        0 => String::new(),
        1 => format!(
            "; one differs only in letter case: {}. Province serials are matched in their own \
             letter case: search for it as the log holds it",
            each.join("; ")
        ),
        n => format!(
            "; {n} differ only in letter case: {}. Province serials are matched in their own \
             letter case: search for the one meant as the log holds it",
            each.join("; ")
        ),
    }
}

/// Whether a serial searched for has the form of a province's number, which may be quoted back
/// (`GD-2026-01`, `HBZW20261206000005`), as `GET /v1/applications?serial=` echoes one
/// ([`tongban_gateway::ids::typed_serial_form`]: printable ASCII with a digit among it, no `@`;
/// not `张三1` nor `zhangsan`, a person's name), and no control character.
fn form(serial: &str) -> bool {
    tongban_gateway::ids::typed_serial_form(serial)
}

/// Whether a serial searched for holds no personal number by the gateway's rules, whole or
/// among other characters, however typed ([`tongban_gateway::ids::holds_personal_data`]: a
/// 公民身份号码 of a known region, 18 characters or the legacy 15 digits, or a phone number:
/// `GD-440106197707077771`, `张三13812345678` as well as the number alone). A serial that names
/// no application is one the log knows nothing of, so its shape alone decides, as
/// reconciliation judges a serial the log does not hold: a 受理编号 of region code, date and
/// sequence (`440300261206009`) has a legacy ID number's shape, and is described; and so is one
/// of an ID number's shape that reads as none, its check character failing
/// ([`tongban_gateway::ids::id_shaped_misread`]): a number typed with one wrong character is a
/// person's all the same.
fn shape_clean(serial: &str) -> bool {
    tongban_gateway::ids::serial_shape_clean(serial)
}

/// Whether `serial`, which names no application of the search, may be quoted back ([`form`]):
/// of a serial's form, named by no submission in the log as a person's ID number or phone
/// (`named`, found while the log was read), and either of no personal number's shape
/// ([`shape_clean`]) or the log's own serial of applications (`holders`) whose submissions
/// tell it is none of their people's ([`holders_clear`]). The typed serial and one the log
/// holds in another letter case are judged alike.
async fn may_quote(log: &AnyLog, serial: &str, named: bool, holders: &[String]) -> bool {
    form(serial) && !named && (shape_clean(serial) || holders_clear(log, serial, holders).await)
}

/// Whether the applications of the log that have `serial` as their own number (`holders`: a
/// region's other than `--region`, when it names none of that one's) tell it is no number of
/// their people: each one's submission, read back, names none of its numbers, and one of each
/// kind its shape reads as ([`tongban_gateway::ids::own_serial_clear`], as reconciliation quotes
/// a serial the log holds). None, or more than a handful, tell nothing.
async fn holders_clear(log: &AnyLog, serial: &str, holders: &[String]) -> bool {
    if holders.is_empty() || holders.len() > 16 {
        return false;
    }
    for app in holders {
        let clear = match log.read(app).await {
            Ok(events) => events.first().is_some_and(|e| {
                e.kind == "application.submitted"
                    && tongban_gateway::ids::own_serial_clear(
                        serial,
                        &OwnNumbers::of(&e.data).submitted_at(&e.at),
                    )
            }),
            Err(_) => false,
        };
        if !clear {
            return false;
        }
    }
    true
}
