//! What one worker does: whole application journeys, one after another, until the deadline.
//!
//! Each journey picks a mode (proxy, online, joint in turn), an origin among the regions, a matter
//! allowing the mode and handlers among the other regions, and submits the matter's published
//! example adjusted to them (as the end-to-end tests do) with a fresh `Idempotency-Key`; one in ten
//! is sent twice (the retry must answer 200 with the same id). It then walks the mode's lifecycle
//! with the right region for each action, reads the application and the handler's inbox, and in
//! three journeys out of ten goes through a supplement round (补正). One in twenty is large: 90
//! materials and a 16 KiB supplement note, the long tail of real submissions.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::Client;
use super::stats::Recorder;

/// One matter: its code, modes and published example.
#[derive(Debug, Clone)]
pub struct Matter {
    pub code: String,
    pub modes: Vec<String>,
    pub example: Value,
}

/// What every worker shares (read-only).
#[derive(Debug)]
pub struct Plan {
    pub matters: Vec<Matter>,
    /// Region code → token (the operator's excluded).
    pub regions: Vec<(String, String)>,
    pub deadline: Instant,
    /// Distinguishes this run's Idempotency-Keys from earlier runs' on the same gateway.
    pub run: String,
}

/// xorshift64*: the load only needs varied choices, not secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

pub struct Worker<'a> {
    plan: &'a Plan,
    client: Client,
    rng: Rng,
    id: usize,
    pub rec: Recorder,
}

/// One request of a journey: the operation it is reported under, and what it expects.
struct Req<'r> {
    op: &'static str,
    method: &'r str,
    path: &'r str,
    /// Index into the plan's regions: whose token.
    region: usize,
    extra: &'r [(&'r str, &'r str)],
    body: Option<&'r Value>,
    expect: &'r [u16],
}

/// The deadline passed, or an answer was unexpected: stop this journey.
struct Stop;

const MODES: [&str; 3] = ["proxy", "online", "joint"];

