//! [`ActionExecutorBuilder`]: the builder of every runtime's action executor, written once.

use std::fmt;
use std::marker::PhantomData;

use ampere_core::action::ActionCredentials;

/// Builds an action executor (`T`) with explicit configuration: the base URL and the token
/// win over `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN`. The token is a secret: never logged and
/// never shown by `Debug`.
pub struct ActionExecutorBuilder<T> {
    credentials: ActionCredentials,
    target: PhantomData<fn() -> T>,
}

impl<T> Default for ActionExecutorBuilder<T> {
    fn default() -> Self {
        Self {
            credentials: ActionCredentials::default(),
            target: PhantomData,
        }
    }
}

impl<T> Clone for ActionExecutorBuilder<T> {
    fn clone(&self) -> Self {
        Self {
            credentials: self.credentials.clone(),
            target: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ActionExecutorBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutorBuilder")
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl<T: From<ActionCredentials>> ActionExecutorBuilder<T> {
    /// The platform's base URL (wins over `ZAMP_BASE_URL`).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.credentials = self.credentials.base_url(base_url);
        self
    }

    /// The API token (wins over `ZAMP_AUTH_TOKEN`). It is a secret: never logged and never
    /// shown by `Debug`.
    #[must_use]
    pub fn auth_token(mut self, auth_token: impl Into<String>) -> Self {
        self.credentials = self.credentials.auth_token(auth_token);
        self
    }

    /// The executor, with a fresh connection pool. Never fails: if the HTTP client cannot be
    /// set up, every call returns an error saying so.
    pub fn build(self) -> T {
        T::from(self.credentials)
    }
}
