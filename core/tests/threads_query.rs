//! Typed thread requests: their argv, their validation, and the parsing of what the pinned
//! CLI prints (shapes taken from its bundled JavaScript).

use ampere_core::options::Visibility;
use ampere_core::run::AgentError;
use ampere_core::threads::*;

const ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";

fn args<Q: ThreadQuery>(q: &Q) -> Vec<String> {
    match q.command().args() {
        Ok(a) => a
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect(),
        Err(e) => panic!("{:?}: {e}", q.command()),
    }
}

fn field<Q: ThreadQuery>(q: &Q) -> String {
    match q.command().args() {
        Ok(a) => panic!("expected a validation error, got {a:?}"),
        Err(e) => e.field,
    }
}

#[test]
fn list_argv_and_paging() {
    assert_eq!(args(&ListThreads::new()), ["threads", "list", "--json"]);
    assert_eq!(
        args(
            &ListThreads::new()
                .limit(500)
                .offset(0)
                .include_archived(true)
        ),
        [
            "threads",
            "list",
            "--json",
            "--include-archived",
            "--limit",
            "500",
            "--offset",
            "0"
        ]
    );
    assert_eq!(field(&ListThreads::new().limit(0)), "limit");
    assert_eq!(field(&ListThreads::new().limit(501)), "limit");
    let page = ListThreads::new().limit(10).offset(20);
    assert_eq!(page.next_page(9), None);
    assert_eq!(
        page.next_page(10),
        Some(ListThreads::new().limit(10).offset(30))
    );
}

#[test]
fn list_parses_the_cli_json_and_keeps_unknown_fields() {
    let out = format!(
        r#"[
  {{"id": "{ID}", "title": "Fix CI", "updated": "2026-01-02T03:04:05.000Z",
    "tree": "file:///repo", "messageCount": 4, "pinned": true}},
  {{"id": "{ID}", "updated": "2026-01-02T03:04:05.000Z", "tree": null, "messageCount": 0}}
]
"#
    );
    let threads = match ListThreads::new().parse(out.as_bytes()) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0].id, ID);
    assert_eq!(threads[0].title.as_deref(), Some("Fix CI"));
    assert_eq!(threads[0].tree.as_deref(), Some("file:///repo"));
    assert_eq!(threads[0].message_count, 4);
    assert_eq!(
        threads[0].extra.get("pinned"),
        Some(&serde_json::json!(true))
    );
    assert_eq!(threads[1].title, None);
    assert_eq!(threads[1].tree, None);
}

