//! A small argument parser: positionals, `--flag`, `--name value` and `--name=value`; each
//! option once, but those a command reads with [`Args::values`], which it takes as often as given.

use std::collections::BTreeMap;

use super::CliError;

#[derive(Debug, Default)]
pub struct Args {
    positionals: std::collections::VecDeque<String>,
    /// Each option's values in the order given (a flag's is `None`), until the command reads it.
    options: BTreeMap<String, Vec<Option<String>>>,
    /// An option given last with no value after it: a known option missing its value, or an
    /// unknown one, which [`Args::finish`] tells apart by whether the command asked for it.
    valueless: Option<String>,
    /// The options the command asked for.
    asked: std::collections::BTreeSet<String>,
    /// Options given more than once that the command read as one value ([`Args::value`]), in
    /// the order read: refused by [`Args::finish`].
    twice: Vec<String>,
    /// Options followed by another option where their value belongs (`--serial --data d`):
    /// each with that option, refused by [`Args::finish`] rather than the option taken as the
    /// value (a value that begins with `--` is written `--serial=--x`).
    before_option: Vec<(String, String)>,
}

/// Options that take no value.
const FLAGS: &[&str] = &[
    "accept-lost",
    "demo",
    "force",
    "reverse",
    "help",
    "list",
    "remove",
    "soak",
    "trust-log",
];

