//! `POST /v1/applications/{id}/{action}`: a party moves an application along its lifecycle.

use serde::Serialize;

use super::states::Remembered;
use super::{Gateway, MAX_RETRIES, ServiceError};
use crate::auth::Principal;
use crate::domain::personal::OwnNumbers;
use crate::domain::{self, Application, Caps, Command, FOLD_RULES};
use crate::envelope::{Envelope, Tip};
use crate::log::{EventLog, LogError};
use crate::projections::FoldError;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActOutcome {
    pub id: String,
    pub status: String,
    pub seq: u64,
    /// The sealed event that was appended.
    pub event: Envelope,
    /// Its log position: answered as `X-Tongban-Position` (of a repeated action, a position at
    /// or after it).
    #[serde(skip)]
    pub position: u64,
    /// True when this request repeats the very action that moved the application on from its
    /// `expected_seq` (a retry after a lost answer): `event` is what that first sending
    /// appended, and nothing new was appended. Always sent, as the contract requires it (a
    /// generated client refuses an answer without it).
    pub repeated: bool,
    /// What the action was taken with, though it may not do what the caller expects (rule
    /// `deadline-lapsed`: an extension or a suspension of a decision limit that had already run
    /// out records the act, and the clock stays overdue; rule `deemed-accepted`: a `not-accept`
    /// or a `request-supplement` after the acceptance window ran out answers an application the
    /// law counts as accepted from its receipt, 行政许可法 Art. 32, so a refusal now is a
    /// decision, `deny`). Always sent; a repeat carries what the first answer was told, judged
    /// at the event's time. Judged from the projections' view of the application, so a view
    /// that lags (or does not read) gives none: no warning is not a promise that the limit ran.
    /// And a number the body gives
    /// (`reference`, `decision_number`, `licence.number`, `tracking`) that is an ID number or a
    /// phone number of the application's submission (rule `personal-data`, at its pointer), for
    /// a repeat too.
    pub warnings: Vec<tongban_schemas::Violation>,
}

/// What an action would do, as its dry run answers it (`POST /v1/applications/{id}/{action}/check`):
/// nothing was appended.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActCheck {
    pub id: String,
    /// The status the application would have after the action.
    pub status: String,
    /// The seq its event would have: the application's next. Of a repeat, the seq of the event
    /// the first sending appended.
    pub seq: u64,
    /// The event type the action would append (`application.accepted` …).
    #[serde(rename = "type")]
    pub kind: String,
    /// True when the request repeats the very action that already moved the application on from
    /// its `expected_seq`: the action would answer with that event (`repeated: true`) and
    /// append nothing.
    pub repeated: bool,
    /// What the action would be told beside its answer, as its 200 lists them: `personal-data`
    /// at a number of the body that is an ID number or a phone number of the application's
    /// submission (the action would store it in the log for good), `deadline-lapsed` for an
    /// extension or a suspension after the decision limit ran out, `deemed-accepted` for a
    /// refusal to accept or a 补正告知 after the acceptance window ran out.
    pub warnings: Vec<tongban_schemas::Violation>,
}

/// The warnings of `command` on an application whose deadlines stood as `view` holds them (the
/// projections' view, of the state the command was decided on, or about), counted with `cal`:
/// an extension or a suspension taken after the decision limit ran out does not move or pause
/// it (行政许可法 Art. 42, 45: the limit is extended, or paused, while it runs), which the 200
/// alone did not say, so a handler's system took the extension for granted; and a refusal to
/// accept or a 补正告知 after the acceptance window ran out answers an application the law
/// counts as accepted already ([`deemed_warning`]).
fn lapsed_warnings(
    command: &Command,
    view: Option<&crate::projections::ApplicationView>,
    now: crate::time::Timestamp,
    cal: &crate::domain::calendar::Calendar,
) -> Vec<tongban_schemas::Violation> {
    use crate::domain::deadlines::{DeadlineKind, Situation};
    if matches!(
        command,
        Command::NotAccept(_) | Command::RequestSupplement(_)
    ) {
        return view
            .and_then(|view| deemed_warning(command, view, now, cal))
            .into_iter()
            .collect();
    }
    let what = match command {
        Command::ExtendDeadline(_) => {
            "the extension is recorded, but it does not move a limit \
             that has run out (行政许可法 Art. 42: a limit is extended while it runs)"
        }
        Command::Suspend(_) => {
            "the suspension is recorded, but a limit that has run out is \
             not paused (行政许可法 Art. 45 pauses a running limit)"
        }
        _ => return Vec::new(),
    };
    let Some(view) = view else {
        return Vec::new();
    };
    view.deadlines
        .0
        .iter()
        .filter(|d| d.kind == DeadlineKind::Decision && d.situation(now) == Situation::Overdue)
        .map(|d| {
            tongban_schemas::Violation::new(
                "",
                "deadline-lapsed",
                format!(
                    "the decision limit (审查决定期限) of {} ran out on {} (Beijing date): {what}; \
                     the clock stays overdue",
                    d.responsible, d.due
                ),
            )
        })
        .collect()
}