impl<'a> Worker<'a> {
    pub fn new(plan: &'a Plan, addr: &str, id: usize, seed: u64) -> Worker<'a> {
        Worker {
            plan,
            client: Client::new(addr),
            rng: Rng((seed ^ (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1),
            id,
            rec: Recorder::default(),
        }
    }

    pub async fn run(mut self) -> Recorder {
        let mut n = 0usize;
        while Instant::now() < self.plan.deadline {
            let mode = MODES[(self.id + n) % MODES.len()];
            if self.journey(mode, n).await.is_ok() {
                self.rec.journeys += 1;
            }
            n += 1;
        }
        self.rec
    }

    /// One request, timed and recorded; the JSON answer when its status is one of `expect`.
    async fn call(&mut self, r: Req<'_>) -> Result<Value, Stop> {
        let Req {
            op,
            method,
            path,
            region,
            extra,
            body,
            expect,
        } = r;
        if Instant::now() >= self.plan.deadline {
            return Err(Stop);
        }
        let token = self.plan.regions.get(region).map(|(_, t)| t.as_str());
        let bytes = body.map(|b| b.to_string().into_bytes());
        let started = Instant::now();
        let answer = self
            .client
            .send(method, path, token, extra, bytes.as_deref())
            .await;
        let took = started.elapsed();
        match answer {
            Ok(a) => {
                let ok = expect.contains(&a.status);
                self.rec.record(op, a.status, took, ok);
                if !ok {
                    if self.rec.samples.len() < 10 {
                        let text = String::from_utf8_lossy(&a.body);
                        let cut: String = text.chars().take(300).collect();
                        self.rec
                            .samples
                            .push(format!("{op} {method} {path}: {} {cut}", a.status));
                    }
                    return Err(Stop);
                }
                Ok(serde_json::from_slice(&a.body).unwrap_or(Value::Null))
            }
            Err(e) => {
                self.rec.record(op, 0, took, false);
                if self.rec.samples.len() < 10 {
                    self.rec.samples.push(format!("{op} {method} {path}: {e}"));
                }
                // Do not hammer a gateway that stopped answering.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(Stop)
            }
        }
    }

    async fn act(
        &mut self,
        action: &'static str,
        id: &str,
        region: usize,
        body: Value,
    ) -> Result<Value, Stop> {
        let path = format!("/v1/applications/{id}/{action}");
        self.call(Req {
            op: action,
            method: "POST",
            path: &path,
            region,
            extra: &[],
            body: Some(&body),
            expect: &[200],
        })
        .await
    }

    async fn journey(&mut self, mode: &'static str, n: usize) -> Result<(), Stop> {
        let regions = self.plan.regions.len();
        // Each party in a province of its own where the federation has them: the forms' places
        // follow the route, and a handler in the origin's province is refused (a transfer or
        // filing within one province), so no party but the origin is ever in its province.
        let province = |i: usize| self.plan.regions[i].0.get(..2).unwrap_or("").to_string();
        // How many other provinces than the origin's the federation has regions in.
        let outside = |o: usize| {
            let mut others: Vec<String> = (0..regions)
                .map(province)
                .filter(|p| *p != province(o))
                .collect();
            others.sort();
            others.dedup();
            others.len()
        };
        // A joint matter's two handlers are in two provinces too (its places move between
        // them): with regions in two provinces only, the journey is one handler's instead.
        let mode = match mode {
            "joint" if (0..regions).all(|o| outside(o) < 2) => "proxy",
            mode => mode,
        };
        // An origin with a province outside its own for each handler, where the federation has
        // one.
        let needed = if mode == "joint" { 2 } else { 1 };
        let fitting: Vec<usize> = (0..regions).filter(|&o| outside(o) >= needed).collect();
        let origin = match fitting.len() {
            0 => self.rng.below(regions),
            n => fitting[self.rng.below(n)],
        };
        let apart = |i: usize, from: &[usize]| from.iter().all(|&f| province(i) != province(f));
        let start = origin + 1 + self.rng.below(regions - 1);
        let lead = (start..start + regions)
            .map(|r| r % regions)
            .find(|&r| apart(r, &[origin]))
            .unwrap_or(start % regions);
        let after_lead = || (lead + 1..lead + regions).map(|r| r % regions);
        let second = after_lead()
            .find(|&r| apart(r, &[origin, lead]))
            .or_else(|| after_lead().find(|&r| r != lead && apart(r, &[origin])))
            .unwrap_or(lead);
        let large = self.rng.percent(5);
        let body = self.submission(mode, origin, lead, second, large)?;
        let key = format!("load-{}-{}-{n}", self.plan.run, self.id);
        let headers = [("Idempotency-Key", key.as_str())];
        let created = self
            .call(Req {
                op: "submit",
                method: "POST",
                path: "/v1/applications",
                region: origin,
                extra: &headers,
                body: Some(&body),
                expect: &[201],
            })
            .await?;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        if self.rng.percent(10) {
            let again = self
                .call(Req {
                    op: "resubmit",
                    method: "POST",
                    path: "/v1/applications",
                    region: origin,
                    extra: &headers,
                    body: Some(&body),
                    expect: &[200],
                })
                .await?;
            if again["id"].as_str() != Some(id.as_str()) {
                self.rec.samples.push("resubmit named another id".into());
                return Err(Stop);
            }
        }
        let forward = if mode == "proxy" {
            json!({"materials_checked": true})
        } else {
            json!({})
        };
        self.act("forward", &id, origin, forward).await?;
        let lead_code = self.plan.regions[lead].0.clone();
        self.call(Req {
            op: "inbox",
            method: "GET",
            path: &format!("/v1/regions/{lead_code}/inbox"),
            region: lead,
            extra: &[],
            body: None,
            expect: &[200],
        })
        .await?;
        if self.rng.percent(30) {
            self.act(
                "request-supplement",
                &id,
                lead,
                json!({"items": ["近期免冠照片", "户口簿首页"]}),
            )
            .await?;
            let note = if large {
                "补交材料说明。".repeat(16 * 1024 / 21)
            } else {
                "照片已补交".to_string()
            };
            self.act("supplement", &id, origin, json!({"note": note}))
                .await?;
        }
        self.act("accept", &id, lead, json!({})).await?;
        self.call(Req {
            op: "get",
            method: "GET",
            path: &format!("/v1/applications/{id}"),
            region: origin,
            extra: &[],
            body: None,
            expect: &[200],
        })
        .await?;
        if mode == "joint" {
            self.act("complete-part", &id, second, json!({"part": "迁出"}))
                .await?;
            self.act("complete-part", &id, lead, json!({"part": "迁入"}))
                .await?;
        }
        self.act("approve", &id, lead, json!({})).await?;
        self.act(
            "issue-result",
            &id,
            lead,
            json!({"licence": {"kind": "电子证照", "number": format!("ZZ-{id}")}}),
        )
        .await?;
        let (who, delivery) = match mode {
            "proxy" => (origin, json!({"channel": "window"})),
            "online" => (lead, json!({"channel": "online"})),
            _ => (lead, json!({"channel": "post", "tracking": "SF100200300"})),
        };
        self.act("deliver", &id, who, delivery).await?;
        Ok(())
    }

    /// The example of a matter allowing `mode`, re-routed to `origin` and its handlers.
    fn submission(
        &mut self,
        mode: &str,
        origin: usize,
        lead: usize,
        second: usize,
        large: bool,
    ) -> Result<Value, Stop> {
        let fitting: Vec<&Matter> = self
            .plan
            .matters
            .iter()
            .filter(|m| m.modes.iter().any(|x| x == mode))
            .collect();
        let Some(m) = fitting.get(self.rng.below(fitting.len())) else {
            return Err(Stop);
        };
        let code = |i: usize| self.plan.regions[i].0.clone();
        let mut body = m.example.clone();
        body["mode"] = json!(mode);
        body["origin"] = json!(code(origin));
        body["handlers"] = if mode == "joint" {
            json!([code(lead), code(second)])
        } else {
            json!([code(lead)])
        };
        // The form's places follow the route, or no handler would govern them.
        if let Some(known) = tongban_schemas::matters::get(&m.code) {
            tongban_schemas::matters::jurisdiction::relocate(&known.jurisdiction, &mut body);
        }
        if large {
            let materials: Vec<Value> = (0..90)
                .map(|i| {
                    json!({
                        "name": format!("补充材料第{i}页"),
                        "kind": "other",
                        "sha256": format!("{:064x}", 0xa11_0000_u64 + i),
                        "size": 2_048_000 + i * 4096,
                    })
                })
                .collect();
            if let Some(list) = body["materials"].as_array_mut() {
                list.extend(materials);
            }
        }
        Ok(body)
    }
}

/// Matters from `GET /v1/matters`.
pub fn matters(doc: &Value) -> Vec<Matter> {
    doc["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| Matter {
            code: m["code"].as_str().unwrap_or_default().to_string(),
            modes: m["modes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            example: m["example"].clone(),
        })
        .collect()
}

/// Region tokens from a `demo-tokens.json` (code → token), without the operator's.
pub fn regions(tokens: &BTreeMap<String, String>) -> Vec<(String, String)> {
    tokens
        .iter()
        .filter(|(code, _)| code.as_str() != "operator")
        .map(|(c, t)| (c.clone(), t.clone()))
        .collect()
}
