//! A small argument parser: positionals, `--flag`, `--name value` and `--name=value`.

use std::collections::BTreeMap;

use super::CliError;

#[derive(Debug, Default)]
pub struct Args {
    positionals: std::collections::VecDeque<String>,
    options: BTreeMap<String, Option<String>>,
    /// An option given last with no value after it: a known option missing its value, or an
    /// unknown one, which [`Args::finish`] tells apart by whether the command asked for it.
    valueless: Option<String>,
    /// The options the command asked for.
    asked: std::collections::BTreeSet<String>,
}

/// Options that take no value.
const FLAGS: &[&str] = &[
    "accept-lost",
    "demo",
    "reverse",
    "help",
    "list",
    "remove",
    "soak",
    "trust-log",
];

impl Args {
    pub fn parse(raw: Vec<String>) -> Result<Args, CliError> {
        let mut args = Args::default();
        let mut it = raw.into_iter();
        while let Some(a) = it.next() {
            if a == "-h" {
                // The one short option: `-h` as every command line tool takes it, for `--help`.
                args.options.insert("help".into(), None);
            } else if let Some(name) = a.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    args.set(k, v.to_string())?;
                } else if FLAGS.contains(&name) {
                    args.options.insert(name.to_string(), None);
                } else {
                    match it.next() {
                        Some(value) => args.set(name, value)?,
                        None => args.valueless = Some(name.to_string()),
                    }
                }
            } else {
                args.positionals.push_back(a);
            }
        }
        Ok(args)
    }

    /// Every option takes one value: given twice (`--seq 2 --seq 3`), which one was meant is
    /// the caller's to say, so it is refused rather than the last silently taken.
    fn set(&mut self, name: &str, value: String) -> Result<(), CliError> {
        if self.options.contains_key(name) {
            return Err(CliError(format!(
                "--{name} is given more than once: give it once"
            )));
        }
        self.options.insert(name.to_string(), Some(value));
        Ok(())
    }

    pub fn next_positional(&mut self) -> Option<String> {
        self.positionals.pop_front()
    }

    pub fn required_positional(&mut self, what: &str) -> Result<String, CliError> {
        self.next_positional()
            .ok_or_else(|| CliError(format!("missing <{what}>")))
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.asked.insert(name.to_string());
        self.options.remove(name).is_some()
    }

    pub fn value(&mut self, name: &str) -> Option<String> {
        self.asked.insert(name.to_string());
        self.options.remove(name).flatten()
    }

    /// Fails on anything not consumed, so a typo is not silently ignored.
    pub fn finish(self) -> Result<(), CliError> {
        if let Some(p) = self.positionals.front() {
            return Err(CliError(format!("unexpected argument {p:?}")));
        }
        if let Some(k) = self.options.keys().next() {
            return Err(CliError(format!("unknown option --{k}")));
        }
        match self.valueless {
            Some(k) if self.asked.contains(&k) => Err(CliError(format!("--{k} needs a value"))),
            Some(k) => Err(CliError(format!("unknown option --{k}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &[&str]) -> Args {
        Args::parse(raw.iter().map(|s| s.to_string()).collect()).expect("parse")
    }

    /// An option given last with nothing after it is named for what it is: a known option
    /// missing its value, or an unknown option (it was called one "needing a value").
    #[test]
    fn an_option_given_last_without_a_value_is_missing_its_value_or_unknown() {
        let mut known = parsed(&["--data"]);
        assert_eq!(known.value("data"), None);
        assert_eq!(
            known.finish().err().map(|e| e.0),
            Some("--data needs a value".into())
        );
        let mut unknown = parsed(&["--data", "d", "--bogus"]);
        assert_eq!(unknown.value("data").as_deref(), Some("d"));
        assert_eq!(
            unknown.finish().err().map(|e| e.0),
            Some("unknown option --bogus".into())
        );
        for twice in [
            &["r", "--seq", "2", "--seq", "3"][..],
            &["r", "--seq=2", "--seq", "3"],
            &["r", "--data", "a", "--data=b"],
        ] {
            let raw = twice.iter().map(|s| s.to_string()).collect();
            let name = if twice.contains(&"--data") {
                "data"
            } else {
                "seq"
            };
            assert_eq!(
                Args::parse(raw).err().map(|e| e.0),
                Some(format!("--{name} is given more than once: give it once")),
                "{twice:?}"
            );
        }
        let mut fine = parsed(&["x", "--out", "f.html"]);
        assert_eq!(fine.next_positional().as_deref(), Some("x"));
        assert_eq!(fine.value("out").as_deref(), Some("f.html"));
        assert!(fine.finish().is_ok());
    }
}