/// The `deemed-accepted` warning of a `not-accept` or `request-supplement` taken at `now` on an
/// application whose acceptance window had run out by then (its deadlines as `view` holds them
/// and as they stood at `now`: [`crate::domain::deadlines::Deadlines::deemed_acceptance`]). By
/// 行政许可法 Art. 32 the application is accepted from its receipt: a refusal now is a decision
/// after review (`deny`), and a 补正告知 comes after the five days the law gives for it. The
/// decision core, pure on the state, takes either (it does not see the clock); the 200 alone
/// would have let the handler's system take the refusal for a lawful 不予受理. None for either
/// taken in time, and for any other action.
fn deemed_warning(
    command: &Command,
    view: &crate::projections::ApplicationView,
    now: crate::time::Timestamp,
    cal: &crate::domain::calendar::Calendar,
) -> Option<tongban_schemas::Violation> {
    let what = match command {
        Command::NotAccept(_) => {
            "the 不予受理 is recorded, but a refusal of an accepted application is a decision \
             after review: `deny` (after `accept`, which keeps the decision clock running from \
             the receipt), with its reasons and the applicant's remedies"
        }
        Command::RequestSupplement(_) => {
            "the 补正告知 is recorded, but it comes after the five working days the law gives \
             for it (当场或者在五日内一次告知): it does not stop the decision clock running from \
             the receipt, and the supplement opens no new acceptance window"
        }
        _ => return None,
    };
    let deemed = view.deadlines_at(now, cal).deemed_acceptance()?;
    if !deemed.lapsed_by(now.china_date()) {
        return None;
    }
    let received = crate::time::Timestamp::parse_rfc3339(&deemed.received_at).map_or_else(
        || deemed.received_at.clone(),
        |t| t.china_date().to_string(),
    );
    Some(tongban_schemas::Violation::new(
        "",
        "deemed-accepted",
        format!(
            "the acceptance window (受理期限) of {} ran out on {} (Beijing date) with neither \
             acceptance, refusal nor 补正告知, so the law counts the application accepted from \
             its receipt on {received} (行政许可法第三十二条：逾期不告知的，自收到申请材料之日起\
             即为受理): {what}",
            deemed.handler, deemed.window_last_day
        ),
    ))
}

/// The region an action comes from: operators read and replay, only regions act (403). Asked by
/// the HTTP route before it reads the body, and by the service for every caller.
pub fn acting_region(principal: &Principal) -> Result<&str, ServiceError> {
    principal.region().ok_or_else(|| {
        ServiceError::Forbidden("operators read and replay; they do not act on applications".into())
    })
}

impl<L: EventLog> Gateway<L> {
    /// Runs `command` on application `app`. With `expected_seq`, a mismatch is reported (409) rather
    /// than re-decided.
    pub async fn act(
        &self,
        principal: &Principal,
        app: &str,
        command: Command,
        expected_seq: Option<u64>,
    ) -> Result<ActOutcome, ServiceError> {
        self.act_signed(principal, app, command, expected_seq, None)
            .await
    }

