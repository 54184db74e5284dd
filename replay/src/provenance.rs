//! Where the key that proved a chain and the calendar that counted its deadlines came from, as
//! every output states it: a chain checked with a key read from the directory under check proves
//! only that it is consistent, and deadlines counted without holidays may show as due too early.

use serde_json::{Value, json};
use tongban_gateway::domain::calendar::Calendar;

/// Where the key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Given by whoever checks (`--public-key`).
    Given,
    /// Read from the data directory under check (`gateway.key` at this path).
    DataDir(String),
    /// The key of the gateway serving the page (`/ui/applications/{id}`).
    ServingGateway,
}

/// Which key the signatures were checked against, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    /// The key's id (`kid`, as `GET /v1/keys` serves it): the first 16 hex digits of the
    /// SHA-256 of the raw 32-byte public key.
    pub kid: String,
    /// The whole public key, as `GET /v1/keys` serves it in `public_key_hex` and auditors record
    /// it: what to compare, where the kid is only a short name for it.
    pub public_key_hex: String,
    pub origin: KeyOrigin,
}

impl KeySource {
    /// `key`, which came from `origin`.
    pub fn of(key: &tongban_gateway::envelope::PublicKey, origin: KeyOrigin) -> KeySource {
        KeySource {
            kid: key.kid(),
            public_key_hex: key.to_hex(),
            origin,
        }
    }

    /// `kid … (public_key_hex …)`: how the text outputs name the key.
    fn named(&self) -> String {
        format!("{} (public_key_hex {})", self.kid, self.public_key_hex)
    }

    /// As JSON outputs give it: the key's `id`, the whole key (`public_key_hex`), its `source`
    /// (`public-key-option`, `data-dir` or `serving-gateway`) and, for a key read from a
    /// directory, its `path`.
    pub fn to_json(&self) -> Value {
        let (id, hex) = (&self.kid, &self.public_key_hex);
        match &self.origin {
            KeyOrigin::Given => {
                json!({"id": id, "public_key_hex": hex, "source": "public-key-option"})
            }
            KeyOrigin::DataDir(path) => {
                json!({"id": id, "public_key_hex": hex, "source": "data-dir", "path": path})
            }
            KeyOrigin::ServingGateway => {
                json!({"id": id, "public_key_hex": hex, "source": "serving-gateway"})
            }
        }
    }

    /// The text outputs' line: where the key came from and, unless the checker gave it, how to
    /// check without trusting it. The way out names no key: the key in hand is the one under
    /// doubt, and only one recorded before (from `GET /v1/keys`) proves anything.
    pub fn note(&self) -> String {
        const CHECK: &str = "to check without trusting it, pass --public-key <hex> with the \
             gateway's public key as recorded before (GET /v1/keys)";
        match &self.origin {
            KeyOrigin::Given => format!(
                "key {} (public_key_hex {}, given with --public-key)",
                self.kid, self.public_key_hex
            ),
            KeyOrigin::DataDir(path) => format!(
                "key {} from {path}: whoever could rewrite this log could replace that file too; \
                 {CHECK}",
                self.named()
            ),
            KeyOrigin::ServingGateway => format!(
                "key {}, the serving gateway's own: it proves only that the chain is consistent; \
                 {CHECK}",
                self.named()
            ),
        }
    }

    /// [`KeySource::note`] as the page states it.
    pub fn note_zh(&self) -> String {
        const CHECK: &str = "如需不依赖它核对，请用事先记录的网关公钥运行 \
             tongban verify --public-key <公钥十六进制>。";
        match &self.origin {
            KeyOrigin::Given => format!("公钥 {}，由核对人以 --public-key 提供。", self.kid),
            KeyOrigin::DataDir(path) => format!(
                "公钥 {}，读取自被核对的数据目录 {path}：能改写本日志的人也能替换该文件，\
                 以此公钥校验只能证明证据链前后一致。{CHECK}",
                self.kid
            ),
            KeyOrigin::ServingGateway => format!(
                "公钥 {}，即提供本页面的网关自己的公钥：以此公钥校验只能证明证据链前后一致。{CHECK}",
                self.kid
            ),
        }
    }
}

