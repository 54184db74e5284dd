//! Authorised reads: an application and its events are visible to its parties and to operators,
//! an inbox to its own region and to operators.

use super::error::not_a_party;
use super::{BrokenHistory, ChainBreak, Gateway, ServiceError};
use crate::auth::Principal;
use crate::auth::RequestSignature;
use crate::envelope::Envelope;
use crate::envelope::PublicKey;
use crate::envelope::stored::judge_stored;
use crate::log::{EventLog, LogError, Positioned};
use crate::projections::{ApplicationView, BoxEntry, SerialHit};

/// What a serial names ([`Gateway::by_serial`]).
pub struct SerialMatches {
    /// Each application the caller may read, with the region that gave the serial and as what.
    pub found: Vec<(ApplicationView, SerialHit)>,
    /// The log position after which every serial is indexed (0: all are).
    pub indexed_from: u64,
}

impl<L: EventLog> Gateway<L> {
    fn may_read(principal: &Principal, view: &ApplicationView) -> Result<(), ServiceError> {
        match principal.region() {
            None => Ok(()),
            Some(region) if view.state.is_party(region) => Ok(()),
            Some(region) => Err(not_a_party(&view.state.id, region)),
        }
    }

    /// The application as its parties and operators read it: its applicant and form in the
    /// latest shape of its matter's schema (`projections::upcast`), whichever version the
    /// submission recorded.
    pub async fn application(
        &self,
        principal: &Principal,
        app: &str,
    ) -> Result<ApplicationView, ServiceError> {
        let view = match self.view(app).await {
            Ok(view) => view.ok_or_else(|| ServiceError::NotFound(app.to_string()))?,
            // Where it is held is for its parties (as of its last view) and operators only.
            Err(ServiceError::Held(held)) => {
                return Err(match principal.region() {
                    Some(region) if !held.is_party(region) => not_a_party(app, region),
                    _ => ServiceError::Held(held),
                });
            }
            // Folded from the log (the projections behind) and not foldable: who may hear so is
            // judged from the events that do fold, as for acting on it.
            Err(ServiceError::Fold(e)) => {
                if let Some(region) = principal.region() {
                    let events = self.decided_history(app).await?;
                    let (state, _) = super::act::fold_history(&events);
                    if !self.party_to_history(app, state.as_ref(), region).await? {
                        return Err(not_a_party(app, region));
                    }
                }
                return Err(ServiceError::Fold(e));
            }
            Err(e) => return Err(e),
        };
        Self::may_read(principal, &view)?;
        Ok(view.upcast_form(self.registry)?)
    }

    /// Whether `region` is party to application `app`, whose history may not fold whole:
    /// as of `state`, its last event that does ([`super::act::fold_history`]), or, when not even
    /// its submission does, as the projections recorded when they held it (from the submission,
    /// where it decodes).
    pub(super) async fn party_to_history(
        &self,
        app: &str,
        state: Option<&crate::domain::Application>,
        region: &str,
    ) -> Result<bool, ServiceError> {
        Ok(match state {
            Some(state) => state.is_party(region),
            None => {
                // The record is the projector's: let it reach these events first.
                self.caught_up().await;
                self.store.held(app)?.is_some_and(|h| h.is_party(region))
            }
        })
    }

