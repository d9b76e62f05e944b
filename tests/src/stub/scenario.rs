//! Scenario selection: `[[scenario:NAME key=value ...]]` in the prompt (or the first
//! streamed user message), else the environment variable `AMP_STUB_SCENARIO` (same syntax
//! without the brackets, e.g. `crash after=3 code=7`), else `echo`.
//!
//! [`StubScenario`] names every scenario; the suite builds its directives from it
//! (`StubScenario::Crash.param("after", 3).directive("go")`), the stub parses them back with
//! [`Scenario::parse`]. The text on the wire is unchanged: the scenario's name, then
//! `key=value` words.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Every scenario the stub plays (see the table in [`crate::stub`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum StubScenario {
    /// `echo`: replies with the prompt text.
    #[default]
    Echo,
    /// `tools`: `count` tool calls, each answered, then a final text.
    Tools,
    /// `thinking`: thinking blocks (with `--stream-json-thinking`) and text.
    Thinking,
    /// `multi`: `turns` assistant messages in one execution.
    Multi,
    /// `error-result`: an error result, exit `code`.
    ErrorResult,
    /// `crash`: `after` stdout lines, then an exit `code` or a `signal`.
    Crash,
    /// `garbage`: invalid lines among the valid ones.
    Garbage,
    /// `big-line`: one `tool_result` line of `mb` MiB or `bytes` bytes.
    BigLine,
    /// `slow-drip`: every stdout byte written separately.
    SlowDrip,
    /// `hang`: prints init, then sleeps forever.
    Hang,
    /// `exit-after-success`: a success result, then exit `code`.
    ExitAfterSuccess,
    /// `stderr-flood`: `mb` MiB on stderr.
    StderrFlood,
    /// `ignore-sigterm`: ignores SIGTERM, prints init, hangs.
    IgnoreSigterm,
    /// `echo-env`: the result describes the invocation.
    EchoEnv,
    /// `unknown-types`: message types, blocks and fields the SDK does not know.
    UnknownTypes,
    /// `delegate`: tool calls decided by the settings' permission rules, delegate programs
    /// run as the CLI runs them.
    Delegate,
    /// `mcp-tools`: the `--mcp-config` stdio servers started, listed and called.
    McpTools,
}

impl StubScenario {
    /// Every scenario, in the order of the stub's table.
    pub const ALL: [StubScenario; 17] = [
        StubScenario::Echo,
        StubScenario::Tools,
        StubScenario::Thinking,
        StubScenario::Multi,
        StubScenario::ErrorResult,
        StubScenario::Crash,
        StubScenario::Garbage,
        StubScenario::BigLine,
        StubScenario::SlowDrip,
        StubScenario::Hang,
        StubScenario::ExitAfterSuccess,
        StubScenario::StderrFlood,
        StubScenario::IgnoreSigterm,
        StubScenario::EchoEnv,
        StubScenario::UnknownTypes,
        StubScenario::Delegate,
        StubScenario::McpTools,
    ];

    /// The name on the wire (`error-result`, `big-line`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            StubScenario::Echo => "echo",
            StubScenario::Tools => "tools",
            StubScenario::Thinking => "thinking",
            StubScenario::Multi => "multi",
            StubScenario::ErrorResult => "error-result",
            StubScenario::Crash => "crash",
            StubScenario::Garbage => "garbage",
            StubScenario::BigLine => "big-line",
            StubScenario::SlowDrip => "slow-drip",
            StubScenario::Hang => "hang",
            StubScenario::ExitAfterSuccess => "exit-after-success",
            StubScenario::StderrFlood => "stderr-flood",
            StubScenario::IgnoreSigterm => "ignore-sigterm",
            StubScenario::EchoEnv => "echo-env",
            StubScenario::UnknownTypes => "unknown-types",
            StubScenario::Delegate => "delegate",
            StubScenario::McpTools => "mcp-tools",
        }
    }

    /// This scenario with one parameter (add more with [`Scenario::param`]).
    pub fn param(self, key: &str, value: impl fmt::Display) -> Scenario {
        Scenario::new(self).param(key, value)
    }

    /// A prompt selecting this scenario, without parameters: `[[scenario:NAME]] text`.
    pub fn directive(self, text: &str) -> String {
        Scenario::new(self).directive(text)
    }
}

