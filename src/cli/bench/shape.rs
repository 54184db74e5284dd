//! How a request's cost grows with the shape of what is stored, rather than with how much:
//! with the size of a submission's form, and with the number of events its application already
//! holds. The growth stage answers the third question (the number of applications).
//!
//! - **Form size**: canonical submissions (`POST /v1/applications`) of the business-registration
//!   matter whose investor list (股东, the one list of a form that grows with the applicant) holds
//!   2 to 1,000 entries, from about 2 KB to a few hundred KB of JSON, each size closed loop from
//!   every client in turn. Per size: throughput, latency and the gateway's CPU per submission,
//!   so what one more kilobyte costs can be read off.
//! - **Events per application**: each client takes one application through submission, forward
//!   and acceptance, then suspends and resumes it (特别程序, the one pair the lifecycle lets
//!   come back; its gateway runs with `--max-suspensions off`, past the cap a province's
//!   traffic is held to) until it holds 10 events, then 100, then `depth`. Each leg is measured
//!   apart, all clients at the same depth, with the gateway's CPU counted until it has gone idle
//!   after the leg: what an action costs on an application with that many events behind it.
//!   On the embedded log, then on JetStream (one server), where every event an action reads is
//!   a request to the server. Then each application's whole history is read back
//!   (`GET /v1/applications/{id}/events`) a few times, one read at a time as the gateway allows
//!   one caller: what a dispute's or a reconciliation's read of a long history costs (on
//!   JetStream, batches of direct gets).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;
use tongban_schemas::mode::Mode;

use super::gateway::GatewayProcess;
use super::measure::{Measured, closed_loop, warm_up};
use crate::cli::CliError;
use crate::cli::load::client::Client;

/// Investor counts for the form-size legs: the example's two, then about 8× each step, up to
/// the most items one list may hold.
pub const INVESTORS: [usize; 4] = [2, 16, 128, tongban_schemas::limits::MAX_ITEMS];

/// Events per application at the end of each leg of the events stage (the last is `depth`).
const DEPTHS: [u64; 2] = [10, 100];

/// One measured leg of the stage.
pub struct Leg {
    pub label: String,
    pub m: Measured,
}

/// The business-registration example with `investors` investors, routed from the first demo
/// region to the second, and its JSON size.
fn registration(investors: usize, origin: &str, handler: &str) -> Result<Vec<u8>, CliError> {
    let matter = tongban_schemas::matters::get("business-registration")
        .ok_or_else(|| CliError("no business-registration matter".into()))?;
    let mut body = matter.routed(Mode::Online, origin, &[handler]);
    let first = body["form"]["investors"][0].clone();
    let capital = 10_000 * investors as u64;
    body["form"]["registered_capital_yuan"] = json!(capital);
    body["form"]["investors"] = Value::Array(
        (0..investors)
            .map(|_| {
                let mut i = first.clone();
                i["subscribed_capital_yuan"] = json!(10_000);
                i
            })
            .collect(),
    );
    Ok(serde_json::to_vec(&body)?)
}

/// The form-size legs: `duration` each, closed loop from `clients` connections.
pub async fn form_sizes(
    gw: &GatewayProcess,
    clients: usize,
    duration: Duration,
    run: &str,
) -> Result<Vec<Leg>, CliError> {
    let (origin, handler) = (DEMO_ORIGIN, DEMO_HANDLER);
    let token = Arc::new(gw.token(origin)?);
    let mut legs = Vec::new();
    for investors in INVESTORS {
        let body = Arc::new(registration(investors, origin, handler)?);
        let connections: Arc<Vec<Mutex<Client>>> = Arc::new(
            (0..clients)
                .map(|_| Mutex::new(Client::new(&gw.addr)))
                .collect(),
        );
        let (token, body2, run) = (Arc::clone(&token), Arc::clone(&body), run.to_string());
        let op = move |c: usize, n: u64| {
            let (token, body, connections) = (
                Arc::clone(&token),
                Arc::clone(&body2),
                Arc::clone(&connections),
            );
            let key = format!("shape-{run}-{investors}-{c}-{n}");
            async move {
                let mut conn = connections[c].lock().await;
                submit(&mut conn, &token, &key, &body)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.0)
            }
        };
        gw.settle(Duration::from_secs(30)).await?;
        let m = gw
            .charged(warm_up(duration), closed_loop(clients, duration, op))
            .await?;
        legs.push(Leg {
            label: format!(
                "form with {investors} investors ({:.1} KB), canonical submit",
                body.len() as f64 / 1000.0
            ),
            m,
        });
    }
    Ok(legs)
}

