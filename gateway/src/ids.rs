//! Identifiers for applications and events.
//!
//! Event ids and the ids of applications submitted without a key are UUIDv7 (time-ordered, so
//! keys sort by creation). An application submitted with an `Idempotency-Key` gets a UUIDv8
//! derived from the submitting region and the key: every retry, on any gateway, names the same
//! application, so the log itself enforces "one application per key" through its
//! per-application concurrency check, beyond any de-duplication window and without a side index.
//!
//! The derivation is keyed ([`AppIds`]): an HMAC under a secret every gateway of the log derives
//! from the gateway key they share. An unkeyed hash could be recomputed by anyone who guesses
//! the key, and a key that is an ID number has few candidates (a red team recovered one from its
//! application's id in minutes), so the id in a URL, a NATS subject or a log line would give the
//! number away. A log made before keyed ids keeps the unkeyed derivation ([`app_id_for_key`]):
//! switching would make the retry of a request first sent before the switch a second
//! application.

use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// `8-4-4-4-12` lowercase hex. Written digit by digit: `format!` per byte was about 8,000
/// instructions per id, and a submission makes two (its event's and its application's).
fn format_uuid(b: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, group) in [&b[..4], &b[4..6], &b[6..8], &b[8..10], &b[10..]]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            s.push('-');
        }
        crate::hex::push(group, &mut s);
    }
    s
}

/// A fresh UUIDv7.
pub fn new_v7() -> String {
    let mut b = [0u8; 16];
    crate::random::fill(&mut b);
    let ms = Timestamp::now().0.max(0) as u64;
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_uuid(&b)
}

/// The unkeyed application id for `(region, idempotency key)`: a UUIDv8 from SHA-256, as every
/// version before keyed ids derived it, and as a log made then still does
/// ([`Derivation::Unkeyed`]).
pub fn app_id_for_key(region: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tongban/app-id/v1\0");
    h.update(region.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    v8(&h.finalize().into())
}

/// A UUIDv8 from the first 16 bytes of a digest.
fn v8(digest: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_uuid(&b)
}

/// How a log's application ids derive from `(region, Idempotency-Key)`: what a log records when
/// it is made (the embedded log in a file beside its stores, a stream in its metadata), so that
/// every gateway of it, and every retry, derives the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derivation {
    /// HMAC-SHA-256 under a secret derived from the gateway key ([`AppIds`]).
    Keyed,
    /// SHA-256 of the region and the key alone ([`app_id_for_key`]): a log made before keyed ids.
    Unkeyed,
    /// Keyed, on a log that holds submissions made unkeyed too (a log made before keyed ids and
    /// moved to them by its operator, or a keyed one a gateway of a version before them wrote
    /// to): a new key gets the keyed id, and a retry of a submission made unkeyed is answered
    /// with the application it made, found by its unkeyed id ([`AppIds::unkeyed_retry`]) in
    /// the gateway's own projections: one more lookup there per submission under a key.
    KeyedAfterUnkeyed,
}

impl Derivation {
    /// The word a log records for the keyed derivation (its version with it).
    pub const KEYED: &'static str = "keyed/v2";
    /// The word a log made before keyed ids is given once a start has judged it so.
    pub const UNKEYED: &'static str = "unkeyed/v1";
    /// The word of a log keyed after it held unkeyed submissions: what an operator writes to
    /// move a log made before keyed ids to them (docs/operations.md).
    pub const KEYED_AFTER_UNKEYED: &'static str = "keyed/v2+unkeyed-retries";

    /// The derivation a log's record names; `None` for a word no version of tongban writes (a
    /// later version's derivation, or a damaged record): the gateway does not start on it, as
    /// guessing would give every retry another application.
    pub fn recorded(word: &str) -> Option<Derivation> {
        match word.trim() {
            Derivation::KEYED => Some(Derivation::Keyed),
            Derivation::UNKEYED => Some(Derivation::Unkeyed),
            Derivation::KEYED_AFTER_UNKEYED => Some(Derivation::KeyedAfterUnkeyed),
            _ => None,
        }
    }

    /// The word a log records for this derivation.
    pub fn word(self) -> &'static str {
        match self {
            Derivation::Keyed => Derivation::KEYED,
            Derivation::Unkeyed => Derivation::UNKEYED,
            Derivation::KeyedAfterUnkeyed => Derivation::KEYED_AFTER_UNKEYED,
        }
    }

    /// Whether a new key gets a keyed id.
    pub fn keyed(self) -> bool {
        self != Derivation::Unkeyed
    }
}

/// A log's record of its derivation that names none this version knows (`at`: where the record
/// is). The gateway does not start on it.
#[derive(Debug, thiserror::Error)]
#[error(
    "{at} {} no derivation of application ids this version of tongban knows (`{}`, `{}` or \
     `{}`): made by a later version, or changed by hand. Nothing was started: a guess would give \
     the retries of submissions other applications",
    if *.empty { "is empty: it names" } else { "names" },
    Derivation::KEYED,
    Derivation::KEYED_AFTER_UNKEYED,
    Derivation::UNKEYED
)]
pub struct UnknownDerivation {
    pub at: String,
    /// The record holds nothing (a file truncated, or made by hand and left empty).
    pub empty: bool,
}

/// The application ids a gateway derives: keyed under its log's secret, or unkeyed on a log made
/// before keyed ids ([`Derivation`]).
#[derive(Clone)]
pub struct AppIds {
    derivation: Derivation,
    /// HMAC-SHA-256 (RFC 2104) under a secret of the gateway key's
    /// ([`crate::envelope::GatewayKey::derived_secret`]), of the region and the key; `None`
    /// for unkeyed ids.
    hmac: Option<Box<Hmac>>,
}

impl AppIds {
    /// The purpose the keyed ids' secret is derived for.
    const PURPOSE: &'static str = "app-id/v2";

    /// The ids `derivation` gives under `key`, the gateway key of the log.
    pub fn new(derivation: Derivation, key: &crate::envelope::GatewayKey) -> AppIds {
        AppIds {
            derivation,
            hmac: derivation
                .keyed()
                .then(|| Box::new(Hmac::new(&key.derived_secret(AppIds::PURPOSE)))),
        }
    }

    pub fn derivation(&self) -> Derivation {
        self.derivation
    }

    /// The application id for `(region, idempotency key)`.
    pub fn for_key(&self, region: &str, key: &str) -> String {
        match &self.hmac {
            Some(hmac) => v8(&hmac.of(&[region.as_bytes(), &[0], key.as_bytes()])),
            None => app_id_for_key(region, key),
        }
    }

    /// Where a submission under `key` may already be besides [`AppIds::for_key`]: its unkeyed
    /// id, on a log that holds submissions made unkeyed ([`Derivation::KeyedAfterUnkeyed`]).
    pub fn unkeyed_retry(&self, region: &str, key: &str) -> Option<String> {
        (self.derivation == Derivation::KeyedAfterUnkeyed).then(|| app_id_for_key(region, key))
    }
}

/// HMAC-SHA-256 (RFC 2104) under one 32-byte key, its two padded key blocks hashed once: each
/// message then costs the two compressions of its own blocks and the outer hash's, not the
/// pads' two more (measured per submission: "Round 44" in docs/performance.md).
#[derive(Clone)]
pub struct Hmac {
    /// SHA-256 having absorbed the key XOR `ipad`, and the key XOR `opad`.
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    pub fn new(key: &[u8; 32]) -> Hmac {
        const BLOCK: usize = 64;
        let mut pad = [0u8; BLOCK];
        pad[..32].copy_from_slice(key);
        let keyed = |with: u8| {
            let mut h = Sha256::new();
            h.update(pad.map(|b| b ^ with));
            h
        };
        Hmac {
            inner: keyed(0x36),
            outer: keyed(0x5c),
        }
    }

    /// The HMAC of the concatenated `parts`.
    pub fn of(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        for part in parts {
            inner.update(part);
        }
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

/// What an `Idempotency-Key` must be, as a refusal says it.
pub const IDEMPOTENCY_KEY_RULE: &str = "Idempotency-Key must be 1 to 255 visible ASCII characters";

/// Whether `key` may be an `Idempotency-Key`: 1–255 visible ASCII characters (they end up inside
/// hashed ids only). One rule, checked by the HTTP layer before a body is read and by the
/// service for every other caller.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What personal data `key` reads as, if it reads as any: a 公民身份号码 of a known region (18
/// characters, or the 15-digit legacy form) or a mobile number (with or without the country
/// code), written whole or in groups (`136-1234-5678`). An application's id is a hash of the
/// region and the key ([`AppIds`]), in URLs and NATS subjects; on a log made before keyed ids
/// whoever can guess the key recomputes it, and an ID number is a region, a birth date and four
/// characters to guess; and the key itself is in the log, given to every party. Told
/// as a warning with the answer, not refused: a province's own serial may read alike (a region
/// code, a date and a sequence number are what both are made of), and refusing it, or a retry of
/// a submission taken before, would have the window send it again under another key, as a
/// second application.
pub fn personal_key(key: &str) -> Option<&'static str> {
    personal_kind(key).map(PersonalKind::said)
}

/// What personal data a caller-chosen number reads as ([`personal_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalKind {
    /// A 公民身份号码 of a known region.
    ResidentId,
    /// A mobile number.
    Mobile,
    /// Another phone number (a landline): only as an application's own ([`crate::domain::personal`]).
    Phone,
}

