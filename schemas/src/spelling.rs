//! Which name a caller meant by one the receiver does not know: the one place the gateway's "did
//! you mean …?" hints come from, for query parameters and a region's local-form fields alike.

/// A name as compared: without `_` and `-`, in lower case (`After_Seq`, `after-seq` and
/// `AFTERSEQ` are one name).
fn folded(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The name of `names` that `given` is but for its case and its `_`/`-`.
///
/// The query refusals take this alone, not [`near`]: they name a parameter as given only when it
/// holds nothing but the meant name's letters, so a name carrying other characters (a phone typed
/// after `limit`) is never echoed because it was near one.
pub fn spelt_alike<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = folded(given);
    names
        .into_iter()
        .find(|name| !name.is_empty() && folded(name) == given)
}

/// How many edits (a character inserted, removed or replaced) make `a` into `b`.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Names longer than this are matched to none by [`near`]: longer than any field or parameter
/// name, so only a made-up name, which would cost its length times the spec's to compare.
const MAX_NAME: usize = 64;

/// The name of `names` that `given` most likely misspells: one spelt alike ([`spelt_alike`]),
/// else the nearest within two edits of it once folded (`SFDZDZM` for `SFDZZM`), the first of
/// the nearest when several are as near.
///
/// Two edits, and fewer than half the shorter name's letters: a province's field names are
/// pinyin initials of four to ten letters, where a doubled or dropped letter is the usual slip;
/// between names of two or three letters (`XM`, `MZ`) two edits are any name, and would suggest
/// a field the caller never meant.
pub fn near<'a>(given: &str, names: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    // A name longer than any field's is near none: it is not compared (a name of a megabyte
    // compared with every field cost a second of a worker's CPU per form, found by a review).
    if given.chars().count() > MAX_NAME {
        return None;
    }
    if let Some(alike) = spelt_alike(given, names.clone()) {
        return Some(alike);
    }
    let given: Vec<char> = folded(given).chars().collect();
    names
        .into_iter()
        .filter(|name| !name.is_empty())
        .filter_map(|name| {
            let folded: Vec<char> = folded(name).chars().collect();
            // Lengths more than two apart are more than two edits apart: not compared.
            if given.len().abs_diff(folded.len()) > 2 {
                return None;
            }
            let d = distance(&given, &folded);
            let shorter = given.len().min(folded.len());
            (d <= 2 && d * 2 < shorter).then_some((d, name))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a spec's field names, when a caller's misspelt name is looked up, then the field it
    /// slipped from is named: a doubled or dropped letter, another case, a missing `_`; a name
    /// near none, and a short name two edits from another short one, get none.
    #[test]
    fn a_misspelt_name_is_matched_to_the_field_it_slipped_from() {
        let fields = ["SFDZZM", "SQR_GMSFHM", "SQR_XM", "JSDW_MC", "XM", "MZ"];
        for (given, meant) in [
            ("SFDZDZM", Some("SFDZZM")),
            ("sfdzzm", Some("SFDZZM")),
            ("SQRGMSFHM", Some("SQR_GMSFHM")),
            ("SQR_GMSFH", Some("SQR_GMSFHM")),
            ("JSDWMC", Some("JSDW_MC")),
            ("MX", None),
            ("ZMYT", None),
            ("SQR_SFZH", None),
        ] {
            assert_eq!(near(given, fields), meant, "{given}");
        }
    }

    /// Given the query parameters a route takes, when one is sent in another case or with `-`
    /// for `_`, then it is spelt alike; one a letter off is not (the query refusals take no
    /// nearer guess).
    #[test]
    fn spelt_alike_ignores_case_and_separators_only() {
        let takes = ["after_seq", "limit"];
        assert_eq!(spelt_alike("After-Seq", takes), Some("after_seq"));
        assert_eq!(spelt_alike("LIMIT", takes), Some("limit"));
        assert_eq!(spelt_alike("limt", takes), None);
        assert_eq!(distance(&['a', 'b'], &['b', 'a']), 2);
    }

    /// Given a made-up name longer than any field's, when it is looked up, then it is near none,
    /// however near it is: it is not compared letter by letter with each field (a name of a
    /// megabyte did that, for a second of CPU per form).
    #[test]
    fn a_name_longer_than_any_field_is_near_none() {
        let long_field = "A".repeat(MAX_NAME);
        assert_eq!(
            near(&"A".repeat(MAX_NAME - 1), [long_field.as_str()]),
            Some(long_field.as_str())
        );
        assert_eq!(near(&"A".repeat(MAX_NAME + 1), [long_field.as_str()]), None);
        let huge = format!("SFDZZM{}", "X".repeat(1 << 20));
        assert_eq!(near(&huge, ["SFDZZM"]), None);
    }
}
