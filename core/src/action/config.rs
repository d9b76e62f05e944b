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
    /// The base URL must be an absolute `http://` or `https://` URL with a host, and without
    /// credentials, query, fragment, spaces or control characters; anything else is
    /// [`ActionError::Config`] naming the URL (credentials in it are redacted).
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
    /// assert_eq!(err, ActionError::missing_config("ZAMP_AUTH_TOKEN"));
    ///
    /// let err = ActionConfig::resolve(Some("api.zamp.ai"), Some("t"), &env).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid base URL \"api.zamp.ai\" (ZAMP_BASE_URL): it has no scheme (expected http:// or https://)"
    /// );
    /// ```
    pub fn resolve(
        base_url: Option<&str>,
        auth_token: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ActionError> {
        let base_url = pick(base_url, BASE_URL_VAR, env)?;
        if let Err(why) = check_base_url(&base_url) {
            return Err(ActionError::Config {
                variable: BASE_URL_VAR.to_owned(),
                message: format!(
                    "invalid base URL {:?} ({BASE_URL_VAR}): {why}",
                    redact_userinfo(&base_url)
                ),
            });
        }
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
        _ => Err(ActionError::missing_config(variable)),
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

/// Why `url` cannot be a base URL, if it cannot: an absolute `http`/`https` URL with a host,
/// an optional port and path, and nothing else.
fn check_base_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters".to_owned());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("it has no scheme (expected http:// or https://)".to_owned());
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!("the scheme must be http or https (got {scheme:?})"));
    }
    if rest.contains(['?', '#']) {
        return Err("it must not have a query or a fragment".to_owned());
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err("it must not hold credentials (user:password@)".to_owned());
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err("its IPv6 host has no closing ']'".to_owned());
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("the host [{host}] is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected {after:?} after the host")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host".to_owned());
    }
    if !host
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '%'))
    {
        return Err(format!("the host {host:?} is not a valid host name"));
    }
    if let Some(port) = port {
        if !port.is_empty() && !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
            return Err(format!("the port {port:?} is not a number from 1 to 65535"));
        }
    }
    Ok(())
}

/// `url` with any `user:password@` replaced by `***@`, for error texts.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// Where the platform is and the token to use, as a user gave them (each optional: what is
/// not given comes from the environment when the configuration is
/// [resolved](ActionCredentials::resolve), at each call).
///
/// The executors' builders of every runtime keep one of these. `Debug` redacts the token.
///
/// ```
/// use ampere_core::action::ActionCredentials;
///
/// let credentials = ActionCredentials::default()
///     .base_url("https://api.zamp.ai")
///     .auth_token("s3cr3t");
/// assert!(!format!("{credentials:?}").contains("s3cr3t"));
/// let config = credentials.resolve(&|_| None).unwrap();
/// assert_eq!(config.base_url(), "https://api.zamp.ai");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ActionCredentials {
    base_url: Option<String>,
    auth_token: Option<String>,
}

impl ActionCredentials {
    /// Sets the base URL (wins over `ZAMP_BASE_URL`).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets the API token (wins over `ZAMP_AUTH_TOKEN`).
    #[must_use]
    pub fn auth_token(mut self, auth_token: impl Into<String>) -> Self {
        self.auth_token = Some(auth_token.into());
        self
    }

    /// The explicit base URL, if one was given.
    pub fn explicit_base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// Whether a token was given explicitly.
    pub fn has_auth_token(&self) -> bool {
        self.auth_token.is_some()
    }

    /// The configuration: [`ActionConfig::resolve`] with these values and `env`.
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ActionConfig, ActionError> {
        ActionConfig::resolve(self.base_url.as_deref(), self.auth_token.as_deref(), env)
    }
}

impl fmt::Debug for ActionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionCredentials")
            .field("base_url", &self.base_url)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for ok in [
            "http://127.0.0.1:8080",
            "https://api.zamp.ai/",
            "HTTPS://api.zamp.ai/api/v1//",
            "http://[::1]:9/x",
            "http://localhost",
            "http://host:",
        ] {
            assert_eq!(check_base_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("api.zamp.ai", "no scheme"),
            ("ftp://x", "scheme must be"),
            ("http://", "no host"),
            ("http:///actions", "no host"),
            ("http://:80", "no host"),
            ("http://a b", "spaces"),
            ("http://x\n", "control"),
            ("http://u:p@x", "credentials"),
            ("http://x?y=1", "query"),
            ("http://x:99999", "port"),
            ("http://x:abc", "port"),
            ("http://[::1", "closing"),
            ("http://x!y", "valid host"),
            ("", "no scheme"),
        ] {
            let err = check_base_url(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(redact_userinfo("http://u:secret@x/p@q"), "http://***@x/p@q");
        assert_eq!(redact_userinfo("http://x/a@b"), "http://x/a@b");
        let err = ActionConfig::new("http://u:secret@x", "t").expect_err("rejected");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
