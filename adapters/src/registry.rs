//! Where adapters come from: the builtin spec files embedded in the binary, plus an optional
//! directory read at start-up, laid out the same way (a new province is a directory of JSON
//! files, no Rust code). Everything is compiled once; a broken spec fails loading, with the file
//! and field named, rather than failing requests later.
//!
//! Layout (builtin `adapters/regions/` and any run-time directory alike):
//! - `codes.json` — shared code tables `{"tables": {name: table}}`
//! - `<region>/codes.json` — the region's own tables
//! - `<region>/_<fragment>.json` — field fragments the region's specs `include`
//! - `<region>/<matter>.json` — one spec per matter (a spec at the top is refused, not ignored)
//! - `<region>/golden/…` — golden files for tests (not read here)

use std::collections::BTreeMap;
use std::path::Path as FsPath;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::builtin;
use crate::engine::Adapter;
use crate::error::SpecError;
use crate::spec::{self, Context, Fragment, SpecFile};
use crate::transform::codes::{self, Table, TableSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TablesFile {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    tables: BTreeMap<String, TableSpec>,
}

/// Compiled adapters by (region, matter).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    adapters: BTreeMap<(String, String), Arc<Adapter>>,
}

/// A file of a spec tree: its path relative to the tree's root (`440000/medical-filing.json`).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// A code table of `file` that [`crate::transform::codes::TableSpec::check`] refuses.
fn table_error(file: &str, table: &str, message: String) -> SpecError {
    SpecError::Spec {
        file: file.to_string(),
        message: format!("code table {table:?}: {message}"),
    }
}

fn syntax(file: &str, e: serde_json::Error) -> SpecError {
    SpecError::Syntax {
        file: file.to_string(),
        message: e.to_string(),
    }
}

