//! `POST /v1/applications`: a region submits a canonical application.

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tongban_schemas::matters::CheckedSubmission;
use tongban_schemas::{Violation, events as ev, matters};

use super::duplicates::Taken;
use super::{Gateway, MAX_RETRIES, ServiceError};
use crate::auth::Principal;
use crate::domain::{self, Command, Event};
use crate::envelope::jcs;
use crate::log::{EventLog, LogError};

/// The canonical submission body: the schemas crate's submission with the applicant and form
/// left open here, because each matter's schema checks them.
pub type SubmitRequest = tongban_schemas::matters::Submission<serde_json::Value, serde_json::Value>;

/// What a submission arrives as: a canonical body still to be checked against its matter's schema,
/// or one a region's adapter already checked in full (local forms). Either way it goes through
/// [`prepare`]; a checked body only skips the schema check it has already passed.
#[derive(Debug)]
pub enum Intake {
    Unchecked(SubmitRequest),
    Checked(CheckedSubmission),
}

impl From<SubmitRequest> for Intake {
    fn from(request: SubmitRequest) -> Intake {
        Intake::Unchecked(request)
    }
}

impl From<CheckedSubmission> for Intake {
    fn from(body: CheckedSubmission) -> Intake {
        Intake::Checked(body)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SubmitOutcome {
    pub id: String,
    pub status: String,
    pub seq: u64,
    /// False when an earlier submission with the same Idempotency-Key was returned.
    #[serde(skip)]
    pub created: bool,
    /// The log position of the submission event (of a repeated submission, a position at or
    /// after it): answered as `X-Tongban-Position`.
    #[serde(skip)]
    pub position: u64,
    /// What the checks doubt without refusing (a 15-digit ID number, stored upgraded to its 18
    /// characters; a 统一社会信用代码 whose check character fails, as some early real codes
    /// do; `possible-duplicate` at the applicant's number for each open application of the
    /// same applicant and matter the submitting region is a party to, naming its id, status and
    /// handlers: the submission was still taken, as a new application), each at its pointer:
    /// the caller learns of it at once, as the local-form route's caller does. A repeated
    /// submission is told the same, but never of its own application. Always sent, empty or
    /// not, as the contract requires it (a generated client refuses an answer without it).
    pub warnings: Vec<Violation>,
}

/// The answer to a submission's dry run: the submission would pass every check made before the
/// log is written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckOutcome {
    /// What the checks doubt without refusing, each at its pointer, as the submission's 201 would
    /// list them (a 15-digit ID number, an open application of the same applicant and matter:
    /// `possible-duplicate`, which the submission would still be taken beside, …). Always sent,
    /// empty or not.
    pub warnings: Vec<Violation>,
}

/// The region a submission comes from: operators read and replay, only regions submit (403).
/// Asked by the HTTP route before it reads the body, and by the service for every caller.
pub fn submitting_region(principal: &Principal) -> Result<&str, ServiceError> {
    principal.region().ok_or_else(|| {
        ServiceError::Forbidden("operators read and replay; only regions submit".into())
    })
}

/// Idempotency keys: [`crate::ids::is_valid_idempotency_key`].
fn check_key(key: &str) -> Result<(), ServiceError> {
    if !crate::ids::is_valid_idempotency_key(key) {
        return Err(ServiceError::BadRequest {
            pointer: "header:Idempotency-Key".into(),
            message: crate::ids::IDEMPOTENCY_KEY_RULE.into(),
        });
    }
    Ok(())
}

/// The digest a submission's idempotent retry is recognised by: SHA-256 of the request's JCS
/// form. Written straight from the typed request: byte for byte what its `Value` copy's
/// canonical form was, without the copy (jcs::canonical's tests hold the two equal).
fn request_digest(request: &SubmitRequest) -> Result<String, ServiceError> {
    let canonical = jcs::canonical(request)
        .map_err(|e| ServiceError::Invalid(vec![Violation::new("", "shape", e.to_string())]))?;
    Ok(crate::hex::encode(&Sha256::digest(canonical.as_bytes())))
}

/// Everything a submission is checked against before the log is touched, without I/O: the key,
/// the request digest, the structural rules (matter, mode, regions) and then the matter's own
/// schema (unless the body arrives already checked). Returns the event to append, the digest and
/// the schema's warnings (none for a checked body: its check gave them to its caller). Pure, so
/// the fuzz targets run exactly this.
pub fn prepare(
    region: &str,
    intake: impl Into<Intake>,
    idempotency_key: Option<&str>,
) -> Result<(Event, String, Vec<Violation>), ServiceError> {
    if let Some(key) = idempotency_key {
        check_key(key)?;
    }
    // A checked body names the matter whose schema it passed, and the body as it was sent when
    // its check upgraded a 15-digit ID number in it.
    let (request, checked, sent) = match intake.into() {
        Intake::Unchecked(request) => (request, None, None),
        Intake::Checked(body) => {
            let matter = body.matter();
            let sent = body.as_sent().map(typed).transpose()?;
            (typed(body.into_value())?, Some(matter), sent)
        }
    };
    // The schema the applicant and form are (or were) checked against, whose version the event
    // records. An unknown matter is refused by `decide` below, so its 0 is never written.
    let matter = checked.or_else(|| matters::get(&request.matter));
    // Of the request as sent, numbers upgraded or not: a retry is the same request whether the
    // gateway that took the first upgraded them (this one) or not (one of an earlier version).
    // Written straight from the typed request: byte for byte what its `Value` copy's canonical
    // form was, without the copy (jcs::canonical's tests hold the two equal).
    let digest = request_digest(sent.as_ref().unwrap_or(&request))?;
    let submitted = ev::Submitted {
        matter: request.matter,
        matter_version: matter.map_or(0, |m| m.version),
        mode: request.mode,
        origin: request.origin.0,
        handlers: request.handlers.into_iter().map(|h| h.0).collect(),
        applicant: request.applicant,
        form: request.form,
        materials: request.materials,
        idempotency_key: idempotency_key.map(str::to_string),
        request_digest: digest.clone(),
    };
    // Structural rules first (matter, mode, regions), then the matter's own schema.
    // A submission is no repeatable action: the caps do not bear on it.
    let mut event = domain::decide(
        None,
        region,
        Command::Submit(submitted),
        domain::Caps::DEFAULT,
    )?;
    let mut warnings = Vec::new();
    if let Event::Submitted(s) = &mut event
        && checked.is_none()
        && let Some(matter) = matter
    {
        let report = matter.check(&s.applicant, &s.form);
        if !report.violations.is_empty() {
            return Err(ServiceError::Invalid(report.violations));
        }
        // Stored as a checked body is ([`matters::Matter::check_owned`]): 15-digit ID numbers
        // upgraded. The findings' pointers are the body's, so the two parts go in as one.
        let mut content = serde_json::json!({
            "applicant": std::mem::take(&mut s.applicant),
            "form": std::mem::take(&mut s.form),
        });
        matters::legacy_ids::upgrade(&mut content, &report.warnings);
        s.applicant = content["applicant"].take();
        s.form = content["form"].take();
        warnings = report.warnings;
    }
    Ok((event, digest, warnings))
}

/// A checked body as the typed request; its applicant and form move into it whole
/// (`domain::moved`).
fn typed(body: serde_json::Value) -> Result<SubmitRequest, ServiceError> {
    domain::moved::with_applicant_and_form_moved::<SubmitRequest>(body)
        .map_err(|e| ServiceError::Invalid(vec![Violation::new("", "shape", e.to_string())]))
}

impl<L: EventLog> Gateway<L> {
    pub async fn submit(
        &self,
        principal: &Principal,
        request: impl Into<Intake>,
        idempotency_key: Option<&str>,
    ) -> Result<SubmitOutcome, ServiceError> {
        self.submit_signed(principal, request, idempotency_key, None)
            .await
    }