/// The demo regions the stage's applications run between (`serve --demo`'s first two).
const DEMO_ORIGIN: &str = "440000";
const DEMO_HANDLER: &str = "330000";

/// The events-per-application legs: every client's application taken to 10, 100 and `depth`
/// events, each leg measured apart, on the gateway's `backend` (named in the labels).
pub async fn events_per_application(
    gw: &GatewayProcess,
    backend: &str,
    clients: usize,
    depth: u64,
    run: &str,
) -> Result<(Vec<Leg>, Deep), CliError> {
    let origin_token = gw.token(DEMO_ORIGIN)?;
    let lead_token = gw.token(DEMO_HANDLER)?;
    let matter = tongban_schemas::matters::get("medical-filing")
        .ok_or_else(|| CliError("no medical-filing matter".into()))?;
    let body = matter.routed(Mode::Online, DEMO_ORIGIN, &[DEMO_HANDLER]);
    let body = serde_json::to_vec(&body)?;

    // Each client's application, submitted, forwarded and accepted: three events.
    let mut apps = Vec::with_capacity(clients);
    let mut conn = Client::new(&gw.addr);
    for c in 0..clients {
        let key = format!("depth-{run}-{c}");
        let created = submit(&mut conn, &origin_token, &key, &body).await?;
        let id = created["id"]
            .as_str()
            .ok_or_else(|| CliError("a submission answered without an id".into()))?
            .to_string();
        act(&mut conn, &origin_token, &id, "forward", &json!({})).await?;
        act(&mut conn, &lead_token, &id, "accept", &json!({})).await?;
        apps.push(id);
    }

    let mut legs = Vec::new();
    let mut from = 3;
    let ends: Vec<u64> = DEPTHS
        .into_iter()
        .filter(|d| *d < depth)
        .chain([depth])
        .filter(|d| *d > from)
        .collect();
    for to in ends {
        gw.settle(Duration::from_secs(30)).await?;
        let cpu_before = gw.cpu_secs()?;
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(clients);
        for id in &apps {
            let (id, addr, token) = (id.clone(), gw.addr.clone(), lead_token.clone());
            tasks.push(tokio::spawn(async move {
                let mut conn = Client::new(&addr);
                let (mut lat, mut errors) = (Vec::new(), Vec::new());
                for seq in from..to {
                    if step(&mut conn, &token, &id, seq, &mut lat, &mut errors)
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                (lat, errors)
            }));
        }
        let (lat, errors) = gathered(tasks).await?;
        let secs = started.elapsed().as_secs_f64();
        // The projections' work for these actions is part of their cost.
        gw.settle(Duration::from_secs(30)).await?;
        let mut m = Measured::from_parts(lat, errors, secs);
        m.server_cpu_secs = Some(gw.cpu_secs()? - cpu_before);
        legs.push(Leg {
            label: format!("suspend/resume, {backend}, application at {from} → {to} events"),
            m,
        });
        from = to;
    }
    legs.push(read_histories(gw, backend, &apps, &lead_token, from).await?);
    Ok((legs, Deep { apps, events: from }))
}

/// The applications the events legs took to their depth, one per client, for a leg that goes
/// on with them.
pub struct Deep {
    pub apps: Vec<String>,
    /// Events each application holds (an odd count after acceptance: suspended).
    pub events: u64,
}

/// Actions per client in the two-gateway legs: one after the other, then spaced.
pub const IN_TURN: u64 = 100;
pub const IN_TURN_SPACED: u64 = 20;

/// The pause before each action of the spaced two-gateway leg: longer than a gateway's head
/// poll (100 ms), so each gateway's projector has read the other's last action, as between the
/// steps of a real procedure, which are minutes or days apart.
pub const SPACED: Duration = Duration::from_millis(200);

/// Two gateways on one stream, as behind a load balancer that spreads one adapter's requests:
/// each client acts on its application through one gateway and then the other, `actions`
/// times, so every action finds its application moved on by the other gateway's last one.
/// With no `pause`, each action follows the other at once and mostly reads that event from the
/// log before deciding (`service::act`: the last event, folded onto the state remembered);
/// with a pause longer than the head poll, the gateway's projector has read it already and
/// folded it onto that state (`service::states`), so the action is one publish. Both gateways'
/// CPU is counted, each until it has gone idle after the leg (each one's projections follow
/// the other's events too). `deep.events` is moved on by `actions`.
pub async fn two_gateways(
    gateways: [&GatewayProcess; 2],
    backend: &str,
    deep: &mut Deep,
    actions: u64,
    pause: Option<Duration>,
) -> Result<Leg, CliError> {
    let (m, from, to) = on_both(gateways, deep, actions, move |mut c| async move {
        let (mut lat, mut errors) = (Vec::new(), Vec::new());
        for seq in c.seqs.clone() {
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
            if c.act_in_turn(seq, &mut lat, &mut errors).await.1.is_err() {
                break;
            }
        }
        (lat, errors)
    })
    .await?;
    let spaced = pause.map_or(String::new(), |p| format!(" {} ms apart", p.as_millis()));
    Ok(Leg {
        label: format!(
            "suspend/resume, {backend}, two gateways in turn{spaced}, application at {from} → \
             {to} events"
        ),
        m,
    })
}

/// One client of a two-gateway leg: its application, a connection to each gateway and the lead
/// handler's token for each, and the seqs its actions start from.
struct PairClient {
    id: String,
    conns: [Client; 2],
    lead: [String; 2],
    seqs: std::ops::Range<u64>,
}

impl PairClient {
    /// The action that takes the application from `seq` to `seq + 1` ([`step`]), through the
    /// first gateway at even seqs and the second at odd ones: which one took it, and
    /// [`step`]'s answer.
    async fn act_in_turn(
        &mut self,
        seq: u64,
        lat: &mut Vec<u64>,
        errors: &mut Vec<String>,
    ) -> (usize, Result<Option<u64>, ()>) {
        let through = usize::from(seq % 2 == 1);
        let conn = &mut self.conns[through];
        let answer = step(conn, &self.lead[through], &self.id, seq, lat, errors).await;
        (through, answer)
    }
}

/// What the two-gateway legs share: each application of `deep` gets a client running `client`
/// for its next `actions` seqs, all at once; both gateways' CPU is counted, each until it has
/// gone idle after the leg (each one's projections follow the other's events too). The
/// clients' figures, and the events the applications held before and after; `deep.events` is
/// moved on by `actions`.
async fn on_both<F, Fut>(
    gateways: [&GatewayProcess; 2],
    deep: &mut Deep,
    actions: u64,
    client: F,
) -> Result<(Measured, u64, u64), CliError>
where
    F: Fn(PairClient) -> Fut,
    Fut: std::future::Future<Output = (Vec<u64>, Vec<String>)> + Send + 'static,
{
    let lead = [
        gateways[0].token(DEMO_HANDLER)?,
        gateways[1].token(DEMO_HANDLER)?,
    ];
    for gw in gateways {
        gw.settle(Duration::from_secs(30)).await?;
    }
    let cpu_before = [gateways[0].cpu_secs()?, gateways[1].cpu_secs()?];
    let (from, to) = (deep.events, deep.events + actions);
    let started = Instant::now();
    let tasks = deep
        .apps
        .iter()
        .map(|id| {
            tokio::spawn(client(PairClient {
                id: id.clone(),
                conns: [
                    Client::new(&gateways[0].addr),
                    Client::new(&gateways[1].addr),
                ],
                lead: lead.clone(),
                seqs: from..to,
            }))
        })
        .collect();
    let (lat, errors) = gathered(tasks).await?;
    let secs = started.elapsed().as_secs_f64();
    let mut cpu = 0.0;
    for (gw, before) in gateways.into_iter().zip(cpu_before) {
        gw.settle(Duration::from_secs(30)).await?;
        cpu += gw.cpu_secs()? - before;
    }
    let mut m = Measured::from_parts(lat, errors, secs);
    m.server_cpu_secs = Some(cpu);
    deep.events = to;
    Ok((m, from, to))
}

/// Actions per client in the leg that reads each one back through the other gateway.
pub const READ_ACROSS: u64 = 20;

/// How long the read-across leg waits between reads that do not show the action yet: the
/// figure's resolution, without 16 clients spinning on the reading gateway.
const REREAD: Duration = Duration::from_millis(1);

/// How long an action may take to show through the other gateway before the leg counts it
/// as an error.
const SHOWN_WITHIN: Duration = Duration::from_secs(2);

/// Two gateways on one stream, as a load balancer sends an adapter's write to one and its next
/// read to the other: each client acts on its application through one gateway, then reads the
/// application through the other (`GET /v1/applications/{id}`) until the answer holds that
/// action, every [`REREAD`]. The figures are the times from the action's answer to the first
/// read that shows it: how long a gateway takes to see another's write. A gateway sees it when
/// its head reaches the event's position (pushed by the stream's consumer, or at its 100 ms
/// poll), since a read waits for the projections to reach the head. Each action goes through
/// the other gateway than the last, `actions` times; `deep.events` is moved on by `actions`.
pub async fn read_across(
    gateways: [&GatewayProcess; 2],
    backend: &str,
    deep: &mut Deep,
    actions: u64,
) -> Result<Leg, CliError> {
    let (m, from, to) = on_both(gateways, deep, actions, |mut c| async move {
        let (mut lat, mut errors) = (Vec::new(), Vec::new());
        let path = format!("/v1/applications/{}", c.id);
        for seq in c.seqs.clone() {
            // Only the read's time counts: the action's latency is not kept.
            let (through, acted) = c.act_in_turn(seq, &mut Vec::new(), &mut errors).await;
            if acted.is_err() {
                break;
            }
            let (other, t) = (1 - through, Instant::now());
            loop {
                let answer = c.conns[other]
                    .send("GET", &path, Some(&c.lead[other]), &[], None)
                    .await;
                match expect(answer, 200, &format!("GET {path}")) {
                    Ok(view) if view["seq"] == json!(seq + 1) => {
                        lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                        break;
                    }
                    Ok(_) if t.elapsed() < SHOWN_WITHIN => tokio::time::sleep(REREAD).await,
                    Ok(view) => {
                        errors.push(format!(
                            "GET {path} through the other gateway still at seq {} \
                             {SHOWN_WITHIN:?} after seq {} was answered",
                            view["seq"],
                            seq + 1
                        ));
                        break;
                    }
                    Err(e) => {
                        errors.push(e.0);
                        break;
                    }
                }
            }
        }
        (lat, errors)
    })
    .await?;
    Ok(Leg {
        label: format!(
            "action through one gateway, time until a read through the other shows it, \
             {backend}, application at {from} → {to} events"
        ),
        m,
    })
}

/// Actions per client in the leg that reads each one through the other gateway naming it.
pub const READ_AFTER: u64 = 20;

/// The read-across leg as an adapter that must see its write does it: the read through the
/// other gateway names the action's log position (`X-Tongban-Read-After`, from the action's
/// `X-Tongban-Position`) and is sent once. Every read must show the action; the figures are
/// those reads' latencies, the wait for the other gateway to reach the position included (it
/// asks the stream where it ends when it has not heard of the position yet).
pub async fn read_after(
    gateways: [&GatewayProcess; 2],
    backend: &str,
    deep: &mut Deep,
    actions: u64,
) -> Result<Leg, CliError> {
    let (m, from, to) = on_both(gateways, deep, actions, |mut c| async move {
        let (mut lat, mut errors) = (Vec::new(), Vec::new());
        let path = format!("/v1/applications/{}", c.id);
        for seq in c.seqs.clone() {
            let (through, acted) = c.act_in_turn(seq, &mut Vec::new(), &mut errors).await;
            let position = match acted {
                Ok(Some(position)) => position.to_string(),
                Ok(None) => {
                    errors.push(format!("an action on {} answered no position", c.id));
                    break;
                }
                Err(()) => break,
            };
            let other = 1 - through;
            let t = Instant::now();
            let answer = c.conns[other]
                .send(
                    "GET",
                    &path,
                    Some(&c.lead[other]),
                    &[("X-Tongban-Read-After", &position)],
                    None,
                )
                .await;
            match expect(answer, 200, &format!("GET {path}")) {
                Ok(view) if view["seq"] == json!(seq + 1) => {
                    lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                Ok(view) => errors.push(format!(
                    "GET {path} after position {position} through the other gateway answered \
                     seq {} where {} was due",
                    view["seq"],
                    seq + 1
                )),
                Err(e) => {
                    errors.push(e.0);
                    break;
                }
            }
        }
        (lat, errors)
    })
    .await?;
    Ok(Leg {
        label: format!(
            "action through one gateway, a read through the other naming its position, \
             {backend}, application at {from} → {to} events"
        ),
        m,
    })
}

/// Reads of its application's history per client in the history leg.
pub const HISTORY_READS: usize = 10;

/// The history leg: each application's whole history (`GET /v1/applications/{id}/events`, as a
/// dispute or a province's reconciliation reads it) read [`HISTORY_READS`] times, every answer
/// holding all `events` events. One read at a time, over one connection: the gateway builds at
/// most one history longer than 64 events at a time for one caller, and answers a second asked
/// meanwhile `503 history-busy` (`http::histories`), so a caller reads them in turn, as this does.
async fn read_histories(
    gw: &GatewayProcess,
    backend: &str,
    apps: &[String],
    token: &str,
    events: u64,
) -> Result<Leg, CliError> {
    gw.settle(Duration::from_secs(30)).await?;
    let cpu_before = gw.cpu_secs()?;
    let started = Instant::now();
    let mut conn = Client::new(&gw.addr);
    let (mut lat, mut errors) = (Vec::new(), Vec::new());
    'reads: for _ in 0..HISTORY_READS {
        for id in apps {
            let path = format!("/v1/applications/{id}/events");
            let t = Instant::now();
            let answer = conn.send("GET", &path, Some(token), &[], None).await;
            match expect(answer, 200, &format!("GET {path}")) {
                Ok(body) => {
                    let read = body["events"].as_array().map_or(0, Vec::len);
                    if read as u64 == events {
                        lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                    } else {
                        errors.push(format!("GET {path}: {read} events, {events} due"));
                    }
                }
                Err(e) => {
                    errors.push(e.0);
                    break 'reads;
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let mut m = Measured::from_parts(lat, errors, secs);
    m.server_cpu_secs = Some(gw.cpu_secs()? - cpu_before);
    Ok(Leg {
        label: format!(
            "whole history read, {backend}, application at {events} events, one at a time"
        ),
        m,
    })
}

/// Suspends or resumes application `id`, which holds `seq` events (an odd count after
/// acceptance is suspended), expecting `seq + 1` back: its latency in µs goes to `lat`, or what
/// went wrong to `errors`. The event's log position (`X-Tongban-Position`) when it was answered
/// with `seq + 1`; `Err` when the client cannot go on (the request failed).
async fn step(
    conn: &mut Client,
    token: &str,
    id: &str,
    seq: u64,
    lat: &mut Vec<u64>,
    errors: &mut Vec<String>,
) -> Result<Option<u64>, ()> {
    let (action, body) = if (seq - 3).is_multiple_of(2) {
        (
            "suspend",
            json!({"kind": "expert-review", "reason": "组织专家评审"}),
        )
    } else {
        ("resume", json!({}))
    };
    let t = Instant::now();
    match act(conn, token, id, action, &body).await {
        Ok((answer, position)) if answer["seq"] == json!(seq + 1) => {
            lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            Ok(position)
        }
        Ok((answer, _)) => {
            errors.push(format!(
                "{action} on {id} answered seq {} where {} was due",
                answer["seq"],
                seq + 1
            ));
            Ok(None)
        }
        Err(e) => {
            errors.push(e.0);
            Err(())
        }
    }
}

/// What each bench client measured (latencies in µs, errors), all together.
async fn gathered(
    clients: Vec<tokio::task::JoinHandle<(Vec<u64>, Vec<String>)>>,
) -> Result<(Vec<u64>, Vec<String>), CliError> {
    let (mut lat, mut errors) = (Vec::new(), Vec::new());
    for client in clients {
        let (l, e) = client
            .await
            .map_err(|e| CliError(format!("a bench client failed: {e}")))?;
        lat.extend(l);
        errors.extend(e);
    }
    Ok((lat, errors))
}

/// One canonical submission under `key`; its answer's JSON, or why it was not `201 Created`.
async fn submit(conn: &mut Client, token: &str, key: &str, body: &[u8]) -> Result<Value, CliError> {
    expect(
        conn.send(
            "POST",
            "/v1/applications",
            Some(token),
            &[("Idempotency-Key", key)],
            Some(body),
        )
        .await,
        201,
        "POST /v1/applications",
    )
}

/// One lifecycle action; its answer's JSON and the event's log position, or why it was not
/// `200 OK`.
async fn act(
    conn: &mut Client,
    token: &str,
    id: &str,
    action: &str,
    body: &Value,
) -> Result<(Value, Option<u64>), CliError> {
    let path = format!("/v1/applications/{id}/{action}");
    let bytes = serde_json::to_vec(body)?;
    let answer = answered(
        conn.send("POST", &path, Some(token), &[], Some(&bytes))
            .await,
        200,
        &format!("POST {path}"),
    )?;
    Ok((json_of(&answer), answer.position))
}

/// The answer's JSON body when its status is `status`; otherwise an error naming the request
/// and the start of what came back.
fn expect(
    answer: Result<crate::cli::load::client::Answer, crate::cli::load::client::ClientError>,
    status: u16,
    what: &str,
) -> Result<Value, CliError> {
    answered(answer, status, what).map(|a| json_of(&a))
}

/// The answer when its status is `status` ([`expect`], keeping the headers read).
fn answered(
    answer: Result<crate::cli::load::client::Answer, crate::cli::load::client::ClientError>,
    status: u16,
    what: &str,
) -> Result<crate::cli::load::client::Answer, CliError> {
    let answer = answer.map_err(|e| CliError(format!("{what}: {e}")))?;
    if answer.status != status {
        return Err(CliError(format!(
            "{what}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
        )));
    }
    Ok(answer)
}

fn json_of(answer: &crate::cli::load::client::Answer) -> Value {
    serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
}
