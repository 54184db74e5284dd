//! The local forms the end-to-end stages submit: every region's golden sample for every matter it
//! covers (the adapters' golden files, so the bench submits exactly what the golden tests check),
//! JSON and GBK XML alike, in turn; each sending of a form as another person's
//! ([`another_person`]).

use std::sync::OnceLock;

use tongban_schemas::ids::{gb2260, gb11643};

/// One province's local form for one matter.
pub struct Form {
    pub region: &'static str,
    pub matter: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

pub const FORMS: &[Form] = &[
    Form {
        region: "310000",
        matter: "criminal-record-certificate",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!(
            "../../../adapters/regions/310000/golden/criminal-record-certificate.local.xml"
        ),
    },
    Form {
        region: "310000",
        matter: "pension-transfer",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!("../../../adapters/regions/310000/golden/pension-transfer.local.xml"),
    },
    Form {
        region: "310000",
        matter: "social-security-card",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!(
            "../../../adapters/regions/310000/golden/social-security-card.local.xml"
        ),
    },
    Form {
        region: "330000",
        matter: "hukou-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/hukou-transfer.local.json"),
    },
    Form {
        region: "330000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/medical-filing.local.json"),
    },
    Form {
        region: "330000",
        matter: "pension-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/pension-transfer.local.json"),
    },
    Form {
        region: "340000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/340000/golden/medical-filing.local.json"),
    },
    Form {
        region: "340000",
        matter: "pension-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/340000/golden/pension-transfer.local.json"),
    },
    Form {
        region: "340000",
        matter: "unemployment-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/340000/golden/unemployment-registration.local.json"
        ),
    },
    Form {
        region: "440000",
        matter: "business-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/440000/golden/business-registration.local.json"
        ),
    },
    Form {
        region: "440000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/440000/golden/medical-filing.local.json"),
    },
    Form {
        region: "440000",
        matter: "social-security-card",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/440000/golden/social-security-card.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "criminal-record-certificate",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/criminal-record-certificate.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "housing-fund-transfer",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/housing-fund-transfer.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "unemployment-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/unemployment-registration.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "criminal-record-certificate",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/510000/golden/criminal-record-certificate.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "housing-fund-transfer",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/510000/golden/housing-fund-transfer.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "hukou-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/510000/golden/hukou-transfer.local.json"),
    },
];

/// Sequence codes one birth date and sex give: the 15th and 16th digits (01–99) times the five
/// 17th digits of the sex's parity.
const SEQUENCES: u64 = 99 * 5;

/// Every county-level division code (GB/T 2260, historical ones included), ascending: the places
/// an ID number's first six digits may name. A federation's applicants come from anywhere, and
/// a code the table knows draws no `gb11643-region-unknown` warning.
fn counties() -> &'static [u32] {
    static COUNTIES: OnceLock<Vec<u32>> = OnceLock::new();
    COUNTIES.get_or_init(|| {
        gb2260::codes()
            .into_iter()
            .filter(|c| c % 100 != 0)
            .collect()
    })
}

/// Draws the places [`another_person`] gives ID numbers before a stage's clock starts, so that
/// the first submission of a measured stage does not pay for it.
pub fn prepare() {
    counties();
}

/// How many distinct people [`another_person`] makes of one form before it repeats.
#[cfg(test)]
fn people() -> u64 {
    SEQUENCES * counties().len().max(1) as u64
}

