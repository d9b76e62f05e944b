//! Scenario selection: `[[scenario:NAME key=value ...]]` in the prompt (or the first
//! streamed user message), else the environment variable `AMP_STUB_SCENARIO` (same syntax
//! without the brackets, e.g. `crash after=3 code=7`), else `echo`.

use std::collections::BTreeMap;
use std::time::Duration;

/// Every scenario name the stub knows.
pub const SCENARIOS: &[&str] = &[
    "echo",
    "tools",
    "thinking",
    "multi",
    "error-result",
    "crash",
    "garbage",
    "big-line",
    "slow-drip",
    "hang",
    "exit-after-success",
    "stderr-flood",
    "ignore-sigterm",
    "echo-env",
    "unknown-types",
];

/// A selected scenario and its `key=value` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The scenario name (one of [`SCENARIOS`]).
    pub name: String,
    /// Its parameters.
    pub params: BTreeMap<String, String>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "echo".into(),
            params: BTreeMap::new(),
        }
    }
}

impl Scenario {
    /// Parses `NAME key=value ...`. Unknown names are an error (the text says which).
    pub fn parse(spec: &str) -> Result<Scenario, String> {
        let mut words = spec.split_whitespace();
        let name = words.next().unwrap_or("echo").to_string();
        if !SCENARIOS.contains(&name.as_str()) {
            return Err(format!(
                "amp-stub: unknown scenario {name:?} (known: {})",
                SCENARIOS.join(", ")
            ));
        }
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
