//! `tongban serve --demo`: six provinces, their tokens and a few applications in different states,
//! so a newcomer has something to look at and to try with curl.

use std::collections::BTreeMap;
use std::path::Path;

use tongban_schemas::{Mode, events as ev, matters};

use crate::auth::book::{BookFile, TokenEntry};
use crate::auth::{Principal, RegionBook};
use crate::domain::Command;
use crate::log::EventLog;
use crate::service::{Gateway, ServiceError, SubmitRequest};

/// The demo provinces (GB/T 2260 codes).
pub const REGIONS: [(&str, &str); 6] = [
    ("440000", "广东省"),
    ("330000", "浙江省"),
    ("340000", "安徽省"),
    ("310000", "上海市"),
    ("510000", "四川省"),
    ("500000", "重庆市"),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Regions(#[from] crate::auth::RegionBookError),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("seeding demo data: {0}")]
    Seed(#[from] ServiceError),
}

/// The label of every token `--demo` issues, by which [`is_demo_book`] knows its book.
const LABEL: &str = "demo";

/// Whether `book` holds nothing but what [`create_regions`] registers: demo regions and tokens
/// labelled `demo` (an empty book too). A first start of the demo interrupted before its tokens
/// file was written leaves such a book, which the next start completes; a book with anything
/// else in it is an operator's, which `--demo` must not add to.
pub fn is_demo_book(book: &BookFile) -> bool {
    let ours = |t: &TokenEntry| t.label.as_deref() == Some(LABEL);
    book.regions.iter().all(|(code, entry)| {
        REGIONS.iter().any(|(c, _)| c == code) && entry.tokens.iter().all(ours)
    }) && book.operators.iter().all(ours)
}

/// Registers the demo regions and an operator, writes their tokens to `<data>/demo-tokens.json`,
/// and returns the token map and how many regions were registered already. The tokens file is
/// written last, so its presence marks the demo data as complete; a start interrupted before it
/// is finished by the next one. Tokens are shown only once, at issue, so a region registered by
/// the interrupted start is issued a new token here (its first is left unused: demo data is
/// throwaway), as is an operator.
pub fn create_regions(
    book: &RegionBook,
    tokens_file: &Path,
) -> Result<(BTreeMap<String, String>, usize), DemoError> {
    let registered = book.snapshot().regions;
    let mut tokens = BTreeMap::new();
    for (code, name) in REGIONS {
        let issued = match registered.contains_key(code) {
            true => book.issue_token(code, Some(LABEL))?,
            false => book.add_region(code, name, Some(LABEL))?,
        };
        tokens.insert(code.to_string(), issued.secret);
    }
    tokens.insert(
        "operator".to_string(),
        book.issue_operator_token(Some(LABEL))?.secret,
    );
    let text = serde_json::to_vec_pretty(&tokens).unwrap_or_default();
    crate::fsutil::write_private_atomically(tokens_file, &text).map_err(|source| {
        DemoError::Io {
            path: tokens_file.display().to_string(),
            source,
        }
    })?;
    let already = REGIONS
        .iter()
        .filter(|(code, _)| registered.contains_key(*code))
        .count();
    Ok((tokens, already))
}

fn principal(
    book: &RegionBook,
    tokens: &BTreeMap<String, String>,
    region: &str,
) -> Option<Principal> {
    tokens.get(region).and_then(|t| book.authenticate(t))
}

/// Submits each matter's example and moves some of them along, so inboxes are not empty.
pub async fn seed<L: EventLog>(
    gateway: &Gateway<L>,
    book: &RegionBook,
    tokens: &BTreeMap<String, String>,
) -> Result<usize, DemoError> {
    let mut count = 0;
    for (i, matter) in matters::all().iter().enumerate() {
        let example = matter.example();
        let request: SubmitRequest = match serde_json::from_value(example) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(matter = matter.code, error = %e, "example does not fit the submission shape");
                continue;
            }
        };
        let Some(origin) = principal(book, tokens, &request.origin.0) else {
            continue;
        };
        let handlers = request.handlers.clone();
        let mode = request.mode;
        let outcome = gateway
            .submit(&origin, request, Some(&format!("demo-{}", matter.code)))
            .await?;
        count += 1;
        let Some(lead) = handlers.first().and_then(|h| principal(book, tokens, &h.0)) else {
            continue;
        };
        // Spread the demo applications over the lifecycle.
        let mut steps: Vec<(Principal, Command)> = Vec::new();
        if i % 4 >= 1 {
            steps.push((
                origin.clone(),
                Command::Forward(ev::Forwarded {
                    materials_checked: mode == Mode::Proxy,
                    note: None,
                }),
            ));
        }
        if i % 4 >= 2 {
            steps.push((
                lead.clone(),
                Command::Accept(ev::Accepted {
                    reference: Some(format!("SL{:06}", i + 1)),
                }),
            ));
        }
        if i % 4 == 3 {
            if mode == Mode::Joint {
                for h in &handlers {
                    if let Some(p) = principal(book, tokens, &h.0) {
                        steps.push((p, Command::CompletePart(ev::PartCompleted::default())));
                    }
                }
            }
            steps.push((
                lead.clone(),
                Command::Approve(ev::Approved {
                    decision_number: Some(format!("JD{:06}", i + 1)),
                }),
            ));
            steps.push((
                lead.clone(),
                Command::IssueResult(crate::sample::result(matter, i)),
            ));
        }
        for (who, cmd) in steps {
            gateway.act(&who, &outcome.id, cmd, None).await?;
        }
    }
    Ok(count)
}
