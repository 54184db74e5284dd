//! `/v1/adapters…`: the regions' adapters as JSON — which region reads which matter in what
//! local form, and its field table (local field → canonical path). Public reads, as `/v1/matters`
//! and `/v1/schemas` are: a province writing its form, or reading another region's, needs no token
//! to see how a form maps; the registry's HTML adapter table links here.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tongban_adapters::Adapter;
use tongban_adapters::spec::Format;

use super::AppState;
use super::extract::{Path, Query};
use super::problem::Problem;
use super::schemas::{REVALIDATE, cached_json};
use crate::log::EventLog;

/// `GET /v1/adapters`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AdapterList {
    pub adapters: Vec<AdapterSummary>,
}

/// One region's adapter for one matter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AdapterSummary {
    /// GB/T 2260 code of the region, e.g. `370000`.
    pub region: String,
    /// The region's name, e.g. 山东省.
    pub region_name: String,
    /// The canonical matter code, e.g. `unemployment-registration`.
    pub matter: String,
    /// The spec's title of the local form (or where the spec came from, when it has none).
    pub title: String,
    /// The content type local forms are sent and read back in, e.g. `application/xml; charset=GBK`.
    pub content_type: String,
    /// `json` or `xml`.
    pub format: String,
    /// The charset written outbound (`UTF-8` for JSON).
    pub charset: String,
    /// The XML root element, for XML forms.
    pub root: Option<String>,
    /// The canonical schema version the adapter maps to (`/v1/schemas/matter.<code>/versions/…`).
    pub canonical_version: u32,
    /// What a local field the spec does not know does: `warn`, `reject` or `ignore`.
    pub unknown_fields: String,
    /// This adapter with its field table.
    pub href: String,
}

/// `GET /v1/adapters/{region}/{matter}`: the summary and the field table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AdapterDetail {
    #[serde(flatten)]
    pub summary: AdapterSummary,
    /// Every local field in spec order.
    pub fields: Vec<FieldItem>,
}

/// One row of the field table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldItem {
    /// The local pointer; `*` for any item of a list (`/CLXX/CL/*/CLMC`). Empty for a canonical
    /// constant, which has no local field.
    pub local: String,
    /// The canonical pointer, `*` for any item (`/materials/*/name`); empty for a local constant
    /// and an item's order number.
    pub canonical: String,
    /// The field's 中文 name.
    pub label: Option<String>,
    /// Missing → `required` at the local field.
    pub required: bool,
    /// `value`, `const`, `canonical-const`, `split`, `surname`, `given-name`, `list`,
    /// `joined-list` or `index`.
    pub kind: String,
    /// The fixed value of a constant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// A field read through a code table: each local code and the canonical value it gives
    /// (aliases included), in the table's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<CodeItem>>,
    /// What the gateway does to the value on its way in, in order, and what an absent value is
    /// taken as: a date's layout (`date written yyyyMMdd`), a list's separator (`items joined by
    /// ;`), a code table (its codes under `codes`), spaces trimmed, full-width characters taken
    /// as half-width, `absent, null or blank: taken as "0"`. Left out when nothing is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<String>,
}

/// One code of a field's table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CodeItem {
    /// As the province sends it.
    pub local: String,
    /// What it stands for in the canonical schema.
    pub canonical: serde_json::Value,
}

/// `?region=` and `?matter=` narrow the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub region: Option<String>,
    pub matter: Option<String>,
}

fn summary(a: &Adapter) -> AdapterSummary {
    let (format, charset, root) = match (a.format, &a.xml) {
        (Format::Xml, Some(x)) => ("xml", x.charset.clone(), Some(x.root.clone())),
        (Format::Xml, None) => ("xml", "UTF-8".to_string(), None),
        (Format::Json, _) => ("json", "UTF-8".to_string(), None),
    };
    AdapterSummary {
        region: a.region.clone(),
        region_name: tongban_schemas::ids::gb2260::lookup(&a.region)
            .map(|d| d.name().to_string())
            .unwrap_or_default(),
        matter: a.matter.code.to_string(),
        title: a.title.clone().unwrap_or_else(|| a.source.clone()),
        content_type: a.content_type(),
        format: format.into(),
        charset,
        root,
        canonical_version: a.matter.version,
        unknown_fields: a.unknown_fields().into(),
        href: href(&a.region, a.matter.code),
    }
}

