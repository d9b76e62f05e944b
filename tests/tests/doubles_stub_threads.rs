//! amp-stub answers every typed thread request (`ampere_core::threads`) in the shape the
//! real CLI prints, so `ThreadQuery::parse` reads each answer.

use std::process::{Command, Stdio};

use ampere_core::options::Visibility;
use ampere_core::threads::*;

const ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";

fn stub<Q: ThreadQuery>(q: &Q) -> Q::Output {
    let args = match q.command().args() {
        Ok(a) => a,
        Err(e) => panic!("{:?}: {e}", q.command()),
    };
    let home = match tempfile::tempdir() {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    };
    let out = Command::new(env!("CARGO_BIN_EXE_amp-stub"))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(&args)
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("spawn amp-stub: {e}"),
    };
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match q.parse(&out.stdout) {
        Ok(v) => v,
        Err(e) => panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)),
    }
}

#[test]
fn list_and_search_are_json_pages() {
    let page = stub(&ListThreads::new().limit(2));
    assert_eq!(page.len(), 2);
    assert!(page.iter().all(|t| t.id.starts_with("T-")));
    assert_eq!(page[0].tree.as_deref(), Some("file:///repo"));
    assert_eq!(page[1].message_count, 4);
    assert!(stub(&ListThreads::new().offset(3)).is_empty());
    let hits = stub(&SearchThreads::new("-auth").limit(5));
    assert_eq!(hits[0].title.as_deref(), Some("About -auth"));
    assert_eq!(hits[1].title, None);
}

#[test]
fn context_export_visibility_and_labels_parse() {
    let ctx = stub(&AnalyzeContext {
        thread_id: ID.into(),
    });
    assert_eq!(ctx.thread_id, ID);
    assert_eq!(ctx.total_tokens + ctx.free_space, ctx.max_context_tokens);
    let export = stub(&ExportThread {
        thread_id: format!("https://ampcode.com/threads/{ID}"),
    });
    assert_eq!(export.id, ID);
    assert_eq!(export.messages.len(), 2);
    assert!(export.extra.contains_key("v"));
    assert_eq!(
        stub(&RepoDefaultVisibility::default()),
        DefaultVisibility::Inherited
    );
    assert_eq!(
        stub(&RepoDefaultVisibility {
            set: Some(RepoVisibility::Group)
        }),
        DefaultVisibility::Group
    );
    let labels = stub(&LabelThread {
        thread_id: ID.into(),
        labels: vec!["sdk".into(), "a-1".into()],
    });
    assert_eq!(labels, ["sdk", "a-1"]);
}

#[test]
fn confirmations_are_text() {
    let id = || ID.to_string();
    assert_eq!(
        stub(&RenameThread {
            thread_id: id(),
            name: "-New name".into()
        }),
        format!("✓ Thread https://ampcode.com/threads/{ID} renamed to \"-New name\"")
    );
    assert_eq!(
        stub(&ArchiveThread {
            thread_id: id(),
            unarchive: true
        }),
        "✓ Thread unarchived successfully"
    );
    assert_eq!(
        stub(&DeleteThread { thread_id: id() }),
        format!("✓ Thread https://ampcode.com/threads/{ID} deleted")
    );
    assert_eq!(
        stub(&ShareThread {
            thread_id: id(),
            visibility: Visibility::Public
        }),
        format!("✓ Thread https://ampcode.com/threads/{ID} visibility changed to unlisted.")
    );
    let usage = stub(&ThreadUsage {
        thread_id: id(),
        details: true,
        range: Some(UsageRange::new(
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
        )),
    });
    assert!(usage.contains(ID), "{usage}");
}
