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

/// A page whose signature does not verify under the checking key: not used. Its time and kid are
/// the page's word, not the gateway's: shown quoted ([`quoted`]), as the audit script shows them.
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
            quoted(&self.at),
            match &self.names_key {
                Some(kid) => format!(" (the page names key {})", quoted(kid)),
                None => String::new(),
            }
        )
    }
}

/// Signed pages that cover one position and do not agree what it holds: another hash, or one
/// lists a record there and another, covering it, lists none. Shown with every hash quoted as a
/// JSON string and the missing one as `no record listed`: a hash is any string the page gives
/// (a damaged event's among them), so only quoting keeps one, even `"nothing"` or `"no record
/// listed"`, from reading as the other case; the audit script writes it alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagree {
    pub position: u64,
    /// Each value given there (a hash, or `None`: a page covering it lists nothing there) with
    /// the first page that gives it (where it was read, when it was signed), in reading order.
    pub values: Vec<(Option<String>, String, String)>,
}

impl std::fmt::Display for Disagree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<String> = self
            .values
            .iter()
            .map(|(value, from, at)| {
                let value = match value {
                    Some(hash) => quoted(hash),
                    None => "no record listed".into(),
                };
                format!("{value} in {from} signed at {}", quoted(at))
            })
            .collect();
        write!(
            f,
            "log position {}: the records pages given, each signed by the gateway, disagree \
             there ({}): the gateway signed two histories, or its log changed between the \
             signatures (a record damaged or removed since: `tongban verify --heads` on the log \
             names it); keep the pages, they are the proof",
            self.position,
            values.join(", ")
        )
    }
}

/// `text` as a JSON string: quoted, its quotes, backslashes and control characters escaped, as
/// the audit script's `json.dumps(text, ensure_ascii=False)` writes it.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// A signed page as read: its range and what it lists, for [`Records::disagreements`].
#[derive(Debug, Clone)]
struct Seen {
    after: u64,
    end: u64,
    from: String,
    at: String,
    listed: BTreeMap<u64, String>,
}

/// Every record the pages read so far give, and the ranges they cover.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Position → the hash the first signed page listing it gives.
    at: BTreeMap<u64, String>,
    /// Covered ranges: start (exclusive) → end (inclusive), merged.
    covered: BTreeMap<u64, u64>,
    /// The signed pages, in reading order.
    pages: Vec<Seen>,
    /// Pages not used: their signature does not verify.
    pub unsigned: Vec<Unsigned>,
}

impl Records {
    /// Reads the pages of `text` (answers one after another, one per line or not, or a JSON
    /// array of them), each named in the findings as the audit script names it: `{file} line N`,
    /// the line its answer starts on, and `{file} line N: [i]` for the page at index i of an
    /// array there. Those not signed under `key` are set aside ([`Records::unsigned`]). Errors
    /// name the line (and the index) and what is wrong.
    pub fn read(&mut self, text: &str, file: &str, key: &PublicKey) -> Result<(), String> {
        let text = text.trim_start_matches('\u{feff}');
        // serde quotes the value it could not take: an ID number or a phone written where a
        // position belongs is masked.
        let refused = |line: usize, e: serde_json::Error| {
            format!(
                "line {line}: not a page as GET /v1/log/records answers it ({})",
                tongban_schemas::mask::serde_error(&e)
            )
        };
        // Read as pages straight from the text, never through a JSON value: a member given
        // twice is refused, not the last one taken.
        // Each document is a page or an array of pages: found by its syntax first, then read
        // as what it is. Each page with where it is in the file (`line N`, `line N: [i]`).
        let mut pages: Vec<(Page, String)> = Vec::new();
        let mut documents =
            serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
        loop {
            let start = documents.byte_offset();
            let line = super::line_at(text, start);
            match documents.next() {
                None => break,
                Some(Err(e)) => return Err(refused(line, e)),
                Some(Ok(_)) => {}
            }
            let document = text.get(start..documents.byte_offset()).unwrap_or_default();
            if document.trim_start().starts_with('[') {
                let many: Vec<Page> =
                    serde_json::from_str(document).map_err(|e| refused(line, e))?;
                pages.extend(
                    many.into_iter()
                        .enumerate()
                        .map(|(i, page)| (page, format!("line {line}: [{i}]"))),
                );
            } else {
                let page = serde_json::from_str(document).map_err(|e| refused(line, e))?;
                pages.push((page, format!("line {line}")));
            }
        }
        if pages.is_empty() {
            return Err("holds no pages of GET /v1/log/records".into());
        }
        for (page, at) in pages {
            self.take(page, &format!("{file} {at}"), key)
                .map_err(|why| format!("{at}: {why}"))?;
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
            // The hash is taken as the page gives it: a damaged event's stored hash is what the
            // head took too, and the signature covers it whatever it holds.
            last = r.position;
        }
        let signed = statement(
            page.after,
            end,
            page.records.iter().map(|r| (r.position, r.hash.as_str())),
            &page.at,
        );
        // The statement is ASCII, as the gateway writes it (its time included): anything else
        // is not its signature, as the audit script judges it too.
        if !page.at.is_ascii()
            || page.sig.bytes().any(|b| b.is_ascii_uppercase())
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
        let mut listed = BTreeMap::new();
        for r in page.records {
            self.at.entry(r.position).or_insert_with(|| r.hash.clone());
            listed.insert(r.position, r.hash);
        }
        self.pages.push(Seen {
            after: page.after,
            end,
            from: from.to_string(),
            at: page.at,
            listed,
        });
        self.cover(page.after, end);
        Ok(())
    }

