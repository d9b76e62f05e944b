//! Thread command arguments and validation.

use ampere_core::options::Visibility;
use ampere_core::threads::{parse_output, MultiplayerSetting, ThreadCommand, TtlDuration};

fn args(cmd: ThreadCommand) -> Vec<String> {
    match cmd.args() {
        Ok(a) => a
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

fn field(cmd: ThreadCommand) -> String {
    match cmd.args() {
        Ok(a) => panic!("expected an error, got {a:?}"),
        Err(e) => e.field,
    }
}

const ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";

fn mp(setting: MultiplayerSetting) -> ThreadCommand {
    ThreadCommand::Multiplayer {
        thread_id: ID.into(),
        setting,
    }
}

#[test]
fn new_thread() {
    assert_eq!(
        args(ThreadCommand::New { visibility: None }),
        ["threads", "new"]
    );
    assert_eq!(
        args(ThreadCommand::New {
            visibility: Some(Visibility::Public)
        }),
        ["threads", "new", "--visibility", "unlisted"]
    );
    assert_eq!(
        args(ThreadCommand::New {
            visibility: Some(Visibility::Private)
        }),
        ["threads", "new", "--visibility", "private"]
    );
}

#[test]
fn markdown() {
    assert_eq!(
        args(ThreadCommand::Markdown {
            thread_id: ID.into()
        }),
        ["threads", "markdown", ID]
    );
    assert_eq!(
        field(ThreadCommand::Markdown {
            thread_id: "".into()
        }),
        "thread_id"
    );
    assert_eq!(
        field(ThreadCommand::Markdown {
            thread_id: "-x".into()
        }),
        "thread_id"
    );
}

#[test]
fn multiplayer() {
    assert_eq!(
        args(mp(MultiplayerSetting::Off)),
        ["threads", "share", "multiplayer", "off", ID]
    );
    assert_eq!(
        args(mp(MultiplayerSetting::On)),
        ["threads", "share", "multiplayer", "on", ID]
    );
    assert_eq!(
        args(mp(MultiplayerSetting::Ttl(TtlDuration {
            minutes: 30,
            hours: 1,
            days: 2,
            weeks: 0
        }))),
        [
            "threads",
            "share",
            "multiplayer",
            "ttl",
            ID,
            "--minutes",
            "30",
            "--hours",
            "1",
            "--days",
            "2"
        ]
    );
    assert_eq!(
        args(mp(MultiplayerSetting::Ttl(TtlDuration::weeks(1)))),
        ["threads", "share", "multiplayer", "ttl", ID, "--weeks", "1"]
    );
    args(mp(MultiplayerSetting::Ttl(TtlDuration::minutes(5))));
    args(mp(MultiplayerSetting::Ttl(TtlDuration::days(7))));
    for bad in [
        TtlDuration::minutes(4),
        TtlDuration::default(),
        TtlDuration {
            minutes: 1,
            days: 7,
            ..Default::default()
        },
        TtlDuration::weeks(u32::MAX),
        TtlDuration {
            minutes: u32::MAX,
            hours: u32::MAX,
            days: u32::MAX,
            weeks: u32::MAX,
        },
    ] {
        assert_eq!(field(mp(MultiplayerSetting::Ttl(bad))), "ttl", "{bad:?}");
    }
    assert_eq!(
        field(ThreadCommand::Multiplayer {
            thread_id: " ".into(),
            setting: MultiplayerSetting::On
        }),
        "thread_id"
    );
}

#[test]
fn output_is_trimmed() {
    assert_eq!(parse_output(b"  T-123\n"), "T-123");
    assert_eq!(parse_output(b"# Title\n\ntext\n\n"), "# Title\n\ntext");
    assert_eq!(parse_output(b"\xff ok"), "\u{fffd} ok");
}