impl Registry {
    /// The builtin adapters, compiled on first use. A builtin spec that does not compile is a bug
    /// caught by the test suite; should it ever ship, the error is returned on every call.
    pub fn builtin() -> Result<&'static Registry, SpecError> {
        static BUILTIN: OnceLock<Result<Registry, SpecError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let files: Vec<SourceFile> = builtin::FILES
                    .iter()
                    .map(|(path, text)| SourceFile {
                        path: (*path).to_string(),
                        text: (*text).to_string(),
                    })
                    .collect();
                let mut r = Registry::default();
                r.add_files(&files, "builtin:")?;
                Ok(r)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The builtin adapters plus those in `dir` (which override builtin ones for the same region
    /// and matter).
    pub fn with_dir(dir: &FsPath) -> Result<Registry, SpecError> {
        let mut r = Registry::builtin()?.clone();
        r.add_dir(dir)?;
        Ok(r)
    }

    /// Reads a spec tree from disk and adds its adapters; returns how many.
    pub fn add_dir(&mut self, dir: &FsPath) -> Result<usize, SpecError> {
        let io = |p: &FsPath, e: std::io::Error| SpecError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        let shared = dir.join("codes.json");
        if shared.is_file() {
            files.push(SourceFile {
                path: "codes.json".into(),
                text: spec_text(
                    "codes.json",
                    std::fs::read(&shared).map_err(|e| io(&shared, e))?,
                )?,
            });
        }
        let entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(Result::ok)
            .collect();
        let mut stray: Vec<String> = entries
            .iter()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|name| name.ends_with(".json") && name != "codes.json")
            .collect();
        stray.sort();
        for name in &stray {
            let path = dir.join(name);
            // Only sniffed: a file that is no UTF-8 text is not read as a spec (here or below).
            let text = std::fs::read(&path)
                .ok()
                .and_then(|b| spec_text(name, b).ok())
                .unwrap_or_default();
            if reads_as_spec(&text) {
                return Err(misplaced(&path.display().to_string(), name, &text));
            }
        }
        let mut regions: Vec<_> = entries.into_iter().filter(|e| e.path().is_dir()).collect();
        regions.sort_by_key(|e| e.file_name());
        for region in regions {
            let region_name = region.file_name().to_string_lossy().to_string();
            let mut entries: Vec<_> = std::fs::read_dir(region.path())
                .map_err(|e| io(&region.path(), e))?
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let name = e.file_name().to_string_lossy().to_string();
                if !name.ends_with(".json") {
                    continue;
                }
                let path = format!("{region_name}/{name}");
                let bytes = std::fs::read(e.path()).map_err(|x| io(&e.path(), x))?;
                files.push(SourceFile {
                    text: spec_text(&path, bytes)?,
                    path,
                });
            }
        }
        self.add_files(&files, &format!("{}/", dir.display()))
    }

    /// Compiles a spec tree given as files; `origin` prefixes each adapter's `source`. A spec at
    /// the top (a `.json` file other than `codes.json` that reads as one, [`reads_as_spec`]) is
    /// refused: it would otherwise be left unread. Other files there are not the specs' business.
    pub fn add_files(&mut self, files: &[SourceFile], origin: &str) -> Result<usize, SpecError> {
        if let Some(f) = files.iter().find(|f| {
            !f.path.contains('/')
                && f.path.ends_with(".json")
                && f.path != "codes.json"
                && reads_as_spec(&f.text)
        }) {
            return Err(misplaced(&format!("{origin}{}", f.path), &f.path, &f.text));
        }
        let mut tables: BTreeMap<String, Arc<Table>> = BTreeMap::new();
        for t in codes::standard() {
            tables.insert(t.name.clone(), Arc::new(t));
        }
        let builtin_shared = builtin::FILES
            .iter()
            .find(|(p, _)| *p == "codes.json")
            .map(|(p, t)| ((*p).to_string(), (*t).to_string()));
        let shared = files
            .iter()
            .find(|f| f.path == "codes.json")
            .map(|f| (f.path.clone(), f.text.clone()));
        for (path, text) in builtin_shared.into_iter().chain(shared) {
            let file: TablesFile = serde_json::from_str(&text).map_err(|e| syntax(&path, e))?;
            for (name, spec) in &file.tables {
                spec.check().map_err(|m| table_error(&path, name, m))?;
                tables.insert(name.clone(), Arc::new(Table::compile(name, spec)));
            }
        }
        let mut count = 0;
        let by_region = group(files);
        for (region, region_files) in by_region {
            // A builtin region's own code tables and fragments stay available to specs added for
            // it, which then override one matter's spec without copying the whole directory; the
            // added files' own take precedence.
            let prefix = format!("{region}/");
            let builtin_region: Vec<SourceFile> = builtin::FILES
                .iter()
                .filter(|(p, _)| p.starts_with(&prefix))
                .map(|(p, t)| SourceFile {
                    path: (*p).to_string(),
                    text: (*t).to_string(),
                })
                .collect();
            let mut region_tables = tables.clone();
            for f in builtin_region
                .iter()
                .chain(region_files.iter().copied())
                .filter(|f| f.path.ends_with("/codes.json"))
            {
                let file: TablesFile =
                    serde_json::from_str(&f.text).map_err(|e| syntax(&f.path, e))?;
                for (name, spec) in &file.tables {
                    spec.check().map_err(|m| table_error(&f.path, name, m))?;
                    region_tables.insert(name.clone(), Arc::new(Table::compile(name, spec)));
                }
            }
            let mut fragments: BTreeMap<String, Fragment> = BTreeMap::new();
            for f in builtin_region.iter().chain(region_files.iter().copied()) {
                let name = f.path.rsplit('/').next().unwrap_or("");
                if let Some(stem) = name.strip_suffix(".json").filter(|s| s.starts_with('_')) {
                    let frag: Fragment =
                        serde_json::from_str(&f.text).map_err(|e| syntax(&f.path, e))?;
                    fragments.insert(stem.to_string(), frag);
                }
            }
            for f in &region_files {
                let name = f.path.rsplit('/').next().unwrap_or("");
                if name.starts_with('_') || name == "codes.json" {
                    continue;
                }
                let adapter = compile(f, &region, &region_tables, &fragments, origin)?;
                self.adapters.insert(
                    (adapter.region.clone(), adapter.matter.code.to_string()),
                    Arc::new(adapter),
                );
                count += 1;
            }
        }
        Ok(count)
    }

    pub fn get(&self, region: &str, matter: &str) -> Option<&Arc<Adapter>> {
        self.adapters.get(&(region.to_string(), matter.to_string()))
    }

    /// Every adapter, by region then matter.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Adapter>> {
        self.adapters.values()
    }

    /// The matters a region has adapters for.
    pub fn matters_of(&self, region: &str) -> Vec<&str> {
        self.adapters
            .keys()
            .filter(|(r, _)| r == region)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.adapters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.adapters.is_empty()
    }
}

/// A spec file `name` (at `shown`, with `text`) found at the top of a spec tree, where only
/// `codes.json` is read: the error says where it belongs, under its region's directory.
fn misplaced(shown: &str, name: &str, text: &str) -> SpecError {
    #[derive(Deserialize)]
    struct Region {
        region: String,
    }
    let region = serde_json::from_str::<Region>(text)
        .ok()
        .map(|r| r.region)
        .filter(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_digit()));
    let hint = match region {
        Some(r) => format!("{r}/{name}"),
        None => format!("<region>/{name}, e.g. 110000/{name}"),
    };
    SpecError::Spec {
        file: shown.to_string(),
        message: format!(
            "a spec file at the top of the spec directory is not read (only codes.json is): put \
             it under its region's directory, as {hint}"
        ),
    }
}

/// Files grouped by their region directory (top-level files and golden files left out).
fn group(files: &[SourceFile]) -> BTreeMap<String, Vec<&SourceFile>> {
    let mut out: BTreeMap<String, Vec<&SourceFile>> = BTreeMap::new();
    for f in files {
        let parts: Vec<&str> = f.path.split('/').collect();
        if let [region, name] = parts.as_slice()
            && name.ends_with(".json")
        {
            out.entry((*region).to_string()).or_default().push(f);
        }
    }
    out
}

