//! What the service's tests share: a region's principal and a matter's example submission.

use serde_json::Value;
use tongban_schemas::matters;

use crate::auth::Principal;

/// The matter the tests submit.
pub const MATTER: &str = "social-security-card";

/// A region's principal, acting through token `t0`.
pub fn region(code: &str) -> Principal {
    Principal::Region {
        code: code.to_string(),
        token_id: "t0".into(),
    }
}

/// [`MATTER`]'s example submission.
pub fn example() -> Value {
    matters::get(MATTER).expect("matter").example()
}

/// The example's origin region.
pub fn origin_code() -> String {
    example()["origin"].as_str().expect("origin").to_string()
}

/// A gateway opened on `dir` as `tongban serve` opens one, its region book holding the demo
/// regions (every region the tests act as), so that handlers are checked against it.
pub fn opened(dir: &crate::testutil::TempDir) -> crate::server::Opened {
    let opened = crate::server::open_embedded(&crate::server::DataDir(dir.path().to_path_buf()))
        .expect("open");
    for (code, name) in crate::demo::REGIONS {
        opened.book.add_region(code, name).expect("region");
    }
    opened
}
