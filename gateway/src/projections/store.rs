//! The projection store (fjall): application views, each region's inbox and outbox, and the
//! checkpoint, all written in one atomic batch per group of events. A crash loses at most work
//! that is redone from the checkpoint; it never leaves a view ahead of or behind its checkpoint.
//!
//! Keyspaces:
//! - `apps`:   app id → [`ApplicationView`] JSON
//! - `inbox`:  region, 0x00, app id → [`BoxEntry`] JSON (the application waits for this region)
//! - `outbox`: region, 0x00, app id → [`BoxEntry`] JSON (open applications this region sent)
//! - `meta`:   `checkpoint` → last applied log position (u64 BE)

use std::collections::HashMap;
use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use serde::{Deserialize, Serialize};

use super::view::{ApplicationView, FoldError};
use crate::domain::calendar::Calendar;
use crate::log::Positioned;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("projection store: {0}")]
    Storage(String),
    #[error("projection store holds an unreadable view for {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error(transparent)]
    Fold(#[from] FoldError),
}

fn storage(e: fjall::Error) -> ProjectionError {
    ProjectionError::Storage(e.to_string())
}

/// One line of a region's inbox or outbox. No personal data: ids, codes and states only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BoxEntry {
    pub app: String,
    pub matter: String,
    pub mode: String,
    pub status: String,
    /// What the application waits for from this region (inbox), or from whom (outbox).
    pub awaiting: Vec<String>,
    pub updated_at: String,
    /// The earliest running deadline's due date, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

#[derive(Clone)]
pub struct ProjectionStore {
    db: Database,
    apps: Keyspace,
    inbox: Keyspace,
    outbox: Keyspace,
    meta: Keyspace,
}

fn box_key(region: &str, app: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(region.len() + 1 + app.len());
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k.extend_from_slice(app.as_bytes());
    k
}

