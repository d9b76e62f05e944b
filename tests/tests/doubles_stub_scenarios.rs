//! amp-stub scenarios: every stdout line is the stream JSON the SDK must handle, shaped (and
//! field-ordered) like the real CLI's output in `core/tests/fixtures`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// A JSON value that remembers object key order.
#[derive(Debug)]
enum Node {
    Obj(Vec<(String, Node)>),
    Arr(Vec<Node>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("json")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(n) = a.next_element()? {
                    v.push(n);
                }
                Ok(Node::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some((k, n)) = a.next_entry::<String, Node>()? {
                    v.push((k, n));
                }
                Ok(Node::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Node {
    fn keys(&self) -> Vec<&str> {
        match self {
            Node::Obj(f) => f.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(f) => f.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Key order of a message, its `message`, its `usage`, and its content blocks.
fn skeleton(line: &str) -> Vec<Vec<String>> {
    let node: Node = serde_json::from_str(line).expect("ordered parse");
    let own = |n: &Node| n.keys().into_iter().map(String::from).collect::<Vec<_>>();
    let mut out = vec![own(&node)];
    if let Some(m) = node.get("message") {
        out.push(own(m));
        if let Some(u) = m.get("usage") {
            out.push(own(u));
        }
        if let Some(Node::Arr(blocks)) = m.get("content") {
            for b in blocks {
                out.push(own(b));
            }
        }
    }
    out
}

fn stub() -> Command {
    let mut cmd = Command::new(STUB);
    cmd.env_remove("AMP_STUB_SCENARIO")
        .env_remove("AMP_STUB_RECORD");
    cmd
}

fn run_with(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn amp-stub");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut cmd = stub();
    cmd.args(args);
    run_with(cmd, stdin.as_bytes())
}

fn lines(out: &Output) -> Vec<Value> {
    let text = std::str::from_utf8(&out.stdout).expect("utf-8 stdout");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

fn types(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["type"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn user_line(text: &str) -> String {
    let v = serde_json::json!({"type":"user","message":{"role":"user","content":[{"type":"text","text":text}]}});
    format!("{v}\n")
}

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

fn spawn_reading_first_line(scenario: &str) -> (Child, String) {
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", scenario)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    // Keep stdout open (the reader is leaked into a thread that holds it).
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = reader.read_line(&mut sink);
    });
    (child, first)
}

#[test]
fn hang_prints_init_and_never_exits() {
    let (mut child, first) = spawn_reading_first_line("hang");
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["subtype"],
        "init"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ignore_sigterm_survives_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let (mut child, first) = spawn_reading_first_line("ignore-sigterm");
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["type"],
        "system"
    );
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGTERM should be ignored"
    );
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
}

#[test]
fn exit_after_success() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:exit-after-success]] ok",
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(lines(&out).last().unwrap()["subtype"], "success");
}

#[test]
fn stderr_flood_needs_both_pipes_drained() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:stderr-flood mb=4]] ok",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.len() >= 4 << 20, "{}", out.stderr.len());
    assert_eq!(lines(&out).last().unwrap()["result"], "ok");
    // Default size, selected through the environment.
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "stderr-flood");
    let out = run_with(cmd, b"ok\n");
    assert!(out.stderr.len() >= 10 << 20);
}