impl fmt::Display for StubScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scenario name the stub does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScenario(pub String);

impl fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = StubScenario::ALL.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "amp-stub: unknown scenario {:?} (known: {})",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownScenario {}

impl FromStr for StubScenario {
    type Err = UnknownScenario;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        StubScenario::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| UnknownScenario(name.to_string()))
    }
}

impl From<StubScenario> for Scenario {
    fn from(name: StubScenario) -> Self {
        Scenario::new(name)
    }
}

/// A selected scenario and its `key=value` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The scenario.
    pub name: StubScenario,
    /// Its parameters.
    pub params: BTreeMap<String, String>,
}

impl Scenario {
    /// `name` without parameters.
    pub fn new(name: StubScenario) -> Self {
        Scenario {
            name,
            params: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the parameter `key=value`.
    pub fn param(mut self, key: &str, value: impl fmt::Display) -> Self {
        self.params.insert(key.to_string(), value.to_string());
        self
    }

    /// A prompt selecting this scenario: `[[scenario:NAME key=value ...]] text`.
    pub fn directive(&self, text: &str) -> String {
        format!("[[scenario:{self}]] {text}")
    }

    /// Parses `NAME key=value ...` (a bare `key` means `key=1`). Unknown names are an error
    /// (the text says which).
    pub fn parse(spec: &str) -> Result<Scenario, String> {
        let mut words = spec.split_whitespace();
        let name: StubScenario = words
            .next()
            .unwrap_or("echo")
            .parse()
            .map_err(|e: UnknownScenario| e.to_string())?;
        let mut params = BTreeMap::new();
        for w in words {
            match w.split_once('=') {
                Some((k, v)) => params.insert(k.to_string(), v.to_string()),
                None => params.insert(w.to_string(), "1".to_string()),
            };
        }
        Ok(Scenario { name, params })
    }

    /// Finds a `[[scenario:...]]` directive in `text`: the scenario spec and the text
    /// with the directive removed (trimmed).
    pub fn find_directive(text: &str) -> Option<(String, String)> {
        let start = text.find("[[scenario:")?;
        let end = start + text[start..].find("]]")?;
        let spec = text[start + "[[scenario:".len()..end].trim().to_string();
        let rest = format!("{}{}", &text[..start], &text[end + 2..])
            .trim()
            .to_string();
        Some((spec, rest))
    }

    /// A numeric parameter, or `default` when absent or unparsable.
    pub fn num(&self, key: &str, default: u64) -> u64 {
        self.params
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// A text parameter.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// `delay_ms`: the pause after each stdout message (default 0).
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.num("delay_ms", 0))
    }
}

/// `NAME key=value ...`, the text [`Scenario::parse`] reads (and `AMP_STUB_SCENARIO` holds).
impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_str())?;
        for (k, v) in &self.params {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in StubScenario::ALL {
            assert_eq!(s.as_str().parse::<StubScenario>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        let err = "nope".parse::<StubScenario>().unwrap_err().to_string();
        assert!(err.starts_with("amp-stub: unknown scenario \"nope\" (known: echo, tools,"));
    }

    #[test]
    fn specs_round_trip_through_the_wire_text() {
        let sc = StubScenario::Crash
            .param("after", 3)
            .param("signal", "KILL");
        assert_eq!(sc.to_string(), "crash after=3 signal=KILL");
        assert_eq!(Scenario::parse(&sc.to_string()), Ok(sc.clone()));
        assert_eq!(
            sc.directive("go"),
            "[[scenario:crash after=3 signal=KILL]] go"
        );
        let (spec, rest) = Scenario::find_directive(&sc.directive("go")).unwrap();
        assert_eq!((Scenario::parse(&spec), rest.as_str()), (Ok(sc), "go"));
        assert_eq!(StubScenario::Hang.directive("x"), "[[scenario:hang]] x");
        assert_eq!(
            Scenario::parse("crash partial").map(|s| s.num("partial", 0)),
            Ok(1)
        );
        assert_eq!(Scenario::parse(""), Ok(Scenario::default()));
    }
}
