//! The `gen-transcript` command line, the Python original's (argparse) options: `--turns N`,
//! `--seed S`, `--thinking`, `--big-every K`, `-h`/`--help`; values as the next argument or
//! after `=`, and any unambiguous prefix of an option name (`--big 10`).

use std::fmt;

use crate::Options;

/// The usage text `--help` prints.
pub const USAGE: &str = "\
usage: gen-transcript [-h] [--turns TURNS] [--seed SEED] [--thinking] [--big-every BIG_EVERY]

Writes a realistic Amp stream-JSON transcript (one JSON object per line) to stdout.

options:
  -h, --help             show this help message and exit
  --turns TURNS          assistant turns, each with a tool call and its result (default 100)
  --seed SEED            seed of the random content (default 1; the same seed, the same bytes)
  --thinking             start every assistant turn with a thinking block
  --big-every BIG_EVERY  every K turns emit a ~1MB tool result (default 0: never)
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Write the transcript these options describe.
    Generate(Options),
    /// Print [`USAGE`].
    Help,
}

/// A command line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError(String);

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgsError {}

const LONG: [&str; 5] = ["--help", "--turns", "--seed", "--thinking", "--big-every"];

/// Reads the arguments (without the program name).
pub fn parse_args<I, S>(args: I) -> Result<Command, ArgsError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut opts = Options::default();
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        if arg == "-h" {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let name = resolve(&name)?;
        let mut value = |what: &str| -> Result<String, ArgsError> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) => Ok(v),
                None => Err(ArgsError(format!("argument {name}: expected one {what}"))),
            }
        };
        match name {
            "--help" => return Ok(Command::Help),
            "--thinking" => {
                if inline.is_some() {
                    return Err(ArgsError(
                        "argument --thinking: ignored explicit argument".into(),
                    ));
                }
                opts.thinking = true;
            }
            "--turns" => {
                let v = value("TURNS")?;
                opts.turns = int(name, &v)?
                    .try_into()
                    .map_err(|_| ArgsError(format!("argument --turns: negative value: {v:?}")))?;
            }
            // CPython seeds with abs(seed).
            "--seed" => opts.seed = int(name, &value("SEED")?)?.unsigned_abs(),
            // No turn t satisfies t % K == K - 1 for a negative K: like 0, never.
            "--big-every" => opts.big_every = int(name, &value("BIG_EVERY")?)?.max(0) as u64,
            _ => return Err(ArgsError(format!("unrecognized arguments: {arg}"))),
        }
    }
    Ok(Command::Generate(opts))
}

/// The option `name` names, exactly or as an unambiguous prefix.
fn resolve(name: &str) -> Result<&'static str, ArgsError> {
    if let Some(exact) = LONG.iter().find(|l| **l == name) {
        return Ok(exact);
    }
    if name.len() > 2 && name.starts_with("--") {
        let hits: Vec<&'static str> = LONG
            .iter()
            .copied()
            .filter(|l| l.starts_with(name))
            .collect();
        match hits.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                return Err(ArgsError(format!(
                    "ambiguous option: {name} could match {}",
                    many.join(", ")
                )))
            }
        }
    }
    Err(ArgsError(format!("unrecognized arguments: {name}")))
}

fn int(name: &str, v: &str) -> Result<i64, ArgsError> {
    v.trim()
        .parse()
        .map_err(|_| ArgsError(format!("argument {name}: invalid int value: {v:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(args: &[&str]) -> Options {
        match parse_args(args.iter().copied()) {
            Ok(Command::Generate(o)) => o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_and_every_option() {
        assert_eq!(gen(&[]), Options::default());
        assert_eq!(
            gen(&[
                "--turns",
                "30",
                "--thinking",
                "--big-every",
                "10",
                "--seed",
                "7"
            ]),
            Options::new(30).thinking(true).big_every(10).seed(7)
        );
        assert_eq!(gen(&["--turns=5", "--seed=-3"]), Options::new(5).seed(3));
        assert_eq!(
            gen(&["--big", "3", "--th", "--tu", "2"]),
            Options::new(2).thinking(true).big_every(3)
        );
        assert_eq!(gen(&["--big-every", "-4"]).big_every, 0);
    }

    #[test]
    fn help_and_errors() {
        assert_eq!(parse_args(["-h"]), Ok(Command::Help));
        assert_eq!(parse_args(["--he"]), Ok(Command::Help));
        for bad in [
            &["--turns"][..],
            &["--turns", "x"],
            &["--turns", "-1"],
            &["--t", "3"],
            &["--nope"],
            &["extra"],
            &["--thinking=yes"],
        ] {
            assert!(parse_args(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }
}