impl PersonalKind {
    /// In English, as a warning says it.
    pub fn said(self) -> &'static str {
        match self {
            PersonalKind::ResidentId => "a 公民身份号码 (resident ID number)",
            PersonalKind::Mobile => "a mobile number",
            PersonalKind::Phone => "a phone number",
        }
    }

    /// In Chinese, as the dispute page says it.
    pub fn said_zh(self) -> &'static str {
        match self {
            PersonalKind::ResidentId => "公民身份号码",
            PersonalKind::Mobile => "手机号码",
            PersonalKind::Phone => "电话号码",
        }
    }
}

/// [`personal_key`]'s check, by kind: the shape alone, for a number no application's submission
/// can be compared with (a submission's Idempotency-Key; an action's number whose application
/// cannot be read), read as typed ([`typed_number`]). An action's number is judged against its
/// application's own numbers ([`crate::domain::personal`]), since a 受理编号 built of region
/// code, date and sequence has an ID number's shape.
pub fn personal_kind(key: &str) -> Option<PersonalKind> {
    shaped(&typed_number(key), &[15, 18], Check::Checked)
}

/// Whether a province's serial (its Idempotency-Key as origin, its 受理编号 as handler) may be
/// quoted in a finding that is kept and passed on (reconciliation's): printable ASCII (no
/// person's name in Chinese characters), up to 64 characters, no `@` (an address), and no
/// personal data by the gateway's rules however it is typed ([`typed_number`]): no 公民身份号码
/// of a known region, 15 or 18 characters (its check character right or not), and no phone
/// number, mobile or landline. A province's numbers of letters, date and sequence
/// (`HBZW20261206000005`, `EZ-SL-2026-0001`) are quoted, so that the province finds its record;
/// one of region code, date and sequence alone (`440300261206001`) reads as a legacy ID number
/// and is described, by its shape alone: a serial the log holds as an application's own is
/// judged by that application's submission instead ([`quotable_own_serial`]).
pub fn quotable_serial(serial: &str) -> bool {
    crate::shown::serial_form(serial) && !held_numbers(serial).any()
}

/// [`quotable_serial`] for a serial the event log holds as one application's own number (its
/// Idempotency-Key, a 受理编号 given in it), judged by what the log knows of that application,
/// as an action's number is ([`crate::domain::personal`]): its submission's numbers (`own`).
/// The serial is already in the log, given to every party with the application's events; what
/// must not be shown is a person's number. So one of a serial's form is quoted when it holds
/// none of the application's numbers, however typed, and its shape reads as no kind of number
/// the submission names none of ([`own_serial_clear`]): a 受理编号 of region code, date and
/// sequence (`440300261206001`, a legacy ID number's shape) is quoted for an application whose
/// applicant's ID number is another, and hidden for one whose submission names no ID number
/// (a company's, say), since nothing then tells it from one.
pub fn quotable_own_serial(serial: &str, own: &crate::domain::personal::OwnNumbers) -> bool {
    crate::shown::serial_form(serial) && own_serial_clear(serial, own)
}

/// Whether a number the log holds as an application's own is no personal data of it, by what
/// its submission names (`own`): it holds none of the submission's ID numbers (the legacy
/// 15-digit form and an 18-character one's first 17 too) or phone numbers, whole or among
/// other characters, as [`typed_number`] reads them; no 18-character ID number or mobile number
/// by shape at all (another person's: an agent's, named only in a material, is the number a
/// window keys a 代办 case by, and these shapes are a province's serials' only by accident);
/// where its shape reads as an ID number a 受理编号 of region code, date and sequence is made
/// like (the legacy 15 digits, region + yyMMdd + 3; the first 17 of 18, region + yyyyMMdd + 3),
/// the submission names an ID number (which it then is not) and the date of each such run lies
/// within 45 days of the application's submission
/// ([`crate::domain::personal::OwnNumbers::dated_near`]: a 受理编号's date is its intake's, a
/// person's birth date decades before, so another person's number is not quoted; a child born
/// within those days whose number the submission does not name cannot be told from one by
/// the shape); and where it reads as a phone otherwise (a landline, a mobile's eleven digits
/// among more), the submission names a phone; and it is no ID number with one character
/// mistyped ([`id_shaped_misread`]), which what the submission names never clears. So a
/// 受理编号 of region code, date and sequence (`440300261206001`, `44030020261206001`) is quoted.
/// Shared by reconciliation's quoting ([`quotable_own_serial`]) and `tongban find`'s.
pub fn own_serial_clear(number: &str, own: &crate::domain::personal::OwnNumbers) -> bool {
    let held = held_numbers(number);
    // Each run of an ID number's shape dated by the application itself: not one dated and
    // another a birth date (`440300261206001/110105491231002`).
    let dated = || {
        id_shaped_dates(&typed_number(number))
            .iter()
            .all(|date| own.dated_near(date))
    };
    !own.held_in(number)
        && !held.id18
        && !held.mobile
        && (!held.id || (own.has_ids() && dated()))
        && (!held.phone || own.has_phones())
        // A mistyped ID number is its owner's whatever else the submission names: its own
        // phones tell nothing of it (`330106198513122344` holds a mobile's eleven digits).
        && id_shaped_misread(number).is_none()
}

/// The dates of the runs of digits in `typed` ([`typed_number`]'s form) that read as a
/// 公民身份号码 of a known region and a real birth date, as a 受理编号 of region code, date and
/// sequence may too: 15 digits of the legacy form (their yyMMdd) and 17 that are the first of
/// 18 (their yyyyMMdd), which give the check character, so are the number written without it.
fn id_shaped_dates(typed: &str) -> Vec<&str> {
    let mut dates = Vec::new();
    for (n, date) in [(15, 6..12), (17, 6..14)] {
        for i in 0..typed.len().saturating_sub(n - 1) {
            let Some(w) = typed
                .get(i..i + n)
                .filter(|w| w.bytes().all(|c| c.is_ascii_digit()))
            else {
                continue;
            };
            let id = match n {
                15 => reads_as_id(w),
                _ => reads_as_id(&format!("{w}0")),
            };
            if id && let Some(d) = w.get(date.clone()) {
                dates.push(d);
            }
        }
    }
    dates
}

/// Whether `w` is a 公民身份号码 of a known region and a real birth date, 15 or 18 characters,
/// its check character right or not.
fn reads_as_id(w: &str) -> bool {
    use tongban_schemas::ids::{
        gb2260,
        gb11643::{Gb11643Error, ResidentId},
    };
    match ResidentId::parse(w) {
        Ok(id) => gb2260::is_known(id.region()) && born_by_today(id.as_str()),
        Err(Gb11643Error::Checksum) => w.get(..6).is_some_and(gb2260::is_known) && born_by_today(w),
        Err(_) => false,
    }
}

/// Whether the birth date of an 18-character 公民身份号码 (its digits 7 to 14) is no later than
/// today in China: a person's number is of someone born, as the submission's check says
/// (`gb11643-birth-date-future`). Digits of an ID number's shape dated years ahead are no
/// person's: a 20-digit 申办流水号 of region code, yyMMdd and sequence
/// (`44000026110200000001`) holds `440000 2611 02 10 …` one character away, which read as a
/// mistyped number born in 2611 hid the serial from its own province.
fn born_by_today(id18: &str) -> bool {
    use tongban_schemas::ids::date::Date;
    id18.get(6..14)
        .and_then(Date::parse_compact)
        .is_some_and(|born| born <= Date::today_in_china())
}

/// Whether `text` holds personal data by the gateway's rules, however it is typed: an address
/// (`@`), or a 公民身份号码 or phone number, whole or among other characters ([`held_numbers`]).
/// What a province's free words (a local status such as `已受理`) are judged by before a
/// finding quotes them: a word is no personal data, a number in it may be.
pub fn holds_personal_data(text: &str) -> bool {
    text.chars()
        .map(tongban_adapters::transform::text::halfwidth_char)
        .any(|c| c == '@')
        || held_numbers(text).any()
}

