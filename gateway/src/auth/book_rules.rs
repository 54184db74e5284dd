//! What a region book must hold to be used, checked on every read of `regions.json`.
//!
//! `tongban regions` writes only what passes these rules, but operators edit the file by hand at
//! times (a region's signing key pasted in, a token revoked). A value it would never write was
//! read as if absent or taken as it was: a signing key that is not a key was read as no key, so
//! the region's unsigned requests acted; a token hash that is not a SHA-256 made a token that
//! never authenticates while `regions list` called it active; a token id is written into every
//! event its token causes and into log lines, so one with spaces or a person's name in it would
//! carry them there. A book that breaks a rule is refused as one that does not parse: at start,
//! by `tongban regions`, and by a running gateway, which keeps the book it read before and shows
//! why in `/healthz` (`region_book_unreadable`).
//!
//! A `revoked` member holding anything is a revocation, whatever its text: refusing the book for
//! a revocation's wording would keep the token acting. A region listed twice is refused as the
//! file is read ([`super::book::BookFile`]'s `regions`): JSON takes the last of two members of
//! one name, so a second, older entry would silently drop the first's key or revocations. And
//! `tongban regions` checks a book against these rules before it writes one.
//!
//! The messages name members by their path and the rule; they quote no value but region codes
//! and token ids that passed their own rule (a code's digits masked like a made-up name's).

use std::collections::BTreeMap;

use super::book::{BookFile, TokenEntry};

/// The longest token id taken: ids are minted as 8 hex digits.
const MAX_ID_CHARS: usize = 64;

/// Checks `file` against the rules above; the first rule broken, said for the operator.
pub fn check(file: &BookFile) -> Result<(), String> {
    let mut tokens: Vec<(&TokenEntry, String)> = Vec::new();
    for (code, region) in &file.regions {
        // Only the form: a code the GB/T 2260 table of another build no longer lists (a
        // division merged or renamed) would otherwise stop the gateway on upgrade. `tongban
        // regions add` checks the table, and submissions are checked against it.
        if !crate::domain::is_region_code(code) {
            return Err(format!(
                "regions.{}: not a 6-digit GB/T 2260 region code",
                shown_code(code)
            ));
        }
        let at = format!("regions.{code}");
        super::book::one_line(&region.name).map_err(|rule| format!("{at}.name {rule}"))?;
        if let Some(key) = &region.signing_key
            && let Err(why) = signing_key(key)
        {
            return Err(format!(
                "{at}.signing_key is {why}; read as no key, the region's unsigned requests would \
                 act: set it with `tongban regions key {code} HEX`, which checks it"
            ));
        }
        tokens.extend(
            (region.tokens.iter().enumerate()).map(|(i, t)| (t, format!("{at}.tokens[{i}]"))),
        );
    }
    tokens.extend((file.operators.iter().enumerate()).map(|(i, t)| (t, format!("operators[{i}]"))));
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    let mut hashes: BTreeMap<&str, &str> = BTreeMap::new();
    for (t, at) in &tokens {
        token_rules(t, at)?;
        if let Some(first) = ids.insert(&t.id, at) {
            return Err(format!(
                "{at}.id {} is also the id of {first}: a token id names one token",
                tongban_schemas::mask::field_name(&t.id)
            ));
        }
        if let Some(first) = hashes.insert(&t.sha256, at) {
            return Err(format!(
                "{at}.sha256 is also the hash of {first}: one token would act as two"
            ));
        }
    }
    Ok(())
}

/// Whether `hex` is a key the requests' signatures can be checked with (what
/// [`crate::envelope::PublicKey::parse_hex`] takes, capitals too, as the gateway reads it);
/// else why not.
fn signing_key(hex: &str) -> Result<(), String> {
    crate::envelope::PublicKey::parse_hex(hex)
        .map(|_| ())
        .map_err(|why| why.to_string())
}

/// A region code as a message shows it: six digits as they are (a code is no personal data),
/// anything else masked like a value (an ID number, a name or an escape put where a code
/// belongs).
pub(super) fn shown_code(code: &str) -> String {
    match crate::domain::is_region_code(code) {
        true => code.to_string(),
        false => tongban_schemas::mask::other(code),
    }
}