    /// [`Gateway::act`], keeping the region's verified request signature as the evidence of the
    /// appended event.
    pub async fn act_signed(
        &self,
        principal: &Principal,
        app: &str,
        command: Command,
        expected_seq: Option<u64>,
        signed: Option<&crate::auth::RequestSignature>,
    ) -> Result<ActOutcome, ServiceError> {
        let region = acting_region(principal)?.to_string();
        // The first pass may decide on the state remembered from this gateway's last action
        // on the application, without reading the log: what it decides is appended only if no
        // event came in between (the append's concurrency check), and a refusal is not answered
        // before it is checked against the log.
        let mut memory = Memory::Trusted;
        for _ in 0..MAX_RETRIES {
            let decided = self
                .pass(principal, &region, app, &command, expected_seq, memory)
                .await?;
            memory = Memory::Checked;
            let (state, event, last) = match decided {
                Decided::New { state, event, last } => (state, event, last),
                Decided::Repeated(outcome) => return Ok(outcome),
            };
            let envelope = self.seal(
                Some((
                    Tip {
                        seq: last.seq,
                        hash: &last.hash,
                    },
                    &last.at,
                )),
                app,
                event.type_name(),
                event.data(),
                principal,
                &region,
            )?;
            match self.commit(envelope.clone(), signed).await {
                Ok(position) => {
                    let warnings = self.warned_now(app, &command, &event).await;
                    let next = Application::apply_from(Some(state), app, &region, &event);
                    let remembered = Remembered {
                        seq: envelope.seq,
                        hash: envelope.hash.clone(),
                        position,
                        state: next.clone(),
                        at: envelope.at.clone(),
                    };
                    self.states.put(app, remembered);
                    return Ok(ActOutcome {
                        id: app.to_string(),
                        status: next.status.as_str().to_string(),
                        seq: envelope.seq,
                        event: envelope,
                        position,
                        repeated: false,
                        warnings,
                    });
                }
                // Another writer appended first: decide again on what is there now. With
                // expected_seq the next pass answers stale-seq, with the state that won.
                Err(ServiceError::Log(LogError::Conflict { .. })) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ServiceError::Contended)
    }

    /// What [`Gateway::act`] would answer to this request, without appending anything: its dry
    /// run (`POST /v1/applications/{id}/{action}/check`), so that a handler's system learns
    /// before it acts, not by acting, that the action is refused (its region, the application's
    /// state, a stale `expected_seq`, no such application), or what it would be warned of
    /// (`personal-data`, which the action would store in the log for good; `deadline-lapsed`).
    /// Decided by the action's own pass ([`Gateway::pass`]) on the application as the log holds
    /// it now (never on a state taken on trust), and its event sealed and measured against the
    /// log's largest message where the log knows it without asking, as the submission's dry run
    /// does ([`Gateway::would_take`]). The very action that already moved the application on
    /// from `expected_seq` is answered as the action answers its repeat (`repeated`). Nothing is
    /// appended, no evidence kept, and the state it decided on is not remembered: a dry run
    /// leaves this gateway as it found it.
    pub async fn act_check(
        &self,
        principal: &Principal,
        app: &str,
        command: Command,
        expected_seq: Option<u64>,
    ) -> Result<ActCheck, ServiceError> {
        let region = acting_region(principal)?;
        let decided = self
            .pass(
                principal,
                region,
                app,
                &command,
                expected_seq,
                Memory::Untouched,
            )
            .await?;
        let (state, event, last) = match decided {
            Decided::New { state, event, last } => (state, event, last),
            Decided::Repeated(outcome) => {
                return Ok(ActCheck {
                    id: outcome.id,
                    status: outcome.status,
                    seq: outcome.seq,
                    kind: outcome.event.kind,
                    repeated: true,
                    warnings: outcome.warnings,
                });
            }
        };
        let tip = Tip {
            seq: last.seq,
            hash: &last.hash,
        };
        self.would_take(event.clone(), |event| {
            self.seal(
                Some((tip, &last.at)),
                app,
                event.type_name(),
                event.into_data(),
                principal,
                region,
            )
        })?;
        let warnings = self.warned_now(app, &command, &event).await;
        let next = Application::apply_from(Some(state), app, region, &event);
        Ok(ActCheck {
            id: app.to_string(),
            status: next.status.as_str().to_string(),
            seq: last.seq + 1,
            kind: event.type_name().to_string(),
            repeated: false,
            warnings,
        })
    }

    /// One decision of `command` by `region` on application `app`, as loaded under `memory`
    /// ([`Gateway::load`]) and decided ([`Gateway::decide`]): the event to append and what it
    /// follows; or, sent from a seq the application has moved on from (refused as stale, or by
    /// a refusal no state lifts: [`behind`]), the first answer of the very action that moved
    /// the application on from `expected_seq` ([`Gateway::repeated`]); or the action's refusal. A
    /// refusal decided on a state taken on trust is not answered: it is decided again on the
    /// log's. The action and its dry run both decide here, so the dry run cannot answer what
    /// the action would not.
    async fn pass(
        &self,
        principal: &Principal,
        region: &str,
        app: &str,
        command: &Command,
        expected_seq: Option<u64>,
        mut memory: Memory,
    ) -> Result<Decided, ServiceError> {
        let event_type = command.action().map_or("", |a| a.event_type());
        loop {
            let loaded = self
                .load(app, memory)
                .await
                .map_err(|e| e.reading_for(app, event_type, region))?;
            let checked = loaded.checked;
            return match self
                .decide(app, region, command, expected_seq, loaded)
                .await
            {
                Ok((state, event, last)) => Ok(Decided::New { state, event, last }),
                // Decided on a remembered state: the refusal may be that state's, not the
                // log's. Nothing was written; decide again on what the log holds (checked, so
                // this is the last time round).
                Err(_) if !checked => {
                    memory = Memory::Checked;
                    continue;
                }
                // A request from a seq the application has moved on from is judged first as
                // the possible repeat of the action that moved it on, whatever refuses it now: a
                // stale seq, or a refusal no state lifts that the state since has reached (a
                // suspension retried once the cap is reached, its own among those counted).
                Err(e) => match behind(&e, expected_seq) {
                    Some(expected) => self
                        .repeated(app, region, &principal.actor(), command, expected)
                        .await
                        .map(Decided::Repeated)
                        .ok_or(e),
                    None => Err(e),
                },
            };
        }
    }

    /// The application as an action decides on it: the state remembered for it when `memory`
    /// trusts it (unchecked); else the remembered one, or the projections' view of it,
    /// checked against the log's last event,
    /// and brought up to date with the events appended since if there are any; else folded from
    /// the whole history ([`super::states`]). What it checked is remembered unless `memory` is
    /// [`Memory::Untouched`].
    async fn load(&self, app: &str, memory: Memory) -> Result<Loaded, ServiceError> {
        // Only a state this gateway remembers (of its own append, or checked against the log)
        // is taken on trust. A view is the projector's, kept on disk across restarts, backups
        // and builds: it is checked against the log's last event before it is decided on (the
        // append's check of seq and hash would refuse a wrong one too; this is not left to it).
        let (remembered, trusted) = match self.states.latest(app) {
            Some(r) => (Some(r), memory == Memory::Trusted),
            None => (self.projected(app), false),
        };
        if let Some(r) = remembered {
            if trusted {
                return Ok(Loaded {
                    checked: false,
                    ..Loaded::checked(r.state, r.seq, r.hash, r.at)
                });
            }
            // The last event is read only when there is a state to check it against.
            let Some(last) = self.log.last(app).await? else {
                return Err(ServiceError::NotFound(app.to_string()));
            };
            if last.seq == r.seq && last.hash == r.hash {
                return Ok(Loaded::checked(r.state, last.seq, last.hash, last.at));
            }
            // The state was folded from this log's durable events (the projector's, or this
            // gateway's own acknowledged append), so the log held the application's seq r.seq.
            // A log on this gateway's own disk that now ends before it lost acknowledged events,
            // or had its index rolled back, and its own check of the append would take a second
            // event at a seq already taken: refused, naming the application; nothing is
            // appended. A stream may answer behind for a moment (a leader elected just now); its
            // append's expected sequence refuses a stale decision, and the action is retried.
            if last.seq < r.seq && self.log.is_local() {
                // The whole history first: an index that contradicts itself is refused by the
                // read, naming what disagrees; one that agrees with itself, and ends before,
                // is refused here.
                let ends = self.log.read(app).await?.last().map_or(0, |e| e.seq);
                if ends < r.seq {
                    return Err(ServiceError::Log(LogError::Corrupt {
                        position: r.position,
                        reason: format!(
                            "the log's last event of application {app} is its seq {ends}, but \
                             this gateway has seen its seq {} in this log: the log lost events \
                             of the application, or its index was altered. Nothing was \
                             appended; `tongban verify --app {app}` names what disagrees",
                            r.seq
                        ),
                    }));
                }
            }
            if last.seq > r.seq {
                // One event since (the common case: another gateway's action): it was just read.
                let since = if last.seq == r.seq + 1 {
                    vec![last]
                } else {
                    self.log.read_after(app, r.seq, r.position).await?
                };
                // Otherwise (they do not follow it, one does not fold, or one's seal does not
                // hold: read from the log, planted there by whoever can write it) the whole
                // history is read, which also says why.
                let sealed = since
                    .iter()
                    .all(|e| e.seal_error(&self.key.public()).is_none());
                if let Some(up_to_date) = sealed.then(|| r.followed_by(app, &since)).flatten() {
                    if memory.remembers() {
                        self.states.put(app, up_to_date.clone());
                    }
                    let Remembered {
                        state,
                        seq,
                        hash,
                        at,
                        ..
                    } = up_to_date;
                    return Ok(Loaded::checked(state, seq, hash, at));
                }
            }
        }
        let mut events = self.decided_history(app).await?;
        // Decided on only when every event verifies, as the history is served only then
        // (`Gateway::events`): a planted event is never the state an action starts from.
        let view = self.store.get(app)?;
        let folded = super::read::folded_at(view.as_ref());
        if let Some(refused) = super::read::unverified(&events, &self.key.public(), folded) {
            return Err(refused.into());
        }
        let (state, unreadable) = fold_history(&events);
        let Some(last) = events.pop() else {
            return Err(ServiceError::NotFound(app.to_string()));
        };
        if let (Some(state), None, true) = (&state, &unreadable, memory.remembers()) {
            let remembered = Remembered {
                seq: last.seq,
                hash: last.hash.clone(),
                position: 0,
                state: state.clone(),
                at: last.at.clone(),
            };
            self.states.put(app, remembered);
        }
        Ok(Loaded {
            state,
            unreadable,
            seq: last.seq,
            hash: last.hash,
            at: last.at,
            checked: true,
        })
    }

    /// The state the projections hold of `app`, as a remembered one: what an action on an
    /// application this gateway has not acted on lately (since a restart, or acted on through
    /// another gateway) starts from instead of the whole history. The view's state is folded by
    /// the same rule as an action's, event by event, up to its `last_hash`; it is checked against
    /// the log's last event (same seq and hash) before it is decided on, and brought up to date
    /// like a remembered state, from the view's log position. None when there is no view, it
    /// does not read, or its state was not folded by this build's rules ([`FOLD_RULES`]: a view
    /// outlives the build that folded it).
    pub(super) fn projected(&self, app: &str) -> Option<Remembered> {
        let view = self.store.get(app).ok().flatten()?;
        if view.rules != FOLD_RULES {
            return None;
        }
        Some(Remembered {
            seq: view.state.seq,
            hash: view.last_hash,
            position: view.position.unwrap_or(0),
            state: view.state,
            at: view.updated_at,
        })
    }

    /// The event that moved application `app` on from seq `expected`, when it is what `command`
    /// by `region` decides on the state at `expected`: of the command's type, by that region and
    /// the same `actor` (its token: another clerk's identical decision is not this one's repeat,
    /// and hears stale-seq), with the same data, decided without caps. Then a request sent from a
    /// seq the application has moved on from is the repeat of the one that
    /// appended it (a client whose answer was lost sends its request again, with the
    /// `expected_seq` it sent first), and is answered with that event (200), as a submission
    /// retried under its Idempotency-Key is answered with its application: no second event, and
    /// no 409 telling the client to re-read what it did itself. `None` (the 409 stands) for
    /// anything else, and when the history cannot be read or folded now. Read only on that
    /// refusal, so it costs the usual path nothing.
    async fn repeated(
        &self,
        app: &str,
        region: &str,
        actor: &str,
        command: &Command,
        expected: u64,
    ) -> Option<ActOutcome> {
        let events = self.decided_history(app).await.ok()?;
        let at = usize::try_from(expected).ok()?;
        let landed = events.get(at)?;
        if landed.region != region
            || landed.actor != actor
            || landed.seq != expected.checked_add(1)?
        {
            return None;
        }
        let (Some(before), None) = fold_history(&events[..at]) else {
            return None;
        };
        // Without caps: a cap decides new actions only. The action was taken under the caps
        // of its time; a cap reached since (by this very action, or lowered on a restart)
        // does not turn its repeat into a refusal.
        let event = domain::decide(Some(&before), region, command.clone(), Caps::NONE).ok()?;
        if event.type_name() != landed.kind || event.data() != landed.data {
            return None;
        }
        let after = Application::apply_from(Some(before), app, region, &event);
        // At or after the event (the log's end as the backend says it now, the event being
        // read from it): a read naming it waits for no more than it needs.
        let head = *self.log.head().borrow();
        let position = self.log.refresh_head().await.unwrap_or(head).max(head);
        // What the first sending was told: a limit that had run out when the action was taken
        // (judged at the event's time; a retry had been told nothing of it), and the request's
        // own number, as a submission retried under its key hears of it again.
        let taken = crate::time::Timestamp::parse_rfc3339(&landed.at)
            .unwrap_or_else(crate::time::Timestamp::now);
        let warnings = self.warned(
            app,
            command,
            &event,
            taken,
            own_numbers_in(&events).as_ref(),
        );
        Some(ActOutcome {
            id: app.to_string(),
            status: after.status.as_str().to_string(),
            seq: landed.seq,
            event: landed.clone(),
            position,
            repeated: true,
            warnings,
        })
    }

    /// What an action is told beside its answer, whether it was taken now, is a repeat (judged
    /// at its event's time, as the first sending was told) or a dry run: a limit that had run
    /// out at `at` ([`Gateway::lapsed_of`]), and a number `event` gives that is one of `own`,
    /// the application's own numbers, or has the shape of one.
    fn warned(
        &self,
        app: &str,
        command: &Command,
        event: &domain::Event,
        at: crate::time::Timestamp,
        own: Option<&OwnNumbers>,
    ) -> Vec<tongban_schemas::Violation> {
        let mut warnings = self.lapsed_of(app, command, at);
        warnings.extend(event.personal_serial_warnings(own));
        warnings
    }

    /// [`Gateway::warned`] of an action taken now (or its dry run), judged against the
    /// application's own numbers as [`Gateway::own_numbers`] reads them.
    async fn warned_now(
        &self,
        app: &str,
        command: &Command,
        event: &domain::Event,
    ) -> Vec<tongban_schemas::Violation> {
        let own = self.own_numbers(app, event).await;
        self.warned(
            app,
            command,
            event,
            crate::time::Timestamp::now(),
            own.as_ref(),
        )
    }

    /// The `deadline-lapsed` and `deemed-accepted` warnings of `command` at `now`
    /// ([`lapsed_warnings`]), read only for the four actions a lapsed limit concerns (an
    /// extension, a suspension, a refusal to accept, a 补正告知: rare): from the projections'
    /// view, which holds the clocks the remembered state does not.
    fn lapsed_of(
        &self,
        app: &str,
        command: &Command,
        now: crate::time::Timestamp,
    ) -> Vec<tongban_schemas::Violation> {
        match matches!(
            command,
            Command::ExtendDeadline(_)
                | Command::Suspend(_)
                | Command::NotAccept(_)
                | Command::RequestSupplement(_)
        ) {
            true => lapsed_warnings(
                command,
                self.store.get(app).ok().flatten().as_ref(),
                now,
                &self.calendar,
            ),
            false => Vec::new(),
        }
    }

    /// The numbers of `app`'s submission ([`OwnNumbers`]) that the number `event` gives is
    /// judged against, read only when it gives one: from the application's view, its
    /// submission content read back from the log where the projections keep it there, or from
    /// the log's history when the projections do not hold it yet. None when nothing reads: the
    /// number is then judged by its shape alone.
    async fn own_numbers(&self, app: &str, event: &domain::Event) -> Option<OwnNumbers> {
        event.action_serial()?;
        let view = self.store.get(app).ok().flatten();
        if let Some(view) = &view
            && !view.applicant.is_null()
        {
            return Some(OwnNumbers::of_parts(&view.applicant, &view.form));
        }
        // The action is committed already (or, in its dry run, nothing will be): a log slow to
        // answer costs the warning's precision (the shape check stands in), not the answer's
        // time.
        tokio::time::timeout(OWN_NUMBERS_PATIENCE, self.own_numbers_from_log(app, view))
            .await
            .ok()
            .flatten()
    }

    /// The application's numbers from its submission in the log: where `view` says it is
    /// stored (taken only if it is this application's submission, as a read fills the view
    /// from it: [`crate::projections::ApplicationView::fill_submission`]), else its whole
    /// history.
    async fn own_numbers_from_log(
        &self,
        app: &str,
        view: Option<crate::projections::ApplicationView>,
    ) -> Option<OwnNumbers> {
        if let Some(mut view) = view
            && let Some(position) = view.submission
            && let Ok(at) = self.log.read_at(&[position]).await
            && let Some(found) = at.into_iter().next().and_then(crate::log::At::into_event)
            && view.fill_submission(&found.event).is_ok()
        {
            return Some(OwnNumbers::of(&found.event.data));
        }
        own_numbers_in(&self.decided_history(app).await.ok()?)
    }

    /// Decides `command` on `loaded`: the state it applies to, the event, and the last event it
    /// follows.
    async fn decide(
        &self,
        app: &str,
        region: &str,
        command: &Command,
        expected_seq: Option<u64>,
        loaded: Loaded,
    ) -> Result<(Application, domain::Event, Last), ServiceError> {
        let Loaded {
            state,
            unreadable,
            seq,
            hash,
            at,
            ..
        } = loaded;
        // Refuse non-parties before revealing anything about the application's state, even
        // that its history does not fold.
        if !self.party_to_history(app, state.as_ref(), region).await? {
            return Err(super::error::not_a_party(app, region));
        }
        // Judged as the projections judge it, so what they hold cannot be acted on.
        if let Some(e) = unreadable {
            return Err(e.into());
        }
        let Some(state) = state else {
            return Err(ServiceError::NotFound(app.to_string()));
        };
        let decided = domain::decide(Some(&state), region, command.clone(), self.caps());
        // A region that may never do this, or a body that is wrong whatever the state, hears so
        // before it hears that its view is stale: a stale-seq answer tells the caller to
        // refresh and retry, which would only be refused.
        if let Err(error) = &decided
            && matches!(
                error.kind(),
                domain::ErrorKind::Forbidden | domain::ErrorKind::Invalid
            )
        {
            return Err(error.clone().into());
        }
        // So does a refusal no state lifts: a part completed in an application that is not
        // joint (its mode never changes), a suspension past the cap (the count only grows),
        // answered as the conflict it is, with the state. Sent from a seq behind, it may be
        // the repeat of the suspension that reached the cap: [`Gateway::pass`] judges that
        // first.
        if let Err(
            error @ (domain::DomainError::NotJoint { .. }
            | domain::DomainError::SuspensionsExhausted { .. }),
        ) = &decided
        {
            return Err(ServiceError::Refused {
                error: error.clone(),
                status: state.status,
                seq: state.seq,
            });
        }
        if let Some(expected) = expected_seq
            && expected != state.seq
        {
            return Err(ServiceError::StaleSeq {
                expected,
                actual: state.seq,
                status: state.status,
            });
        }
        let event = decided.map_err(|error| match error.kind() {
            domain::ErrorKind::Conflict => ServiceError::Refused {
                error,
                status: state.status,
                seq: state.seq,
            },
            _ => error.into(),
        })?;
        Ok((state, event, Last { seq, hash, at }))
    }
}

/// The seq a refused request was sent from, when the application has moved on from it: a
/// stale seq, or a refusal no state lifts ([`Gateway::decide`] answers it before the stale
/// seq) decided on a state past it. Then the request may repeat the action that moved it on
/// ([`Gateway::repeated`]).
fn behind(refusal: &ServiceError, expected_seq: Option<u64>) -> Option<u64> {
    match (refusal, expected_seq) {
        (ServiceError::StaleSeq { expected, .. }, _) => Some(*expected),
        (ServiceError::Refused { seq, .. }, Some(expected)) if expected < *seq => Some(expected),
        _ => None,
    }
}

/// How one pass of an action uses the states this gateway remembers ([`super::states`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Memory {
    /// Takes a remembered state on trust, without reading the log (an action's first pass:
    /// the append's concurrency check refuses a stale one), and remembers what it checks.
    Trusted,
    /// Checks a remembered state against the log, and remembers what it checked.
    Checked,
    /// Checks it, and remembers nothing: a dry run changes nothing, this gateway's memory
    /// included.
    Untouched,
}

