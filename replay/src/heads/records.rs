//! Pages of the log's records as `GET /v1/log/records` answers them, read from files: what the
//! running hash takes at each position, and which ranges of positions the pages cover, so that
//! a signed head can be carried forward to a later one ([`super::compare`]).

use std::collections::BTreeMap;

use serde::Deserialize;

/// One answer of `GET /v1/log/records`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    after: u64,
    to: u64,
    records: Vec<Record>,
    next: Next,
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

/// Two pages that give different hashes at one position: the gateway served two histories.
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
            "log position {}: the records given hold different hashes there ({} in {}, {} in \
             {}): the gateway served two histories, if the pages are as it answered them (fetch \
             them again to check)",
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
}

impl Records {
    /// Reads the pages of `text` (answers one after another, one per line or not, or a JSON
    /// array of them), `file` naming where in the findings. Errors name the answer and what in
    /// it is wrong.
    pub fn read(&mut self, text: &str, file: &str) -> Result<(), String> {
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
            self.take(page, &format!("{file} answer {read}"))
                .map_err(|why| format!("answer {read}: {why}"))?;
        }
        if read == 0 {
            return Err("holds no pages of GET /v1/log/records".into());
        }
        Ok(())
    }

    fn take(&mut self, page: Page, from: &str) -> Result<(), String> {
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
mod tests {
    use super::*;

    fn hex(c: char) -> String {
        c.to_string().repeat(64)
    }

    /// Given pages that cover two ranges that touch and one apart, then the covered ranges merge,
    /// and a gap stays uncovered; the records between two positions are listed in order.
    #[test]
    fn pages_cover_ranges_and_list_their_records() {
        let mut r = Records::default();
        let page = |after: u64, to: u64, next: Option<u64>, recs: &[(u64, char)]| {
            serde_json::json!({"after": after, "to": to, "next": next,
                "records": recs.iter().map(|(p, c)| serde_json::json!({"position": p, "hash": hex(*c)})).collect::<Vec<_>>()})
            .to_string()
        };
        let text = format!(
            "\u{feff}{}\n{}{}",
            page(0, 10, Some(4), &[(1, 'a'), (3, 'b')]),
            page(4, 10, None, &[(5, 'c'), (10, 'd')]),
            page(20, 30, None, &[(25, 'e')])
        );
        r.read(&text, "records.json").expect("pages");
        assert!(r.covers(0, 10) && r.covers(2, 9) && r.covers(20, 30));
        assert!(!r.covers(0, 11) && !r.covers(10, 21) && !r.covers(19, 25));
        assert_eq!(
            r.between(2, 10).map(|(p, _)| p).collect::<Vec<_>>(),
            [3, 5, 10]
        );
        assert!(r.disagree.is_empty());
        // Another page with another hash at 5: two histories, naming both pages.
        r.read(&page(4, 6, None, &[(5, 'f')]), "other.json")
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

    /// Given answers that are not pages, or pages that contradict themselves, then each is
    /// refused naming the answer and what is wrong.
    #[test]
    fn a_page_that_does_not_read_is_refused_naming_it() {
        let bad = [
            ("{\"after\": 0}", "answer 1: not a page"),
            (
                "{\"after\": 5, \"to\": 9, \"next\": 3, \"records\": []}",
                "next 3 is not after",
            ),
            (
                "{\"after\": 0, \"to\": 9, \"next\": null, \"records\": [{\"position\": 2, \"hash\": \"ab\"}]}",
                "not 64 lowercase hex",
            ),
            (
                "[{\"after\": 0, \"to\": 9, \"next\": null, \"records\": []}, {\"after\": 0, \"to\": 9, \"next\": null, \"records\": [{\"position\": 12, \"hash\": \"\"}]}]",
                "answer 2: record at position 12 is not in ascending order",
            ),
            ("", "holds no pages"),
            // A page without `next` is not taken for the last one.
            (
                "{\"after\": 0, \"to\": 9, \"records\": []}",
                "missing field `next`",
            ),
            // A member given twice is refused, not the last one taken.
            (
                "{\"after\": 0, \"to\": 9, \"next\": null, \"records\": [], \"records\": []}",
                "duplicate field `records`",
            ),
        ];
        for (text, why) in bad {
            let e = Records::default()
                .read(text, "r.json")
                .expect_err("refused");
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