impl Args {
    /// Reads `raw` (the command first, wherever its options are), every value of each option
    /// kept in order. Which options may be given more than once is the command's to say, by
    /// how it reads them ([`Args::value`], [`Args::values`]): so an option given twice is
    /// judged by [`Args::finish`], after whether the command takes it at all (`tongban heads
    /// --heads a --heads b` is an unknown option, not one given twice). No command acts before
    /// it calls `finish()`: each reads its options, then `finish()`, then acts; what it checks
    /// before (a value's form, one required) is checked on a value the caller gave.
    pub fn parse(raw: Vec<String>) -> Args {
        let mut args = Args::default();
        let mut it = raw.into_iter();
        while let Some(a) = it.next() {
            if a == "-h" {
                // The one short option: `-h` as every command line tool takes it, for `--help`.
                args.options.insert("help".into(), vec![None]);
            } else if let Some(name) = a.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    args.set(k, v.to_string());
                } else if FLAGS.contains(&name) {
                    args.options.insert(name.to_string(), vec![None]);
                } else {
                    match it.next() {
                        Some(next) if next.starts_with("--") => {
                            args.before_option.push((name.to_string(), next.clone()));
                            // The option after it is read as given.
                            let rest: Vec<String> = std::iter::once(next).chain(it).collect();
                            let more = Args::parse(rest);
                            args.absorb(more);
                            break;
                        }
                        Some(value) => args.set(name, value),
                        None => args.valueless = Some(name.to_string()),
                    }
                }
            } else {
                args.positionals.push_back(a);
            }
        }
        args
    }

    /// Takes what `more`, the arguments after an option's missing value, holds.
    fn absorb(&mut self, more: Args) {
        self.positionals.extend(more.positionals);
        for (name, values) in more.options {
            self.options.entry(name).or_default().extend(values);
        }
        self.valueless = more.valueless.or(self.valueless.take());
        self.before_option.extend(more.before_option);
    }

    fn set(&mut self, name: &str, value: String) {
        self.options
            .entry(name.to_string())
            .or_default()
            .push(Some(value));
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

    /// The value of an option taken once. Given more than once, it is refused by
    /// [`Args::finish`], which the command calls before it acts; meanwhile the first value given
    /// is the answer, so that nothing said before then (`--region <code> is required`) is
    /// untrue of what was given.
    pub fn value(&mut self, name: &str) -> Option<String> {
        self.asked.insert(name.to_string());
        let mut values = self.options.remove(name)?.into_iter();
        let first = values.next().flatten();
        if values.next().is_some() && !self.twice.iter().any(|t| t == name) {
            self.twice.push(name.to_string());
        }
        first
    }

    /// Every value of an option the command takes as often as given (one per file, as
    /// `tongban heads --records`), in the order given; none when it was not given.
    pub fn values(&mut self, name: &str) -> Vec<String> {
        self.asked.insert(name.to_string());
        self.options
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect()
    }

    /// Fails on anything not consumed, so a typo is not silently ignored: an unexpected
    /// argument, then an option the command does not take (given once or more), then one it
    /// takes once given more than once, then one missing its value.
    pub fn finish(self) -> Result<(), CliError> {
        if let Some(p) = self.positionals.front() {
            // Quoted only when it has the form of a word of the command line (a subcommand, a
            // file's path): an ID number given where none belongs is said by its length.
            return Err(CliError(format!(
                "unexpected argument {}",
                tongban_gateway::shown::said(p, tongban_gateway::shown::word)
            )));
        }
        let unknown = self
            .options
            .keys()
            .chain(&self.valueless)
            .chain(self.before_option.iter().map(|(k, _)| k))
            .find(|k| !self.asked.contains(*k));
        if let Some(k) = unknown {
            return Err(CliError(format!("unknown option --{k}")));
        }
        if let Some(k) = self.twice.first() {
            return Err(CliError(format!(
                "--{k} is given more than once: give it once"
            )));
        }
        if let Some((k, next)) = self.before_option.first() {
            let next = next.split('=').next().unwrap_or_default();
            return Err(CliError(format!(
                "--{k} needs a value, and {next} follows it: give the value after --{k} (one \
                 that begins with -- as --{k}=<value>)"
            )));
        }
        match self.valueless {
            Some(k) => Err(CliError(format!("--{k} needs a value"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &[&str]) -> Args {
        Args::parse(raw.iter().map(|s| s.to_string()).collect())
    }

    /// An option given last with nothing after it is named for what it is: a known option
    /// missing its value, or an unknown option (it was called one "needing a value"). An option
    /// read as one value and given twice, however written, is refused, never the last value
    /// silently taken.
    #[test]
    fn an_option_followed_by_another_is_missing_its_value_not_given_it() {
        // (Found by a walkthrough: `find --serial --data d` searched for the serial "--data".)
        let mut args = parsed(&["find", "--serial", "--data", "d"]);
        assert_eq!(args.next_positional().as_deref(), Some("find"));
        assert_eq!(args.value("serial"), None);
        assert_eq!(args.value("data").as_deref(), Some("d"));
        let said = args.finish().err().map(|e| e.0).unwrap_or_default();
        assert!(
            said.contains("--serial needs a value") && said.contains("--data follows it"),
            "{said}"
        );
        // Written with `=`, a value may begin with `--`.
        let mut args = parsed(&["--serial=--x", "--data=d"]);
        assert_eq!(args.value("serial").as_deref(), Some("--x"));
        assert_eq!(args.value("data").as_deref(), Some("d"));
        args.finish().expect("both given");
        // An option the command does not take is named unknown, not missing a value.
        let mut args = parsed(&["--sereal", "--data", "d"]);
        let _ = args.value("data");
        let said = args.finish().err().map(|e| e.0).unwrap_or_default();
        assert_eq!(said, "unknown option --sereal");
    }

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
        for (twice, name) in [
            (&["r", "--seq", "2", "--seq", "3"][..], "seq"),
            (&["r", "--seq=2", "--seq", "3"], "seq"),
            (&["r", "--data", "a", "--data=b"], "data"),
        ] {
            let mut args = parsed(twice);
            assert_eq!(args.next_positional().as_deref(), Some("r"));
            assert!(args.value(name).is_some());
            assert_eq!(
                args.finish().err().map(|e| e.0),
                Some(format!("--{name} is given more than once: give it once")),
                "{twice:?}"
            );
        }
        let mut fine = parsed(&["x", "--out", "f.html"]);
        assert_eq!(fine.next_positional().as_deref(), Some("x"));
        assert_eq!(fine.value("out").as_deref(), Some("f.html"));
        assert!(fine.finish().is_ok());
    }

    /// Given an option a command reads with `values`, then every value is read, in order,
    /// wherever the command stands among them; one it reads with `value` given twice is
    /// refused, by that command too.
    #[test]
    fn an_option_read_with_values_is_taken_as_often_as_given() {
        let mut many = parsed(&["--heads", "a", "verify", "--heads=b", "x", "--heads", "c"]);
        assert_eq!(many.next_positional().as_deref(), Some("verify"));
        assert_eq!(many.values("heads"), ["a", "b", "c"]);
        assert_eq!(many.values("records"), Vec::<String>::new());
        assert_eq!(many.next_positional().as_deref(), Some("x"));
        assert!(many.finish().is_ok());
        let mut once = parsed(&["verify", "--heads", "a", "--app", "x", "--app", "y"]);
        assert_eq!(once.next_positional().as_deref(), Some("verify"));
        assert_eq!(once.value("app").as_deref(), Some("x"));
        assert_eq!(once.values("heads"), ["a"]);
        assert_eq!(
            once.finish().err().map(|e| e.0),
            Some("--app is given more than once: give it once".into())
        );
        let mut last = parsed(&["verify", "--heads", "a", "--heads"]);
        assert_eq!(last.next_positional().as_deref(), Some("verify"));
        assert_eq!(last.values("heads"), ["a"]);
        assert_eq!(
            last.finish().err().map(|e| e.0),
            Some("--heads needs a value".into())
        );
    }

    /// Given an option the command does not take, given twice (`tongban heads --heads a
    /// --heads b`), then it is an unknown option, said first: before any option given twice that
    /// the command takes once, whatever the order given. (It was "--heads is given more than
    /// once: give it once", and, given once, "unknown option".)
    #[test]
    fn an_unknown_option_given_twice_is_unknown_before_it_is_twice() {
        for raw in [
            &["heads", "m", "--heads", "a", "--heads", "b"][..],
            &[
                "heads", "m", "--data", "d", "--data", "e", "--heads", "a", "--heads", "b",
            ],
            &[
                "heads", "m", "--data", "d", "--data", "e", "--heads", "a", "--heads",
            ],
        ] {
            let mut args = parsed(raw);
            assert_eq!(args.next_positional().as_deref(), Some("heads"));
            assert_eq!(args.values("records"), Vec::<String>::new());
            let _ = args.value("data");
            assert_eq!(args.next_positional().as_deref(), Some("m"));
            assert_eq!(
                args.finish().err().map(|e| e.0),
                Some("unknown option --heads".into()),
                "{raw:?}"
            );
        }
    }
}