    /// [`Gateway::submit`], keeping the region's verified request signature as the evidence of the
    /// submission event. A retry answered from an earlier submission appends nothing and keeps
    /// nothing: the earlier request's evidence stands.
    pub async fn submit_signed(
        &self,
        principal: &Principal,
        request: impl Into<Intake>,
        idempotency_key: Option<&str>,
        signed: Option<&crate::auth::RequestSignature>,
    ) -> Result<SubmitOutcome, ServiceError> {
        let region = submitting_region(principal)?.to_string();
        let (event, digest, warnings) =
            self.admit(&region, request, idempotency_key, Taken::Submitted)?;
        // On a log that holds submissions made unkeyed, the retry of one is answered with the
        // application it made (its unkeyed id), not appended under the keyed id as a second.
        if let Some(key) = idempotency_key
            && let Some(earlier) = self.unkeyed_application(&region, key)?
        {
            return self
                .answer_existing(&earlier, &digest, Some(key))
                .await
                .map(|existing| SubmitOutcome {
                    warnings,
                    ..existing
                })
                .map_err(|e| e.reading_for(&earlier, "application.submitted", &region));
        }
        // Append first: a new key (nearly every submission) then costs no read of the log. The
        // event's data moves into the envelope (the applicant and form are not copied): a
        // submission is appended once, and a conflict is answered from the log, not by sealing
        // it again.
        let sealed = self.seal_submission(principal, &region, event, idempotency_key)?;
        let app = sealed.app.clone();
        match self.commit(sealed, signed).await {
            Ok(position) => Ok(SubmitOutcome {
                id: app,
                status: "submitted".into(),
                seq: 1,
                created: true,
                position,
                warnings,
            }),
            // A retry is told what its first sending was (the same request, so the same
            // warnings): a client whose first answer was lost learns them from the retry's.
            Err(ServiceError::Log(LogError::Conflict { .. })) if idempotency_key.is_some() => self
                .answer_existing(&app, &digest, idempotency_key)
                .await
                .map(|existing| SubmitOutcome {
                    warnings,
                    ..existing
                })
                .map_err(|e| e.reading_for(&app, "application.submitted", &region)),
            Err(e) => Err(e),
        }
    }