#[test]
fn echo_env_reports_what_the_sdk_passed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"amp.dangerouslyAllowAll":false}"#).unwrap();
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json", "--settings-file"])
        .arg(&settings)
        .env("AMP_SDK_VERSION", "ampere/0.1.0")
        .env("AMP_TOOLBOX", "/tools")
        .env("UNRELATED", "x");
    let out = run_with(cmd, b"[[scenario:echo-env]] report\n");
    let msgs = lines(&out);
    let report: Value =
        serde_json::from_str(msgs.last().unwrap()["result"].as_str().unwrap()).unwrap();
    assert_eq!(report["env"]["AMP_SDK_VERSION"], "ampere/0.1.0");
    assert_eq!(report["env"]["AMP_TOOLBOX"], "/tools");
    assert!(report["env"].get("UNRELATED").is_none());
    assert_eq!(report["args"][3], settings.to_string_lossy().as_ref());
    assert_eq!(report["settings"], r#"{"amp.dangerouslyAllowAll":false}"#);
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:echo-env vars=PATH]] r",
    );
    let report: Value =
        serde_json::from_str(lines(&out).last().unwrap()["result"].as_str().unwrap()).unwrap();
    assert_eq!(report["env"].as_object().unwrap().len(), 1);
}

#[test]
fn unknown_types_are_valid_json_with_unknown_things() {
    let out = run(&["-x", "--stream-json"], "[[scenario:unknown-types]] hi");
    assert_eq!(out.status.code(), Some(0));
    let msgs = lines(&out);
    let t = types(&msgs);
    assert!(t.contains(&"telemetry".to_string()));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "\"compaction\"",
        "\"redacted_thinking\"",
        "\"image\"",
        "\"pause_turn\"",
        "\"hibernating\"",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    assert_eq!(msgs.last().unwrap()["subtype"], "success");
}

#[test]
fn directive_wins_over_environment_and_unknown_scenarios_fail() {
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "error-result");
    let out = run_with(cmd, b"[[scenario:echo]] fine\n");
    assert_eq!(out.status.code(), Some(0));
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "error-result");
    assert_eq!(run_with(cmd, b"fine\n").status.code(), Some(1));
    let out = run(&["-x", "--stream-json"], "[[scenario:nope]] x");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}

