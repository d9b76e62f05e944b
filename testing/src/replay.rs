//! [`Replay`]: a generated stand-in CLI that plays a recording back.

use std::path::{Path, PathBuf};

use ampere_core::recording::{Recording, RecordingError};

use crate::script;

/// Why a replay cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The recording file cannot be read.
    #[error("cannot read the recording {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        message: String,
    },
    /// The recording is not a valid recording.
    #[error("{path}: {source}")]
    Recording {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: RecordingError,
    },
    /// The replay's folder or script cannot be written.
    #[error("cannot write the replay script: {0}")]
    Write(String),
    /// An option is out of range.
    #[error("invalid replay option {option}: {message}")]
    Option {
        /// The option.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// How fast the replay writes the recorded output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pacing {
    /// Everything as fast as the pipes take it (the default; tests stay fast).
    #[default]
    Instant,
    /// Sleeps between events as long as the recording did (`sleep` with fractional
    /// seconds, as GNU coreutils and busybox have), so timeouts see the recorded timing.
    Recorded,
}

/// The exit status of a replay script that found a mismatch.
pub const MISMATCH_EXIT_CODE: i32 = 97;
/// The start of the stderr line a replay script writes when it finds a mismatch.
pub const MISMATCH_PREFIX: &str = "ampere-testing replay mismatch:";

/// How a replay departs from the recording, to test error handling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Faults {
    pub(crate) cut_at_line: Option<usize>,
    pub(crate) partial: bool,
    pub(crate) crash_code: Option<i32>,
    pub(crate) crash_signal: Option<i32>,
    pub(crate) stall: bool,
}

/// Sets up a [`Replay`]: pacing, faults and the invocation check.
#[derive(Debug, Clone)]
#[must_use = "call build() to write the replay script"]
pub struct ReplayBuilder {
    recording: Recording,
    source: PathBuf,
    pacing: Pacing,
    faults: Faults,
    check: bool,
}

impl ReplayBuilder {
    /// Output pacing (default [`Pacing::Instant`]).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Ends the output after `lines` complete stdout lines (what comes after is not
    /// written). The exit is then the recorded one unless [`crash_with`](Self::crash_with)
    /// or [`stall`](Self::stall) says otherwise.
    pub fn cut_at_line(mut self, lines: usize) -> Self {
        self.faults.cut_at_line = Some(lines);
        self
    }

    /// At the cut, also writes the first half of the next stdout line, with no newline (a
    /// partial line, as a CLI killed mid-write leaves).
    pub fn partial_line(mut self) -> Self {
        self.faults.partial = true;
        self
    }

    /// Exits with `code` instead of the recorded exit (at the cut, if there is one).
    pub fn crash_with(mut self, code: i32) -> Self {
        self.faults.crash_code = Some(code);
        self.faults.crash_signal = None;
        self
    }

    /// Kills itself with signal number `signal` instead of the recorded exit.
    pub fn crash_with_signal(mut self, signal: i32) -> Self {
        self.faults.crash_signal = Some(signal);
        self.faults.crash_code = None;
        self
    }

    /// Instead of exiting (at the cut, or after the last event), hangs with stdout open:
    /// the code under test's idle or overall timeout must end it.
    pub fn stall(mut self) -> Self {
        self.faults.stall = true;
        self
    }

    /// Whether to compare the invocation (arguments, stdin) with the recording and fail on a
    /// difference (default: on; off for scripted transcripts, which have no invocation).
    pub fn check_invocation(mut self, check: bool) -> Self {
        self.check = check;
        self
    }

    /// Writes the script and its data files into a fresh temporary folder.
    pub fn build(self) -> Result<Replay, ReplayError> {
        if let Some(signal) = self.faults.crash_signal {
            if !(1..=64).contains(&signal) {
                return Err(ReplayError::Option {
                    option: "crash_with_signal",
                    message: format!("{signal} is not a signal number (1..=64)"),
                });
            }
        }
        if let Some(code) = self.faults.crash_code {
            if !(0..=255).contains(&code) {
                return Err(ReplayError::Option {
                    option: "crash_with",
                    message: format!("{code} is not an exit code (0..=255)"),
                });
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("ampere-replay-")
            .tempdir()
            .map_err(|e| ReplayError::Write(e.to_string()))?;
        let check = self.check && !self.recording.header.invocation.scripted;
        let plan = script::Plan {
            recording: &self.recording,
            pacing: self.pacing,
            faults: &self.faults,
            check,
        };
        let cli =
            script::write(dir.path(), &plan).map_err(|e| ReplayError::Write(e.to_string()))?;
        Ok(Replay {
            dir,
            cli,
            source: self.source,
            recording: self.recording,
        })
    }
}

/// A recording ready to be replayed: point the client under test at
/// [`cli_path`](Replay::cli_path). The folder with the script is removed on drop.
#[derive(Debug)]
pub struct Replay {
    dir: tempfile::TempDir,
    cli: PathBuf,
    source: PathBuf,
    recording: Recording,
}

impl Replay {
    /// Reads and checks the recording at `path` and writes its replay (instant pacing, no
    /// faults, invocation checked).
    pub fn open(path: impl AsRef<Path>) -> Result<Replay, ReplayError> {
        Replay::builder_from_file(path)?.build()
    }

    /// A builder for the recording at `path` (read and checked now).
    pub fn builder_from_file(path: impl AsRef<Path>) -> Result<ReplayBuilder, ReplayError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| ReplayError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let recording = Recording::parse(&bytes).map_err(|source| ReplayError::Recording {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ReplayBuilder::new(recording, path.to_path_buf()))
    }

    /// A builder for a recording in memory (for example one from a
    /// [`Transcript`](crate::Transcript)).
    pub fn builder(recording: Recording) -> ReplayBuilder {
        ReplayBuilder::new(recording, PathBuf::from("<memory>"))
    }

    /// The generated CLI: set it with the client builder's `cli_path`.
    pub fn cli_path(&self) -> &Path {
        &self.cli
    }

    /// The recording being replayed.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// Where the recording came from (its file, or `<memory>`).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The first difference between the invocation of the last run and the recording, if
    /// a run found one (the same text the run's process error has in its stderr).
    pub fn mismatch(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.path().join("mismatch")).ok()?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    }

    /// How many times the replay script was started.
    pub fn runs(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("runs"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }
}

impl ReplayBuilder {
    fn new(recording: Recording, source: PathBuf) -> ReplayBuilder {
        ReplayBuilder {
            recording,
            source,
            pacing: Pacing::Instant,
            faults: Faults::default(),
            check: true,
        }
    }
}
