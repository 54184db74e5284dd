//! Where the key that proved a chain and the calendar that counted its deadlines came from, as
//! every output states it: a chain checked with a key read from the directory under check proves
//! only that it is consistent, and deadlines counted without holidays may show as due too early.

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
    /// The key's id (`kid`, as `GET /v1/keys` serves it).
    pub kid: String,
    pub origin: KeyOrigin,
}

impl KeySource {
    /// The page's sentence: where the key came from and, unless the checker gave it, how to
    /// check without trusting it.
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

/// Which calendar the deadlines were computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarSource {
    /// The holidays and make-up working days of this file.
    Holidays(String),
    /// No holidays file: every Monday to Friday counts as a working day, holidays included.
    WeekdaysOnly,
}

impl CalendarSource {
    /// `calendar: …`, as the text and JSON outputs say it.
    pub fn note(&self) -> String {
        match self {
            CalendarSource::Holidays(path) => format!("calendar: {path}"),
            CalendarSource::WeekdaysOnly => "calendar: weekdays only (no holidays.json)".into(),
        }
    }

    /// The page's sentence (plain text; the page escapes it).
    pub fn note_zh(&self) -> String {
        match self {
            CalendarSource::Holidays(path) => {
                format!("工作日历：{path}（含法定节假日与调休）")
            }
            CalendarSource::WeekdaysOnly => "工作日历：仅按周一至周五计算，未计入法定节假日与调休\
                 （数据目录中没有 holidays.json），以下期限可能偏早。"
                .into(),
        }
    }
}

/// Where the page's key and calendar came from, where the caller knows (the offline commands);
/// what is not known is not stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub key: Option<KeySource>,
    pub calendar: Option<CalendarSource>,
}
