//! `gen-transcript [--turns N] [--seed S] [--thinking] [--big-every K] > out.jsonl`: writes a
//! realistic Amp stream-JSON transcript to stdout (see the `ampere-transcript` crate).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use ampere_transcript::{parse_args, write_to, Command, USAGE};

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Generate(opts)) => {
            let stdout = io::stdout().lock();
            match write_to(&opts, BufWriter::with_capacity(1 << 16, stdout)) {
                Ok(()) => ExitCode::SUCCESS,
                // A reader that stops early (`| head`) is not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(io::stderr(), "gen-transcript: writing stdout: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            let _ = write!(io::stderr(), "{}", USAGE.lines().next().unwrap_or_default());
            let _ = writeln!(io::stderr(), "\ngen-transcript: error: {e}");
            ExitCode::from(2)
        }
    }
}
