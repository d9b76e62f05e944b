//! Which settings files the runtime reads for the overlay, and in which order.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ampere_core::options::{AmpOptions, Executor};
use ampere_core::plan::{base_settings_sources, first_parsing, BaseSettings, BaseSettingsSource};

fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
    move |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| OsString::from(v))
    }
}

fn overlaid() -> AmpOptions {
    AmpOptions::new().system_prompt("x")
}

#[test]
fn not_needed_without_overlay() {
    let env = env_of(&[("AMP_SETTINGS_FILE", "/e.json")]);
    let home = Some(Path::new("/h"));
    assert_eq!(
        base_settings_sources(&env, home, &AmpOptions::new()),
        BaseSettingsSource::NotNeeded
    );
    // Local-only options with a remote executor need no overlay either.
    let remote = AmpOptions::new()
        .executor(Executor::orb())
        .enabled_tools(["x"]);
    assert_eq!(
        base_settings_sources(&env, home, &remote),
        BaseSettingsSource::NotNeeded
    );
}

#[test]
fn order_of_sources() {
    let home = Some(Path::new("/h"));
    let o = overlaid().settings_file("/mine.json");
    let env = env_of(&[("AMP_SETTINGS_FILE", "/e.json"), ("XDG_CONFIG_HOME", "/x")]);
    assert_eq!(
        base_settings_sources(&env, home, &o),
        BaseSettingsSource::Explicit("/mine.json".into())
    );
    assert_eq!(
        base_settings_sources(&env, home, &overlaid()),
        BaseSettingsSource::Explicit("/e.json".into())
    );
    let env = env_of(&[("AMP_SETTINGS_FILE", ""), ("XDG_CONFIG_HOME", "/x")]);
    assert_eq!(
        base_settings_sources(&env, home, &overlaid()),
        BaseSettingsSource::Discover(vec![
            PathBuf::from("/x/amp/settings.json"),
            PathBuf::from("/x/amp/settings.jsonc")
        ])
    );
    // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    let env = env_of(&[("XDG_CONFIG_HOME", "rel")]);
    assert_eq!(
        base_settings_sources(&env, home, &overlaid()),
        BaseSettingsSource::Discover(vec![
            PathBuf::from("/h/.config/amp/settings.json"),
            PathBuf::from("/h/.config/amp/settings.jsonc")
        ])
    );
    assert_eq!(
        base_settings_sources(&env_of(&[]), None, &overlaid()),
        BaseSettingsSource::Discover(vec![])
    );
}

#[test]
fn first_parsing_skips_broken_files() {
    let found = vec![
        (PathBuf::from("/a/settings.json"), "{ broken".to_string()),
        (
            PathBuf::from("/a/settings.jsonc"),
            "{ // ok\n \"a\": 1, }".to_string(),
        ),
    ];
    assert_eq!(
        first_parsing(found),
        BaseSettings::Discovered {
            path: "/a/settings.jsonc".into(),
            contents: "{ // ok\n \"a\": 1, }".into()
        }
    );
    assert_eq!(
        first_parsing(vec![(PathBuf::from("/a"), "[]".to_string())]),
        BaseSettings::None
    );
}

#[test]
fn unsupported_flag_hint_names_the_option() {
    use ampere_core::plan::unsupported_option_hint;
    let hint = unsupported_option_hint("Error: error: unknown option '--effort'\n");
    let hint = hint.unwrap_or_default();
    assert!(
        hint.contains("--effort") && hint.contains("`effort`") && hint.contains("update"),
        "{hint}"
    );
    assert!(unsupported_option_hint("unknown option '--zzz'").is_some_and(|h| h.contains("--zzz")));
    assert_eq!(unsupported_option_hint("Error: Couldn't connect"), None);
    assert_eq!(unsupported_option_hint("unknown option '"), None);
}