    /// Every event of `app`, in seq order, for its parties and operators. A history whose events
    /// as the log stores them do not follow each other (one removed, two swapped, one
    /// rewritten), which the application's own read refuses on either backend, is refused as
    /// [`ServiceError::Broken`], naming each break (its seq, position and what is wrong), found
    /// as the evidence page finds them ([`Gateway::events_as_stored`]): one answer for one
    /// tampering whichever log the gateway runs on, and not an anonymous position.
    ///
    /// Events stored after the application's, under a seq an earlier one of them holds (on
    /// JetStream, published onto its subject by something other than a gateway: a copy, or
    /// another event under that seq; [`crate::projections::repeated`]) are the exception: when
    /// the first event stored under each seq is an intact chain (each seal verifies, each links
    /// to the one before), that chain is served, and each later one is named beside it
    /// ([`History::not_history`], in the words `tongban verify --app` uses), never served.
    /// Refusing was worse for everyone it concerns: the stream denies deletes, so the copy
    /// stays for good, and anything with publish rights on a subject could make any
    /// application's history unreadable for good with one message, while the application was
    /// still acted on and its parties' adapters could no longer read what they act on. Serving
    /// the chain vouches for nothing the chain does not: it is the history the projections
    /// folded and every action decided on (the first event under each seq, which every later
    /// event of the gateways links to), what `tongban verify --app` checks as the chain, and
    /// the copy is in it nowhere; the answer names it, as `verify` names it a break of the log.
    /// Any other break, or one among the first events, still refuses the whole.
    ///
    /// One read of the application serves it in both cases: the read an action makes
    /// ([`EventLog::read_decided`]), which passes over the copies and names each with the event it
    /// copies. The whole log is read, and the application's own read that refuses at the first
    /// copy, only where that read cannot settle it: another event under a seq (a rewritten one,
    /// whose words are its seal's), more passed over than it names, a chain that does not verify
    /// beside its copies, or the read refused.
    pub async fn events(&self, principal: &Principal, app: &str) -> Result<History, ServiceError> {
        let key = self.key.public();
        let (refused, decided) = match self.decided_read(principal, app).await? {
            Decided::Read { events, passed } => match copies_named(&passed) {
                // Nothing stored among its events under a seq it holds: the application's own
                // read would have read these, and its checks are theirs. What the read checks
                // (each event of the application, once, in seq order) is not all an auditor
                // would: an event rewritten in place keeps its seq and app. Its hash, its
                // signature and the next event's link say so, checked before it is served.
                Some(copies) if copies.is_empty() => {
                    let folded = self.store.get(app)?;
                    match unverified(&events, &key, folded_at(folded.as_ref())) {
                        None => return Ok(History::intact(events)),
                        Some(refused) => (refused, Ok(())),
                    }
                }
                // Copies alone: served beside them when every seal and link of the chain holds,
                // each checked as the whole history's check of its chain checks them.
                Some(not_history) if unverified(&events, &key, None).is_none() => {
                    return Ok(History {
                        events,
                        not_history,
                    });
                }
                // The application's own read refuses at the first of what was passed over: the
                // position the events as stored are judged by below.
                _ => match self.events_read(principal, app).await {
                    Ok((events, _)) => {
                        let folded = self.store.get(app)?;
                        match unverified(&events, &key, folded_at(folded.as_ref())) {
                            None => return Ok(History::intact(events)),
                            Some(refused) => (refused, Ok(())),
                        }
                    }
                    Err(ServiceError::Log(
                        refused @ (LogError::Corrupt { .. } | LogError::Index(_)),
                    )) => (refused, Ok(())),
                    Err(e) => return Err(e),
                },
            },
            // Refused by the read an action makes: the application's own read, which refuses
            // more, refuses at that position or at a copy before it, which is then a break of
            // the events as stored, and the history is judged below as it would be.
            Decided::Refused(refused) => (refused.clone(), Err(refused)),
        };
        let stored = match self.stored(principal, app).await {
            Ok(stored) => stored,
            // Nothing of it reads over the whole log either: the position the read met is all
            // there is to say.
            Err(ServiceError::NotFound(_)) => return Err(refused.into()),
            Err(e) => return Err(e),
        };
        let breaks = chain_breaks(&stored, &key);
        if breaks.is_empty() {
            return Err(refused.into());
        }
        if let Some(history) = History::beside_later(stored, &breaks, &key) {
            return only_later_refused(refused, decided, history);
        }
        Err(ServiceError::Broken(Box::new(BrokenHistory {
            app: app.to_string(),
            breaks,
        })))
    }

    /// The application's events as the reads an action makes read them, copies passed over
    /// and named ([`EventLog::read_decided`]), for its parties and operators (judged as
    /// [`Gateway::events_read`] judges them); or the refusal of that read where the log says
    /// its events do not follow each other.
    async fn decided_read(
        &self,
        principal: &Principal,
        app: &str,
    ) -> Result<Decided, ServiceError> {
        let (read, passed) = match self.log.read_decided(app).await {
            Ok(read) => read,
            Err(refused @ (LogError::Corrupt { .. } | LogError::Index(_))) => {
                return Ok(Decided::Refused(refused));
            }
            Err(e) => return Err(e.into()),
        };
        let events: Vec<Envelope> = read.into_iter().map(|p| p.event).collect();
        self.may_read_history(principal, app, &events).await?;
        Ok(Decided::Read { events, passed })
    }

