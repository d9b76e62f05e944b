//! Carrying out an invocation plan up to the spawn.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ampere_core::callbacks::wiring::CallbackPlan;
use ampere_core::options::AmpOptions;
use ampere_core::plan::{
    self, BaseSettings, BaseSettingsSource, EnvChange, InvocationPlan, PromptKind, StdinPlan,
};
use ampere_core::run::AgentError;
use ampere_core::threads::ThreadCommand;

use crate::callbacks::Callbacks;
use crate::locate::CliProgram;
use crate::private_dir::PrivateDir;
use crate::record::Recorder;
use crate::CliCache;

/// Where to find the CLI and where to put private files; the runtime's `Amp` client holds
/// one.
#[derive(Debug, Clone, Default)]
pub struct CliSettings {
    /// Run this CLI instead of searching for one.
    pub cli_path: Option<PathBuf>,
    /// Create private folders here instead of the system temporary folder.
    pub temp_root: Option<PathBuf>,
    /// The permission handler and tools served to each execution from this process.
    pub callbacks: Callbacks,
    /// Record each execution to this file (`record_to`).
    pub record_to: Option<PathBuf>,
    /// The CLIs located so far, reused while unchanged (default: the process's cache).
    pub cli_cache: CliCache,
}

/// Everything needed to spawn one execution. Keep it (its private folder) alive until the
/// child has exited; dropping it removes the private files.
#[derive(Debug)]
pub struct Prepared {
    /// The command: program, arguments, environment, working folder, its own process
    /// group, and all three stdio streams piped.
    pub command: Command,
    /// How to feed the child's stdin.
    pub stdin: StdinPlan,
    /// The private folder holding generated settings / MCP files, when any were needed.
    pub private_dir: Option<PrivateDir>,
    /// The CLI that was found.
    pub cli: CliProgram,
    /// Warnings of the plan (options that do not apply, such as local-only options with a
    /// remote executor); already logged with `tracing::warn!`.
    pub warnings: Vec<String>,
    /// The recorder of this execution, when the client records (`record_to`): hand it to
    /// the run state with [`StderrSink::for_run`](crate::StderrSink::for_run).
    pub recorder: Option<Recorder>,
}

fn read_base_settings(options: &AmpOptions, callbacks: &CallbackPlan) -> BaseSettings {
    let env = |name: &str| std::env::var_os(name);
    let home = crate::home_dir();
    match plan::base_settings_sources_with(&env, home.as_deref(), options, callbacks) {
        BaseSettingsSource::NotNeeded => BaseSettings::None,
        BaseSettingsSource::Explicit(path) => {
            let contents = std::fs::read_to_string(&path).map_err(|e| e.to_string());
            BaseSettings::Explicit { path, contents }
        }
        BaseSettingsSource::Discover(paths) => plan::first_parsing(
            paths
                .into_iter()
                .filter_map(|p| std::fs::read_to_string(&p).ok().map(|text| (p, text))),
        ),
        #[allow(unreachable_patterns)]
        _ => BaseSettings::None,
    }
}