impl Memory {
    /// Whether a state checked against the log is kept for the next action.
    fn remembers(self) -> bool {
        self != Memory::Untouched
    }
}

/// What one pass of an action decided ([`Gateway::pass`]).
enum Decided {
    /// The event to append on `last`, decided on `state`.
    New {
        state: Application,
        event: domain::Event,
        last: Last,
    },
    /// The request repeats the very action that moved the application on from its
    /// `expected_seq`: that action's answer.
    Repeated(ActOutcome),
}

/// The application as one pass of an action decides on it.
struct Loaded {
    /// The state as far as the history folds (None: not even its first event).
    state: Option<Application>,
    /// Why the history does not fold past `state`.
    unreadable: Option<FoldError>,
    /// The seq and hash of the last event: what the new one is sealed on; and its time, which
    /// the new one's is not before.
    seq: u64,
    hash: String,
    at: String,
    /// Whether it was checked against the log (false: a remembered state taken on trust).
    checked: bool,
}

/// The aggregate state from the application's events as far as they fold, as the projections
/// judge them ([`crate::projections::ApplicationView::readable`]), and why the first that does
/// not fold does not (then the state is as of the event before it; None when not even the first
/// folds). One pass serves both who the parties are and whether the history can be acted on.
pub(super) fn fold_history(events: &[Envelope]) -> (Option<Application>, Option<FoldError>) {
    let mut state = None;
    for e in events {
        match crate::projections::ApplicationView::readable(e) {
            Ok((event, _)) => {
                state = Some(Application::apply_from(state, &e.app, &e.region, &event));
            }
            Err(unreadable) => return (state, Some(unreadable)),
        }
    }
    (state, None)
}