/// `body` as the `k`th other person's: every GB 11643 number in it (18 characters standing
/// alone, its check character right) gets the `k`th place and sequence code, its birth date and
/// sex kept and its check character recomputed, so the form's own rules (a birth date or sex
/// field that must agree with the number) still hold. 18-character codes that are no ID number
/// (a 统一社会信用代码, a serial) are left as they are. GBK's trailing bytes are never ASCII
/// digits, so the scan is safe on the XML forms' bytes too.
///
/// Why: the same applicant sent again and again finds their earlier open applications and is
/// warned of them (`possible-duplicate`), an extra read and answer that a province's real
/// traffic, distinct people, rarely pays; the bench would measure that path instead of the
/// submission's (docs/performance.md, "Round 47"). Distinct for `k` below [`people`].
pub fn another_person(body: &[u8], k: u64) -> Vec<u8> {
    let counties = counties();
    let sequence = k % SEQUENCES;
    let county = counties
        .get(((k / SEQUENCES) % counties.len().max(1) as u64) as usize)
        .copied();
    let mut out = body.to_vec();
    let mut i = 0;
    while i + 18 <= out.len() {
        let candidate = &out[i..i + 18];
        let alone = (i == 0 || !out[i - 1].is_ascii_alphanumeric())
            && out.get(i + 18).is_none_or(|b| !b.is_ascii_alphanumeric());
        let shaped = candidate[0] != b'0'
            && candidate[..17].iter().all(u8::is_ascii_digit)
            && (candidate[17].is_ascii_digit() || candidate[17] == b'X' || candidate[17] == b'x');
        if !(alone
            && shaped
            && gb11643::check_char(&candidate[..17]) == Some(candidate[17].to_ascii_uppercase()))
        {
            i += 1;
            continue;
        }
        let odd = u64::from(candidate[16] - b'0') % 2;
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(&candidate[..17]);
        if let Some(county) = county {
            first17[..6].copy_from_slice(format!("{county:06}").as_bytes());
        }
        let pair = sequence % 99 + 1;
        first17[14] = b'0' + (pair / 10) as u8;
        first17[15] = b'0' + (pair % 10) as u8;
        first17[16] = b'0' + (odd + 2 * (sequence / 99)) as u8;
        let Some(check) = gb11643::check_char(&first17) else {
            i += 1;
            continue;
        };
        out[i..i + 17].copy_from_slice(&first17);
        out[i + 17] = check;
        i += 18;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn id_numbers(body: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(body);
        let mut out = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        for w in chars.windows(18) {
            let s: String = w.iter().collect();
            if gb11643::is_valid(&s) {
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn every_form_sent_as_another_person_is_taken_with_the_same_warnings() {
        let registry = tongban_adapters::Registry::builtin().expect("the built-in adapters");
        for form in FORMS {
            let adapter = registry
                .get(form.region, form.matter)
                .expect("an adapter for every bench form");
            let as_is = adapter
                .translate_from(form.body, None, &|_| Vec::new())
                .unwrap_or_else(|e| panic!("{} {}: {e}", form.region, form.matter));
            let originals = id_numbers(form.body);
            assert!(!originals.is_empty(), "{} {}", form.region, form.matter);
            let mut seen = BTreeSet::new();
            for k in [
                0,
                1,
                98,
                99,
                494,
                495,
                496,
                100_000,
                people() - 1,
                2_000_000,
            ] {
                let body = another_person(form.body, k);
                let numbers = id_numbers(&body);
                assert_eq!(numbers.len(), originals.len(), "{} k={k}", form.region);
                for (new, old) in numbers.iter().zip(&originals) {
                    assert_ne!(new, old, "{} {} k={k}", form.region, form.matter);
                    // The birth date and sex stay: the form's own fields agree with them.
                    assert_eq!(new[6..14], old[6..14]);
                    assert_eq!(new.as_bytes()[16] % 2, old.as_bytes()[16] % 2);
                }
                assert!(
                    seen.insert(numbers[0].clone()) || k >= people(),
                    "k={k} repeated"
                );
                let taken = adapter
                    .translate_from(&body, None, &|_| Vec::new())
                    .unwrap_or_else(|e| panic!("{} {} k={k}: {e}", form.region, form.matter));
                assert_eq!(
                    taken.warnings.len(),
                    as_is.warnings.len(),
                    "{} {} k={k}: {:?}",
                    form.region,
                    form.matter,
                    taken.warnings
                );
            }
        }
    }

    #[test]
    fn what_is_no_id_number_is_left_as_it_is() {
        // A credit code, a 20-digit serial holding 18 digits with a right check character, and
        // an 18-digit run with a wrong one.
        let id = b"110101199003070011";
        assert_eq!(gb11643::check_char(&id[..17]), Some(id[17]));
        let body = [
            b"91350100M000100Y43 ".as_slice(),
            b"44011020261123000123 ".as_slice(),
            b"1".as_slice(),
            id,
            b"9 110101199003070012".as_slice(),
        ]
        .concat();
        assert_eq!(another_person(&body, 7), body);
        assert_ne!(another_person(id, 7), id.to_vec());
    }

    #[test]
    fn people_are_distinct_for_every_k_below_the_count() {
        let id = b"110101199003070011";
        let mut seen = BTreeSet::new();
        for k in 0..3 * SEQUENCES {
            assert!(seen.insert(another_person(id, k)), "k={k}");
        }
        assert!(people() > 1_000_000, "{}", people());
    }
}