    /// What [`Gateway::submit`] would refuse, or warn of, in this request, without appending
    /// anything: its dry run (`POST /v1/applications/check`), so a province's CI can hold
    /// its canonical bodies to every rule the gateway holds a submission to — the matter's
    /// schema, the form's rules, the identifier checks, the route's rules and the region book —
    /// which a standard JSON Schema validator given the registry's documents does not all see —
    /// and the event's payload against its registered schema, as sealing checks it — and, where
    /// the log knows the largest message it stores without asking (JetStream: the servers'
    /// `max_payload`, the stream's `max_msg_size` as its settings were last read), whether the
    /// sealed event fits it ([`EventLog::fits`]): the event is sealed as the submission seals
    /// it, so a form the log would refuse as too large is refused here the same way (413), not
    /// passed. Only what the log would have to be asked is left out: whether an earlier
    /// submission took the key.
    pub fn dry_run(
        &self,
        principal: &Principal,
        request: impl Into<Intake>,
        idempotency_key: Option<&str>,
    ) -> Result<CheckOutcome, ServiceError> {
        let region = submitting_region(principal)?;
        let (event, _, warnings) = self.admit(region, request, idempotency_key, Taken::WouldBe)?;
        self.would_take(event, |event| {
            self.seal_submission(principal, region, event, idempotency_key)
        })?;
        Ok(CheckOutcome { warnings })
    }

    /// The first event of a new application, sealed: under the id its Idempotency-Key gives it
    /// (the same for every retry), or a new one. The submission appends it; its dry run measures
    /// it against the log's largest message, so both seal the very same event.
    fn seal_submission(
        &self,
        principal: &Principal,
        region: &str,
        event: Event,
        idempotency_key: Option<&str>,
    ) -> Result<crate::envelope::Envelope, ServiceError> {
        let app = match idempotency_key {
            Some(key) => self.app_ids.for_key(region, key),
            None => crate::ids::new_v7(),
        };
        self.seal(
            None,
            &app,
            event.type_name(),
            event.into_data(),
            principal,
            region,
        )
    }

    /// Every check of a submission before the log is touched: [`prepare`]'s, an Idempotency-Key
    /// that reads as personal data (told, not refused: [`crate::ids::personal_key`]), and the
    /// handlers against the region book; then, of a submission that passes them, the open
    /// applications of the same applicant and matter (told, not refused:
    /// [`Gateway::possible_duplicates`]). The submission and its dry run both go through here.
    fn admit(
        &self,
        region: &str,
        request: impl Into<Intake>,
        idempotency_key: Option<&str>,
        taken: Taken,
    ) -> Result<(Event, String, Vec<Violation>), ServiceError> {
        let (event, digest, mut warnings) = prepare(region, request, idempotency_key)?;
        if let Some(what) = idempotency_key.and_then(crate::ids::personal_key) {
            warnings.push(crate::ids::personal_key_warning(what));
        }
        self.known_handlers(&event)?;
        if let Event::Submitted(s) = &event {
            warnings.extend(self.possible_duplicates(
                region,
                &s.applicant,
                &s.matter,
                idempotency_key,
                taken,
            ));
        }
        Ok((event, digest, warnings))
    }

