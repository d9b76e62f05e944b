//! amp-stub scenarios: every stdout line is the stream JSON the SDK must handle, shaped (and
//! field-ordered) like the real CLI's output in `core/tests/fixtures`.

use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/stub_run.rs"]
mod stub_run;

use stub_run::*;

#[test]
fn echo_has_the_shape_and_field_order_of_the_real_cli() {
    let path = ampere_tests::real_cli::workspace_root()
        .join("core/tests/fixtures/stream-json-2plus2.jsonl");
    let fixture = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let out = run(&["--execute", "--stream-json"], "what is 2+2?\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    let want: Vec<&str> = fixture.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        let (gs, ws) = (skeleton(g), skeleton(w));
        // The stub's result also carries usage totals, after the fixture's fields.
        assert_eq!(gs.len(), ws.len(), "{g}");
        for (gk, wk) in gs.iter().zip(&ws) {
            assert_eq!(&gk[..wk.len()], &wk[..], "{g}");
        }
    }
    let msgs = lines(&out);
    assert_eq!(msgs[3]["result"], "what is 2+2?");
    let sid = msgs[0]["session_id"].as_str().unwrap();
    assert!(ampere_tests::stub::args::is_thread_id(sid), "{sid}");
    assert!(msgs.iter().all(|m| m["session_id"] == sid));
    assert_eq!(
        msgs[0]["cwd"],
        std::env::current_dir().unwrap().to_string_lossy().as_ref()
    );
}

#[test]
fn plain_execute_prints_only_the_answer() {
    let out = run(&["-x"], "hello there\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello there\n");
    let out = run(&["-x", "from argv"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from argv\n");
}

#[test]
fn tools_pair_every_tool_use_with_a_result() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:tools count=4]] fix it",
    );
    assert_eq!(out.status.code(), Some(0));
    let msgs = lines(&out);
    let uses: Vec<&str> = msgs
        .iter()
        .filter(|m| m["type"] == "assistant")
        .flat_map(|m| m["message"]["content"].as_array().unwrap())
        .filter(|b| b["type"] == "tool_use")
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    let results: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["type"] == "user")
        .flat_map(|m| m["message"]["content"].as_array().unwrap())
        .filter(|b| b["type"] == "tool_result")
        .collect();
    assert_eq!(uses.len(), 4);
    assert_eq!(
        results
            .iter()
            .map(|r| r["tool_use_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        uses
    );
    assert!(results.iter().any(|r| r["content"].is_string()));
    assert!(results.iter().any(|r| r["content"].is_array()));
    let last = msgs.last().unwrap();
    assert_eq!(last["subtype"], "success");
    assert_eq!(last["result"], "Done: ran 4 tools.");
    let assistants: Vec<&Value> = msgs.iter().filter(|m| m["type"] == "assistant").collect();
    assert_eq!(assistants[0]["message"]["stop_reason"], "tool_use");
    let total_out: u64 = assistants
        .iter()
        .map(|a| a["message"]["usage"]["output_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(last["usage"]["output_tokens"].as_u64().unwrap(), total_out);
}

#[test]
fn thinking_blocks_only_with_the_thinking_flag() {
    let with = lines(&run(
        &["-x", "--stream-json-thinking"],
        "[[scenario:thinking blocks=3]] q",
    ));
    let blocks: Vec<&Value> = with
        .iter()
        .filter(|m| m["type"] == "assistant")
        .flat_map(|m| m["message"]["content"].as_array().unwrap())
        .filter(|b| b["type"] == "thinking")
        .collect();
    assert_eq!(blocks.len(), 3);
    assert!(blocks
        .iter()
        .all(|b| b["thinking"].is_string() && b["signature"].is_string()));
    let without = lines(&run(&["-x", "--stream-json"], "[[scenario:thinking]] q"));
    assert!(
        !String::from_utf8_lossy(&serde_json::to_vec(&without).unwrap()).contains("\"thinking\"")
    );
    // Any scenario gets a thinking block with the flag.
    let echo = lines(&run(&["-x", "--stream-json-thinking"], "hi"));
    assert_eq!(echo[2]["message"]["content"][0]["type"], "thinking");
}

#[test]
fn stream_input_runs_one_turn_per_line() {
    let input = format!(
        "{}\n{}{}",
        user_line("one"),
        user_line("two"),
        user_line("[[scenario:echo]] three")
    );
    let out = run(&["-x", "--stream-json", "--stream-json-input"], &input);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out);
    assert_eq!(
        types(&msgs),
        [
            "system",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result"
        ]
    );
    let results: Vec<&Value> = msgs.iter().filter(|m| m["type"] == "result").collect();
    assert_eq!(
        results
            .iter()
            .map(|r| r["num_turns"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(results[0]["result"], "one");
    assert_eq!(results[2]["result"], "three");
    assert_eq!(msgs[1]["message"]["content"][0]["text"], "one");
}

#[test]
fn stream_input_accepts_string_content_and_request_ids() {
    let line = r#"{"type":"user","message":{"role":"user","content":"plain"},"request_id":"r-1"}"#;
    let msgs = lines(&run(
        &["-x", "--stream-json", "--stream-json-input"],
        &format!("{line}\n"),
    ));
    assert_eq!(msgs.last().unwrap()["result"], "plain");
}

#[test]
fn stream_input_with_a_bad_line_ends_with_an_error_result() {
    let input = format!("{}not json\n{}", user_line("ok"), user_line("never"));
    let out = run(&["-x", "--stream-json", "--stream-json-input"], &input);
    assert_eq!(out.status.code(), Some(1));
    let msgs = lines(&out);
    let last = msgs.last().unwrap();
    assert_eq!(last["type"], "result");
    assert_eq!(last["subtype"], "error_during_execution");
    assert_eq!(last["is_error"], true);
    assert!(last["error"].as_str().unwrap().contains("line 2"), "{last}");
    assert_eq!(msgs.iter().filter(|m| m["type"] == "result").count(), 2);
}

#[test]
fn multi_turn_text_mode() {
    let msgs = lines(&run(
        &["-x", "--stream-json"],
        "[[scenario:multi turns=4]] go",
    ));
    assert_eq!(msgs.iter().filter(|m| m["type"] == "assistant").count(), 4);
    assert_eq!(msgs.last().unwrap()["num_turns"], 4);
}

#[test]
fn error_result_exits_one() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:error-result message=kaput]] go",
    );
    assert_eq!(out.status.code(), Some(1));
    let msgs = lines(&out);
    let last = msgs.last().unwrap();
    assert_eq!(
        skeleton(&last.to_string()).len(),
        1,
        "no nested message in a result"
    );
    assert_eq!(last["subtype"], "error_during_execution");
    assert_eq!(last["is_error"], true);
    assert_eq!(last["error"], "kaput");
    let raw = std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert_eq!(
        skeleton(&raw)[0],
        [
            "type",
            "subtype",
            "duration_ms",
            "is_error",
            "num_turns",
            "error",
            "session_id"
        ]
    );
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:error-result subtype=error_max_turns code=4]] go",
    );
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(lines(&out).last().unwrap()["subtype"], "error_max_turns");
}