fn apply_env(cmd: &mut Command, changes: &[EnvChange]) {
    let mut set_here: Vec<&str> = Vec::new();
    for change in changes {
        match change {
            EnvChange::Set(k, v) => {
                cmd.env(k, v);
                set_here.push(k);
            }
            EnvChange::SetIfAbsent(k, v)
                if std::env::var_os(k).is_none() && !set_here.contains(&k.as_str()) =>
            {
                cmd.env(k, v);
                set_here.push(k);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn finish_command(cmd: &mut Command, cwd: Option<&Path>) {
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
}

fn display_command(cli: &CliProgram, args: &[OsString]) -> String {
    let mut parts = vec![cli.program.display().to_string()];
    parts.extend(
        cli.leading_args
            .iter()
            .chain(args)
            .map(|a| a.to_string_lossy().into_owned()),
    );
    parts.join(" ")
}

/// Plans one execution with `ampere_core::plan` and carries the plan out up to the spawn:
/// reads the base settings the plan asks for, writes the private files, finds the CLI and
/// builds the command. Nothing is spawned; an invalid option fails here.
///
/// With callbacks (`settings.callbacks`), the private folder is always created and their
/// hosts are started in it, tied to its lifetime: they stop (pending calls rejected) when
/// the folder is removed, however the execution ends.
pub fn prepare_execution(
    options: &AmpOptions,
    prompt: PromptKind,
    settings: &CliSettings,
) -> Result<Prepared, AgentError> {
    let root = match &settings.temp_root {
        Some(root) => root.clone(),
        None => std::env::temp_dir(),
    };
    // The folder is named now but created only when the plan needs a file in it.
    let dir_path = PrivateDir::fresh_path(&root);
    let callbacks = settings.callbacks.plan(&dir_path);
    let base = read_base_settings(options, &callbacks);
    let plan: InvocationPlan =
        plan::plan_execution_with(options, &prompt, &base, &dir_path, &callbacks).map_err(|e| {
            match e {
                plan::PlanError::Validation(v) => AgentError::Validation(v),
                other => AgentError::Plan(other.to_string()),
            }
        })?;
    check_cwd(plan.cwd.as_deref())?;
    for warning in &plan.warnings {
        tracing::warn!(target: "ampere", "{warning}");
    }
    let private_dir = if plan.files.is_empty() {
        None
    } else {
        let mut dir = PrivateDir::create_at(dir_path.clone())?;
        for file in &plan.files {
            dir.write(file)?;
        }
        if !settings.callbacks.is_empty() {
            let hosts = settings.callbacks.start(dir.path()).map_err(|e| {
                AgentError::io("starting the permission handler and tool hosts", &e)
            })?;
            dir.attach(hosts);
        }
        Some(dir)
    };
    let cli = settings
        .cli_cache
        .locate(settings.cli_path.as_deref(), plan.cwd.as_deref())?;
    let recorder = match &settings.record_to {
        Some(path) => Some(Recorder::create(
            path, &plan.args, &dir_path, &prompt, options,
        )?),
        None => None,
    };
    let mut command = cli.command();
    command.args(&plan.args);
    apply_env(&mut command, &plan.env);
    finish_command(&mut command, plan.cwd.as_deref());
    tracing::debug!(
        target: "ampere",
        command = %display_command(&cli, &plan.args),
        cwd = ?plan.cwd,
        private_files = plan.files.len(),
        "spawning the Amp CLI"
    );
    Ok(Prepared {
        command,
        stdin: plan.stdin,
        private_dir,
        cli,
        warnings: plan.warnings,
        recorder,
    })
}

/// A working folder that does not exist is an error naming it, before anything is spawned
/// (the spawn would report it as if the CLI were missing).
fn check_cwd(cwd: Option<&Path>) -> Result<(), AgentError> {
    let Some(cwd) = cwd else {
        return Ok(());
    };
    match std::fs::metadata(cwd) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(ampere_core::ValidationError::new(
            "cwd",
            format!("{} is not a folder", cwd.display()),
        )
        .into()),
        Err(e) => Err(ampere_core::ValidationError::new(
            "cwd",
            format!("cannot use the folder {}: {e}", cwd.display()),
        )
        .into()),
    }
}

/// Builds the command of a thread command (`threads new`, `threads markdown`,
/// `threads share multiplayer`): stdin closed, stdout and stderr piped, own process group.
/// Run it to completion and pass the output to `ampere_core::run::command_outcome`.
pub fn prepare_thread_command(
    thread_command: &ThreadCommand,
    settings: &CliSettings,
    cwd: Option<&Path>,
) -> Result<Command, AgentError> {
    let args = thread_command.args()?;
    check_cwd(cwd)?;
    let cli = settings
        .cli_cache
        .locate(settings.cli_path.as_deref(), cwd)?;
    let mut command = cli.command();
    command.args(&args);
    finish_command(&mut command, cwd);
    command.stdin(Stdio::null());
    tracing::debug!(target: "ampere", command = %display_command(&cli, &args), "running an Amp thread command");
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fake_cli(dir: &Path) -> PathBuf {
        let p = dir.join("amp");
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    #[test]
    fn prepares_command_env_and_private_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = CliSettings {
            cli_path: Some(fake_cli(tmp.path())),
            temp_root: Some(tmp.path().to_path_buf()),
            ..CliSettings::default()
        };
        let mut options = AmpOptions::default();
        options.env.insert("AMP_SDK_VERSION".into(), "mine".into());
        options.env.insert("FOO".into(), "bar".into());
        options.system_prompt = Some("be terse".into());
        options.settings_file = Some(tmp.path().join("base.json"));
        std::fs::write(tmp.path().join("base.json"), r#"{"amp.x": 1}"#).expect("write");
        let prepared =
            prepare_execution(&options, PromptKind::Text("hi".into()), &settings).expect("plan");
        let envs: Vec<_> = prepared.command.get_envs().collect();
        assert!(envs.contains(&(
            std::ffi::OsStr::new("AMP_SDK_VERSION"),
            Some(std::ffi::OsStr::new("mine"))
        )));
        assert!(envs.contains(&(
            std::ffi::OsStr::new("FOO"),
            Some(std::ffi::OsStr::new("bar"))
        )));
        let dir = prepared
            .private_dir
            .as_ref()
            .expect("overlay needs a private folder");
        let written = std::fs::read_to_string(dir.path().join("settings.json")).expect("read");
        assert!(
            written.contains("be terse") && written.contains("amp.x"),
            "{written}"
        );
        let args: Vec<_> = prepared.command.get_args().collect();
        assert!(!args
            .iter()
            .any(|a| a.to_string_lossy().contains("be terse")));
        assert!(matches!(prepared.stdin, StdinPlan::Text(ref b) if b == b"hi\n"));
        let path = dir.path().to_path_buf();
        drop(prepared);
        assert!(!path.exists(), "private folder removed with the Prepared");
    }

    #[test]
    fn invalid_options_fail_before_anything_is_left_behind() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = CliSettings {
            cli_path: Some(fake_cli(tmp.path())),
            temp_root: Some(tmp.path().join("t")),
            ..CliSettings::default()
        };
        std::fs::create_dir(tmp.path().join("t")).expect("mkdir");
        let options = AmpOptions {
            labels: Some(vec!["bad label!".into()]),
            ..AmpOptions::default()
        };
        let err = prepare_execution(&options, PromptKind::Text("x".into()), &settings)
            .expect_err("invalid label");
        assert!(
            matches!(err, AgentError::Validation(ref v) if v.field.starts_with("labels")),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read_dir(tmp.path().join("t")).expect("ls").count(),
            0
        );
    }

    #[test]
    fn no_private_folder_unless_a_file_is_needed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = CliSettings {
            cli_path: Some(fake_cli(tmp.path())),
            temp_root: Some(tmp.path().join("t")),
            ..CliSettings::default()
        };
        std::fs::create_dir(tmp.path().join("t")).expect("mkdir");
        let prepared = prepare_execution(
            &AmpOptions::default(),
            PromptKind::Text("x".into()),
            &settings,
        )
        .expect("plan");
        assert!(prepared.private_dir.is_none());
        assert_eq!(
            std::fs::read_dir(tmp.path().join("t")).expect("ls").count(),
            0
        );
    }

    #[test]
    fn a_missing_working_folder_is_named_before_anything_is_spawned() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = CliSettings {
            cli_path: Some(fake_cli(tmp.path())),
            temp_root: Some(tmp.path().to_path_buf()),
            ..CliSettings::default()
        };
        let missing = tmp.path().join("no-such-folder");
        let options = AmpOptions::new().cwd(&missing);
        let err = prepare_execution(&options, PromptKind::Text("x".into()), &settings)
            .expect_err("missing cwd");
        assert!(
            matches!(err, AgentError::Validation(ref v) if v.field == "cwd"),
            "{err:?}"
        );
        assert!(err.to_string().contains("no-such-folder"), "{err}");
    }

    #[test]
    fn unreadable_explicit_settings_file_is_a_clear_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let settings = CliSettings {
            cli_path: Some(fake_cli(tmp.path())),
            temp_root: Some(tmp.path().to_path_buf()),
            ..CliSettings::default()
        };
        let options = AmpOptions {
            settings_file: Some(tmp.path().join("missing.json")),
            system_prompt: Some("x".into()),
            ..AmpOptions::default()
        };
        let err = prepare_execution(&options, PromptKind::Stream, &settings).expect_err("missing");
        assert!(err.to_string().contains("missing.json"), "{err}");
    }
}
