//! No option combination that passes validation panics, and every valid plan keeps the
//! contract's invariants.

use std::path::Path;

use ampere_core::options::{
    AmpOptions, Effort, Executor, LogLevel, Mode, OrbSize, ThreadFeature, Visibility,
};
use ampere_core::plan::{plan_execution, BaseSettings, PromptKind, StdinPlan};
use proptest::prelude::*;

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop::option::of(s).boxed()
}

prop_compose! {
    fn arb_options()(
        mode in opt(prop_oneof![Just(Mode::SMART), Just(Mode::RUSH), "[a-z-]{0,6}".prop_map(Mode::new)]),
        effort in opt(prop::sample::select(Effort::ALL.to_vec())),
        allow in opt(any::<bool>()),
        archive in opt(any::<bool>()),
        no_archive in any::<bool>(),
        vis in opt(prop::sample::select(Visibility::ALL.to_vec())),
        settings_file in opt("[a-z/.]{0,8}"),
        log_level in opt(prop::sample::select(LogLevel::ALL.to_vec())),
        log_file in opt("[a-z/.]{0,8}"),
        cont in prop::option::of(prop_oneof![Just(None), "[ -~]{0,8}".prop_map(Some)]),
        mcp in opt(prop_oneof![Just("{\"s\":{\"command\":\"x\"}}".to_string()), "[a-z./]{0,6}"]),
        toolbox in opt("[a-z/]{0,6}"),
        skills in opt("[a-z/]{0,6}"),
        tools in opt(prop::collection::vec("[A-Za-z* ]{0,5}", 0..3)),
        system_prompt in opt(any::<String>()),
        labels in opt(prop::collection::vec("[a-zA-Z0-9-]{0,4}", 0..22)),
        thinking in any::<bool>(),
        executor in prop_oneof![
            Just(Executor::Local),
            opt("[a-z-]{0,4}").prop_map(|project| Executor::Orb { project }),
            ("[a-z -]{0,4}", opt("[a-z/ -]{0,4}")).prop_map(|(id, dir)| Executor::Runner { id, dir }),
        ],
        title in opt("[ -~]{0,10}"),
        env in prop::collection::btree_map("[A-Z=]{0,4}", "[a-z]{0,3}", 0..3),
        newest in (
            any::<bool>(),
            opt(prop::sample::select(ThreadFeature::ALL.to_vec())),
            opt(prop::sample::select(OrbSize::ALL.to_vec())),
            opt(prop::collection::vec("[A-Za-z*_ ]{0,5}", 0..3)),
        ),
    ) -> AmpOptions {
        AmpOptions {
            cwd: None,
            mode,
            effort,
            dangerously_allow_all: allow,
            archive,
            no_archive_after_execute: no_archive,
            visibility: vis,
            settings_file: settings_file.map(Into::into),
            log_level,
            log_file: log_file.map(Into::into),
            env,
            continue_thread: cont.map(|c| c.map_or(ampere_core::options::ContinueThread::Latest, ampere_core::options::ContinueThread::Id)),
            mcp_config: mcp.map(Into::into),
            toolbox: toolbox.map(Into::into),
            skills: skills.map(Into::into),
            enabled_tools: tools,
            system_prompt,
            permissions: None,
            labels,
            thinking,
            executor,
            title,
            fast: newest.0,
            feature: newest.1,
            orb_size: newest.2,
            disabled_tools: newest.3,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn valid_options_never_panic(o in arb_options(), stream in any::<bool>(), base in prop_oneof![
        Just(BaseSettings::None),
        "[ -~]{0,12}".prop_map(|c| BaseSettings::Explicit { path: "/b".into(), contents: Ok(c) }),
        Just(BaseSettings::Explicit { path: "/b".into(), contents: Ok("{\"x\":1,}".into()) }),
    ]) {
        let prompt = if stream { PromptKind::Stream } else { PromptKind::Text("p".into()) };
        let private = Path::new("/private/tmp/ampere-XXXX");
        if let Ok(plan) = plan_execution(&o, &prompt, &base, private) {
            let args: Vec<String> = plan.args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
            let exec = args.iter().position(|a| a == "--execute");
            prop_assert!(exec.is_some());
            if o.continue_thread.is_some() {
                prop_assert_eq!(&args[0], "threads");
            } else {
                prop_assert_eq!(exec, Some(0));
            }
            if stream {
                prop_assert_eq!(args.last().map(String::as_str), Some("--stream-json-input"));
                prop_assert!(matches!(plan.stdin, StdinPlan::Stream));
            }
            for f in &plan.files {
                prop_assert!(f.path.starts_with(private));
                prop_assert_eq!(f.mode, 0o600);
            }
            prop_assert_eq!(args.iter().filter(|a| *a == "--label").count(), o.labels.as_ref().map_or(0, Vec::len));
        }
    }
}