impl ProjectionStore {
    pub fn open(dir: &Path) -> Result<ProjectionStore, ProjectionError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ProjectionError::Storage(format!("{}: {e}", dir.display())))?;
        let db = Database::builder(dir).open().map_err(storage)?;
        let ks = |name: &str| {
            db.keyspace(name, KeyspaceCreateOptions::default)
                .map_err(storage)
        };
        Ok(ProjectionStore {
            apps: ks("apps")?,
            inbox: ks("inbox")?,
            outbox: ks("outbox")?,
            meta: ks("meta")?,
            db,
        })
    }

    pub fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self
            .meta
            .get("checkpoint")
            .map_err(storage)?
            .and_then(|v| <[u8; 8]>::try_from(&v[..]).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    pub fn get(&self, app: &str) -> Result<Option<ApplicationView>, ProjectionError> {
        match self.apps.get(app.as_bytes()).map_err(storage)? {
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| ProjectionError::Corrupt {
                        key: app.to_string(),
                        reason: e.to_string(),
                    })
            }
            None => Ok(None),
        }
    }

    fn list(ks: &Keyspace, region: &str, limit: usize) -> Result<Vec<BoxEntry>, ProjectionError> {
        let mut prefix = region.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for guard in ks.prefix(&prefix).take(limit) {
            let value = guard.value().map_err(storage)?;
            out.push(
                serde_json::from_slice(&value).map_err(|e| ProjectionError::Corrupt {
                    key: region.to_string(),
                    reason: e.to_string(),
                })?,
            );
        }
        Ok(out)
    }

    pub fn inbox(&self, region: &str, limit: usize) -> Result<Vec<BoxEntry>, ProjectionError> {
        Self::list(&self.inbox, region, limit)
    }

    pub fn outbox(&self, region: &str, limit: usize) -> Result<Vec<BoxEntry>, ProjectionError> {
        Self::list(&self.outbox, region, limit)
    }

    /// Applies a run of events (in position order) and moves the checkpoint, atomically.
    pub fn apply(&self, events: &[Positioned], cal: &Calendar) -> Result<u64, ProjectionError> {
        let Some(last) = events.last().map(|p| p.position) else {
            return self.checkpoint();
        };
        let mut views: HashMap<String, Option<ApplicationView>> = HashMap::new();
        // The regions each application awaited before this run, whose inbox lines may go.
        let mut awaited_before: HashMap<String, Vec<String>> = HashMap::new();
        for p in events {
            let app = &p.event.app;
            if !views.contains_key(app) {
                // A first event means a new application: nothing stored to look up.
                let current = if p.event.seq == 1 {
                    None
                } else {
                    self.get(app)?
                };
                if let Some(v) = &current {
                    awaited_before.insert(
                        app.clone(),
                        v.state.awaiting().into_iter().map(|(r, _)| r).collect(),
                    );
                }
                views.insert(app.clone(), current);
            }
            let previous = views.get_mut(app).and_then(Option::take);
            // Skip what the view already holds (a replay after a crash between batches).
            if previous
                .as_ref()
                .is_some_and(|v| v.state.seq >= p.event.seq)
            {
                views.insert(app.clone(), previous);
                continue;
            }
            let next = ApplicationView::fold(previous, &p.event, cal)?;
            views.insert(app.clone(), Some(next));
        }
        let mut batch = self.db.batch();
        for (app, view) in &views {
            let Some(view) = view else { continue };
            for region in awaited_before.get(app).into_iter().flatten() {
                batch.remove(&self.inbox, box_key(region, app));
            }
            let bytes =
                serde_json::to_vec(view).map_err(|e| ProjectionError::Storage(e.to_string()))?;
            batch.insert(&self.apps, app.as_bytes(), bytes);
            let due = view
                .deadlines
                .0
                .iter()
                .filter(|d| d.state == crate::domain::deadlines::DeadlineState::Running)
                .map(|d| d.due.clone())
                .min();
            let awaiting = view.state.awaiting();
            let entry = |actions: Vec<String>| BoxEntry {
                app: app.clone(),
                matter: view.state.matter.clone(),
                mode: view.state.mode.as_str().to_string(),
                status: view.state.status.as_str().to_string(),
                awaiting: actions,
                updated_at: view.updated_at.clone(),
                due: due.clone(),
            };
            let mut per_region: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
            for (region, action) in &awaiting {
                per_region
                    .entry(region.as_str())
                    .or_default()
                    .push(action.as_str().to_string());
            }
            for (region, actions) in per_region {
                let bytes = serde_json::to_vec(&entry(actions))
                    .map_err(|e| ProjectionError::Storage(e.to_string()))?;
                batch.insert(&self.inbox, box_key(region, app), bytes);
            }
            let origin_key = box_key(&view.state.origin, app);
            if view.state.status.is_final() {
                batch.remove(&self.outbox, origin_key);
            } else {
                let waiting_on: Vec<String> =
                    awaiting.iter().map(|(r, a)| format!("{r}:{a}")).collect();
                let bytes = serde_json::to_vec(&entry(waiting_on))
                    .map_err(|e| ProjectionError::Storage(e.to_string()))?;
                batch.insert(&self.outbox, origin_key, bytes);
            }
        }
        batch.insert(&self.meta, "checkpoint", last.to_be_bytes());
        batch.commit().map_err(storage)?;
        Ok(last)
    }

    /// Flushes to disk; called on shutdown so a restart has less to catch up.
    pub fn persist(&self) -> Result<(), ProjectionError> {
        self.db.persist(PersistMode::SyncAll).map_err(storage)
    }

    /// Every view, for comparing a rebuild with the live projection.
    pub fn all_views(&self) -> Result<Vec<(String, ApplicationView)>, ProjectionError> {
        let mut out = Vec::new();
        for guard in self.apps.iter() {
            let (k, v) = guard.into_inner().map_err(storage)?;
            let key = String::from_utf8_lossy(&k).into_owned();
            let view = serde_json::from_slice(&v).map_err(|e| ProjectionError::Corrupt {
                key: key.clone(),
                reason: e.to_string(),
            })?;
            out.push((key, view));
        }
        Ok(out)
    }
}
