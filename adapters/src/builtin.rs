//! The builtin spec tree (`adapters/regions/`), embedded so the gateway needs no files at run
//! time. Generated listing: a test checks that it names every file in the directory.

macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../regions/", $path)))),*]
    };
}

/// (path relative to `adapters/regions/`, contents).
pub const FILES: &[(&str, &str)] = files![
    "codes.json",
    "310000/_person.json",
    "310000/_route.json",
    "310000/criminal-record-certificate.json",
    "310000/pension-transfer.json",
    "310000/social-security-card.json",
    "330000/_person.json",
    "330000/_route.json",
    "330000/hukou-transfer.json",
    "330000/medical-filing.json",
    "330000/pension-transfer.json",
    "340000/_person.json",
    "340000/_route.json",
    "340000/medical-filing.json",
    "340000/pension-transfer.json",
    "340000/unemployment-registration.json",
    "440000/_person.json",
    "440000/_route.json",
    "440000/business-registration.json",
    "440000/medical-filing.json",
    "440000/social-security-card.json",
    "500000/_person.json",
    "500000/_route.json",
    "500000/criminal-record-certificate.json",
    "500000/housing-fund-transfer.json",
    "500000/unemployment-registration.json",
    "510000/_person.json",
    "510000/_route.json",
    "510000/criminal-record-certificate.json",
    "510000/housing-fund-transfer.json",
    "510000/hukou-transfer.json",
];
