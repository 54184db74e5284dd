//! Pages of the log's records as `GET /v1/log/records` answers them, read from files: what the
//! running hash takes at each position, and which ranges of positions the pages cover, so that
//! a signed head can be carried forward to a later one ([`super::compare`]). Each page is signed
//! by the gateway ([`tongban_gateway::service::log_records::statement`]); one whose signature
//! does not verify under the checking key is not used.

use std::collections::BTreeMap;

use serde::Deserialize;
use tongban_gateway::envelope::PublicKey;
use tongban_gateway::service::log_records::statement;

/// One answer of `GET /v1/log/records`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    after: u64,
    to: u64,
    records: Vec<Record>,
    next: Next,
    at: String,
    kid: String,
    sig: String,
}

/// `next`, which a page always has (null on the last): a newtype, so that serde does not take a
/// page without it as the last one.
#[derive(Debug, Clone, Deserialize)]
struct Next(Option<u64>);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    position: u64,
    hash: String,
}

/// A page whose signature does not verify under the checking key: not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    pub from: String,
    pub after: u64,
    pub end: u64,
    pub at: String,
    /// The key the page names, where it is not the checking key's.
    pub names_key: Option<String>,
}

impl std::fmt::Display for Unsigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = match self.end > self.after {
            true => format!("positions {}-{}", self.after + 1, self.end),
            false => format!("positions after {}", self.after),
        };
        write!(
            f,
            "records page {} ({range}, signed at {}): its signature does not verify under the \
             given key{}: not signed by the gateway (changed since it was saved, or signed with \
             another key); not used",
            self.from,
            self.at,
            match &self.names_key {
                Some(kid) => format!(" (the page names key {kid})"),
                None => String::new(),
            }
        )
    }
}

/// Two signed pages that give different hashes at one position: the gateway signed two
/// histories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagree {
    pub position: u64,
    pub first: (String, String),
    pub other: (String, String),
}

impl std::fmt::Display for Disagree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "log position {}: the records pages given, each signed by the gateway, hold \
             different hashes there ({} in {}, {} in {}): the gateway signed two histories; keep \
             the pages, they are the proof",
            self.position, self.first.0, self.first.1, self.other.0, self.other.1
        )
    }
}

/// Every record the pages read so far give, and the ranges they cover.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Position → (hash, where it was read).
    at: BTreeMap<u64, (String, String)>,
    /// Covered ranges: start (exclusive) → end (inclusive), merged.
    covered: BTreeMap<u64, u64>,
    pub disagree: Vec<Disagree>,
    /// Pages not used: their signature does not verify.
    pub unsigned: Vec<Unsigned>,
}

impl Records {
    /// Reads the pages of `text` (answers one after another, one per line or not, or a JSON
    /// array of them), `file` naming where in the findings; those not signed under `key` are
    /// set aside ([`Records::unsigned`]). Errors name the answer and what in it is wrong.
    pub fn read(&mut self, text: &str, file: &str, key: &PublicKey) -> Result<(), String> {
        let text = text.trim_start_matches('\u{feff}');
        // Read as pages straight from the text, never through a JSON value: a member given
        // twice is refused, not the last one taken.
        let refused = |read: usize, e: serde_json::Error| {
            format!("answer {read}: not a page as GET /v1/log/records answers it ({e})")
        };
        let pages: Vec<Page> = if text.trim_start().starts_with('[') {
            serde_json::from_str(text).map_err(|e| refused(1, e))?
        } else {
            let mut pages = Vec::new();
            for page in serde_json::Deserializer::from_str(text).into_iter::<Page>() {
                pages.push(page.map_err(|e| refused(pages.len() + 1, e))?);
            }
            pages
        };
        let mut read = 0;
        for page in pages {
            read += 1;
            self.take(page, &format!("{file} answer {read}"), key)
                .map_err(|why| format!("answer {read}: {why}"))?;
        }
        if read == 0 {
            return Err("holds no pages of GET /v1/log/records".into());
        }
        Ok(())
    }

