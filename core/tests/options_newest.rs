//! The newest CLI options: `--fast`, `--features`, `--orb-size` and `amp.tools.disable`.

use ampere_core::options::{AmpOptions, Executor, OrbSize, ThreadFeature};

#[test]
fn orb_size_needs_the_orb_executor() {
    // The CLI says "The --orb-size flag requires the orb executor" before connecting.
    for executor in [Executor::Local, Executor::runner("r1")] {
        let o = AmpOptions::new().executor(executor).orb_size(OrbSize::Tiny);
        assert_eq!(
            o.validate().map_err(|e| e.field),
            Err("orb_size".to_string())
        );
    }
    let o = AmpOptions::new()
        .executor(Executor::orb())
        .orb_size(OrbSize::X3large);
    assert!(o.validate().is_ok());
}

#[test]
fn values_are_the_ones_the_cli_accepts() {
    let sizes: Vec<&str> = OrbSize::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        sizes,
        [
            "a1.tiny",
            "a1.small",
            "a1.medium",
            "a1.large",
            "a1.xxlarge",
            "a1.3xlarge"
        ]
    );
    let features: Vec<&str> = ThreadFeature::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(features, ["fast", "plaid", "pro"]);
    let o: AmpOptions = match serde_json::from_str(
        r#"{"fast": true, "feature": "plaid", "orb_size": "a1.small",
            "executor": {"orb": {}}, "disabled_tools": ["Bash", "mcp__*"]}"#,
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert!(o.fast);
    assert_eq!(o.feature, Some(ThreadFeature::Plaid));
    assert_eq!(o.orb_size, Some(OrbSize::Small));
    assert!(serde_json::from_str::<AmpOptions>(r#"{"orb_size": "a1.huge"}"#).is_err());
    assert!(serde_json::from_str::<AmpOptions>(r#"{"feature": "turbo"}"#).is_err());
}

#[test]
fn disabled_tools_are_checked_and_remote_runs_ignore_them() {
    let bad = AmpOptions::new().disabled_tools(["Bash", " "]);
    assert_eq!(
        bad.validate().map_err(|e| e.field),
        Err("disabled_tools[1]".to_string())
    );
    let nl = AmpOptions::new().disabled_tools(["a\nb"]);
    assert_eq!(
        nl.validate().map_err(|e| e.field),
        Err("disabled_tools[0]".to_string())
    );
    let remote = AmpOptions::new()
        .executor(Executor::orb())
        .disabled_tools(["Bash"]);
    assert_eq!(remote.ignored_remote_options(), ["disabled_tools"]);
    assert!(!ampere_core::settings::needs_overlay(&remote));
    assert!(ampere_core::settings::needs_overlay(
        &AmpOptions::new().disabled_tools(["Bash"])
    ));
}
