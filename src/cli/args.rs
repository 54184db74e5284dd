//! A small argument parser: positionals, `--flag`, `--name value` and `--name=value`; each
//! option once, but those a command declares repeatable ([`Args::values`]).

use std::collections::BTreeMap;

use super::CliError;

#[derive(Debug, Default)]
pub struct Args {
    positionals: std::collections::VecDeque<String>,
    /// Each option's values in the order given: one, unless the command declared the option
    /// repeatable ([`Args::parse`]); a flag's is `None`.
    options: BTreeMap<String, Vec<Option<String>>>,
    /// An option given last with no value after it: a known option missing its value, or an
    /// unknown one, which [`Args::finish`] tells apart by whether the command asked for it.
    valueless: Option<String>,
    /// The options the command asked for.
    asked: std::collections::BTreeSet<String>,
}

/// Which options a command takes more than once (`tongban heads --records a --records b`).
pub type Repeatable = fn(&str) -> &'static [&'static str];

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
    /// Reads `raw` (the command first, wherever its options are). An option given twice is
    /// refused unless `repeatable(command)` names it: one value is meant, and which one is the
    /// caller's to say, so the last is never silently taken. A repeatable one keeps every value,
    /// in order, for [`Args::values`].
    pub fn parse(raw: Vec<String>, repeatable: Repeatable) -> Result<Args, CliError> {
        let mut args = Args::default();
        // Options given more than once, in the order each was given a second time.
        let mut twice: Vec<String> = Vec::new();
        let mut it = raw.into_iter();
        while let Some(a) = it.next() {
            if a == "-h" {
                // The one short option: `-h` as every command line tool takes it, for `--help`.
                args.options.insert("help".into(), vec![None]);
            } else if let Some(name) = a.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    args.set(k, v.to_string(), &mut twice);
                } else if FLAGS.contains(&name) {
                    args.options.insert(name.to_string(), vec![None]);
                } else {
                    match it.next() {
                        Some(value) => args.set(name, value, &mut twice),
                        None => args.valueless = Some(name.to_string()),
                    }
                }
            } else {
                args.positionals.push_back(a);
            }
        }
        let command = args.positionals.front().map_or("", String::as_str);
        if let Some(name) = twice
            .iter()
            .find(|name| !repeatable(command).contains(&name.as_str()))
        {
            return Err(given_twice(name));
        }
        Ok(args)
    }

    fn set(&mut self, name: &str, value: String, twice: &mut Vec<String>) {
        let values = self.options.entry(name.to_string()).or_default();
        if !values.is_empty() && !twice.iter().any(|t| t == name) {
            twice.push(name.to_string());
        }
        values.push(Some(value));
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

    /// The value of an option given once. One the command declared repeatable and that was
    /// given more than once is left for [`Args::finish`] to refuse: read it with
    /// [`Args::values`].
    pub fn value(&mut self, name: &str) -> Option<String> {
        self.asked.insert(name.to_string());
        match self.options.remove(name) {
            Some(mut values) if values.len() == 1 => values.pop().flatten(),
            Some(values) => {
                self.options.insert(name.to_string(), values);
                None
            }
            None => None,
        }
    }

    /// Every value of an option the command declared repeatable ([`Args::parse`]), in the order
    /// given; none when it was not given.
    pub fn values(&mut self, name: &str) -> Vec<String> {
        self.asked.insert(name.to_string());
        self.options
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect()
    }

    /// Fails on anything not consumed, so a typo is not silently ignored.
    pub fn finish(self) -> Result<(), CliError> {
        if let Some(p) = self.positionals.front() {
            return Err(CliError(format!("unexpected argument {p:?}")));
        }
        if let Some(k) = self.options.keys().next() {
            if self.asked.contains(k) {
                // Repeatable for the command, but read as one value.
                return Err(given_twice(k));
            }
            return Err(CliError(format!("unknown option --{k}")));
        }
        match self.valueless {
            Some(k) if self.asked.contains(&k) => Err(CliError(format!("--{k} needs a value"))),
            Some(k) => Err(CliError(format!("unknown option --{k}"))),
            None => Ok(()),
        }
    }
}

fn given_twice(name: &str) -> CliError {
    CliError(format!("--{name} is given more than once: give it once"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> &'static [&'static str] {
        &[]
    }

    fn parsed(raw: &[&str]) -> Args {
        Args::parse(raw.iter().map(|s| s.to_string()).collect(), none).expect("parse")
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
                Args::parse(raw, none).err().map(|e| e.0),
                Some(format!("--{name} is given more than once: give it once")),
                "{twice:?}"
            );
        }
        let mut fine = parsed(&["x", "--out", "f.html"]);
        assert_eq!(fine.next_positional().as_deref(), Some("x"));
        assert_eq!(fine.value("out").as_deref(), Some("f.html"));
        assert!(fine.finish().is_ok());
    }

    /// Given a command that declares `--heads` repeatable, then every value is read, in order,
    /// wherever the command stands among them; any other option given twice is refused as
    /// before, for that command too, and so is `--heads` for a command that does not declare
    /// it, or that reads it as one value.
    #[test]
    fn only_an_option_the_command_declares_repeatable_is_taken_more_than_once() {
        fn heads(command: &str) -> &'static [&'static str] {
            match command {
                "heads" | "reads-one" => &["heads"],
                _ => &[],
            }
        }
        let raw = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut many = Args::parse(
            raw(&["--heads", "a", "heads", "--heads=b", "x", "--heads", "c"]),
            heads,
        )
        .expect("parse");
        assert_eq!(many.next_positional().as_deref(), Some("heads"));
        assert_eq!(many.values("heads"), ["a", "b", "c"]);
        assert_eq!(many.values("records"), Vec::<String>::new());
        assert_eq!(many.next_positional().as_deref(), Some("x"));
        assert!(many.finish().is_ok());
        for (command, twice) in [
            ("heads", &["--data", "d", "--data", "e"][..]),
            ("verify", &["--heads", "a", "--heads", "b"]),
        ] {
            let mut all = raw(&[command]);
            all.extend(raw(twice));
            assert_eq!(
                Args::parse(all, heads).err().map(|e| e.0),
                Some(format!(
                    "{} is given more than once: give it once",
                    twice[0]
                )),
                "{command} {twice:?}"
            );
        }
        let mut once =
            Args::parse(raw(&["reads-one", "--heads", "a", "--heads", "b"]), heads).expect("parse");
        assert_eq!(once.next_positional().as_deref(), Some("reads-one"));
        assert_eq!(once.value("heads"), None);
        assert_eq!(
            once.finish().err().map(|e| e.0),
            Some("--heads is given more than once: give it once".into())
        );
        let mut last =
            Args::parse(raw(&["heads", "--heads", "a", "--heads"]), heads).expect("parse");
        assert_eq!(last.next_positional().as_deref(), Some("heads"));
        assert_eq!(last.values("heads"), ["a"]);
        assert_eq!(
            last.finish().err().map(|e| e.0),
            Some("--heads needs a value".into())
        );
    }
}
