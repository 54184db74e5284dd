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
    "440000/_person.json",
    "440000/_route.json",
    "440000/business-registration.json",
    "440000/medical-filing.json",
    "440000/social-security-card.json",
];
