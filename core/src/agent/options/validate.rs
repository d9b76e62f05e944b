//! The rules of the CLI contract that options must keep ([`AmpOptions::validate`]).

#[allow(unused_imports)]
use super::*;

impl AmpOptions {
    /// Checks every rule of the CLI contract that does not depend on the prompt.
    ///
    /// The error names the field (`labels[3]`, `title`, `executor.id`, ...) and the rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(mode) = &self.mode {
            validate_word("mode", mode.as_str())?;
        }
        if let Some(labels) = &self.labels {
            validate_labels(labels)?;
        }
        if let Some(title) = &self.title {
            validate_title(title)?;
            if self.continue_thread.is_some() {
                return Err(ValidationError::new(
                    "title",
                    "not allowed together with continue_thread (a title is only set on a new thread)",
                ));
            }
        }
        if let Some(ContinueThread::Id(id)) = &self.continue_thread {
            validate_thread_id("continue_thread", id)?;
        }
        match &self.executor {
            Executor::Local => {}
            Executor::Orb { project } => {
                if let Some(p) = project {
                    validate_word("executor.project", p)?;
                }
            }
            Executor::Runner { id, dir } => {
                validate_word("executor.id", id)?;
                if id.contains(char::is_whitespace) {
                    return Err(ValidationError::new(
                        "executor.id",
                        "must not contain whitespace",
                    ));
                }
                if let Some(d) = dir {
                    validate_nonempty_value("executor.dir", d)?;
                }
            }
        }
        for (key, value) in &self.env {
            let field = format!("env[{key:?}]");
            if key.is_empty() {
                return Err(ValidationError::new(field, "name must not be empty"));
            }
            if key.contains('=') || key.contains('\0') {
                return Err(ValidationError::new(
                    field,
                    "name must not contain '=' or NUL",
                ));
            }
            if value.contains('\0') {
                return Err(ValidationError::new(field, "value must not contain NUL"));
            }
        }
        for (name, list) in [
            ("enabled_tools", &self.enabled_tools),
            ("disabled_tools", &self.disabled_tools),
        ] {
            for (i, t) in list.iter().flatten().enumerate() {
                if t.trim().is_empty() {
                    return Err(ValidationError::new(
                        format!("{name}[{i}]"),
                        "must not be empty",
                    ));
                }
                if t.chars().any(char::is_control) {
                    return Err(ValidationError::new(
                        format!("{name}[{i}]"),
                        "must not contain control characters",
                    ));
                }
            }
        }
        if self.orb_size.is_some() && !matches!(self.executor, Executor::Orb { .. }) {
            return Err(ValidationError::new(
                "orb_size",
                "only applies to the orb executor (Executor::Orb)",
            ));
        }
        for (field, path) in [
            ("cwd", &self.cwd),
            ("settings_file", &self.settings_file),
            ("log_file", &self.log_file),
            ("toolbox", &self.toolbox),
            ("skills", &self.skills),
        ] {
            if let Some(p) = path {
                if p.as_os_str().is_empty() {
                    return Err(ValidationError::new(field, "must not be an empty path"));
                }
            }
        }
        if let Some(p) = &self.skills {
            if p.to_str().is_none() {
                return Err(ValidationError::new(
                    "skills",
                    "must be valid UTF-8 (it is written into a JSON settings file)",
                ));
            }
        }
        if let Some(p) = &self.toolbox {
            if p.to_str().is_none() {
                return Err(ValidationError::new(
                    "toolbox",
                    "must be valid UTF-8 (it is passed as AMP_TOOLBOX)",
                ));
            }
        }
        Ok(())
    }
}

/// A value passed as a separate argument: non-empty, and not starting with `-` (the CLI
/// would read it as a flag).
pub(super) fn validate_nonempty_value(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.starts_with('-') {
        return Err(ValidationError::new(field, "must not start with '-'"));
    }
    if value.contains('\0') {
        return Err(ValidationError::new(field, "must not contain NUL"));
    }
    Ok(())
}

/// Like [`validate_nonempty_value`], and not only whitespace.
pub(super) fn validate_word(field: &str, value: &str) -> Result<(), ValidationError> {
    validate_nonempty_value(field, value)?;
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be blank"));
    }
    Ok(())
}

/// Checks a thread id: non-empty, not starting with `-`, no whitespace or NUL.
pub fn validate_thread_id(field: &str, id: &str) -> Result<(), ValidationError> {
    validate_nonempty_value(field, id)?;
    if id.contains(char::is_whitespace) {
        return Err(ValidationError::new(field, "must not contain whitespace"));
    }
    Ok(())
}

/// Checks one label: 1..=32 characters matching `^[a-zA-Z0-9][a-zA-Z0-9-]*$`.
pub fn validate_label(field: &str, label: &str) -> Result<(), ValidationError> {
    let len = label.chars().count();
    if len == 0 || len > MAX_LABEL_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be 1..={MAX_LABEL_LEN} characters long (is {len})"),
        ));
    }
    let mut chars = label.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !(first_ok && rest_ok) {
        return Err(ValidationError::new(
            field,
            "must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$",
        ));
    }
    Ok(())
}

/// Checks a list of labels: at most 20, each valid (see [`validate_label`]).
pub fn validate_labels(labels: &[String]) -> Result<(), ValidationError> {
    if labels.len() > MAX_LABELS {
        return Err(ValidationError::new(
            "labels",
            format!("at most {MAX_LABELS} labels (got {})", labels.len()),
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        validate_label(&format!("labels[{i}]"), label)?;
    }
    Ok(())
}

/// Checks a title: 1..=256 characters once trimmed.
pub fn validate_title(title: &str) -> Result<(), ValidationError> {
    let len = title.trim().chars().count();
    if len == 0 || len > MAX_TITLE_LEN {
        return Err(ValidationError::new(
            "title",
            format!("must be 1..={MAX_TITLE_LEN} characters long once trimmed (is {len})"),
        ));
    }
    if title.contains('\0') {
        return Err(ValidationError::new("title", "must not contain NUL"));
    }
    if let Some(c) = title.chars().find(|c| c.is_control()) {
        return Err(ValidationError::new(
            "title",
            format!("must be one line without control characters (found {c:?})"),
        ));
    }
    Ok(())
}