/// Why a calendar counts Monday to Friday alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDates {
    /// The data directory has no `holidays.json`.
    NoFile,
    /// This `holidays.json` lists no date (`{}`).
    EmptyFile(String),
    /// The calendar lists no date; whether a file is there is not known (the gateway's page).
    Unknown,
}

/// Which calendar the deadlines were computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarSource {
    /// The holidays and make-up working days of this file, which lists dates up to the end of
    /// the year `through`: later dates count Monday to Friday alone.
    Holidays { path: String, through: i64 },
    /// No dates: every Monday to Friday counts as a working day, holidays included.
    WeekdaysOnly(NoDates),
}

impl CalendarSource {
    /// The source of `cal`, read from the file named `path`; `exists` says whether that file is
    /// there, where the caller knows.
    pub fn of(cal: &Calendar, path: &str, exists: Option<bool>) -> CalendarSource {
        match cal.covered_through() {
            Some(through) => CalendarSource::Holidays {
                path: path.to_string(),
                through,
            },
            None => CalendarSource::WeekdaysOnly(match exists {
                Some(true) => NoDates::EmptyFile(path.to_string()),
                Some(false) => NoDates::NoFile,
                None => NoDates::Unknown,
            }),
        }
    }

    /// `calendar: …`, as the text output says it.
    pub fn note(&self) -> String {
        match self {
            CalendarSource::Holidays { path, through } => format!(
                "calendar: {path} (dates through {through}; later dates count Monday to Friday)"
            ),
            CalendarSource::WeekdaysOnly(NoDates::NoFile) => {
                "calendar: weekdays only (no holidays.json)".into()
            }
            CalendarSource::WeekdaysOnly(NoDates::EmptyFile(path)) => {
                format!("calendar: weekdays only ({path} lists no dates)")
            }
            CalendarSource::WeekdaysOnly(NoDates::Unknown) => {
                "calendar: weekdays only (no holidays or 调休 days listed)".into()
            }
        }
    }

    /// As JSON outputs give it: `source` (the file, or `weekdays-only`), `covered_through` (the
    /// last year it lists dates of, or null), and for a file that lists no date, `file`.
    pub fn to_json(&self) -> Value {
        match self {
            CalendarSource::Holidays { path, through } => {
                json!({"source": path, "covered_through": through})
            }
            CalendarSource::WeekdaysOnly(why) => {
                let mut v = json!({"source": "weekdays-only", "covered_through": null});
                if let NoDates::EmptyFile(path) = why {
                    v["file"] = json!(path);
                }
                v
            }
        }
    }

    /// The page's sentence (plain text; the page escapes it).
    pub fn note_zh(&self) -> String {
        const EARLY: &str = "仅按周一至周五计算，未计入法定节假日与调休，以下期限可能偏早。";
        match self {
            CalendarSource::Holidays { path, through } => format!(
                "工作日历：{path}（含 {through} 年及以前的法定节假日与调休；{through} 年以后的日期仅按周一至周五计算，\
                 到期日落在其后的期限已标明）。"
            ),
            CalendarSource::WeekdaysOnly(NoDates::NoFile) => {
                format!("工作日历：数据目录中没有 holidays.json，{EARLY}")
            }
            CalendarSource::WeekdaysOnly(NoDates::EmptyFile(path)) => {
                format!("工作日历：{path} 未列出任何日期，{EARLY}")
            }
            CalendarSource::WeekdaysOnly(NoDates::Unknown) => {
                format!("工作日历：未列出任何节假日或调休日期，{EARLY}")
            }
        }
    }
}