/// Where one adapter is read as JSON (the registry page links it).
pub fn href(region: &str, matter: &str) -> String {
    format!("/v1/adapters/{region}/{matter}")
}

pub async fn list<L: EventLog>(
    State(_): State<AppState<L>>,
    Query(filter): Query<Filter>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    // A mistyped filter (`44000`, `medical-filling`) is said, not answered with an empty list
    // that reads as "no adapters".
    if let Some(r) = filter.region.as_deref()
        && !crate::domain::is_region_code(r)
    {
        return Err(Problem::bad_request(
            "query:region",
            "gb2260-format",
            // Not quoted: a value that is no code may be personal data.
            "region must be a 6-digit GB/T 2260 code".to_string(),
        ));
    }
    if let Some(m) = filter.matter.as_deref()
        && tongban_schemas::matters::get(m).is_none()
    {
        return Err(Problem::bad_request(
            "query:matter",
            "unknown-matter",
            match super::shown::quoted(m, super::shown::code) {
                Some(m) => format!("no matter {m}; the matters are listed at /v1/matters"),
                None => "no such matter; the matters are listed at /v1/matters".to_string(),
            },
        ));
    }
    let adapters = super::forms::registry()?
        .all()
        .filter(|a| filter.region.as_deref().is_none_or(|r| a.region == r))
        .filter(|a| filter.matter.as_deref().is_none_or(|m| a.matter.code == m))
        .map(|a| summary(a))
        .collect();
    // Revalidated by ETag, as the registry's documents: an adapter team that polls the list
    // downloads it again only when a gateway with other adapters is deployed.
    Ok(cached_json(
        &request,
        &AdapterList { adapters },
        "application/json",
        REVALIDATE,
    ))
}

pub async fn one<L: EventLog>(
    State(_): State<AppState<L>>,
    Path((region, matter)): Path<(String, String)>,
    // No query parameters: a misspelt one is refused, not ignored.
    Query(_): Query<super::regions::NoQuery>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    let registry = super::forms::registry()?;
    let a = registry.get(&region, &matter).ok_or_else(|| {
        let theirs = registry.matters_of(&region);
        // Quoted only in a code's form: what was typed in the path may be personal data.
        let matter = super::shown::quoted(&matter, super::shown::code)
            .unwrap_or_else(|| "that matter".to_string());
        Problem::not_found(if theirs.is_empty() {
            match super::shown::quoted(&region, super::shown::region) {
                Some(region) => {
                    format!("region {region} has no adapters; they are listed at /v1/adapters")
                }
                None => "no region by that code has adapters (a region is named by its 6-digit \
                         GB/T 2260 code); they are listed at /v1/adapters"
                    .to_string(),
            }
        } else {
            format!(
                "region {region} has no adapter for {matter}; it has {}",
                theirs.join(", ")
            )
        })
    })?;
    let fields = a
        .field_table()
        .into_iter()
        .map(|r| FieldItem {
            local: r.local,
            canonical: r.canonical,
            label: r.label,
            required: r.required,
            kind: r.kind.into(),
            value: r.value,
            codes: r.codes.map(|codes| {
                codes
                    .into_iter()
                    .map(|c| CodeItem {
                        local: c.local,
                        canonical: c.canonical,
                    })
                    .collect()
            }),
            transforms: r.transforms,
        })
        .collect();
    Ok(cached_json(
        &request,
        &AdapterDetail {
            summary: summary(a),
            fields,
        },
        "application/json",
        REVALIDATE,
    ))
}