    /// The application an earlier submission of this very request under `key` created, if one
    /// did (`None`: none did; an error: the key names another request's application). Asked
    /// when the checks refuse a retried request: a retry after the gateway's rules changed (an
    /// upgrade, or gateways of two versions on one stream) is answered with the application its
    /// first sending created, as every retry is, not refused, which would have its window send
    /// the corrected request as a second application. Only on refusal, so a new submission
    /// still costs no read of the log.
    pub async fn resubmission(
        &self,
        principal: &Principal,
        request: &SubmitRequest,
        key: &str,
    ) -> Result<Option<SubmitOutcome>, ServiceError> {
        let Some(region) = principal.region() else {
            return Ok(None);
        };
        if !crate::ids::is_valid_idempotency_key(key) {
            return Ok(None);
        }
        let digest = request_digest(request)?;
        let mut existing = None;
        // On a log that holds unkeyed submissions, the unkeyed application first, as the
        // submission looks; then the keyed id.
        for app in self
            .unkeyed_application(region, key)?
            .into_iter()
            .chain(std::iter::once(self.app_ids.for_key(region, key)))
        {
            existing = self
                .existing_submission(&app, &digest, Some(key))
                .await
                .map_err(|e| e.reading_for(&app, "application.submitted", region))?;
            if existing.is_some() {
                break;
            }
        }
        Ok(existing.map(|mut existing| {
            if let Some(what) = crate::ids::personal_key(key) {
                existing
                    .warnings
                    .push(crate::ids::personal_key_warning(what));
            }
            existing
        }))
    }