    /// Every position some signed page lists where the signed pages covering it do not all
    /// list the same hash (one that lists none there disagrees too), one finding per position.
    pub fn disagreements(&self) -> Vec<Disagree> {
        let mut values: BTreeMap<u64, Vec<(Option<String>, String, String)>> = BTreeMap::new();
        // A page that covers nothing (`after` at its end, as the last page of a log that has
        // not grown) has no position to disagree at.
        for page in self.pages.iter().filter(|p| p.end > p.after) {
            for position in self
                .at
                .range(page.after.saturating_add(1)..=page.end)
                .map(|(p, _)| *p)
            {
                let value = page.listed.get(&position);
                let seen = values.entry(position).or_default();
                if !seen.iter().any(|(v, _, _)| v.as_ref() == value) {
                    seen.push((value.cloned(), page.from.clone(), page.at.clone()));
                }
            }
        }
        values
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(position, values)| Disagree { position, values })
            .collect()
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

    /// The stretches of positions after `after` up to `end` that no page covers, each as
    /// (after, end): what to fetch (`GET /v1/log/records?after=..&to=..`) for [`Records::covers`]
    /// to hold.
    pub fn uncovered(&self, after: u64, end: u64) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut at = after;
        for (start, stop) in self.covered.range(..end) {
            if at >= end {
                break;
            }
            if *stop <= at {
                continue;
            }
            if *start > at {
                gaps.push((at, *start));
            }
            at = *stop;
        }
        if at < end {
            gaps.push((at, end));
        }
        gaps
    }

    /// The records after `after` up to `end`, in position order.
    pub fn between(&self, after: u64, end: u64) -> impl Iterator<Item = (u64, &str)> {
        self.at
            .range(after.saturating_add(1)..=end)
            .map(|(p, h)| (*p, h.as_str()))
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
        assert!(r.disagreements().is_empty());
        r.read(
            &page(4, 6, None, &[(5, 'f')]).to_string(),
            "other.json",
            &key(),
        )
        .expect("page");
        let disagree = r.disagreements();
        assert_eq!(disagree.len(), 1);
        let line = disagree[0].to_string();
        assert!(
            line.starts_with(&format!(
                "log position 5: the records pages given, each signed by the gateway, disagree \
                 there (\"{}\" in records.json line 2 signed at \"2026-12-06T07:30:00.000Z\", \
                 \"{}\" in other.json line 1 signed at",
                hex('c'),
                hex('f')
            )),
            "{line}"
        );
        // The first page's hash is the one carried.
        assert_eq!(
            r.between(4, 5).collect::<Vec<_>>(),
            [(5, hex('c').as_str())]
        );
    }

    /// Given pages covering 0-10 and 20-30, then what is not covered between two positions is
    /// named as the stretches to fetch, and nothing where the pages cover it all.
    #[test]
    fn what_the_pages_leave_uncovered_is_named() {
        let mut r = Records::default();
        assert_eq!(r.uncovered(3, 9), [(3, 9)]);
        let text = format!(
            "{}\n{}",
            page(0, 10, None, &[(1, 'a')]),
            page(20, 30, None, &[(25, 'e')])
        );
        r.read(&text, "records.json", &key()).expect("pages");
        assert!(r.uncovered(0, 10).is_empty() && r.uncovered(22, 30).is_empty());
        assert_eq!(r.uncovered(5, 40), [(10, 20), (30, 40)]);
        assert_eq!(r.uncovered(12, 18), [(12, 18)]);
        assert_eq!(r.uncovered(0, 25), [(10, 20)]);
        assert_eq!(r.uncovered(10, 20), [(10, 20)]);
        assert_eq!(r.uncovered(40, 41), [(40, 41)]);
    }

    /// Given two signed pages over one range, one listing a record the other leaves out, then
    /// they disagree at that position (`nothing` against its hash), whichever is read first.
    #[test]
    fn a_signed_page_that_leaves_a_record_out_disagrees() {
        for (first, second) in [
            (
                page(0, 5, None, &[(2, 'a'), (4, 'b')]),
                page(0, 5, None, &[(4, 'b')]),
            ),
            (
                page(0, 5, None, &[(4, 'b')]),
                page(0, 5, None, &[(2, 'a'), (4, 'b')]),
            ),
        ] {
            let mut r = Records::default();
            r.read(&format!("{first}\n{second}"), "r.json", &key())
                .expect("pages");
            let disagree = r.disagreements();
            assert_eq!(disagree.len(), 1, "{disagree:?}");
            assert_eq!(disagree[0].position, 2);
            let values: Vec<Option<&str>> =
                disagree[0].values.iter().map(|v| v.0.as_deref()).collect();
            assert!(values.contains(&None) && values.contains(&Some(hex('a').as_str())));
        }
    }

    /// Given a page that covers nothing (the last page of a log that has not grown) beside
    /// pages that list records, then nothing disagrees; a record whose hash is the word
    /// `nothing`, or the words the line gives a page that lists none, still disagrees with such
    /// a page, and the line tells the two apart (the hash quoted); pages given as arrays one
    /// after another, or an array after a page, are all read.
    #[test]
    fn empty_pages_arrays_and_a_hash_named_nothing() {
        let mut r = Records::default();
        let text = format!(
            "[{}]\n[{}, {}]",
            page(0, 5, None, &[(2, 'a')]),
            page(5, 5, None, &[]),
            page(5, 7, None, &[(6, 'b')])
        );
        r.read(&text, "r.json", &key()).expect("pages");
        assert!(r.covers(0, 7) && r.disagreements().is_empty());
        let odd = signed_page(
            0,
            5,
            None,
            &[
                (2, hex('a')),
                (3, "nothing".into()),
                (4, "no record listed".into()),
            ],
            &GatewayKey::from_seed([6; 32]),
        );
        r.read(&format!("{odd}"), "odd.json", &key()).expect("page");
        let disagree = r.disagreements();
        assert_eq!(disagree.len(), 2, "{disagree:?}");
        let at = "signed at \"2026-12-06T07:30:00.000Z\"";
        for (line, position, hash) in [
            (&disagree[0], 3, "nothing"),
            (&disagree[1], 4, "no record listed"),
        ] {
            assert_eq!(line.position, position);
            assert!(
                line.to_string().contains(&format!(
                    "disagree there (no record listed in r.json line 1: [0] {at}, \"{hash}\" in \
                     odd.json line 1 {at})"
                )),
                "{line}"
            );
        }
    }

    /// Given a signed page listing a hash that is not 64 hex digits (a damaged event's stored
    /// hash, which the head took as it is), then the page is used as it is.
    #[test]
    fn a_record_hash_is_taken_as_the_page_gives_it() {
        let odd = "not hex\n9 ab".to_string();
        let p = signed_page(
            0,
            3,
            None,
            &[(2, odd.clone())],
            &GatewayKey::from_seed([6; 32]),
        );
        let mut r = Records::default();
        r.read(&p.to_string(), "r.json", &key()).expect("page");
        assert!(r.unsigned.is_empty() && r.covers(0, 3));
        assert_eq!(r.between(0, 3).collect::<Vec<_>>(), [(2, odd.as_str())]);
    }

    /// Given a page whose records were changed after it was signed, or one signed by another
    /// key, then it is set aside, named by its line, and covers nothing; its time and kid are
    /// the page's word, quoted as JSON strings as the audit script's json.dumps quotes them (a
    /// control character escaped `\u0007`, not Rust's `\u{7}`).
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
        let mut odd = page(20, 30, None, &[(21, 'e')]);
        odd["at"] = serde_json::json!("二〇二六\u{7}\"");
        odd["kid"] = serde_json::json!("k\u{1b}");
        let mut r = Records::default();
        r.read(&format!("{changed}\n{other}\n\n{odd}"), "r.json", &key())
            .expect("read");
        assert!(!r.covers(0, 10) && !r.covers(10, 20) && r.is_empty());
        assert_eq!(r.unsigned.len(), 3);
        let line = r.unsigned[0].to_string();
        assert!(
            line.starts_with("records page r.json line 1 (positions 1-10, signed at ")
                && line.contains("not signed by the gateway")
                && !line.contains("names key"),
            "{line}"
        );
        assert!(
            r.unsigned[1].to_string().contains(&format!(
                "(the page names key \"{}\")",
                GatewayKey::from_seed([7; 32]).public().kid()
            )),
            "{}",
            r.unsigned[1]
        );
        let line = r.unsigned[2].to_string();
        assert!(
            line.starts_with(
                "records page r.json line 4 (positions 21-30, signed at \"二〇二六\\u0007\\\"\"): \
                 its signature does not verify under the given key (the page names key \
                 \"k\\u001b\"): not signed"
            ),
            "{line}"
        );
    }

    /// Given answers that are not pages, or pages that contradict themselves, then each is
    /// refused naming its line (and its index in an array) and what is wrong.
    #[test]
    fn a_page_that_does_not_read_is_refused_naming_it() {
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut p = page(0, 9, None, &[(2, 'a')]);
            change(&mut p);
            p.to_string()
        };
        let bad = [
            ("{\"after\": 0}".to_string(), "line 1: not a page"),
            (
                with(&|p| {
                    p["after"] = serde_json::json!(5);
                    p["next"] = serde_json::json!(3);
                }),
                "next 3 is not after",
            ),
            (
                with(&|p| p["records"][0]["hash"] = serde_json::json!(7)),
                "invalid type: integer `7*`, expected a string",
            ),
            (
                format!(
                    "[{}, {}]",
                    page(0, 9, None, &[]),
                    with(&|p| p["records"][0]["position"] = serde_json::json!(12))
                ),
                "line 1: [1]: record at position 12 is not in ascending order",
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

    /// Given an ID number or a phone where a page's number or hash belongs, when the page is
    /// refused, then the reason says what was expected and never the digits.
    #[test]
    fn a_page_refused_does_not_echo_what_it_holds() {
        for (member, value) in [
            ("after", serde_json::json!("11010519491231002X")),
            ("to", serde_json::json!(-13987654321i64)),
        ] {
            let mut p = page(0, 9, None, &[(2, 'a')]);
            p[member] = value;
            let e = Records::default()
                .read(&p.to_string(), "r.json", &key())
                .expect_err("refused");
            assert!(e.starts_with("line 1: not a page"), "{e}");
            assert!(!e.contains("0519491231") && !e.contains("8765"), "{e}");
        }
        let mut p = page(0, 9, None, &[(2, 'a')]);
        p["records"][0]["hash"] = serde_json::json!(11010519491231002u64);
        let e = Records::default()
            .read(&p.to_string(), "r.json", &key())
            .expect_err("refused");
        assert!(
            e.contains("expected a string") && !e.contains("0519491231"),
            "{e}"
        );
    }
}
