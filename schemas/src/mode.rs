//! The three ways a cross-region application is handled (国办发〔2020〕35号).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the origin (收件地) and the handler(s) (办理地) share the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 全程网办: applying, deciding and delivering all happen online; one handler decides remotely.
    Online,
    /// 异地代收代办 (收受分离): the origin's window checks identity and materials and forwards them;
    /// one handler decides.
    Proxy,
    /// 多地联办: one place accepts; several handlers each complete a part.
    Joint,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Online, Mode::Proxy, Mode::Joint];

    /// The wire name used in bodies and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::Proxy => "proxy",
            Mode::Joint => "joint",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// 中文名, for pages read by people.
    pub fn title_zh(self) -> &'static str {
        match self {
            Mode::Online => "全程网办",
            Mode::Proxy => "异地代收代办",
            Mode::Joint => "多地联办",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
