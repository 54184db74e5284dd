//! The embedded log's index (`apps`: app id, 0x00, seq → position; `heads`: app id → last seq)
//! as verification reads it ([`AppIndex`]).

use super::{EmbeddedLog, be_u64, indexed, storage};
use crate::envelope::Envelope;
use crate::log::LogError;
use crate::log::index::{AppIndex, Head, Holds, Stray};

/// The keys of `app`'s entries (every entry when `None`): a prefix of the index.
fn prefix(app: Option<&str>) -> Vec<u8> {
    app.map(|a| {
        let mut p = a.as_bytes().to_vec();
        p.push(0);
        p
    })
    .unwrap_or_default()
}

/// An entry's (app, seq) from its key: the app id, a zero byte, the seq's eight bytes.
fn entry_key(key: &[u8]) -> Option<(String, u64)> {
    let (app, seq) = split_key(key)?;
    Some((String::from_utf8_lossy(app).into_owned(), seq))
}

/// An entry's key split into the app id's bytes and the seq.
fn split_key(key: &[u8]) -> Option<(&[u8], u64)> {
    let split = key.len().checked_sub(9)?;
    let (app, rest) = key.split_at(split);
    if rest.first() != Some(&0) {
        return None;
    }
    Some((app, be_u64(rest.get(1..)?)?))
}

impl EmbeddedLog {
    /// The index entry (app, seq) that names `position`, when one does and its application's
    /// head has reached its seq: proof that the log's writer wrote that position, since it puts
    /// every event, its entry and its head in one atomic batch (`None`: nothing of the writer's
    /// was ever there). For a position whose bytes no longer name their application.
    ///
    /// The index is keyed by application, not position, so this reads all of it (stopping at
    /// the entry it finds): about 60 bytes an entry, in key order, measured at 0.45 s for 1M
    /// entries of 200k applications (a debug build, the files in the page cache). Only a
    /// gateway's start pays it, and only when the log's last record does not read.
    pub(super) fn entry_naming(&self, position: u64) -> Result<Option<(String, u64)>, LogError> {
        let wanted = position.to_be_bytes();
        for guard in self.stores.apps.iter() {
            let (key, value) = guard.into_inner().map_err(storage)?;
            if value.as_ref() != wanted {
                continue;
            }
            let Some((app, seq)) = split_key(&key) else {
                continue;
            };
            let head = self.stores.heads.get(app).map_err(storage)?;
            if head
                .as_deref()
                .and_then(be_u64)
                .is_some_and(|head| head >= seq)
            {
                return Ok(Some((String::from_utf8_lossy(app).into_owned(), seq)));
            }
        }
        Ok(None)
    }
}

impl AppIndex for EmbeddedLog {
    fn position(&self, app: &str, seq: u64) -> Result<Option<u64>, LogError> {
        indexed(&self.stores, app, seq)
    }

    fn entries(&self, app: Option<&str>) -> Result<u64, LogError> {
        let mut n = 0;
        for guard in self.stores.apps.prefix(prefix(app)) {
            guard.key().map_err(storage)?;
            n += 1;
        }
        Ok(n)
    }

    fn strays(&self, app: Option<&str>) -> Result<Vec<Stray>, LogError> {
        let mut out = Vec::new();
        for guard in self.stores.apps.prefix(prefix(app)) {
            let (key, value) = guard.into_inner().map_err(storage)?;
            let Some((app, seq)) = entry_key(&key) else {
                out.push(Stray {
                    app: String::from_utf8_lossy(&key).into_owned(),
                    seq: 0,
                    position: 0,
                    holds: Holds::NotAnEvent("an index key that is not an application's".into()),
                });
                continue;
            };
            let Some(position) = be_u64(&value) else {
                out.push(Stray {
                    app,
                    seq,
                    position: 0,
                    holds: Holds::NotAnEvent(format!(
                        "the entry is {} bytes, not a position",
                        value.len()
                    )),
                });
                continue;
            };
            if position == 0 {
                // Outside the log (positions start at 1), whatever is stored there: the scan of
                // the log never reads it, so the entry is reported here.
                out.push(Stray {
                    app,
                    seq,
                    position,
                    holds: Holds::NotAnEvent(
                        "position 0, outside the log (its positions start at 1)".into(),
                    ),
                });
                continue;
            }
            let holds = match self
                .stores
                .events
                .get(position.to_be_bytes())
                .map_err(storage)?
            {
                None => Holds::Nothing,
                Some(bytes) => match Envelope::from_stored(&bytes) {
                    Err(why) => Holds::NotAnEvent(why),
                    Ok(e) if e.app == app && e.seq == seq => continue,
                    Ok(e) => Holds::Event {
                        app: e.app,
                        seq: e.seq,
                    },
                },
            };
            out.push(Stray {
                app,
                seq,
                position,
                holds,
            });
        }
        Ok(out)
    }

    fn for_each_head(
        &self,
        app: Option<&str>,
        each: &mut dyn FnMut(&str, Head),
    ) -> Result<(), LogError> {
        let head = |v: &[u8]| be_u64(v).map_or(Head::Malformed(v.len()), Head::Seq);
        if let Some(app) = app {
            if let Some(v) = self.stores.heads.get(app.as_bytes()).map_err(storage)? {
                each(app, head(&v));
            }
            return Ok(());
        }
        for guard in self.stores.heads.iter() {
            let (key, value) = guard.into_inner().map_err(storage)?;
            each(&String::from_utf8_lossy(&key), head(&value));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::app_key;
    use super::*;

    #[test]
    fn entry_keys_read_back() {
        let key = app_key("0190f0c4-0000-7000-8000-00000000000a", 7);
        assert_eq!(
            entry_key(&key),
            Some(("0190f0c4-0000-7000-8000-00000000000a".to_string(), 7))
        );
        assert_eq!(entry_key(b"short"), None);
    }
}