#[test]
fn unreadable_output_is_a_command_output_error() {
    match ListThreads::new().parse(b"Cannot reach Amp servers") {
        Err(AgentError::CommandOutput { command, .. }) => assert_eq!(command, "threads list"),
        other => panic!("{other:?}"),
    }
    match ListThreads::new().parse(b"[{\"title\": 1}]") {
        Err(AgentError::CommandOutput { message, .. }) => {
            assert!(message.starts_with("invalid JSON"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn search_argv_ends_options_before_the_query() {
    assert_eq!(
        args(
            &SearchThreads::new("-auth file:src/a.ts")
                .limit(5)
                .offset(10)
        ),
        [
            "threads",
            "search",
            "--json",
            "--limit",
            "5",
            "--offset",
            "10",
            "--",
            "-auth file:src/a.ts"
        ]
    );
    assert_eq!(field(&SearchThreads::new("  ")), "query");
    assert_eq!(field(&SearchThreads::new("a\nb")), "query");
    assert_eq!(field(&SearchThreads::new("a\0b")), "query");
    let hits = SearchThreads::new("x").parse(
        format!(r#"[{{"id": "{ID}", "title": null, "updatedAt": "2026-01-01T00:00:00Z"}}]"#)
            .as_bytes(),
    );
    match hits {
        Ok(h) => {
            assert_eq!(h[0].title, None);
            assert_eq!(h[0].updated_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn thread_references_are_ids_or_urls() {
    let url = format!("https://ampcode.com/threads/{ID}?x=1");
    assert_eq!(
        args(&DeleteThread { thread_id: url }),
        ["threads", "delete", ID]
    );
    for bad in [
        "",
        "T-abc",
        "-T",
        "T-7F395A45-7FAE-4983-8DE0-D02E61D4183B",
        "T-7f395a45-7fae-4983-8de0-d02e61d4183",
        "https://ampcode.com/threads/nope",
        "T-7f395a45-7fae-4983-8de0-d02e61d4183b\n",
    ] {
        assert_eq!(
            field(&ExportThread {
                thread_id: bad.into()
            }),
            "thread_id",
            "{bad:?}"
        );
    }
}

#[test]
fn rename_validates_the_name() {
    let rename = |name: &str| RenameThread {
        thread_id: ID.into(),
        name: name.into(),
    };
    assert_eq!(
        args(&rename("  -New name ")),
        ["threads", "rename", ID, "--", "-New name"]
    );
    assert_eq!(field(&rename(" ")), "name");
    assert_eq!(field(&rename("a\nb")), "name");
    assert_eq!(field(&rename("a\0b")), "name");
    assert_eq!(field(&rename(&"x".repeat(257))), "name");
    assert_eq!(args(&rename(&"x".repeat(256)))[4].len(), 256);
}

#[test]
fn label_validates_and_parses_the_label_list() {
    let label = |labels: &[&str]| LabelThread {
        thread_id: ID.into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        args(&label(&["a", "b-2"])),
        ["threads", "label", ID, "a", "b-2"]
    );
    assert_eq!(field(&label(&[])), "labels");
    assert_eq!(field(&label(&["ok", "-bad"])), "labels[1]");
    assert_eq!(field(&label(&["a\0"])), "labels[0]");
    let out = format!(
        "\u{1b}[32m✓ Thread https://ampcode.com/threads/{ID} labels: a, b-2, old\u{1b}[39m\n"
    );
    match label(&["a"]).parse(out.as_bytes()) {
        Ok(l) => assert_eq!(l, ["a", "b-2", "old"]),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn archive_share_usage_context_export_argv() {
    let thread_id = ID.to_string();
    assert_eq!(
        args(&ArchiveThread {
            thread_id: thread_id.clone(),
            unarchive: true
        }),
        ["threads", "archive", "--unarchive", ID]
    );
    assert_eq!(
        args(&ShareThread {
            thread_id: thread_id.clone(),
            visibility: Visibility::Public
        }),
        ["threads", "share", "--visibility", "unlisted", ID]
    );
    assert_eq!(
        args(&ThreadUsage {
            thread_id: thread_id.clone(),
            details: true,
            range: Some(UsageRange::new(
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00Z"
            )),
        }),
        [
            "threads",
            "usage",
            "--details",
            "--start",
            "2026-01-01T00:00:00Z",
            "--end",
            "2026-02-01T00:00:00Z",
            ID
        ]
    );
    assert_eq!(
        field(&ThreadUsage {
            thread_id: thread_id.clone(),
            details: false,
            range: Some(UsageRange::new("", "2026-02-01T00:00:00Z")),
        }),
        "range.start"
    );
    assert_eq!(
        args(&AnalyzeContext {
            thread_id: thread_id.clone()
        }),
        ["threads", "context", ID]
    );
    assert_eq!(
        args(&RepoDefaultVisibility {
            set: Some(RepoVisibility::Workspace)
        }),
        ["threads", "visibility", "workspace"]
    );
    assert_eq!(
        args(&RepoDefaultVisibility::default()),
        ["threads", "visibility"]
    );
}

#[test]
fn context_export_and_visibility_parse() {
    let ctx = format!(
        r#"{{"threadID": "{ID}", "scope": "current-context", "model": "claude",
            "modelDisplayName": "Claude", "maxContextTokens": 200000,
            "sections": [{{"id": "system", "name": "System prompt", "tokens": 1200.4,
                          "percentage": 0.6, "children": [{{"name": "x", "tokens": 1}}]}}],
            "totalTokens": 1200, "freeSpace": 198800, "compactionCount": 0,
            "toolCounts": {{"builtin": 20, "mcp": 3, "total": 23}}, "future": 1}}"#
    );
    match (AnalyzeContext {
        thread_id: ID.into(),
    })
    .parse(ctx.as_bytes())
    {
        Ok(c) => {
            assert_eq!(c.thread_id, ID);
            assert_eq!(c.max_context_tokens, 200_000);
            assert_eq!(c.sections[0].tokens, 1200);
            assert_eq!(c.sections[0].children.len(), 1);
            assert_eq!(c.tool_counts.map(|t| t.total), Some(23));
            assert!(c.extra.contains_key("future"));
        }
        Err(e) => panic!("{e}"),
    }
    let export =
        format!(r#"{{"id": "{ID}", "v": 7, "title": "t", "messages": [{{"role": "user"}}]}}"#);
    match (ExportThread {
        thread_id: ID.into(),
    })
    .parse(export.as_bytes())
    {
        Ok(t) => {
            assert_eq!(t.messages.len(), 1);
            assert_eq!(t.extra.get("v"), Some(&serde_json::json!(7)));
        }
        Err(e) => panic!("{e}"),
    }
    let vis = RepoDefaultVisibility::default();
    assert_eq!(
        vis.parse(b"inherited\n").ok(),
        Some(DefaultVisibility::Inherited)
    );
    assert_eq!(vis.parse(b"group\n").ok(), Some(DefaultVisibility::Group));
    assert!(vis.parse(b"\n").is_err());
}

#[test]
fn finish_query_passes_errors_through() {
    let q = NewThread::default();
    assert_eq!(
        finish_query(
            &q,
            Ok(format!("https://ampcode.com/threads/{ID}\n").into_bytes())
        ),
        Ok(ID.to_string())
    );
    assert_eq!(
        finish_query(&q, Err(AgentError::Cancelled)),
        Err(AgentError::Cancelled)
    );
}