    /// One page of `app`'s events: those after its seq `after`, at most `limit` of them, for its
    /// parties and operators, so that a long history is read a page at a time and a province
    /// that holds an application's events up to seq `after` asks only for what came since. The
    /// page's events are checked as [`Gateway::events`] checks a whole history (each one's hash
    /// and signature, and the links between them); the first one's link is to event `after`,
    /// whose hash the page gives (`after_hash`) for the caller to compare with the one it holds,
    /// and which is checked with it. `after` 0 is the history's start. An `after` past the
    /// application's last event is refused, naming that seq.
    ///
    /// The log reads the page and no more ([`EventLog::read_page`]): event `after`, the page's
    /// events, and the one after them, whose link to the page's last is checked and which says
    /// that more follow. What lies past that is neither read nor checked, nor what lies before
    /// event `after` (the embedded log reads by its index; JetStream reads a page that begins
    /// at the projections' last event from there, the polling page a province asks most): a
    /// break there (an event rewritten, on JetStream a copy published on the subject) is the
    /// whole history's to name, and the pages that hold it are refused as it is.
    pub async fn events_page(
        &self,
        principal: &Principal,
        app: &str,
        after: u64,
        limit: usize,
    ) -> Result<EventsPage, ServiceError> {
        // An application the projections do not hold yet (or hold no more) is answered as its
        // whole history's read answers it.
        let Some(view) = self.store.get(app)? else {
            return self.page_of_whole(principal, app, after, limit).await;
        };
        Self::may_read(principal, &view)?;
        if view.state.seq < after {
            return self
                .page_past_view(principal, app, &view, after, limit)
                .await;
        }
        // Where the view's last event is, for a page that begins there (a caller asking what
        // came since the last event it holds): JetStream reads its subject from there.
        let position = match view.position {
            Some(position) if view.state.seq == after => position,
            _ => 0,
        };
        // Event `after` (none for the history's start), the page, and the event after it.
        let first = after.max(1);
        let read = limit
            .saturating_add(1)
            .saturating_add(usize::from(after > 0));
        // Anything else than that (an error, a read that does not begin at `first`, events that
        // do not check) is answered as the whole history's read answers it: the breaks of a
        // damaged history named, a log that lost the events the view holds said so, never
        // another answer than the whole history's.
        // A log that cannot be read now (unavailable, a store failing) says so, as the whole
        // history's read would: reading the whole history next would cost more and fail alike.
        let mut events = match self.log.read_page(app, first, read, position).await {
            Ok(events) => events,
            Err(e @ (LogError::Unavailable(_) | LogError::Storage(_))) => return Err(e.into()),
            Err(_) => return self.page_of_whole(principal, app, after, limit).await,
        };
        let Some(first_prev) = events
            .first()
            .filter(|e| e.seq == first)
            .map(|e| e.prev_hash.clone())
        else {
            return self.page_of_whole(principal, app, after, limit).await;
        };
        let key = self.key.public();
        // Event `after` is judged on its own seal, its link to the one before taken as stored
        // (the caller holds that one); event 1's link is to nothing, checked as always.
        let start = after
            .checked_sub(1)
            .filter(|before| *before > 0)
            .map(|before| (before, first_prev.as_str()));
        if unverified_after(&events, &key, folded_at(Some(&view)), start).is_some() {
            return self.page_of_whole(principal, app, after, limit).await;
        }
        let after_hash = (after > 0).then(|| events.remove(0).hash);
        Ok(EventsPage::cut(events, after_hash, limit))
    }

    /// [`Gateway::events_page`] after a seq past the projections' last event of `app` (`view`):
    /// beyond-history when the log holds nothing after the event the projections folded last,
    /// read as a page from that event (it and the one after it, a page's read: a copy of an
    /// earlier event stored after it is refused there, not passed over as the log's read of its
    /// last event passes over it, a review found), so that asking past the end costs no read of
    /// the history; otherwise (the projections behind the log, or stopped at an event they could
    /// not fold, or a log that does not read as a page) as the whole history's read answers it.
    async fn page_past_view(
        &self,
        principal: &Principal,
        app: &str,
        view: &ApplicationView,
        after: u64,
        limit: usize,
    ) -> Result<EventsPage, ServiceError> {
        let position = view.position.unwrap_or(0);
        match self.log.read_page(app, view.state.seq, 2, position).await {
            Ok(events)
                if events.len() == 1
                    && events[0].seq == view.state.seq
                    && events[0].hash == view.last_hash =>
            {
                return Err(ServiceError::BeyondHistory {
                    last: view.state.seq,
                });
            }
            Err(e @ (LogError::Unavailable(_) | LogError::Storage(_))) => return Err(e.into()),
            _ => {}
        }
        self.page_of_whole(principal, app, after, limit).await
    }