fn token_rules(t: &TokenEntry, at: &str) -> Result<(), String> {
    if t.id.is_empty()
        || t.id.chars().count() > MAX_ID_CHARS
        || !t
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "{at}.id must be 1 to {MAX_ID_CHARS} ASCII letters, digits, `_` or `-` (it is \
             written into events and log lines)"
        ));
    }
    if t.sha256.len() != 64
        || !t
            .sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(format!(
            "{at}.sha256 must be 64 lowercase hex digits, the SHA-256 of the token (as written, \
             the token could never authenticate)"
        ));
    }
    if crate::time::Timestamp::parse_rfc3339(&t.created).is_none() {
        return Err(format!("{at}.created must be an RFC 3339 time"));
    }
    if let Some(label) = t.label.as_deref() {
        super::book::one_line(label).map_err(|rule| format!("{at}.label {rule}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::book::RegionEntry;

    fn token(id: &str, sha256: &str) -> TokenEntry {
        TokenEntry {
            id: id.into(),
            sha256: sha256.into(),
            created: "2026-12-06T10:00:00Z".into(),
            revoked: None,
            label: None,
        }
    }

    fn book(signing_key: Option<&str>, tokens: Vec<TokenEntry>) -> BookFile {
        let mut file = BookFile::default();
        file.regions.insert(
            "440000".into(),
            RegionEntry {
                name: "广东省".into(),
                tokens,
                signing_key: signing_key.map(str::to_string),
                has_signed: false,
            },
        );
        file
    }

    /// Given books edited by hand, when checked, then each value `tongban regions` would never
    /// write is refused naming its member and rule, and never quoting a value but codes and
    /// ids; a book as `tongban regions` writes it passes. Before, a signing key that is not a
    /// key was read as none (the region's unsigned requests acted), a hash that is not one made
    /// a token that never authenticates, and any id was written into events and logs.
    #[test]
    fn a_value_the_tool_would_never_write_is_refused_by_member() {
        let hash = "ab".repeat(32);
        let key = crate::envelope::GatewayKey::from_seed([5; 32])
            .public()
            .to_hex();
        assert_eq!(
            check(&book(Some(&key), vec![token("a1b2c3d4", &hash)])),
            Ok(())
        );
        let revoked = TokenEntry {
            revoked: Some("yes".into()),
            ..token("a1b2c3d4", &hash)
        };
        assert_eq!(
            check(&book(None, vec![revoked])),
            Ok(()),
            "any revocation stands"
        );
        let cases: Vec<(BookFile, &str)> = vec![
            (
                book(Some(&"ab".repeat(31)), vec![]),
                "regions.440000.signing_key is not",
            ),
            (
                book(Some("李四13912345678"), vec![]),
                "regions.440000.signing_key is not",
            ),
            (book(Some(""), vec![]), "regions.440000.signing_key is not"),
            (
                book(Some(&format!("01{}", "00".repeat(31))), vec![]),
                "regions.440000.signing_key is a weak key",
            ),
            (
                book(None, vec![token("a1", "abc")]),
                "regions.440000.tokens[0].sha256 must be",
            ),
            (
                book(None, vec![token("张三 1", &hash)]),
                "regions.440000.tokens[0].id must be",
            ),
            (
                book(
                    None,
                    vec![token("a1", &hash), token("a1", &"cd".repeat(32))],
                ),
                "regions.440000.tokens[1].id a1 is also the id of regions.440000.tokens[0]",
            ),
            (
                book(None, vec![token("a1", &hash), token("a2", &hash)]),
                "regions.440000.tokens[1].sha256 is also the hash of regions.440000.tokens[0]",
            ),
            (
                book(
                    None,
                    vec![TokenEntry {
                        created: "李四 13912345678".into(),
                        ..token("a1", &hash)
                    }],
                ),
                "regions.440000.tokens[0].created must be an RFC 3339 time",
            ),
            (
                book(
                    None,
                    vec![TokenEntry {
                        label: Some("a\u{1b}]0;x\u{7}".into()),
                        ..token("a1", &hash)
                    }],
                ),
                "regions.440000.tokens[0].label",
            ),
        ];
        for (file, said) in cases {
            let refused = check(&file).expect_err(said);
            assert!(refused.starts_with(said), "{refused}");
            for personal in ["李四", "13912345678", "张三"] {
                assert!(!refused.contains(personal), "{refused}");
            }
        }
        let mut unknown = book(None, vec![]);
        let entry = unknown.regions.remove("440000").expect("entry");
        unknown.regions.insert("110101199003070011".into(), entry);
        let refused = check(&unknown).expect_err("unknown code");
        assert!(refused.contains("not a 6-digit GB/T 2260"), "{refused}");
        assert!(!refused.contains("0101199003"), "{refused}");
        // A code that is not digits is masked; one in capitals-hex key form passes.
        let mut named = book(None, vec![]);
        let entry = named.regions.remove("440000").expect("entry");
        named.regions.insert("张三丰".into(), entry);
        assert!(check(&named).is_err_and(|e| !e.contains("三丰")));
        assert_eq!(check(&book(Some(&key.to_uppercase()), vec![])), Ok(()));
        let operators = BookFile {
            operators: vec![token("a1", &hash), token("a1", &"cd".repeat(32))],
            ..Default::default()
        };
        assert!(check(&operators).is_err_and(|e| e.starts_with("operators[1].id")));
    }
}