    fn take(&mut self, page: Page, from: &str, key: &PublicKey) -> Result<(), String> {
        let end = match page.next.0 {
            Some(next) if next <= page.after || next > page.to => {
                return Err(format!(
                    "next {next} is not after `after` ({}) and at most `to` ({})",
                    page.after, page.to
                ));
            }
            Some(next) => next,
            None if page.to < page.after => {
                return Err(format!("to {} is before after {}", page.to, page.after));
            }
            None => page.to,
        };
        let mut last = page.after;
        for r in &page.records {
            if r.position <= last || r.position > end {
                return Err(format!(
                    "record at position {} is not in ascending order within positions {}-{}",
                    r.position,
                    page.after.saturating_add(1),
                    end
                ));
            }
            if r.hash.len() != 64
                || !r
                    .hash
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(format!(
                    "record at position {}: hash is not 64 lowercase hex digits",
                    r.position
                ));
            }
            last = r.position;
        }
        let signed = statement(
            page.after,
            end,
            page.records.iter().map(|r| (r.position, r.hash.as_str())),
            &page.at,
        );
        if page.sig.bytes().any(|b| b.is_ascii_uppercase())
            || !key.verify_bytes(signed.as_bytes(), &page.sig)
        {
            self.unsigned.push(Unsigned {
                from: from.to_string(),
                after: page.after,
                end,
                at: page.at,
                names_key: (page.kid != key.kid()).then_some(page.kid),
            });
            return Ok(());
        }
        for r in page.records {
            match self.at.get(&r.position) {
                // One finding per position: which hashes disagree there, not every pair.
                Some((hash, first))
                    if *hash != r.hash
                        && !self.disagree.iter().any(|d| d.position == r.position) =>
                {
                    self.disagree.push(Disagree {
                        position: r.position,
                        first: (hash.clone(), first.clone()),
                        other: (r.hash, from.to_string()),
                    });
                }
                Some(_) => {}
                None => {
                    self.at.insert(r.position, (r.hash, from.to_string()));
                }
            }
        }
        self.cover(page.after, end);
        Ok(())
    }

    fn cover(&mut self, after: u64, end: u64) {
        if end <= after {
            return;
        }
        let (mut start, mut stop) = (after, end);
        // Merge with every range that touches or overlaps (after, end].
        let touching: Vec<(u64, u64)> = self
            .covered
            .range(..=end)
            .filter(|(_, e)| **e >= after)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.covered.remove(&s);
            start = start.min(s);
            stop = stop.max(e);
        }
        self.covered.insert(start, stop);
    }

    /// Whether every position after `after` up to `end` is covered by some page.
    pub fn covers(&self, after: u64, end: u64) -> bool {
        self.covered
            .range(..=after)
            .next_back()
            .is_some_and(|(_, e)| *e >= end)
    }

    /// The records after `after` up to `end`, in position order.
    pub fn between(&self, after: u64, end: u64) -> impl Iterator<Item = (u64, &str)> {
        self.at
            .range(after.saturating_add(1)..=end)
            .map(|(p, (h, _))| (*p, h.as_str()))
    }

    /// Whether no page was read.
    pub fn is_empty(&self) -> bool {
        self.covered.is_empty()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use tongban_gateway::envelope::GatewayKey;

    /// A page as `GET /v1/log/records` answers it, signed by `key`.
    pub(in crate::heads) fn signed_page(
        after: u64,
        to: u64,
        next: Option<u64>,
        records: &[(u64, String)],
        key: &GatewayKey,
    ) -> serde_json::Value {
        let at = "2026-12-06T07:30:00.000Z";
        let signed = statement(
            after,
            next.unwrap_or(to),
            records.iter().map(|(p, h)| (*p, h.as_str())),
            at,
        );
        serde_json::json!({"after": after, "to": to, "next": next,
            "records": records.iter().map(|(p, h)| serde_json::json!({"position": p, "hash": h})).collect::<Vec<_>>(),
            "at": at, "kid": key.public().kid(), "sig": key.sign_bytes(signed.as_bytes())})
    }

    fn hex(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn page(after: u64, to: u64, next: Option<u64>, recs: &[(u64, char)]) -> serde_json::Value {
        let recs: Vec<(u64, String)> = recs.iter().map(|(p, c)| (*p, hex(*c))).collect();
        signed_page(after, to, next, &recs, &GatewayKey::from_seed([6; 32]))
    }

    fn key() -> PublicKey {
        GatewayKey::from_seed([6; 32]).public()
    }

    /// Given signed pages that cover two ranges that touch and one apart, then the covered
    /// ranges merge, and a gap stays uncovered; the records between two positions are listed in
    /// order; another signed page with another hash at a position is two histories.
    #[test]
    fn pages_cover_ranges_and_list_their_records() {
        let mut r = Records::default();
        let text = format!(
            "\u{feff}{}\n{}{}",
            page(0, 10, Some(4), &[(1, 'a'), (3, 'b')]),
            page(4, 10, None, &[(5, 'c'), (10, 'd')]),
            page(20, 30, None, &[(25, 'e')])
        );
        r.read(&text, "records.json", &key()).expect("pages");
        assert!(r.unsigned.is_empty());
        assert!(r.covers(0, 10) && r.covers(2, 9) && r.covers(20, 30));
        assert!(!r.covers(0, 11) && !r.covers(10, 21) && !r.covers(19, 25));
        assert_eq!(
            r.between(2, 10).map(|(p, _)| p).collect::<Vec<_>>(),
            [3, 5, 10]
        );
        assert!(r.disagree.is_empty());
        r.read(
            &page(4, 6, None, &[(5, 'f')]).to_string(),
            "other.json",
            &key(),
        )
        .expect("page");
        assert_eq!(r.disagree.len(), 1);
        assert!(
            r.disagree[0]
                .to_string()
                .contains("records.json answer 2, ffff"),
            "{}",
            r.disagree[0]
        );
    }

    /// Given a page whose records were changed after it was signed, or one signed by another
    /// key, then it is set aside, named, and covers nothing.
    #[test]
    fn a_page_not_signed_by_the_gateway_is_not_used() {
        let mut changed = page(0, 10, None, &[(1, 'a'), (3, 'b')]);
        changed["records"][1]["hash"] = serde_json::json!(hex('c'));
        let other = signed_page(
            10,
            20,
            None,
            &[(11, hex('d'))],
            &GatewayKey::from_seed([7; 32]),
        );
        let mut r = Records::default();
        r.read(&format!("{changed}\n{other}"), "r.json", &key())
            .expect("read");
        assert!(!r.covers(0, 10) && !r.covers(10, 20) && r.is_empty());
        assert_eq!(r.unsigned.len(), 2);
        let line = r.unsigned[0].to_string();
        assert!(
            line.starts_with("records page r.json answer 1 (positions 1-10, signed at ")
                && line.contains("not signed by the gateway")
                && !line.contains("names key"),
            "{line}"
        );
        assert!(
            r.unsigned[1].to_string().contains(&format!(
                "(the page names key {})",
                GatewayKey::from_seed([7; 32]).public().kid()
            )),
            "{}",
            r.unsigned[1]
        );
    }

    /// Given answers that are not pages, or pages that contradict themselves, then each is
    /// refused naming the answer and what is wrong.
    #[test]
    fn a_page_that_does_not_read_is_refused_naming_it() {
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut p = page(0, 9, None, &[(2, 'a')]);
            change(&mut p);
            p.to_string()
        };
        let bad = [
            ("{\"after\": 0}".to_string(), "answer 1: not a page"),
            (
                with(&|p| {
                    p["after"] = serde_json::json!(5);
                    p["next"] = serde_json::json!(3);
                }),
                "next 3 is not after",
            ),
            (
                with(&|p| p["records"][0]["hash"] = serde_json::json!("ab")),
                "not 64 lowercase hex",
            ),
            (
                format!(
                    "[{}, {}]",
                    page(0, 9, None, &[]),
                    with(&|p| p["records"][0]["position"] = serde_json::json!(12))
                ),
                "answer 2: record at position 12 is not in ascending order",
            ),
            (String::new(), "holds no pages"),
            // A page without `next` is not taken for the last one.
            (
                with(&|p| {
                    p.as_object_mut().map(|o| o.remove("next"));
                }),
                "missing field `next`",
            ),
            (
                with(&|p| {
                    p.as_object_mut().map(|o| o.remove("sig"));
                }),
                "missing field `sig`",
            ),
            // A member given twice is refused, not the last one taken.
            (
                with(&|_| {}).replacen("\"records\":", "\"records\":[],\"records\":", 1),
                "duplicate field `records`",
            ),
        ];
        for (text, why) in bad {
            let e = Records::default()
                .read(&text, "r.json", &key())
                .expect_err("refused");
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