    /// Refuses a submission naming a handler that is no region of the federation (not in the
    /// region book), every such handler at its item: well formed (the domain checked that), such
    /// a code (a city's `330100` for the province's `330000`, a province not yet connected)
    /// would make an application nobody can accept, its deadlines running.
    fn known_handlers(&self, event: &Event) -> Result<(), ServiceError> {
        let Event::Submitted(s) = event else {
            return Ok(());
        };
        let unknown = self.unknown_among(s.handlers.iter().map(String::as_str));
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(unknown))
        }
    }

    /// The handlers of a canonical submission body (checked or not) that are well-formed region
    /// codes but no region of the federation, each at its item (`/handlers/0`, rule
    /// `unknown-region`). The body checks run this beside the matter's schema so that one answer
    /// lists it with every other problem: the canonical route's, and the adapters' (which trace
    /// it back to the province's own field). A malformed code is left to the schema's finding.
    pub fn unknown_handlers(&self, body: &serde_json::Value) -> Vec<Violation> {
        let handlers = body
            .get("handlers")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.unknown_among(handlers.iter().map(|h| h.as_str().unwrap_or_default()))
    }

    /// What the gateway refuses in a canonical submission body that `region` submits through
    /// its adapter, beside the matter's schema: an unknown handler
    /// ([`Gateway::unknown_handlers`]) and the first failing check of the matter, mode, origin
    /// and handlers ([`domain::check_parties`]), such as an origin field naming another region
    /// (`origin-not-submitter`), under the rule the canonical route names for the same fault. The adapter traces each back to the province's own field, so a local form
    /// is never refused at a canonical path the province does not know. What the schema finds
    /// (a missing or mistyped field) is left to it.
    pub fn local_form_problems(&self, region: &str, body: &serde_json::Value) -> Vec<Violation> {
        let mut problems = self.unknown_handlers(body);
        let text = |name: &str| body.get(name).and_then(serde_json::Value::as_str);
        let handlers: Option<Vec<&str>> = body
            .get("handlers")
            .and_then(serde_json::Value::as_array)
            .and_then(|hs| hs.iter().map(serde_json::Value::as_str).collect());
        let mode = text("mode").and_then(tongban_schemas::Mode::parse);
        if let (Some(matter), Some(mode), Some(origin), Some(handlers)) =
            (text("matter"), mode, text("origin"), handlers)
            && let Err(e) = domain::check_parties(region, matter, mode, origin, &handlers)
        {
            // By the rule the canonical route names for the same fault (`e.rule()`).
            let pointer = e.pointer().unwrap_or_default();
            problems.push(Violation::new(pointer, e.rule(), e.to_string()));
        }
        problems
    }

    /// Every handler of `handlers` that is a region code not in the region book, at its index.
    fn unknown_among<'a>(&self, handlers: impl Iterator<Item = &'a str>) -> Vec<Violation> {
        let Some(book) = &self.regions else {
            return Vec::new();
        };
        handlers
            .enumerate()
            .filter(|(_, h)| domain::is_region_code(h) && !book.has_region(h))
            .map(|(i, h)| {
                Violation::new(
                    format!("/handlers/{i}"),
                    "unknown-region",
                    format!(
                        "{h} 未接入跨省通办平台，无法受理（办理地须为已接入地区）: {h} is not a \
                         region of this federation: no platform there could accept the \
                         application (see GET /v1/regions)"
                    ),
                )
            })
            .collect()
    }

    /// After a first event conflicted: the application exists (a retry of this submission, a
    /// concurrent one with the same key that won, or the key reused for another body), and its
    /// submission says which. A seq-1 append conflicts only with an event already there, so
    /// nothing is appended again; a JetStream replica that does not show that event yet is asked
    /// again after a short wait (2, 4 … 128 ms), at most [`MAX_RETRIES`] reads in all.
    async fn answer_existing(
        &self,
        app: &str,
        digest: &str,
        key: Option<&str>,
    ) -> Result<SubmitOutcome, ServiceError> {
        for attempt in 0..MAX_RETRIES {
            if let Some(existing) = self.existing_submission(app, digest, key).await? {
                return Ok(existing);
            }
            // No wait after the last read: the answer is Contended either way.
            if attempt + 1 < MAX_RETRIES {
                tokio::time::sleep(std::time::Duration::from_millis(2 << attempt)).await;
            }
        }
        Err(ServiceError::Contended)
    }

    /// The application a submission under `key` made under its unkeyed id, on a log that holds
    /// such submissions ([`crate::ids::AppIds::unkeyed_retry`]), as the projections hold it:
    /// asked of this gateway's own store, not of the log, so that the unkeyed id of a new key,
    /// which anyone can recompute from the key, is never sent to the log's servers (a NATS
    /// subject) nor named in a log line. One made by another gateway a moment ago is found once
    /// the projections have it (milliseconds).
    fn unkeyed_application(&self, region: &str, key: &str) -> Result<Option<String>, ServiceError> {
        let Some(earlier) = self.app_ids.unkeyed_retry(region, key) else {
            return Ok(None);
        };
        let held = self.store.get(&earlier)?.is_some() || self.store.held(&earlier)?.is_some();
        Ok(held.then_some(earlier))
    }

    /// The application an earlier submission with this key created, if any.
    async fn existing_submission(
        &self,
        app: &str,
        digest: &str,
        key: Option<&str>,
    ) -> Result<Option<SubmitOutcome>, ServiceError> {
        let events = self.decided_history(app).await?;
        let Some(first) = events.first() else {
            return Ok(None);
        };
        let same = first.data.get("request_digest").and_then(|d| d.as_str()) == Some(digest);
        if !same {
            return Err(ServiceError::IdempotencyKeyReused {
                key: key.unwrap_or_default().to_string(),
                app: app.to_string(),
            });
        }
        // Where its last event is, asked of the log: written through another gateway, it may be
        // beyond the head this one has seen. A log that does not show it yet (a stream leader
        // elected a moment ago) is asked again, as for the events.
        let Some(position) = self.log.last_position(app).await? else {
            return Ok(None);
        };
        let view = crate::projections::ApplicationView::from_events(&events, &self.calendar)?;
        let status = view
            .map(|v| v.state.status.as_str().to_string())
            .unwrap_or_else(|| "submitted".into());
        Ok(Some(SubmitOutcome {
            id: app.to_string(),
            status,
            seq: events.last().map(|e| e.seq).unwrap_or(1),
            created: false,
            position,
            warnings: Vec::new(),
        }))
    }
}