fn compile(
    f: &SourceFile,
    region_dir: &str,
    tables: &BTreeMap<String, Arc<Table>>,
    fragments: &BTreeMap<String, Fragment>,
    origin: &str,
) -> Result<Adapter, SpecError> {
    let spec: SpecFile = serde_json::from_str(&f.text).map_err(|e| syntax(&f.path, e))?;
    let err = |message: String| SpecError::Spec {
        file: f.path.clone(),
        message,
    };
    if spec.region != region_dir {
        return Err(err(format!(
            "region {:?} does not match its directory {region_dir:?}",
            spec.region
        )));
    }
    let stem = f
        .path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".json");
    if spec.matter != stem {
        return Err(err(format!(
            "matter {:?} does not match the file name {stem:?}",
            spec.matter
        )));
    }
    let matter = tongban_schemas::matters::get(&spec.matter).ok_or_else(|| {
        let codes: Vec<&str> = tongban_schemas::matters::all()
            .iter()
            .map(|m| m.code)
            .collect();
        err(format!(
            "unknown matter {:?}: the matter codes are {} (the file is named <matter>.json)",
            spec.matter,
            codes.join(", ")
        ))
    })?;
    if spec.format == spec::Format::Xml && spec.xml.is_none() {
        return Err(err(
            "format xml needs \"xml\": {\"root\": …, \"charset\": …}".into(),
        ));
    }
    if let Some(x) = &spec.xml {
        charset_named(&x.charset).map_err(err)?;
    }
    let mut all_tables = tables.clone();
    for (name, t) in &spec.tables {
        t.check().map_err(|m| table_error(&f.path, name, m))?;
        all_tables.insert(name.clone(), Arc::new(Table::compile(name, t)));
    }
    let cx = Context {
        file: &f.path,
        tables: &all_tables,
        fragments,
    };
    let fields = spec::compile_fields(&cx, &spec::Scope::spec(&f.path), &spec.fields, "", "", 0)?;
    crate::canonical::check(&f.path, matter, &fields)?;
    crate::locals::check(&f.path, &fields)?;
    Ok(Adapter::new(
        spec.region,
        matter,
        spec.title,
        spec.format,
        spec.xml,
        format!("{origin}{}", f.path),
        spec.unknown_fields,
        fields,
    ))
}

/// A spec file's bytes as text: UTF-8, with a byte-order mark (which Windows editors write)
/// left out, since JSON has no place for one. Other bytes are refused naming the file as other
/// spec errors do (`320000/medical-filing.json`), with the likely cause: a spec saved in the
/// province's GBK.
fn spec_text(file: &str, mut bytes: Vec<u8>) -> Result<String, SpecError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        let (_, malformed) = encoding_rs::GBK.decode_without_bom_handling(bytes);
        SpecError::Spec {
            file: file.to_string(),
            message: format!(
                "spec files must be UTF-8 (this one is not, from line {line}: {}); save it as UTF-8",
                if malformed {
                    "saved in another encoding?"
                } else {
                    "saved as GBK?"
                }
            ),
        }
    })
}

/// Whether a file's text reads as an adapter spec (an object naming its `fields`, or its `region`
/// and `matter`): one placed at the top of a spec directory is a mistake to name, while any other
/// JSON file there (an editor's schema, a `package.json` of the province's spec repository) is
/// none of the loader's business.
fn reads_as_spec(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| {
        v.get("fields").is_some() || (v.get("region").is_some() && v.get("matter").is_some())
    })
}

/// The charsets a spec may name, as it must spell them: the spec's name is what the Content-Type
/// and the XML declaration of every form written say, so it has to name the encoding the bytes
/// are in. An alias (`GB2312`, `utf8`, `x-gbk`) would be echoed as it is while the bytes are
/// GBK or UTF-8: a reader trusting `GB2312` finds characters it lacks (喆, 镕, 堃).
const SPEC_CHARSETS: [&str; 3] = ["UTF-8", "GBK", "GB18030"];

/// Whether `label` is one of [`SPEC_CHARSETS`] spelled as such; else the error, naming the one
/// to write when the label is another name of it (GB2312 → GBK, its superset, which is what
/// would be written).
fn charset_named(label: &str) -> Result<(), String> {
    if SPEC_CHARSETS.contains(&label) {
        return Ok(());
    }
    let meant = encoding_rs::Encoding::for_label(label.trim().as_bytes()).and_then(|e| {
        if e == encoding_rs::UTF_8 {
            Some("UTF-8")
        } else if e == encoding_rs::GBK {
            Some("GBK")
        } else if e == encoding_rs::GB18030 {
            Some("GB18030")
        } else {
            None
        }
    });
    Err(match meant {
        Some(name) => format!(
            "xml.charset {label:?}: write {name:?}, the name of what is written (the charset is \
             named in every form's Content-Type and XML declaration{}); the charsets are UTF-8, \
             GBK and GB18030",
            if name == "GBK" && !label.eq_ignore_ascii_case("gbk") {
                ", and the bytes are GBK, the superset of GB2312, with characters GB2312 lacks"
            } else {
                ""
            }
        ),
        None => format!("xml.charset {label:?}: use UTF-8, GBK or GB18030"),
    })
}