/// Whether a province's serial (an Idempotency-Key, a 受理编号) may be shown by its shape alone:
/// it holds no personal number ([`holds_personal_data`]) and no ID number's shape that reads as
/// none, one character mistyped ([`id_shaped_misread`]). `tongban find` quotes a serial it
/// looks for by it, `GET /v1/applications?serial=` echoes one, and the operator outputs show
/// an application's Idempotency-Key ([`own_serial_shown`]).
pub fn serial_shape_clean(serial: &str) -> bool {
    !holds_personal_data(serial) && id_shaped_misread(serial).is_none()
}

/// Whether a serial someone typed to look an application up by (`tongban find --serial`,
/// `GET /v1/applications?serial=`) has the form that may be sent back, whatever its digits: a
/// serial's form ([`crate::shown::serial_form`]: printable ASCII, no `@`, up to 64 characters),
/// as the federation's Idempotency-Keys and 受理编号 are written (ASCII letters, digits,
/// dashes), with a digit among it. Chinese characters (`张三`, `张三1`) or letters alone
/// (`zhangsan`) are a person's name more often than a serial: described, not quoted (a review
/// found `?serial=张三` answered `"serial": "张三"`). Full-width characters are read as their
/// ASCII, as an input method types a serial (`ＹＳ-2026-0001`). Its digits are judged apart
/// ([`serial_shape_clean`]).
pub fn typed_serial_form(serial: &str) -> bool {
    let half = tongban_adapters::transform::text::halfwidth(serial);
    crate::shown::serial_form(&half) && half.bytes().any(|b| b.is_ascii_digit())
}

/// Whether an application's own serial may be shown, as `tongban find` judges a serial the log
/// holds: clean by its shape ([`serial_shape_clean`]), or clear by what the application's
/// submission names (`own`, when at hand: [`own_serial_clear`], so that a 受理编号 of region
/// code, date and sequence dated by the application is shown).
pub fn own_serial_shown(serial: &str, own: Option<&crate::domain::personal::OwnNumbers>) -> bool {
    serial_shape_clean(serial) || own.is_some_and(|own| own_serial_clear(serial, own))
}

/// The kind of personal number `text` holds by its shape, whole or among other characters
/// ([`held_numbers`], a mistyped ID number too: [`id_shaped_misread`]), to describe a serial
/// not shown by what it holds.
pub fn held_kind(text: &str) -> Option<PersonalKind> {
    let held = held_numbers(text);
    if held.id || id_shaped_misread(text).is_some() {
        Some(PersonalKind::ResidentId)
    } else if held.mobile {
        Some(PersonalKind::Mobile)
    } else if held.phone {
        Some(PersonalKind::Phone)
    } else {
        None
    }
}

/// How a run of a 公民身份号码's shape in a text a person typed reads as none
/// ([`id_shaped_misread`]): the number with one character mistyped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMisread {
    /// 18 characters (17 digits, a digit or X) whose check character does not match the first
    /// 17: ISO 7064 MOD 11-2 catches every single mistyped character, in the region code and
    /// the birth date too.
    Checksum,
    /// The legacy 15 digits of a known region whose birth date is no date (`19491331`): they
    /// have no check character, so a mistyped one shows only so, if at all.
    BirthDate,
}

impl IdMisread {
    /// In English, as `tongban find` says it: what does not hold, and what to do.
    pub fn said(self) -> &'static str {
        match self {
            IdMisread::Checksum => {
                "it has a 公民身份号码's shape, but its check character does not match (ISO \
                 7064 MOD 11-2): taken for a mistyped ID number, it is not shown; if it is \
                 one, re-read it from your copy"
            }
            IdMisread::BirthDate => {
                "it has a 公民身份号码's shape, but its birth date is no date: taken for a \
                 mistyped ID number, it is not shown; if it is one, re-read it from your copy"
            }
        }
    }
}

/// Whether `text`, as typed ([`typed_number`]), holds an ID number with one character mistyped,
/// and how: a number typed with one wrong character is its owner's number to whoever reads it,
/// so what shows one an operator typed (`tongban find`'s "no application has …") or a party
/// chose (a timeline's serial) leaves it out as it leaves out the number itself
/// ([`holds_personal_data`]), and says why, so that the operator re-reads their copy. Judged
/// in the windows [`held_numbers`] reads (every 18 and 15 characters of a run of digits,
/// `440106101301001-2` too), and only where one character changed makes a number of a known
/// region and a real birth date, the check character matching: a province's serials of
/// letters, date and sequence (`YS202611230000012`, `202611231234567890`) fail a check they
/// never had, and their region code and date both read as none, which one mistyped character
/// never makes. So:
/// - 18 characters: one character changed gives a checked ID number of a known region
///   ([`IdMisread::Checksum`]: the check character fails on every single mistype, so this
///   catches one in the region code, `930106198506122344`, or the date,
///   `330106198513122344`, as well as the number with a wrong check character);
/// - the legacy 15 digits: their region is known and one digit of the date changed gives a
///   real one ([`IdMisread::BirthDate`]); with no check character, a region code mistyped
///   cannot be told from the digits before a serial's date, and is not judged. Nor are 15
///   whose date digits with the two after them read as a yyyyMMdd date of 1900–2099, the
///   making of an 18-character number and of a serial of region code, date and sequence
///   (`44030020261206001`, which [`held_numbers`] judges as an ID number's first 17).
///
/// The check character's finding first.
pub fn id_shaped_misread(text: &str) -> Option<IdMisread> {
    let typed = typed_number(text).to_ascii_uppercase();
    let mut found = None;
    for i in 0..typed.len() {
        if typed.get(i..i + 18).is_some_and(one_off_id) {
            return Some(IdMisread::Checksum);
        }
        // Digits whose date reads as an 18-character number's (yyyyMMdd, of 1900–2099) are
        // that number's first 15, not a legacy one's.
        let dated_18 = typed.get(i + 6..i + 14).is_some_and(|d| {
            (d.starts_with("19") || d.starts_with("20"))
                && tongban_schemas::ids::date::Date::parse_compact(d).is_some()
        });
        if !dated_18 && typed.get(i..i + 15).is_some_and(one_off_id) {
            found = Some(IdMisread::BirthDate);
        }
    }
    found
}

/// Whether `w`, 18 characters (17 digits and a digit or X) or 15 digits, is no ID number of a
/// known region but one with one character changed ([`id_shaped_misread`]): any of an 18-character
/// one's, a 15-digit one's date digits only (its region known). A number born after today is
/// none ([`born_by_today`]).
fn one_off_id(w: &str) -> bool {
    use tongban_schemas::ids::{gb2260, gb11643::ResidentId};
    let known = |s: &str| {
        ResidentId::parse(s)
            .is_ok_and(|id| gb2260::is_known(id.region()) && born_by_today(id.as_str()))
    };
    let b = w.as_bytes();
    let (shaped, positions) = match b.len() {
        18 => (
            b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X'),
            0..18,
        ),
        15 => (
            b.iter().all(u8::is_ascii_digit) && gb2260::is_known(&w[..6]),
            6..12,
        ),
        _ => (false, 0..0),
    };
    if !shaped || known(w) {
        return false;
    }
    let mut changed = b.to_vec();
    positions.into_iter().any(|i| {
        let was = b[i];
        let fixed = b"0123456789X"
            .iter()
            .filter(|&&c| c != was && (c != b'X' || i == 17))
            .any(|&c| {
                changed[i] = c;
                std::str::from_utf8(&changed).is_ok_and(known)
            });
        changed[i] = was;
        fixed
    })
}

/// The kinds of personal number a text holds by shape ([`held_numbers`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Held {
    /// A 公民身份号码 of a known region and a real birth date, 15 or 18 characters, or the
    /// first 17 of 18 (which give the 18th: the check character is computed from them).
    id: bool,
    /// Of them, one of 18 characters, the form every number issued since 1999 has. Its first
    /// 17 digits alone are a 受理编号's making too (region code, yyyyMMdd, a 3-digit sequence),
    /// and judged by their date as the legacy 15 are ([`own_serial_clear`]).
    id18: bool,
    /// A phone number, or a mobile's eleven digits.
    phone: bool,
    /// Of them, a mobile number written as one (a run of digits that is one, or whole groups
    /// of digits that make one, `138 0013 8000`; not eleven of a longer run, which a region
    /// code and a date give by accident: `441300…`, `130100…`).
    mobile: bool,
}

impl Held {
    fn any(self) -> bool {
        self.id || self.phone
    }
}