    /// [`Gateway::events_page`] cut from the whole history's read and checks
    /// ([`Gateway::events`]), and answered as it is where they refuse it.
    async fn page_of_whole(
        &self,
        principal: &Principal,
        app: &str,
        after: u64,
        limit: usize,
    ) -> Result<EventsPage, ServiceError> {
        let History {
            mut events,
            not_history,
        } = self.events(principal, app).await?;
        let last = events.last().map_or(0, |e| e.seq);
        if after > last {
            return Err(ServiceError::BeyondHistory { last });
        }
        let after_hash = events
            .iter()
            .find(|e| e.seq == after)
            .map(|e| e.hash.clone());
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(events.len());
        let mut page = EventsPage::cut(events.split_off(start), after_hash, limit);
        page.not_history = not_history;
        Ok(page)
    }

    /// The application's events through the log's read of one application, which refuses them
    /// when they do not follow each other, each with its position in the log (which the
    /// evidence page shows; the API's envelopes do not carry it).
    async fn events_read(
        &self,
        principal: &Principal,
        app: &str,
    ) -> Result<(Vec<Envelope>, Vec<u64>), ServiceError> {
        let (read, _) = self.log.read_with_passed(app).await?;
        let (events, positions): (Vec<Envelope>, Vec<u64>) =
            read.into_iter().map(|p| (p.event, p.position)).unzip();
        self.may_read_history(principal, app, &events).await?;
        Ok((events, positions))
    }

    /// Whether `principal` may read `events`, the application's as one of its reads read them:
    /// none is not found; a region must be a party as of the last event that folds (a party
    /// reads every event, those this build cannot fold too, which is how it finds out what they
    /// are).
    async fn may_read_history(
        &self,
        principal: &Principal,
        app: &str,
        events: &[Envelope],
    ) -> Result<(), ServiceError> {
        if events.is_empty() {
            return Err(ServiceError::NotFound(app.to_string()));
        }
        if let Some(region) = principal.region() {
            let (state, _) = super::act::fold_history(events);
            if !self.party_to_history(app, state.as_ref(), region).await? {
                return Err(not_a_party(app, region));
            }
        }
        Ok(())
    }

    /// [`Gateway::events`] for the evidence page: the application's events as the log stores
    /// them, also where its own read refuses them because they do not follow each other (a copy,
    /// one removed, two swapped: a tampered stream), when they are found by reading the whole
    /// log, in the log's order. The page checks and shows them as they are; a dispute needs it
    /// most then. The parties are those of the submission among them. Each with its position in
    /// the log, which the page and the timeline show: a copy or a rewritten event at its own.
    pub async fn events_as_stored(
        &self,
        principal: &Principal,
        app: &str,
    ) -> Result<Vec<Positioned>, ServiceError> {
        let index_refused = match self.events_read(principal, app).await {
            Err(ServiceError::Log(LogError::Corrupt { .. })) => None,
            Err(ServiceError::Log(refused @ LogError::Index(_))) => Some(refused),
            Err(e) => return Err(e),
            Ok((events, positions)) => {
                let read = positions.into_iter().zip(events);
                return Ok(read.map(|(at, e)| Positioned::read(at, e)).collect());
            }
        };
        let stored = self.stored(principal, app).await?;
        // The index contradicts the events: shown as stored where the events themselves are
        // broken (two swapped, the index left as it was), which the page then says; an index
        // that contradicts only itself is refused, as the API's read refuses it, not served as
        // intact beside it.
        if let Some(refused) = index_refused
            && chain_breaks(&stored, &self.key.public()).is_empty()
        {
            return Err(refused.into());
        }
        Ok(stored)
    }