#[test]
fn record_file_describes_the_invocation() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let settings = private.join("settings.json");
    std::fs::write(&settings, "{}").unwrap();
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mcp = private.join("mcp.json");
    std::fs::write(&mcp, r#"{"zeta":{"command":"z"},"alpha":{"url":"http://x"},"off":{"command":"o","disabled":true}}"#)
        .unwrap();
    let record = dir.path().join("record.json");
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json", "--settings-file"])
        .arg(&settings)
        .arg("--mcp-config")
        .arg(&mcp)
        .args(["--label", "one", "--label", "two"])
        .current_dir(dir.path())
        .env("AMP_STUB_RECORD", &record)
        .env("MY_VAR", "mine");
    let out = run_with(cmd, b"the prompt\n");
    assert_eq!(out.status.code(), Some(0));
    let msgs = lines(&out);
    let servers: Vec<&str> = msgs[0]["mcp_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["alpha", "zeta"]);
    assert!(msgs[0]["mcp_servers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "connected"));
    let rec: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    assert_eq!(rec["args"][0], "-x");
    assert_eq!(rec["args"].as_array().unwrap().len(), 10);
    assert_eq!(rec["stdin"], "the prompt\n");
    assert_eq!(rec["stdin_bytes"], 11);
    assert_eq!(rec["stdin_eof"], true);
    assert_eq!(rec["settings"], "{}");
    assert_eq!(rec["settings_mode"], "600");
    assert_eq!(rec["settings_dir_mode"], "700");
    assert!(rec["mcp_config_content"].as_str().unwrap().contains("zeta"));
    assert_eq!(rec["env"]["MY_VAR"], "mine");
    assert_eq!(rec["exit_code"], 0);
    assert_eq!(rec["session_id"], msgs[0]["session_id"]);
    assert_eq!(
        std::fs::canonicalize(rec["cwd"].as_str().unwrap()).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn inline_mcp_config_names_servers() {
    let msgs = lines(&run(
        &[
            "-x",
            "--stream-json",
            "--mcp-config",
            r#"{"pw":{"command":"npx","args":["x"]}}"#,
        ],
        "hi",
    ));
    assert_eq!(msgs[0]["mcp_servers"][0]["name"], "pw");
}

#[test]
fn threads_commands() {
    let out = run(&["threads", "new", "--visibility", "workspace"], "");
    assert_eq!(out.status.code(), Some(0));
    let id = String::from_utf8(out.stdout).unwrap();
    assert!(ampere_tests::stub::args::is_thread_id(id.trim()), "{id}");
    let id = id.trim();

    let out = run(&["threads", "markdown", id], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("# Thread {id}")));

    for (args, want) in [
        (vec!["on"], "Multiplayer turned on"),
        (vec!["off"], "Multiplayer turned off"),
        (vec!["ttl", "--hours", "2"], "for 120 minutes"),
    ] {
        let mut full = vec!["threads", "share", "multiplayer"];
        full.push(args[0]);
        full.push(id);
        full.extend(&args[1..]);
        let out = run(&full, "");
        assert_eq!(out.status.code(), Some(0), "{full:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(want),
            "{full:?}"
        );
    }

    // Continuing a thread runs on that thread's id.
    let msgs = lines(&run(
        &["threads", "continue", id, "-x", "--stream-json"],
        "again",
    ));
    assert!(msgs.iter().all(|m| m["session_id"] == id));

    let mut cmd = stub();
    cmd.args(["threads", "new"])
        .env("AMP_STUB_THREADS_NEW_URL", "1")
        .env("AMP_URL", "http://127.0.0.1:9/");
    let url = String::from_utf8(run_with(cmd, b"").stdout).unwrap();
    assert!(url.starts_with("http://127.0.0.1:9/threads/T-"), "{url}");
    let msgs = lines(&run(
        &["threads", "continue", url.trim(), "-x", "--stream-json"],
        "again",
    ));
    assert_eq!(
        msgs[0]["session_id"],
        url.trim().rsplit('/').next().unwrap()
    );

    let mut cmd = stub();
    cmd.args(["threads", "new"])
        .env("AMP_STUB_THREADS_FAIL", "1");
    let out = run_with(cmd, b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: Cannot reach Amp servers. Are you offline?\n"
    );
}

#[test]
fn every_scenario_speaks_stream_json() {
    use ampere_tests::stub::scenario::StubScenario;
    for name in StubScenario::ALL {
        if matches!(
            name,
            StubScenario::Hang
                | StubScenario::IgnoreSigterm
                | StubScenario::Garbage
                | StubScenario::Crash
                | StubScenario::SlowDrip
        ) {
            continue;
        }
        let prompt = match name {
            StubScenario::BigLine => name.param("bytes", 100_000).directive("x"),
            StubScenario::StderrFlood => name.param("mb", 1).directive("x"),
            _ => name.directive("x"),
        };
        let out = run(&["-x", "--stream-json"], &prompt);
        let msgs = lines(&out);
        assert_eq!(msgs[0]["type"], "system", "{name}");
        assert_eq!(msgs[1]["type"], "user", "{name}");
        let last = msgs.last().unwrap();
        assert_eq!(last["type"], "result", "{name}");
        assert_eq!(
            last["is_error"],
            name == StubScenario::ErrorResult,
            "{name}"
        );
    }
}

#[test]
fn parsing_never_panics_on_odd_argv() {
    for args in [
        vec!["-"],
        vec!["--"],
        vec!["--", "threads"],
        vec!["-x", "-"],
        vec!["-mx"],
        vec!["-l"],
        vec!["--=x"],
        vec!["threads", "share"],
        vec!["threads", "share", "multiplayer"],
        vec![
            "t",
            "s",
            "multiplayer",
            "ttl",
            "T-x",
            "--weeks",
            "99999999999999999999",
        ],
        vec!["-V"],
        vec!["version"],
        vec!["--help"],
        vec!["mcp", "list"],
    ] {
        let out = run(&args, "");
        let code = out.status.code();
        assert!(
            code.is_some() && code != Some(101),
            "{args:?}: {code:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