/// What `text` holds by shape, whole or embedded among letters (`GD-440106197707077771`,
/// `SL-13912345678`), however typed ([`typed_number`]): a phone number, a mobile's eleven
/// digits, a 公民身份号码 of a known region and a real birth date, 15 or 18 characters, its
/// check character right or not, or the first 17 digits of one (the check character is
/// computed from them, so they are the number: [`id_shaped_dates`]); and a phone written in
/// groups among other numbers ([`grouped_phone`]: `020-87654321-123`, with its extension).
fn held_numbers(text: &str) -> Held {
    use tongban_schemas::ids::phone;
    let typed = typed_number(text);
    let is_id = reads_as_id;
    let chars: Vec<char> = typed.chars().collect();
    // Each run of digits (with the X an 18-character ID number may end in).
    let runs = chars
        .split(|c| !(c.is_ascii_digit() || *c == 'X' || *c == 'x'))
        .map(|run| run.iter().collect::<String>())
        .filter(|run| run.len() >= 7);
    let mut held = Held::default();
    for run in runs {
        let b = run.as_bytes();
        let windows = |n: usize| (0..=b.len().saturating_sub(n)).filter(move |_| b.len() >= n);
        // With its country code (`+86 139…`, `0086139…`, `+86 20 8765 4321`) too.
        let national = national_number(&run);
        let kind = phone::classify(national.as_deref().unwrap_or(&run));
        held.mobile |= kind == Some(phone::PhoneKind::Mobile);
        held.phone |= kind.is_some()
            || windows(11).any(|i| b[i] == b'1' && (b'3'..=b'9').contains(&b[i + 1]));
        let id18 = windows(18).any(|i| run.get(i..i + 18).is_some_and(is_id));
        held.id18 |= id18;
        held.id |= id18;
    }
    // The legacy 15 digits, and an 18-character number's first 17 written without its check
    // character.
    held.id |= !id_shaped_dates(&typed).is_empty();
    match grouped_phone(text) {
        Some(phone::PhoneKind::Mobile) => {
            held.mobile = true;
            held.phone = true;
        }
        Some(phone::PhoneKind::Landline) => held.phone = true,
        None => {}
    }
    held
}

/// The phone number `text` holds written in groups, as people write one among other words and
/// numbers: a landline's area code and number (`020-87654321`, `(020)87654321`,
/// `0755 8765 4321`, `020 - 87654321`) or a mobile (`138 0013 8000`), with or without the
/// country code (`+86 755 8765 4321`, `0086-20-87654321`), in groups of digits joined by what
/// joins them ([`joins_groups`]: white space of any kind, a line break among it, dashes, dots,
/// slashes, brackets), whatever follows or precedes them: an extension (`020-87654321-123`,
/// `0755-8765432-8001`), a date (`2026-12-05 020-87654321`). [`typed_number`] drops the
/// grouping, and a number run into what is written beside it (`02087654321123`) reads as no
/// phone: here the writer's groups are kept, and a phone is one made of whole groups
/// ([`joined_phone`]), so an extension or a date is never read into the number, nor a serial's
/// groups read as a phone (`SL-150-20261206-001`, `0512-20261206-001`).
fn grouped_phone(text: &str) -> Option<tongban_schemas::ids::phone::PhoneKind> {
    use tongban_schemas::ids::phone::PhoneKind;
    let mut found = None;
    // The groups of the stretch of digits and joining characters read so far, each with
    // whether it is joined to the one before by more than white space (a `-`, a `.` …: a
    // serial's groups are; words are spaced), and the group being read.
    let (mut groups, mut tight, mut group) = (Vec::<String>::new(), Vec::new(), String::new());
    // Whether the characters since the last group joined it by more than white space.
    let mut joined_tight = false;
    let chars = text
        .chars()
        .map(tongban_adapters::transform::text::halfwidth_char);
    // A character that ends the text ends the last stretch.
    for c in chars.chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            if group.is_empty() {
                tight.push(std::mem::take(&mut joined_tight));
            }
            group.push(c);
            continue;
        }
        if !group.is_empty() {
            groups.push(std::mem::take(&mut group));
        }
        if joins_groups(c) {
            joined_tight |= !c.is_whitespace();
            continue;
        }
        // Each number of whole groups of the stretch, and whether a group is joined to it
        // before or after.
        for from in 0..groups.len() {
            for to in from + 1..=groups.len().min(from + 4) {
                let parts = &groups[from..to];
                if parts.iter().map(String::len).sum::<usize>() > 15 {
                    break;
                }
                let beside = (from > 0 && tight[from]) || tight.get(to) == Some(&true);
                match joined_phone(parts, beside) {
                    Some(PhoneKind::Mobile) => return Some(PhoneKind::Mobile),
                    Some(kind) => found = Some(kind),
                    None => {}
                }
            }
        }
        groups.clear();
        tight.clear();
        joined_tight = false;
    }
    found
}

/// Whether `c` (full-width characters already folded to ASCII) joins two groups of digits of
/// one number as people and their tools write them: any white space (a line break, a tab, a
/// no-break space, the ideographic space), a hyphen, dash or minus of any kind (U+2010–U+2015,
/// U+2212, U+FE63; a text pasted from a word processor or a PDF has them for `-`), a dot or
/// middle dot, a slash, an underscore, a tilde or a bracket, and the invisible characters
/// (zero-width space and joiners, the word joiner, the byte-order mark). Anything else (a
/// letter, a colon, a word such as 转) ends the number: a phone hidden by a character read as
/// none of these would be quoted back.
fn joins_groups(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '/'
                | '('
                | ')'
                | '_'
                | '~'
                | '\u{b7}'
                | '\u{30fb}'
                | '\u{301c}'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{fe63}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2060}'
                | '\u{feff}'
        )
}

/// What whole groups of digits (`parts`, one after another in a text) make as one phone
/// number, read in its national form ([`national_number`]: `+86 20 8765 4321` is
/// `020 8765 4321`); `beside`: a group is joined to them, before or after, by more than white
/// space. A province's serials are groups of region or area code, date and sequence, and
/// whole groups of them make a phone's digits by accident, so a number of joined groups
/// counts only in a phone's own groupings:
/// - a mobile as eleven digits whole, or grouped 3-4-4 or 3-3-5 as people write one, with no
///   group joined to it (`138-0013-8000`, `+86 138 0013 8000`; not `SL-150-20261206-001` nor
///   `SL-139-2026-1206-01`, whose digits `typed_number`'s runs still count as a phone's);
/// - a landline whose subscriber number is not a date of 2000–2099 as `yyyyMMdd`
///   (`0571-8765-4321`, `020-87654321-123`; not `0512-20261206-001`: a subscriber number that
///   reads as a date is rare, an area code, date and sequence is a 受理编号's making; written as
///   one run of digits, `020 20261206`, the number is still read as one).
fn joined_phone(parts: &[String], beside: bool) -> Option<tongban_schemas::ids::phone::PhoneKind> {
    use tongban_schemas::ids::phone::{self, PhoneKind};
    let digits = parts.concat();
    // The groups' lengths, the country code's digits left out.
    let mut code = country_code_len(&digits);
    let lengths: Vec<usize> = parts
        .iter()
        .filter_map(|p| {
            let left = p.len().saturating_sub(code);
            code = code.saturating_sub(p.len());
            (left > 0).then_some(left)
        })
        .collect();
    let national = national_number(&digits).unwrap_or(digits);
    match phone::classify(&national)? {
        PhoneKind::Mobile => (!beside && matches!(lengths[..], [11] | [3, 4, 4] | [3, 3, 5]))
            .then_some(PhoneKind::Mobile),
        PhoneKind::Landline => {
            // 010 and 02x are the three-digit area codes, 0[3-9]xx the others.
            let area = if national.get(1..2).is_some_and(|d| d == "1" || d == "2") {
                3
            } else {
                4
            };
            let subscriber = national.get(area..).unwrap_or_default();
            (!dated_2000s(subscriber)).then_some(PhoneKind::Landline)
        }
    }
}

/// Whether `digits` are a date of 2000–2099 written `yyyyMMdd` (`20261206`), as a 受理编号
/// carries its intake's.
fn dated_2000s(digits: &str) -> bool {
    digits.len() == 8
        && crate::time::CivilDate::parse_compact(digits)
            .is_some_and(|d| (2000..=2099).contains(&d.ymd().0))
}

/// How many leading digits of `digits` are China's country code: 4 of `0086`, 2 of `86`, none
/// otherwise (no number dialled inside China begins with 8 or 00).
fn country_code_len(digits: &str) -> usize {
    if digits.starts_with("0086") {
        4
    } else if digits.starts_with("86") {
        2
    } else {
        0
    }
}

/// The national form of `digits` written after China's country code (`+86`, `0086`, `86`,
/// leading: [`country_code_len`]): a mobile's digits as they are, a landline's with the trunk
/// `0` it is dialled with inside China (`+86 20 8765 4321` is `020 8765 4321`, `+86 10 …`
/// Beijing's `010 …`; a `0` written after the code kept as it is); `None` without the code,
/// or nothing after it. So a landline with the country code is judged as one without, as a
/// mobile's is.
fn national_number(digits: &str) -> Option<String> {
    use tongban_schemas::ids::phone;
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    let code = country_code_len(digits);
    let rest = digits
        .get(code..)
        .filter(|rest| code > 0 && !rest.is_empty())?;
    let mobile = phone::classify(rest) == Some(phone::PhoneKind::Mobile);
    Some(match mobile || rest.starts_with('0') {
        true => rest.to_string(),
        false => format!("0{rest}"),
    })
}