    /// The application's events found by reading the whole log, in the log's order, with their
    /// positions, for its parties (those of the submission among them) and operators.
    async fn stored(
        &self,
        principal: &Principal,
        app: &str,
    ) -> Result<Vec<Positioned>, ServiceError> {
        // A region the projections do not show as a party hears so before the whole log is read
        // for it: any region's token could otherwise have the log read on every request. Where
        // they show it as one, that is the answer: the view was folded from the first event
        // under each seq, never from one published after it.
        let region = principal.region();
        let view = match region {
            Some(_) => self.view(app).await.ok().flatten(),
            None => None,
        };
        if let (Some(region), Some(view)) = (region, &view)
            && !view.state.is_party(region)
        {
            return Err(not_a_party(app, region));
        }
        let events = crate::log::read_whole(&*self.log, |a| a == app).await?;
        if events.is_empty() {
            return Err(ServiceError::NotFound(app.to_string()));
        }
        if let Some(region) = region
            && view.is_none()
        {
            // Without a view, the parties are those of the chain the history would be served
            // as ([`History::beside_later`]): the first event under each seq. Folding every
            // event stored, a forged submission published after the genuine one named the
            // forger's parties: the genuine ones were refused and a region it named was served
            // the history.
            let mut chain: Vec<Envelope> = first_under_each_seq(&events)
                .map(|p| p.event.clone())
                .collect();
            chain.sort_by_key(|e| e.seq);
            let (state, _) = super::act::fold_history(&chain);
            if !self.party_to_history(app, state.as_ref(), region).await? {
                return Err(not_a_party(app, region));
            }
        }
        Ok(events)
    }

    /// The request evidence of those `events` that were appended for signed requests, by event id
    /// (only for events the caller may already read), as `reader` may be served it: the signed
    /// body only to the region that signed it and to operators
    /// ([`RequestSignature::served_to`]).
    pub fn request_evidence(
        &self,
        reader: &crate::auth::Principal,
        events: &[Envelope],
    ) -> Result<std::collections::BTreeMap<String, RequestSignature>, ServiceError> {
        let mut out = std::collections::BTreeMap::new();
        if let Some(store) = &self.evidence {
            for e in events {
                if let Some(sig) = store.get(&e.id)? {
                    out.insert(e.id.clone(), sig.served_to(reader));
                }
            }
        }
        Ok(out)
    }

    /// The applications a province's serial names (its Idempotency-Key as origin, its 受理编号
    /// as handler), given by `region` when named: every one for an operator, those it may read
    /// for a region. Serials are not secret, so a region learns nothing from an empty answer.
    pub async fn by_serial(
        &self,
        principal: &Principal,
        serial: &str,
        region: Option<&str>,
    ) -> Result<SerialMatches, ServiceError> {
        self.caught_up().await;
        let mut found: Vec<(ApplicationView, SerialHit)> = Vec::new();
        for hit in self.store.by_serial(serial)? {
            if region.is_some_and(|r| r != hit.region) {
                continue;
            }
            // Named twice (its origin's key and its handler's number alike): once.
            if found.iter().any(|(v, _)| v.state.id == hit.app) {
                continue;
            }
            // An application held at its very submission has no view to answer with
            // (operators find it at GET /v1/projections/held).
            let Some(view) = self.store.get(&hit.app)? else {
                continue;
            };
            if Self::may_read(principal, &view).is_ok() {
                found.push((view, hit));
            }
        }
        Ok(SerialMatches {
            found,
            indexed_from: self.store.serials_indexed_from()?,
        })
    }

