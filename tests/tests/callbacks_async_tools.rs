//! Async tool handlers (`Tool::typed_async`) run as tasks on the caller's runtime: under
//! tokio (sleeping on tokio's timer, which needs its context) and async-std; a panicking
//! async tool is a tool error, and the runtime goes on.

use std::time::Duration;

use ampere_tests::stub::scenario::StubScenario;
use serde_json::Value;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Wait {
    ms: u64,
}

fn report(result: &str) -> Value {
    serde_json::from_str(result).expect("the stub's report")
}

#[test]
fn tokio_async_tools_run_on_the_runtime() {
    use ampere_tokio::{Amp, AmpOptions, Tool, ToolResult};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let amp = Amp::builder()
            .cli_path(env!("CARGO_BIN_EXE_amp-stub"))
            .tool(Tool::typed_async("wait", "Waits", |w: Wait| async move {
                tokio::time::sleep(Duration::from_millis(w.ms)).await;
                ToolResult::text(format!("waited {}", w.ms))
            }))
            .tool(Tool::typed_async("boom", "Panics", |_: Wait| async move {
                if true {
                    panic!("async tool exploded");
                }
                ToolResult::text("never")
            }))
            .build();
        for (call, want, is_error) in [
            ("wait", "waited 30", false),
            ("boom", "the tool boom panicked", true),
        ] {
            let prompt = StubScenario::McpTools
                .param("call", call)
                .param("args", r#"{"ms":30}"#)
                .directive("go");
            let summary = amp.run(prompt, AmpOptions::new()).await.expect("run");
            let r = report(&summary.result);
            assert_eq!(r["results"][0]["text"], want, "{r}");
            assert_eq!(r["results"][0]["is_error"], is_error, "{r}");
        }
    });
}

#[test]
fn async_std_async_tools_run_on_the_runtime() {
    use ampere_async_std::{Amp, AmpOptions, Tool, ToolResult};
    async_std::task::block_on(async {
        let amp = Amp::builder()
            .cli_path(env!("CARGO_BIN_EXE_amp-stub"))
            .tool(Tool::typed_async("wait", "Waits", |w: Wait| async move {
                async_io::Timer::after(Duration::from_millis(w.ms)).await;
                ToolResult::text(format!("waited {}", w.ms))
            }))
            .build();
        let prompt = StubScenario::McpTools
            .param("call", "wait")
            .param("args", r#"{"ms":30}"#)
            .param("calls", 3)
            .directive("go");
        let summary = amp.run(prompt, AmpOptions::new()).await.expect("run");
        let r = report(&summary.result);
        assert_eq!(r["results"].as_array().map(Vec::len), Some(3), "{r}");
        assert!(
            r["results"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|x| x["text"] == "waited 30" && x["is_error"] == false),
            "{r}"
        );
    });
}