/// The landline a phone number written with an extension (`020-87654321-123`,
/// `0755-8765432 转 8001`, full-width too) is, without the extension: the last group of digits
/// (1 to 6) is taken for the extension wherever the groups before it make a landline, so
/// `0571-8765432-1` gives `05718765432` (a 7-digit number and extension 1), though it may be
/// `0571-87654321` grouped oddly: the submission keeps the number as given too, so both lines
/// count as its own. `None` where no landline is left (`020-87654321`, whose `87654321` is no
/// extension of `020`; a mobile; a serial). A submission's contact phone given so is the same
/// line as a number that names the landline alone ([`crate::domain::personal::OwnNumbers`]).
pub fn landline_without_extension(phone: &str) -> Option<String> {
    use tongban_schemas::ids::phone::{self, PhoneKind};
    let half = tongban_adapters::transform::text::halfwidth(phone);
    let groups: Vec<&str> = half
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let (extension, line) = groups.split_last()?;
    let line = line.concat();
    ((1..=6).contains(&extension.len()) && phone::classify(&line) == Some(PhoneKind::Landline))
        .then_some(line)
}

/// A number as a person types it, in the one form its shape is judged in: full-width ASCII
/// and the ideographic space as their ASCII ([`tongban_adapters::transform::text::halfwidth`],
/// as an input method types them), then every character but a letter or a digit dropped (the
/// spaces, dashes, dots, slashes and brackets numbers are grouped with), but for a `+` before
/// the first of them (a country code's): `+86 (138) 0013-8000` is `+8613800138000`.
pub fn typed_number(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s
        .chars()
        .map(tongban_adapters::transform::text::halfwidth_char)
    {
        if c.is_alphanumeric() || (c == '+' && out.is_empty()) {
            out.push(c);
        }
    }
    out
}

/// Whether an 18-character ID number's check character must match ([`shaped`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    Checked,
    Any,
}

/// A 公民身份号码 of a known region in one of the `id_lengths` (an 18-character one with a wrong
/// check character too, under [`Check::Any`]), or a mobile number; `typed` is in
/// [`typed_number`]'s form.
fn shaped(typed: &str, id_lengths: &[usize], check: Check) -> Option<PersonalKind> {
    use tongban_schemas::ids::{
        gb2260,
        gb11643::{Gb11643Error, ResidentId},
        phone,
    };
    let national = national_number(typed);
    let national = national.as_deref().unwrap_or(typed);
    // The region of an ID number of this shape: a checked one's, or under `Check::Any` that of
    // 18 characters failing only their check (17 digits, a digit or X, a real birth date).
    let region = match ResidentId::parse(typed) {
        Ok(id) => Some(id.region().to_string()),
        Err(Gb11643Error::Checksum) if check == Check::Any => typed.get(..6).map(str::to_string),
        Err(_) => None,
    };
    if id_lengths.contains(&typed.len()) && region.is_some_and(|r| gb2260::is_known(&r)) {
        Some(PersonalKind::ResidentId)
    } else if phone::classify(national) == Some(phone::PhoneKind::Mobile) {
        Some(PersonalKind::Mobile)
    } else {
        None
    }
}

/// The warning a submission under a key that reads as personal data ([`personal_key`]) is
/// answered with, at `header:Idempotency-Key`, rule `personal-data`; it does not echo the key.
pub fn personal_key_warning(what: &str) -> tongban_schemas::Violation {
    tongban_schemas::Violation::new(
        "header:Idempotency-Key",
        "personal-data",
        format!(
            "Idempotency-Key 不应是个人信息 (the key reads as {what}: it is kept in the event \
             log for good and given to every party with the application's events, and on a log \
             made before keyed application ids whoever sees the application's id can recover \
             the key from it by trying every number of its shape, in minutes; send the \
             platform's own serial instead)"
        ),
    )
}

/// The warning an action is answered with when a number its body gives (at `pointer`, such as
/// `/reference`; `field` as the body names it) is personal data of the application
/// ([`crate::domain::personal::Personal`]), as a submission's Idempotency-Key that reads as such
/// is warned of ([`personal_key_warning`]): taken, not refused (refusing would stop the act),
/// and said, since the number is kept in the event log for good and given to every party with
/// the application's events and feeds. It does not echo the value.
pub fn personal_serial_warning(
    pointer: &str,
    field: &str,
    personal: crate::domain::personal::Personal,
) -> tongban_schemas::Violation {
    tongban_schemas::Violation::new(
        pointer,
        "personal-data",
        format!(
            "{field} 不应是个人信息 (the value {}: it is kept in the event log for good and given \
             to every party with the application's events; send the platform's own number \
             instead)",
            personal.said()
        ),
    )
}

/// Why a value names no application by its form alone ([`check_app_id`]): the one rule the HTTP
/// API's `{id}` and the offline tools' application ids are held to, in the same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAnAppId {
    /// A UUID in capitals (some platforms print them so, SQL Server among them): the id it
    /// would be. Saying it reveals nothing.
    Capitals { lowercase: String },
    /// Anything else: what it is, told without quoting it (what was typed where an id belongs
    /// may be an ID number, a phone or a province's serial).
    Other { what: String },
}

impl NotAnAppId {
    /// The rule broken, as a problem's `errors` names it: `uuid-lowercase` or `uuid`.
    pub fn rule(&self) -> &'static str {
        match self {
            NotAnAppId::Capitals { .. } => "uuid-lowercase",
            NotAnAppId::Other { .. } => "uuid",
        }
    }

    /// The refusal in words, `given` naming where the value was (`this path segment`, `the id
    /// given`).
    pub fn message(&self, given: &str) -> String {
        match self {
            NotAnAppId::Capitals { lowercase } => {
                format!("application ids are lowercase UUIDs: {lowercase}")
            }
            NotAnAppId::Other { what } => format!(
                "application ids are lowercase UUIDs (as POST /v1/applications answers them); \
                 {given} is none: {what}"
            ),
        }
    }
}

/// Whether `s` can name an application at all ([`is_valid`]), and if not, why
/// ([`NotAnAppId`]): in capitals, with white space around it, without its dashes, the start of
/// an id, or of another form, described by its length and kinds of characters.
pub fn check_app_id(s: &str) -> Result<(), NotAnAppId> {
    if is_valid(s) {
        return Ok(());
    }
    if is_valid(&s.to_ascii_lowercase()) {
        return Err(NotAnAppId::Capitals {
            lowercase: s.to_ascii_lowercase(),
        });
    }
    let hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
    let trimmed = s.trim();
    let what = if s.is_empty() {
        "it is empty".to_string()
    } else if trimmed != s && is_valid(&trimmed.to_ascii_lowercase()) {
        "it has white space around it".to_string()
    } else if hex(s) && s.len() == 32 {
        "it is 32 hex digits without the dashes (a UUID is written 8-4-4-4-12)".to_string()
    } else if s.len() < 36 && uuid_form(&s.to_ascii_lowercase()) {
        format!(
            "it is the first {} characters of a UUID's form: the start of an id? give it whole",
            s.len()
        )
    } else {
        format!("it is {}", tongban_schemas::shown::shape(s))
    };
    Err(NotAnAppId::Other { what })
}

/// Whether `s` looks like one of our ids (lowercase canonical UUID). Used to refuse odd path
/// segments before they reach a store key or a NATS subject.
pub fn is_valid(s: &str) -> bool {
    s.len() == 36 && uuid_form(s)
}

