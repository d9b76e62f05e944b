//! Settings file configuration.
//!
//! Passes a settings file you keep in your project (`--settings-file`); this example writes one first.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example settings_file`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, LogLevel};

const SETTINGS: &str = r#"{
    "amp.mcpServers": {
        "playwright": {
            "command": "npx",
            "args": ["-y", "@playwright/mcp@latest", "--headless", "--isolated"]
        }
    },
    "amp.commands.allowlist": ["npx", "node", "npm"],
    "amp.tools.disable": ["mermaid", "mcp__playwright__browser_resize"]
}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings_file = std::env::temp_dir().join("ampere-example-settings.json");
    std::fs::write(&settings_file, SETTINGS)?;
    // Use a custom settings file
    let mut execution = execute(
        "Deploy the application",
        AmpOptions::default()
            .settings_file(&settings_file)
            .log_level(LogLevel::Debug),
    );
    while let Some(message) = execution.next().await {
        // Handle messages...
        println!("{}", message?.message_type());
    }
    Ok(())
}
