//! Where the platform is and how to authenticate to it.

use std::fmt;

use super::error::ActionError;

/// The environment variable holding the platform's base URL.
pub const BASE_URL_VAR: &str = "ZAMP_BASE_URL";
/// The environment variable holding the API token.
pub const AUTH_TOKEN_VAR: &str = "ZAMP_AUTH_TOKEN";

/// The platform's base URL and the API token.
///
/// The token is a secret: `Debug` prints `<redacted>` in its place, there is no `Display`,
/// and no accessor hands it out; it only ever leaves as the `Authorization` header of an
/// [`HttpRequest`](super::HttpRequest) (whose `Debug` redacts it too).
#[derive(Clone, PartialEq, Eq)]
pub struct ActionConfig {
    base_url: String,
    auth_token: String,
}

impl ActionConfig {
    /// A configuration from explicit values, with no environment fallback.
    ///
    /// An empty value is a [`ActionError::Config`] naming the variable that would have
    /// supplied it.
    pub fn new(
        base_url: impl Into<String>,
        auth_token: impl Into<String>,
    ) -> Result<Self, ActionError> {
        let base_url = base_url.into();
        let auth_token = auth_token.into();
        Self::resolve(Some(&base_url), Some(&auth_token), &|_| None)
    }

    /// Resolves the configuration: an explicit value wins; otherwise the environment
    /// variable ([`BASE_URL_VAR`], [`AUTH_TOKEN_VAR`]) is looked up with `env`.
    ///
    /// Like the reference SDK (`explicit or os.environ[...]`), an empty explicit value counts
    /// as not given. An unset or empty variable is [`ActionError::Config`] naming it, raised
    /// before any request. Core does no environment lookups itself: the runtime passes its
    /// lookup function (for example a closure over `std::env::var`).
    ///
    /// ```
    /// use ampere_core::action::{ActionConfig, ActionError};
    ///
    /// let env = |name: &str| (name == "ZAMP_BASE_URL").then(|| "https://api.zamp.ai".to_string());
    /// let config = ActionConfig::resolve(None, Some("s3cr3t"), &env).unwrap();
    /// assert_eq!(config.base_url(), "https://api.zamp.ai");
    /// assert!(!format!("{config:?}").contains("s3cr3t"));
    ///
    /// let err = ActionConfig::resolve(None, None, &env).unwrap_err();
    /// assert_eq!(err, ActionError::Config { variable: "ZAMP_AUTH_TOKEN".into() });
    /// ```
    pub fn resolve(
        base_url: Option<&str>,
        auth_token: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ActionError> {
        let base_url = pick(base_url, BASE_URL_VAR, env)?;
        let auth_token = pick(auth_token, AUTH_TOKEN_VAR, env)?;
        Ok(Self {
            base_url,
            auth_token,
        })
    }

    /// The base URL, as given (trailing slashes are removed only when joining).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` with trailing `/` removed + `/` + `endpoint` with leading `/` removed.
    ///
    /// ```
    /// # use ampere_core::action::ActionConfig;
    /// let config = ActionConfig::new("https://api.zamp.ai//", "t").unwrap();
    /// assert_eq!(config.url("/actions"), "https://api.zamp.ai/actions");
    /// ```
    pub fn url(&self, endpoint: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            endpoint.trim_start_matches('/')
        )
    }

    /// The `Authorization` header value. Crate-private: the token never leaves except
    /// inside a request.
    pub(crate) fn authorization(&self) -> String {
        format!("Bearer {}", self.auth_token)
    }
}

fn pick(
    explicit: Option<&str>,
    variable: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ActionError> {
    if let Some(value) = explicit.filter(|v| !v.is_empty()) {
        return Ok(value.to_owned());
    }
    match env(variable) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ActionError::Config {
            variable: variable.to_owned(),
        }),
    }
}

impl fmt::Debug for ActionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionConfig")
            .field("base_url", &self.base_url)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}
