//! Permission callbacks and a custom tool, decided and run in this process (async).
//!
//! The handler (an async function, run as a task on this runtime) allows `ls` and
//! `git status` and rejects every other shell command with a reason; the agent may call the
//! in-process tool `word_count` (typed input, its schema derived with `schemars`). The
//! user's own rules (none here) would be evaluated first.
//!
//! Against the real CLI: `cargo run -p ampere-async-std --example async_std_callbacks`.
//! Offline against the stand-in (`cargo build -p ampere-tests --bin amp-stub` first):
//! `AMP_CLI_PATH=target/debug/amp-stub AMP_STUB_SCENARIO='delegate cmds=ls,rm+-rf+/' cargo run -p ampere-async-std --example async_std_callbacks`.

use std::time::Duration;

use ampere_async_std::{
    Amp, AmpOptions, ContentBlock, Decision, Message, PermissionRequest, Tool, ToolResult,
};

/// The input of `word_count`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct WordCount {
    /// The text whose words to count.
    text: String,
}

async fn decide(request: PermissionRequest) -> Decision {
    if request.tool.starts_with("mcp__ampere__") {
        return Decision::Allow;
    }
    let cmd = request.input.get("cmd").and_then(|c| c.as_str());
    match (request.tool.as_str(), cmd) {
        ("Bash", Some("ls" | "git status")) => Decision::Allow,
        ("Bash", Some(other)) => Decision::Reject(format!(
            "only `ls` and `git status` may run here, not `{other}`"
        )),
        (tool, _) => Decision::Reject(format!("{tool} is not allowed in this example")),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    async_std::task::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let word_count = Tool::typed_async(
        "word_count",
        "Counts the words of a text",
        |input: WordCount| async move {
            ToolResult::text(input.text.split_whitespace().count().to_string())
        },
    );
    let amp = Amp::builder()
        .permission_handler(decide)
        .permission_deadline(Duration::from_secs(30))
        .tool(word_count)
        .build();
    let prompt = "List the files here, then count the words of the README's first line.";
    let mut execution = amp.execute(prompt, AmpOptions::default());
    while let Some(message) = execution.next().await {
        match message? {
            Message::User(user) => {
                for block in &user.message.content {
                    if let ContentBlock::ToolResult {
                        content, is_error, ..
                    } = block
                    {
                        let mark = if *is_error { "rejected/failed" } else { "ok" };
                        println!("tool result ({mark}): {}", content.text());
                    }
                }
            }
            Message::Result(result) => println!("done: {}", result.result),
            _ => {}
        }
    }
    Ok(())
}