    /// A page of the region's inbox: up to `limit` lines after application `after`.
    pub async fn inbox(
        &self,
        principal: &Principal,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<BoxEntry>, ServiceError> {
        Self::may_see_region(principal, region)?;
        self.caught_up().await;
        Ok(self.store.inbox(region, after, limit)?)
    }

    /// A page of the region's outbox: up to `limit` lines after application `after`.
    pub async fn outbox(
        &self,
        principal: &Principal,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<BoxEntry>, ServiceError> {
        Self::may_see_region(principal, region)?;
        self.caught_up().await;
        Ok(self.store.outbox(region, after, limit)?)
    }

    /// The region's statistics ([`crate::projections::statistics`]), its clocks judged overdue by
    /// the Beijing date of `now`. A region sees its own, an operator any region's.
    pub async fn statistics(
        &self,
        principal: &Principal,
        region: &str,
        now: crate::time::Timestamp,
    ) -> Result<crate::projections::statistics::RegionStatistics, ServiceError> {
        Self::may_see_region(principal, region)?;
        self.caught_up().await;
        Ok(self.store.statistics(region, now.china_date())?)
    }

    /// The region's statistics as they stood at `at` ([`crate::projections::statistics_at`]),
    /// counted from the log read whole: one such count at a time on this gateway, another asked
    /// for meanwhile refused at once ([`ServiceError::Busy`]). Rights as [`Gateway::statistics`].
    pub async fn statistics_at(
        &self,
        principal: &Principal,
        region: &str,
        at: crate::time::Timestamp,
    ) -> Result<crate::projections::statistics::RegionStatistics, ServiceError> {
        Self::may_see_region(principal, region)?;
        let _only = self
            .whole_log_reads
            .try_acquire()
            .map_err(|_| ServiceError::Busy {
                what: "the statistics of a region as of an instant",
            })?;
        let started = std::time::Instant::now();
        let mut counted = crate::projections::statistics_at::count(
            &*self.log,
            region,
            at,
            &self.calendar,
            Some(self.key.public()),
            |_, _| {},
        )
        .await?;
        // What the count cost, for an operator weighing it: codes and positions only.
        tracing::info!(
            region,
            position = counted.position,
            unreadable = counted.passed_over.unreadable_count,
            millis = started.elapsed().as_millis() as u64,
            "counted a region's statistics as of an instant from the whole log"
        );
        // Which records, and why: the operators' (as the held list is). A region is told how
        // many its figures leave out.
        counted.passed_over.told_to(principal);
        Ok(counted)
    }

    /// A page of the running clocks whose due date is past, by the Beijing date of `now`, oldest
    /// due first: every one for an operator, those a region is responsible for for a region.
    /// Read from the projections' index of running clocks ([`crate::projections::running`]),
    /// which holds no personal data; after the index key `after` when given.
    pub async fn overdue(
        &self,
        principal: &Principal,
        now: crate::time::Timestamp,
        after: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<crate::projections::OverdueClock>, ServiceError> {
        self.caught_up().await;
        Ok(self
            .store
            .overdue(now.china_date(), principal.region(), after, limit)?)
    }

    /// A region reads its own inbox, outbox and statistics; an operator any region's.
    pub(crate) fn may_see_region(principal: &Principal, region: &str) -> Result<(), ServiceError> {
        match principal.region() {
            Some(own) if own != region => Err(ServiceError::Forbidden(format!(
                "region {own} may read only its own inbox, outbox and statistics, not {region}'s"
            ))),
            _ => Ok(()),
        }
    }
}

/// The first event of `events` (one application's, in seq order, as the log's read of it
/// returns them) that does not verify as the successor of the one before it, as a refusal of the
/// read naming it; `None` when the chain is intact. The refusal is answered as the read's own
/// are: from the events as stored, with every break named ([`Gateway::events`]).
///
/// `folded`: the seq and hash of the last event the projections folded for the application,
/// each of which they verified or this gateway sealed ([`crate::projections::seals`]). When
/// `events` holds that very event, the events up to it have their hashes recomputed and their
/// links checked, not their signatures: linked hash by hash to the one folded, they are the ones
/// verified. (An Ed25519 check is about 55 µs: a read of a history of 1,000 events cost 55 ms
/// of CPU.) Every event after it is checked whole; so is every event when none matches.
pub(super) fn unverified(
    events: &[Envelope],
    key: &PublicKey,
    folded: Option<(u64, &str)>,
) -> Option<LogError> {
    unverified_after(events, key, folded, None)
}

/// [`unverified`] for events that begin after the seq and hash `start` (None: at the history's
/// start): the first one's link is judged against it, and its seal as every other's.
fn unverified_after(
    events: &[Envelope],
    key: &PublicKey,
    folded: Option<(u64, &str)>,
    start: Option<(u64, &str)>,
) -> Option<LogError> {
    let vouched = folded
        .filter(|(seq, hash)| {
            !hash.is_empty() && events.iter().any(|e| e.seq == *seq && e.hash == *hash)
        })
        .map_or(0, |(seq, _)| seq);
    events.iter().enumerate().find_map(|(i, e)| {
        let previous = i.checked_sub(1).and_then(|j| events.get(j));
        match (previous, e.seq <= vouched) {
            // Vouched or not, the first event of a page is checked whole.
            (None, _) if start.is_some() => e.verify_after(start, key),
            (_, true) => e.verify_link_vouched(previous),
            (_, false) => e.verify_link(previous, key),
        }
        .err()
        .map(|found| LogError::Corrupt {
            // The read does not say where it found it; the whole-log read that follows does.
            position: 0,
            reason: format!("application {} seq {}: {found}", e.app, e.seq),
        })
    })
}

/// An application's history as served ([`Gateway::events`]).
#[derive(Debug)]
pub struct History {
    /// Its events in seq order, each checked.
    pub events: Vec<Envelope>,
    /// The events stored after its own under a seq its history holds at an earlier position,
    /// left out of it (empty for an intact log): each one's seq, log position and what it is,
    /// as `tongban verify --app` words it.
    pub not_history: Vec<ChainBreak>,
}

impl History {
    fn intact(events: Vec<Envelope>) -> History {
        History {
            events,
            not_history: Vec::new(),
        }
    }

    /// Of `stored` (one application's events in the log's order, whose chain `breaks` names
    /// breaks), the history [`Gateway::events`] serves beside the later events under a seq
    /// already stored: the first event under each seq, when those are an intact chain in seq
    /// order from seq 1, with each later one named by the break judged at its position. `None`
    /// when nothing is stored twice under a seq, or the first events are no intact chain: the
    /// history is refused then.
    fn beside_later(
        stored: Vec<Positioned>,
        breaks: &[ChainBreak],
        key: &PublicKey,
    ) -> Option<History> {
        let firsts: std::collections::HashSet<u64> =
            first_under_each_seq(&stored).map(|p| p.position).collect();
        let (chain, later): (Vec<Positioned>, Vec<Positioned>) = stored
            .into_iter()
            .partition(|p| firsts.contains(&p.position));
        let in_order = chain.iter().zip(1..).all(|(p, seq)| p.event.seq == seq);
        if later.is_empty() || !in_order || !chain_breaks(&chain, key).is_empty() {
            return None;
        }
        let not_history = later
            .iter()
            .map(|p| {
                let judged = breaks.iter().find(|b| b.position == p.position);
                judged.cloned().unwrap_or_else(|| ChainBreak {
                    seq: p.event.seq,
                    position: p.position,
                    problem: format!(
                        "an event under seq {} stored after the one the history holds",
                        p.event.seq
                    ),
                })
            })
            .collect();
        Some(History {
            events: chain.into_iter().map(|p| p.event).collect(),
            not_history,
        })
    }
}

/// What [`Gateway::events`] read of an application as an action reads it.
enum Decided {
    /// Its events, and what the read passed over among them.
    Read {
        events: Vec<Envelope>,
        passed: crate::log::foreign::Passed,
    },
    /// The read's refusal, where the log says its events do not follow each other.
    Refused(LogError),
}

/// The copies a read passed over among an application's events (`passed`), named as the
/// whole history's check of its events as stored names each ([`chain_breaks`]: a second copy,
/// with where the one kept is); none when it passed over none. `None` when the read passed over
/// another event under a seq the history holds (named by what its own seal says, which the
/// read does not keep), or more than it names: the events as stored are read to name them.
fn copies_named(passed: &crate::log::foreign::Passed) -> Option<Vec<ChainBreak>> {
    use crate::log::foreign::What;
    if usize::try_from(passed.count).map_or(true, |n| n > passed.shown.len()) {
        return None;
    }
    let mut copies = Vec::new();
    for f in &passed.shown {
        match f.what {
            What::Copy { seq, of } => copies.push(ChainBreak {
                seq,
                position: f.position,
                problem: crate::envelope::ChainError::Copy { of: Some(of) }.to_string(),
            }),
            What::Another { .. } | What::Earlier { .. } => return None,
            What::NotAnEvent | What::OtherApplication(_) => {}
        }
    }
    Some(copies)
}

/// `history`, served beside the later events under a seq it holds, when they are all that
/// made the application's own read fail (`refused`, at one of their positions), and nothing
/// else on its subject does: the whole log's read ([`Gateway::stored`]) leaves out what does
/// not read as an event, so a message naming the application that this build cannot read
/// (a newer build's genuine event during a rolling upgrade, or damage) would otherwise be
/// left out of a history answered 200, shorter than the log, while actions refuse. The read
/// an action makes (`decided`: what [`Gateway::events`] read first) passes over the later
/// events and refuses such a message, at its position; that refusal (or any other but one at a
/// later event's position) is answered.
fn only_later_refused(
    refused: LogError,
    decided: Result<(), LogError>,
    history: History,
) -> Result<History, ServiceError> {
    let later = |e: &LogError| {
        matches!(e, LogError::Corrupt { position, .. }
            if history.not_history.iter().any(|b| b.position == *position))
    };
    if !later(&refused) {
        return Err(refused.into());
    }
    match decided {
        Ok(()) => Ok(history),
        // Another event under the last seq that the seals do not settle is refused by that
        // read, at its position: one of the later events, named beside the history.
        Err(e) if later(&e) => Ok(history),
        Err(e) => Err(e.into()),
    }
}

/// Of one application's events in the log's order, the first stored under each seq: the chain
/// its projections folded and its history is served as ([`History::beside_later`]), and whose
/// parties are its parties; a later one under a seq was published by something other than a
/// gateway and decides nothing.
fn first_under_each_seq(stored: &[Positioned]) -> impl Iterator<Item = &Positioned> {
    let mut seen = std::collections::HashSet::new();
    stored.iter().filter(move |p| seen.insert(p.event.seq))
}

/// A page of an application's events ([`Gateway::events_page`]).
#[derive(Debug)]
pub struct EventsPage {
    /// In seq order, from the seq after the one asked after.
    pub events: Vec<Envelope>,
    /// The hash of the event the page follows (None: it begins the history), for the caller to
    /// compare with the one it holds: the first event's `prev_hash` names it.
    pub after_hash: Option<String>,
    /// Whether events follow the page's last.
    pub more: bool,
    /// The events stored under a seq the history holds at an earlier position that the read
    /// met ([`History::not_history`]): a page read from the whole history names every one; a
    /// page read on its own names none, since it reads no further than its events.
    pub not_history: Vec<ChainBreak>,
}

impl EventsPage {
    /// The page of at most `limit` of `events` (those after the one asked after, in seq order),
    /// saying whether more follow.
    fn cut(mut events: Vec<Envelope>, after_hash: Option<String>, limit: usize) -> EventsPage {
        let more = events.len() > limit;
        events.truncate(limit);
        EventsPage {
            events,
            after_hash,
            more,
            not_history: Vec::new(),
        }
    }
}

/// The seq and hash of the last event `view` folded ([`unverified`]'s `folded`).
pub(super) fn folded_at(view: Option<&ApplicationView>) -> Option<(u64, &str)> {
    view.map(|v| (v.state.seq, v.last_hash.as_str()))
}

/// The breaks of one application's chain in its events as stored, in the log's order, judged as
/// the verifiers judge them (`tongban verify --app`, the evidence page): an event stored a second
/// time (the same seq and hash) is a copy, left out of the chain; the others are linked as
/// [`link_stored`] links them (each the successor of the one stored before it, or, for a whole
/// chain stored out of order, the events out of their place named).
fn chain_breaks(events: &[Positioned], key: &PublicKey) -> Vec<ChainBreak> {
    let stored: Vec<(u64, &Envelope)> = events.iter().map(|p| (p.position, &p.event)).collect();
    events
        .iter()
        .zip(judge_stored(&stored, key))
        .filter_map(|(p, found)| {
            found.err().map(|problem| ChainBreak {
                seq: p.event.seq,
                position: p.position,
                problem: problem.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::GatewayKey;

    fn history(key: &GatewayKey, n: u64) -> Vec<Envelope> {
        let each = (1..=n).map(|i| ("application.suspended", serde_json::json!({"i": i})));
        crate::testutil::sealed_chain(key, "app-1", each)
    }

    /// Given a history of five events whose third has its signature zeroed (its content and
    /// hash intact), when it is checked with the projections having folded up to the fourth,
    /// then it passes: linked hash by hash to the fourth, which was verified, it is the event
    /// the projections verified. Folded only up to the second, or to a fourth of another hash,
    /// the zeroed signature is found; an event rewritten in place is found either way, by its
    /// hash; and one after the folded event is checked whole.
    #[test]
    fn events_up_to_the_folded_one_are_vouched_for_by_its_hash() {
        let key = GatewayKey::from_seed([9; 32]);
        let events = history(&key, 5);
        let mut zeroed = events.clone();
        zeroed[2].sig = "0".repeat(128);
        let fourth = (4, events[3].hash.as_str());
        assert!(unverified(&zeroed, &key.public(), Some(fourth)).is_none());
        for folded in [None, Some((2, events[1].hash.as_str())), Some((4, "ab"))] {
            let refused = unverified(&zeroed, &key.public(), folded).expect("refused");
            assert!(refused.to_string().contains("seq 3"), "{refused}");
        }
        let mut rewritten = events.clone();
        rewritten[1].data = serde_json::json!({"i": 20});
        let refused = unverified(&rewritten, &key.public(), Some(fourth)).expect("refused");
        assert!(refused.to_string().contains("seq 2: hash is"), "{refused}");
        let mut late = events.clone();
        late[4].sig = "0".repeat(128);
        let refused = unverified(&late, &key.public(), Some(fourth)).expect("refused");
        assert!(refused.to_string().contains("seq 5"), "{refused}");
    }
}