impl Loaded {
    /// A state that folds, checked against the log, as of the event `seq` whose hash is `hash`.
    fn checked(state: Application, seq: u64, hash: String, at: String) -> Loaded {
        Loaded {
            state: Some(state),
            unreadable: None,
            seq,
            hash,
            at,
            checked: true,
        }
    }
}

/// The last event an action's event follows: its seq and hash (the chain) and its time.
struct Last {
    seq: u64,
    hash: String,
    at: String,
}

/// The numbers of the submission in `events`, an application's history.
/// How long an action that gave a number waits for the log to say the application's own
/// numbers, before judging the number by its shape.
const OWN_NUMBERS_PATIENCE: std::time::Duration = std::time::Duration::from_millis(250);

fn own_numbers_in(events: &[Envelope]) -> Option<OwnNumbers> {
    events
        .iter()
        .find(|e| e.kind == tongban_schemas::events::Submitted::TYPE)
        .map(|e| OwnNumbers::of(&e.data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Calendar;
    use crate::projections::ApplicationView;
    use crate::time::Timestamp;

    /// Given an application accepted on Monday 2026-11-02 (its decision limit of 20 working days
    /// runs out on Monday 11-30), when an extension or a suspension is judged on 12-02, then
    /// each is warned of (rule `deadline-lapsed`, naming the date and the handler); on 11-30
    /// neither is, and no other action ever is.
    #[test]
    fn an_extension_or_suspension_after_the_limit_is_warned_of() {
        let steps = crate::sample::commands(0).expect("sample");
        let lead = steps[2].0.clone();
        let times = [
            "2026-11-02T01:00:00Z",
            "2026-11-02T02:00:00Z",
            "2026-11-02T03:00:00Z",
        ];
        let events = crate::sample::sealed(
            "app-1",
            steps
                .into_iter()
                .take(3)
                .zip(times)
                .map(|((region, cmd), at)| (region, cmd, at.to_string())),
            "t",
            &crate::envelope::GatewayKey::from_seed([2; 32]),
        )
        .expect("legal");
        let cal = Calendar::weekdays();
        let mut view: Option<ApplicationView> = None;
        for e in &events {
            view = Some(ApplicationView::fold(view.take(), e, &cal).expect("folds"));
        }
        let view = view.expect("a view");
        let extend = Command::ExtendDeadline(tongban_schemas::events::DeadlineExtended {
            reason: "负责人批准延长".into(),
        });
        let suspend = Command::Suspend(tongban_schemas::events::Suspended {
            kind: tongban_schemas::events::SuspensionKind::Hearing,
            reason: "听证".into(),
        });
        let late = Timestamp::parse_rfc3339("2026-12-02T02:00:00Z").expect("time");
        let in_time = Timestamp::parse_rfc3339("2026-11-30T02:00:00Z").expect("time");
        for command in [&extend, &suspend] {
            let warned = lapsed_warnings(command, Some(&view), late, &cal);
            assert_eq!(warned.len(), 1, "{warned:?}");
            assert_eq!(warned[0].rule, "deadline-lapsed");
            assert!(
                warned[0].message.contains("ran out on 2026-11-30")
                    && warned[0].message.contains(&lead),
                "{}",
                warned[0].message
            );
            assert!(lapsed_warnings(command, Some(&view), in_time, &cal).is_empty());
        }
        let approve = Command::Approve(Default::default());
        assert!(lapsed_warnings(&approve, Some(&view), late, &cal).is_empty());
    }
}