#[test]
fn crash_with_code_signal_or_half_a_line() {
    use std::os::unix::process::ExitStatusExt;
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:crash after=3 code=7]] go",
    );
    assert_eq!(out.status.code(), Some(7));
    let msgs = lines(&out);
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().all(|m| m["type"] != "result"));

    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:crash after=2 signal=KILL]] go",
    );
    assert_eq!(out.status.signal(), Some(9));
    assert_eq!(lines(&out).len(), 2);

    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:crash after=1 partial=1]] go",
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.ends_with('\n'));
    assert_eq!(text.lines().count(), 2);

    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:crash after=0 signal=SEGV]] go",
    );
    assert_eq!(out.status.signal(), Some(11));
    assert!(out.stdout.is_empty());
}

#[test]
fn garbage_is_interleaved_with_valid_lines() {
    let out = run(&["-x", "--stream-json"], "[[scenario:garbage]] hi");
    assert_eq!(out.status.code(), Some(0));
    let mut valid = Vec::new();
    let mut bad = 0;
    for raw in out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match std::str::from_utf8(raw)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
        {
            Some(v) if v.get("type").is_some() => valid.push(v),
            _ => bad += 1,
        }
    }
    assert!(bad >= 7, "{bad}");
    assert!(
        std::str::from_utf8(&out.stdout).is_err(),
        "has invalid UTF-8"
    );
    assert_eq!(
        types(&valid),
        ["system", "user", "assistant", "assistant", "result"]
    );
    assert_eq!(valid.last().unwrap()["result"], "hi");
}

#[test]
fn big_line_is_delivered_whole() {
    let out = run(&["-x", "--stream-json"], "[[scenario:big-line]] read it");
    assert_eq!(out.status.code(), Some(0));
    let big = out
        .stdout
        .split(|b| *b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap();
    assert!(big > 20 << 20, "{big}");
    let msgs = lines(&out);
    let content = msgs
        .iter()
        .find_map(|m| {
            m["message"]["content"][0]["content"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap();
    let want = ampere_tests::stub::big_line_content(20 << 20);
    assert_eq!(content.len(), want.len());
    assert!(content == want);
    let sum = ampere_tests::stub::fnv1a64(content.as_bytes());
    assert_eq!(
        msgs.last().unwrap()["result"],
        format!("big-line bytes={} fnv1a64={sum:016x}", 20 << 20)
    );
}

#[test]
fn slow_drip_writes_the_same_protocol() {
    let start = Instant::now();
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:slow-drip byte_delay_us=50]] x",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(start.elapsed() > Duration::from_millis(50));
    assert_eq!(
        types(&lines(&out)),
        ["system", "user", "assistant", "result"]
    );
}