/// Whether every character of `s` is what a lowercase canonical UUID has at its place: a whole
/// one at 36 characters, its start when shorter.
fn uuid_form(s: &str) -> bool {
    s.len() <= 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

#[cfg(test)]
mod tests {
    /// A province's numbers of letters, date and sequence are quoted; any that holds an ID
    /// number or a phone, whole or among letters and however grouped, is not.
    #[test]
    fn a_serial_is_quoted_unless_it_holds_personal_data() {
        for shown in [
            "HBZW20261206000005",
            "EZ-SL-2026-0001",
            "ZJ-SL-9",
            "GD-2026-01",
            "SL 0001",
        ] {
            assert!(quotable_serial(shown), "{shown}");
        }
        for hidden in [
            "GD-440106197707077771",
            "GD-440106197707077772",
            "SL-13912345678",
            "440300261206001",
            "0755-23456789",
            "SL-0755-23456789",
            "+86 138 0013 8000",
            "11010519491231002X",
            "张三-1",
            "a@b-1",
            "",
            // What `shown::serial` refused before the gateway judged serials here.
            "13800138000",
            "张三",
            "110105491231002",
            "138-0013-8000",
            "a@b.cn",
            "GD-440106197707077771",
            "SL-13800138000-1",
        ] {
            assert!(!quotable_serial(hidden), "{hidden}");
        }
    }

    use super::*;

    /// Given the demo applicant's ID number (330106198506122344) and the standard's vector
    /// typed with one wrong character (in the region code, the birth date, the sequence, the
    /// check character; the legacy 15 digits with a date that is none, alone or next to other
    /// digits), when they are judged, then each is a mistyped ID number, by what fails; and
    /// given a province's serials of letters, date and sequence, 17 digits, numbers that check
    /// and two characters off, then none is (a review found every 15-digit run of an unknown
    /// region and nearly every 18-digit run taken for one: `YS202611230000012`).
    #[test]
    fn a_mistyped_id_number_is_said_as_one() {
        for (text, misread) in [
            ("930106198506122344", IdMisread::Checksum),
            ("330106198506422344", IdMisread::Checksum),
            // Two characters of the date (0612 as 1312): its first 15 read as the legacy form
            // of a date one digit off.
            ("330106198513122344", IdMisread::BirthDate),
            ("330106198506122354", IdMisread::Checksum),
            ("330106198506122345", IdMisread::Checksum),
            ("110105194912310021", IdMisread::Checksum),
            ("SL-110105194912310021", IdMisread::Checksum),
            ("110105491331002", IdMisread::BirthDate),
            ("440106101301001-2", IdMisread::BirthDate),
            ("2-440106101301001", IdMisread::BirthDate),
            ("GD-330106851312234", IdMisread::BirthDate),
        ] {
            assert_eq!(id_shaped_misread(text), Some(misread), "{text}");
        }
        for text in [
            "330106198506122344",
            "11010519491231002X",
            "11010519491231002x",
            "110105491231002",
            "440300261206001",
            "44030020261206001",
            "990105194912310020",
            "000000491231002",
            "1101051949123100",
            "",
        ] {
            assert_eq!(id_shaped_misread(text), None, "{text}");
        }
        // A province's serials of letters, date and sequence: shown by their shape.
        for serial in [
            "YS202611230000012",
            "202611230000012",
            "202611230000000012",
            "202611231234567890",
            "SL2026112300012",
            "HBZW20261206000005",
        ] {
            assert_eq!(id_shaped_misread(serial), None, "{serial}");
            assert!(serial_shape_clean(serial), "{serial}");
        }
    }

    /// Given the applicant's ID number mistyped in its date or region code, and an application
    /// whose submission names the applicant's ID number and phone, when the number is judged as
    /// that application's own serial, then it is not shown: the submission's numbers clear a
    /// 受理编号's shape, never a mistyped ID number's (a review found `330106198513122344`
    /// shown by replay and quoted by find, cleared as a phone's eleven digits by the
    /// submission's phone).
    #[test]
    fn a_mistyped_id_number_is_not_cleared_by_the_submissions_numbers() {
        let own = applicant("330106198506122344", "13812345678");
        for key in [
            "330106198513122344",
            "930106198506122344",
            "ZJ-330106198513122344",
        ] {
            assert!(!own_serial_clear(key, &own), "{key}");
            assert!(!own_serial_shown(key, Some(&own)), "{key}");
            assert!(!quotable_own_serial(key, &own), "{key}");
        }
        assert!(own_serial_shown("440300261206001", Some(&own)));
    }

    /// Asserts that each of `values` holds personal data by its shape, and is not quoted so.
    fn assert_held(values: &[&str]) {
        for value in values {
            assert!(holds_personal_data(value), "{value:?}");
            assert!(!quotable_serial(value), "{value:?}");
        }
    }

    /// Asserts that none of `values` is quoted as an application's own serial, the
    /// application's submission naming `own`.
    fn assert_hidden_as_own(own: &crate::domain::personal::OwnNumbers, values: &[&str]) {
        for value in values {
            assert!(!quotable_own_serial(value, own), "{value:?}");
        }
    }

    /// The numbers of a submission of `payload` made on 2026-12-05, Beijing time.
    fn submitted(payload: serde_json::Value) -> crate::domain::personal::OwnNumbers {
        crate::domain::personal::OwnNumbers::of(&payload).submitted_at("2026-12-05T02:00:00Z")
    }

    /// The numbers of a submission of 2026-12-05 whose applicant has `id_number` and `phone`.
    fn applicant(id_number: &str, phone: &str) -> crate::domain::personal::OwnNumbers {
        submitted(serde_json::json!({"applicant": {"id_number": id_number, "phone": phone}}))
    }

    /// Given 广东's 申办流水号 of region code, yyMMdd and sequence in 20 digits
    /// (`44000026110200000001`), whose first 18 are one character from a checked number born in
    /// 2611 (`440000261102100000`), when judged as the own serial of an application submitted
    /// on its date whose applicant's number is another, then it is quoted, as a 15-digit
    /// 受理编号 of that shape is: a number born after today is no person's. A real number with
    /// one character mistyped is still taken for one. (Found by a province's walkthrough: the
    /// province's every serial was hidden from it, in replay, find and reconciliation.)
    #[test]
    fn digits_dated_after_today_are_no_persons_number() {
        assert!(!reads_as_id("440000261102100000"));
        assert_eq!(id_shaped_misread("44000026110200000001"), None);
        let own = crate::domain::personal::OwnNumbers::of(
            &serde_json::json!({"applicant": {"id_number": "11010519491231002X"}}),
        )
        .submitted_at("2026-11-02T01:00:00Z");
        assert!(quotable_own_serial("44000026110200000001", &own));
        // The vector number with its check character mistyped, and with a digit of its date.
        assert_eq!(
            id_shaped_misread("110105194912310023"),
            Some(IdMisread::Checksum)
        );
        assert_eq!(
            id_shaped_misread("GD-11010519491231102X"),
            Some(IdMisread::Checksum)
        );
        assert!(!quotable_own_serial("GD-110105194912310023", &own));
    }

    /// Given a province's free words (local status words, step codes) and words that hold an ID
    /// number, a phone or an address, when judged for personal data, then only a number or an
    /// address is, however it is typed.
    #[test]
    fn a_word_is_no_personal_data_and_a_number_in_it_is() {
        for word in [
            "已受理",
            "办结",
            "不予受理",
            "2",
            "99",
            "Delivered",
            "在办(补正)",
        ] {
            assert!(!holds_personal_data(word), "{word}");
        }
        for personal in [
            "已受理13812345678",
            "办结 138-0013-8000",
            "１３８００１３８０００",
            "11010519491231002X",
            "a@b",
            "办结＠",
        ] {
            assert!(holds_personal_data(personal), "{personal}");
        }
    }

    /// Given an application whose submission names its applicant's ID number and mobile, when
    /// serials the log holds as its own are judged with it, then one of region code, date and
    /// sequence (a legacy ID number's shape) and one with another mobile's digits are quoted,
    /// while one that is or embeds the applicant's numbers, in any form, is not; given a
    /// submission that names no ID number or no phone, then a serial of that shape is judged
    /// by its shape alone, and hidden.
    #[test]
    fn the_applications_own_serial_is_judged_by_what_its_submission_names() {
        use crate::domain::personal::OwnNumbers;
        let own = applicant("33010619580301002X", "13712345678");
        for quoted in ["440300261206001", "441300261206001", "ZJ-SL-1"] {
            assert!(!quotable_serial(quoted) || quoted == "ZJ-SL-1", "{quoted}");
            assert!(quotable_own_serial(quoted, &own), "{quoted}");
        }
        assert_hidden_as_own(
            &own,
            &[
                "33010619580301002X",
                // Another person's numbers, by shape alone: an agent's ID number, a mobile, a legacy
                // 15-digit number dated decades from the submission (a birth date, not an intake's).
                "11010519491231002X",
                "110105491231002",
                // One run dated by the application and another a birth date: not quoted.
                "440300261206001/110105491231002",
                "SL-13900139000",
                "+86 139 0013 9000",
                "330106580301002",
                "GD-330106580301002",
                "SL-137-1234-5678",
                "+86 137 1234 5678",
                "440300261206001@x",
                "受理-1",
            ],
        );
        let no_id = submitted(serde_json::json!({"applicant": {"phone": "13712345678"}}));
        assert!(!quotable_own_serial("440300261206001", &no_id));
        assert!(!quotable_own_serial("SL-13900139000", &no_id));
        let no_phone =
            submitted(serde_json::json!({"applicant": {"id_number": "33010619580301002X"}}));
        // Of its own date only: the day of the submission not known, nothing dates it.
        let undated =
            OwnNumbers::of(&serde_json::json!({"applicant": {"id_number": "33010619580301002X"}}));
        assert!(!quotable_own_serial("440300261206001", &undated));
        assert!(quotable_own_serial("440300261206001", &no_phone));
        // Huizhou's 441300 reads as a mobile's 13… too: no phone named, nothing tells it apart.
        assert!(!quotable_own_serial("441300261206001", &no_phone));
    }

    /// Given 17-digit serials of region code, yyyyMMdd and a 3-digit sequence (the first 17
    /// digits of an 18-character ID number's shape), when judged as an application's own
    /// serial, then one dated within 45 days of the submission (45 before, to the day) is quoted where the submission
    /// names ID numbers none of which it begins, as a legacy 15-digit one is; while one that
    /// begins the applicant's number, one dated far from the submission (a birth date), one
    /// of an application whose submission names no ID number or whose day is unknown, one
    /// beside another person's number, and any of them by its shape alone, are not. (Found by
    /// a review: `44030020261206001` was refused even as the application's own serial.)
    #[test]
    fn a_17_digit_serial_of_code_date_and_sequence_is_judged_by_its_date() {
        use crate::domain::personal::OwnNumbers;
        // A newborn's number, dated 2026-12-01, beside the applicant's.
        let data = serde_json::json!({
            "applicant": {"id_number": "33010619580301002X", "phone": "13712345678"},
            "form": {"child": {"id_number": "44030020261201001X"}}
        });
        let own = submitted(data.clone());
        for quoted in [
            "44030020261206001",
            "440300-20261206-001",
            "GD-44030020261206001",
            "44030020261021001",
        ] {
            assert!(quotable_own_serial(quoted, &own), "{quoted}");
            assert!(!quotable_serial(quoted), "{quoted}");
            assert!(holds_personal_data(quoted), "{quoted}");
        }
        assert_hidden_as_own(
            &own,
            &[
                // The child's number without its check character, and with it.
                "44030020261201001",
                "GD-44030020261201001X",
                // Dated 46 days before the submission, and a birth date.
                "44030020261020002",
                "11010519491231002",
                "GD-11010519491231002",
                // One dated run beside another person's.
                "44030020261206001/11010519491231002",
                "44030020261206001/110105491231002",
                // Eighteen characters of the same making: an ID number by shape, whatever its date.
                "440300202612060017",
            ],
        );
        // Nor where the submission names no ID number, or its day is not known.
        for (what, other) in [
            (
                "no ID number",
                submitted(serde_json::json!({"applicant": {"phone": "13712345678"}})),
            ),
            ("no day", OwnNumbers::of(&data)),
        ] {
            assert!(!quotable_own_serial("44030020261206001", &other), "{what}");
        }
        // Seventeen digits of no region or no real date are no ID number's.
        assert!(quotable_serial("99030020261206001") && quotable_serial("44030020261306001"));
    }

    /// Given numbers typed to search for a serial the log knows nothing of (`tongban find`),
    /// when judged by their shape, then the legacy 15 digits of a known region and a real birth
    /// date hold an ID number as 18 characters do, mistyped or not, alone or among other
    /// characters (a 受理编号 of region code, date and sequence cannot be told from one), and so
    /// does a phone number, while 15 digits of no region or no date, and a serial of letters and
    /// digits, do not.
    #[test]
    fn a_searched_number_is_judged_by_the_numbers_it_holds() {
        for personal in [
            "440300261206001",
            "440300-261206-001",
            "４４０３００２６１２０６００１",
            "110105194912310021",
            "GD-440106197707077771",
            "张三13812345678",
            "SL-13712345678",
        ] {
            assert!(holds_personal_data(personal), "{personal}");
        }
        for fine in [
            "990300261206001",
            "440300261306001",
            "HBZW20261206000005",
            "GD-2026-01",
        ] {
            assert!(!holds_personal_data(fine), "{fine}");
        }
    }

    /// Given a landline as a province's free text writes one (its extension after a hyphen,
    /// full-width, spaces around the hyphens, no hyphen, a space for it, the area code in
    /// brackets, after a date or a word), a mobile in groups after a date, and an ID number's
    /// first 17 digits (which give its check character), when judged for personal data, then
    /// each holds a number and none is quoted; while an 8-digit 受理编号, dates and times, and
    /// serials of letters, date and sequence do not, nor 17 digits of no real date or region.
    /// (Found by a review: a landline's extension ran into its number, and `020-87654321-123`
    /// was quoted back.)
    #[test]
    fn a_landline_with_its_extension_and_an_id_numbers_first_17_digits_are_personal_data() {
        assert_held(&[
            "020-87654321-123",
            "02087654321-123",
            "0755-8765432-8001",
            "０２０－８７６５４３２１－１２３",
            "020 - 87654321 - 123",
            "02087654321",
            "020 87654321",
            "(020)87654321",
            "（０２０）８７６５４３２１",
            "2026-12-05 020-87654321",
            "SL-2026-0001 0755-8765432-8001",
            "联系电话020-87654321转123",
            "2026-12-05 138 0013 8000",
            "11010520150610002",
            "GD-11010520150610002",
        ]);
        for fine in [
            "20261206",
            "SL-20261206",
            "SL-2026-1206-0001",
            "2026-12-05",
            "2026/12/05",
            "2026-12-05 16:24:58",
            "2026-12-05 16:24:58.1234",
            "ZJ-SL-0001-0002",
            "HBZW20261206000005",
            "No.0001234",
            "办结(2026-12-05)",
            "11010520151310002",
            "99010520150610002",
            "1101052015061000",
        ] {
            assert!(!holds_personal_data(fine), "{fine}");
            assert!(quotable_serial(fine) || !fine.is_ascii(), "{fine}");
        }
        assert_eq!(
            landline_without_extension("020-87654321-123").as_deref(),
            Some("02087654321")
        );
        assert_eq!(
            landline_without_extension("０７５５－８７６５４３２ 转 ８００１").as_deref(),
            Some("07558765432")
        );
        // A 7-digit line and a 1-digit extension, though it may be 0571-87654321 as well.
        assert_eq!(
            landline_without_extension("0571-8765432-1").as_deref(),
            Some("05718765432")
        );
        for none in ["020-87654321", "138-0013-8000", "0755-8765-4321", "SL-1"] {
            assert_eq!(landline_without_extension(none), None, "{none}");
        }
    }

    /// Given a landline written with the country code (`+86`, `0086`, `86`, as its own group or
    /// run into the area code), or with its groups joined by a line break, a tab, a no-break
    /// space, a Unicode dash or minus, a middle dot, an underscore or a tilde, in a province's
    /// status words, when judged for personal data, then each holds a phone and none is quoted;
    /// while the same characters among dates and serials, and groups of the country code's
    /// digits that make no landline, do not. (Found by a review: `已退回 联系电话:+86-20-87654321`
    /// and `已退回 020−87654321−123` were quoted back as status words.)
    #[test]
    fn a_landline_with_the_country_code_or_joined_by_any_dash_or_space_is_personal_data() {
        assert_held(&[
            "已退回 联系电话:+86-20-87654321",
            "+86-20-87654321",
            "+86 755 8765 4321",
            "+86 10 6234 5678",
            "+8620 87654321",
            "待补正 0086 755 87654321",
            "0086-20-87654321-123",
            "86 (20) 8765 4321",
            "＋８６ ２０ ８７６５ ４３２１",
            "已退回，请联系020-\n87654321-123",
            "待补正 020\u{a0}8765 4321-123",
            "已退回 020\u{2212}87654321\u{2212}123",
            "已退回 020\u{2010}87654321\u{2010}123",
            "已退回 020\u{2013}87654321\u{2013}123",
            "已退回 020\u{fe63}87654321\u{fe63}123",
            "已退回 020·87654321·123",
            "已退回 020_87654321_123",
            "已退回 020~87654321~123",
            "已退回 020\t87654321\t123",
            "已退回 020\u{200b}87654321-123",
            "已退回 0755\u{3000}8765\u{3000}4321 转 8001",
            "+86 138 0013 8000",
        ]);
        for fine in [
            "已退回",
            "待补正 2026·12·05",
            "办结_2026-12-05",
            "已退回 2026\u{2212}12\u{2212}05 16:24",
            "SL~0001~0002",
            "ZJ\u{2010}SL\u{2010}0001",
            "86",
            "+86",
            "86-2026-1206",
            "+86 20 8765 432",
            "+86 11 8765 4321",
            "第86号 020:87654321:123",
        ] {
            assert!(!holds_personal_data(fine), "{fine:?}");
        }
        assert!(quotable_serial("SL~0001~0002") && quotable_serial("86-2026-1206"));
    }

    /// Given serials of letters, area code or a mobile's first digits, date and sequence, whose
    /// groups joined make a phone's digits (`150`+`20261206`, `0512`+`20261206`), when judged,
    /// then those with an area code are quoted by shape, and those with a mobile's eleven digits
    /// among more are quoted as an application's own serial where its submission names a phone
    /// (and not by shape, nor where it names none); while a mobile grouped as people write one,
    /// alone or spaced from a date, and a landline whose subscriber number is no date, are
    /// still phones. (Found by a review: `SL-150-20261206-001` was refused even as the
    /// application's own serial.)
    #[test]
    fn a_serials_groups_of_code_date_and_sequence_are_no_phone() {
        let own = applicant("33010619580301002X", "13712345678");
        let no_phone =
            submitted(serde_json::json!({"applicant": {"id_number": "33010619580301002X"}}));
        for serial in [
            "0512-20261206-001",
            "HZ-0571-20261206-0001",
            "0571-2026-1206-01",
        ] {
            assert!(!holds_personal_data(serial), "{serial}");
            assert!(quotable_serial(serial), "{serial}");
            assert!(quotable_own_serial(serial, &no_phone), "{serial}");
        }
        for serial in [
            "SL-150-20261206-001",
            "SL-139-2026-1206-01",
            "SL-138-0013-8000-1",
        ] {
            assert!(!quotable_serial(serial), "{serial}");
            assert!(quotable_own_serial(serial, &own), "{serial}");
            assert!(!quotable_own_serial(serial, &no_phone), "{serial}");
        }
        // A mobile as people group one, alone, after a word or spaced from a date, is one.
        for mobile in [
            "SL-139-2026-1206",
            "139 2026 1206",
            "150-2026-1206",
            "138 001 38000",
            "+86 138-0013-8000",
            "2026-12-05 138 0013 8000",
            "办结 138-0013-8000 转 1",
        ] {
            assert_eq!(
                grouped_phone(mobile),
                Some(tongban_schemas::ids::phone::PhoneKind::Mobile),
                "{mobile}"
            );
            assert!(!quotable_own_serial(mobile, &own), "{mobile}");
        }
        // A landline whose subscriber number is no date, or written as one run, is one.
        let landlines = [
            "0512-6512-3456-001",
            "HZ-0571-87654321-0001",
            "0571-2026-1306-01",
            "020 20261206",
            "SL-02020261206",
        ];
        assert_held(&landlines);
        for landline in landlines {
            assert!(!quotable_own_serial(landline, &no_phone), "{landline}");
        }
    }

    /// A whole key that is an ID number of a known region or a mobile number reads as personal
    /// data, written whole or in groups; a serial that only contains such digits among others,
    /// or an ID-shaped number failing its check or of no region, does not. The warning does not
    /// echo the key.
    #[test]
    fn a_key_that_reads_as_personal_data_is_said_so_without_echoing_it() {
        for personal in [
            "11010519491231002X",
            "11010519491231002x",
            "440305601015001",
            "13612345678",
            "+8613612345678",
            "8613612345678",
            "008613612345678",
            "136-1234-5678",
            "86-13612345678",
            "110105-19491231-002X",
        ] {
            let what = personal_key(personal).expect(personal);
            let warning = personal_key_warning(what);
            assert_eq!(warning.rule, "personal-data");
            assert!(!warning.message.contains(personal), "{}", warning.message);
        }
        for fine in [
            "SQ-11010519491231002X",
            "110105194912310021",
            "990105194912310023",
            "1361234567",
            "86136123456789",
            "990305601015001",
            "23612345678",
            "YS-2026-0001",
        ] {
            assert_eq!(personal_key(fine), None, "{fine}");
        }
    }

    /// Given values typed where an application id belongs, when checked, then each is refused
    /// for what it is, under the HTTP API's rules, and none is quoted but as the id a UUID in
    /// capitals would be.
    #[test]
    fn an_application_id_is_refused_for_what_it_is_without_quoting_it() {
        let id = "f8173684-449b-854e-a2d0-4703013925d8";
        assert_eq!(check_app_id(id), Ok(()));
        let capitals = check_app_id(&id.to_uppercase()).expect_err("capitals");
        assert_eq!(capitals.rule(), "uuid-lowercase");
        assert_eq!(
            capitals.message("x"),
            format!("application ids are lowercase UUIDs: {id}")
        );
        for (given, what) in [
            ("", "it is empty"),
            (
                " f8173684-449b-854e-a2d0-4703013925d8",
                "white space around it",
            ),
            (
                "F8173684-449B-854E-A2D0-4703013925D8 ",
                "white space around it",
            ),
            (
                "f8173684449b854ea2d04703013925d8",
                "32 hex digits without the dashes",
            ),
            (
                "F8173684",
                "the first 8 characters of a UUID's form: the start of an id?",
            ),
            (
                "GD-2026-0929-A",
                "it is 14 characters: 8 digits, 3 ASCII letters, 3 other",
            ),
            ("13612345678", "it is 11 characters: 11 digits"),
        ] {
            let refused = check_app_id(given).expect_err(given);
            assert_eq!(refused.rule(), "uuid", "{given:?}");
            let said = refused.message("the id given");
            assert!(
                said.starts_with(
                    "application ids are lowercase UUIDs (as POST /v1/applications answers \
                     them); the id given is none: "
                ) && said.contains(what),
                "{given:?}: {said}"
            );
            if !given.trim().is_empty() {
                assert!(!said.contains(given.trim()), "{said}");
            }
        }
    }

    #[test]
    fn v7_ids_are_valid_and_distinct() {
        let a = new_v7();
        let b = new_v7();
        assert!(is_valid(&a), "{a}");
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "7");
    }

    #[test]
    fn keyed_ids_depend_on_region_and_key() {
        let a = app_id_for_key("440000", "k1");
        assert_eq!(a, app_id_for_key("440000", "k1"));
        assert_ne!(a, app_id_for_key("330000", "k1"));
        assert_ne!(a, app_id_for_key("440000", "k2"));
        assert!(is_valid(&a));
        assert_eq!(&a[14..15], "8");
        // The same id every version has given (a retry's key must find its application), as
        // Python's hashlib computes it from the rule above.
        assert_eq!(a, "3a1cace4-df29-8c19-aa09-cc26e91da3a6");
    }

    /// Given the keyed derivation, then an id depends on the region, the key and the gateway
    /// key's secret: the same for every gateway holding that key, another under another key,
    /// and never the unkeyed id anyone could recompute from the key alone.
    #[test]
    fn keyed_ids_depend_on_the_gateway_key_too() {
        let key = crate::envelope::GatewayKey::from_seed([7; 32]);
        let ids = AppIds::new(Derivation::Keyed, &key);
        let a = ids.for_key("440000", "440106197707077771");
        assert_eq!(
            a,
            AppIds::new(Derivation::Keyed, &key).for_key("440000", "440106197707077771")
        );
        assert_ne!(a, ids.for_key("330000", "440106197707077771"));
        assert_ne!(a, ids.for_key("440000", "440106197707077772"));
        assert_ne!(a, app_id_for_key("440000", "440106197707077771"));
        let other = crate::envelope::GatewayKey::from_seed([8; 32]);
        assert_ne!(
            a,
            AppIds::new(Derivation::Keyed, &other).for_key("440000", "440106197707077771")
        );
        assert!(is_valid(&a), "{a}");
        assert_eq!(&a[14..15], "8");
        // The same id every version gives (a retry's key must find its application), as
        // Python's hmac and hashlib compute it from the rules above.
        assert_eq!(
            AppIds::new(Derivation::Keyed, &key).for_key("440000", "k1"),
            "78cee98c-8ea9-8a1b-aca5-36b275e3ec51"
        );
        // A log made before keyed ids derives as it did.
        assert_eq!(
            AppIds::new(Derivation::Unkeyed, &key).for_key("440000", "k1"),
            "3a1cace4-df29-8c19-aa09-cc26e91da3a6"
        );
    }

    /// The HMAC is RFC 2104's (RFC 4231's first message under a 32-byte key of its `0x0b` bytes,
    /// as Python's `hmac` computes it): whoever is given the secret recomputes our ids.
    #[test]
    fn the_keyed_derivation_is_hmac_sha256() {
        let key = [0x0b; 32];
        let mac = Hmac::new(&key).of(&[b"Hi ", b"There"]);
        assert_eq!(
            crate::hex::encode(&mac),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"
        );
    }

    /// A recorded derivation reads back only as one this version writes.
    #[test]
    fn only_the_keyed_record_is_read_as_keyed() {
        assert_eq!(Derivation::recorded("keyed/v2\n"), Some(Derivation::Keyed));
        assert_eq!(
            Derivation::recorded("unkeyed/v1"),
            Some(Derivation::Unkeyed)
        );
        assert_eq!(Derivation::recorded("keyed/v3"), None);
        assert_eq!(Derivation::recorded(""), None);
    }
}