/// Where the page's key and calendar came from, where the caller knows (the offline commands);
/// what is not known is not stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub key: Option<KeySource>,
    pub calendar: Option<CalendarSource>,
    /// The gateway that serves the page (`http://host[:port]`, as the request named it): the
    /// page names it and links to its registry pages absolutely, so that a page saved to a file
    /// says where it came from and its links still lead there. None for a report made offline
    /// (`tongban dispute`), which no gateway serves: its matter is then not a link.
    pub gateway: Option<String>,
    /// The regions' request signatures kept for the events, or why none can be shown: the page's
    /// section of them ([`crate::requests`]). None: not stated (no section).
    pub requests: Option<crate::requests::Requests>,
    /// The acknowledged feed cursors of the application's parties, or why none could be read:
    /// the section comparing them with each event's log position ([`crate::feeds`]). None: not
    /// stated (no section).
    pub cursors: Option<crate::feeds::Cursors>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tongban_gateway::domain::calendar::Calendar;

    use super::{CalendarSource, KeyOrigin, KeySource, NoDates};

    /// Given a holidays.json that lists no date, when its source is stated, then it is
    /// weekdays only in every form, never "含法定节假日与调休"; a file with dates names its
    /// last year, and JSON gives fields, not a sentence.
    #[test]
    fn a_calendar_is_named_for_what_it_lists() {
        let empty = CalendarSource::of(
            &Calendar::from_json("{}").expect("cal"),
            "d/holidays.json",
            Some(true),
        );
        assert_eq!(
            empty,
            CalendarSource::WeekdaysOnly(NoDates::EmptyFile("d/holidays.json".into()))
        );
        assert!(!empty.note_zh().contains("含"), "{}", empty.note_zh());
        assert!(
            empty
                .note_zh()
                .contains("未列出任何日期，仅按周一至周五计算")
        );
        assert_eq!(
            empty.note(),
            "calendar: weekdays only (d/holidays.json lists no dates)"
        );
        assert_eq!(
            empty.to_json(),
            json!({"source": "weekdays-only", "covered_through": null, "file": "d/holidays.json"})
        );
        let none = CalendarSource::of(&Calendar::weekdays(), "d/holidays.json", Some(false));
        assert_eq!(
            none.to_json(),
            json!({"source": "weekdays-only", "covered_through": null})
        );
        let listed = Calendar::from_json(r#"{"holidays": ["2026-10-01"]}"#).expect("cal");
        let file = CalendarSource::of(&listed, "d/holidays.json", Some(true));
        assert_eq!(
            file.to_json(),
            json!({"source": "d/holidays.json", "covered_through": 2026})
        );
        assert!(
            file.note_zh()
                .contains("含 2026 年及以前的法定节假日与调休")
        );
        let key = KeySource {
            kid: "ab12".into(),
            public_key_hex: "cd34".into(),
            origin: KeyOrigin::DataDir("d/gateway.key".into()),
        };
        assert_eq!(
            key.to_json(),
            json!({"id": "ab12", "public_key_hex": "cd34", "source": "data-dir", "path": "d/gateway.key"})
        );
        // A key read from the directory under check is named as under doubt, in both
        // languages, with the way to check against one recorded before.
        let (en, zh) = (key.note(), key.note_zh());
        assert!(
            en.starts_with("key ab12 (public_key_hex cd34) from d/gateway.key:"),
            "{en}"
        );
        assert!(en.contains("--public-key <hex>"), "{en}");
        assert!(
            zh.contains("d/gateway.key") && zh.contains("--public-key"),
            "{zh}"
        );
        let given = KeySource {
            kid: "ab12".into(),
            public_key_hex: "cd34".into(),
            origin: KeyOrigin::Given,
        };
        assert_eq!(
            given.note(),
            "key ab12 (public_key_hex cd34, given with --public-key)"
        );
        assert!(!given.note_zh().contains("如需不依赖它核对"));
    }
}
