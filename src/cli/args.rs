//! A small argument parser: positionals, `--flag`, `--name value` and `--name=value`.

use std::collections::BTreeMap;

use super::CliError;

#[derive(Debug, Default)]
pub struct Args {
    positionals: std::collections::VecDeque<String>,
    options: BTreeMap<String, Option<String>>,
}

/// Options that take no value.
const FLAGS: &[&str] = &["demo", "reverse", "help", "list", "remove", "soak"];

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
                    args.options.insert(k.to_string(), Some(v.to_string()));
                } else if FLAGS.contains(&name) {
                    args.options.insert(name.to_string(), None);
                } else {
                    let value = it
                        .next()
                        .ok_or_else(|| CliError(format!("--{name} needs a value")))?;
                    args.options.insert(name.to_string(), Some(value));
                }
            } else {
                args.positionals.push_back(a);
            }
        }
        Ok(args)
    }

    pub fn next_positional(&mut self) -> Option<String> {
        self.positionals.pop_front()
    }

    pub fn required_positional(&mut self, what: &str) -> Result<String, CliError> {
        self.next_positional()
            .ok_or_else(|| CliError(format!("missing <{what}>")))
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.options.remove(name).is_some()
    }

    pub fn value(&mut self, name: &str) -> Option<String> {
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
        Ok(())
    }
}
