//! MCP (Model Context Protocol) integration.
//!
//! Inline MCP configuration (it may hold secrets) is written to a private 0600 file and passed by path.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example mcp_integration`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, McpConfig, McpServer, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL").unwrap_or_default();
    let mcp_config = McpConfig::new()
        .server(
            "playwright",
            McpServer::stdio("npx")
                .args(["-y", "@playwright/mcp@latest", "--headless"])
                .env("NODE_ENV", "production"),
        )
        .server(
            "database",
            McpServer::stdio("node")
                .arg("./custom-mcp-server.js")
                .env("DB_CONNECTION_STRING", database_url),
        );
    let mut execution = execute(
        "Test the login flow on staging environment",
        AmpOptions::default()
            .mcp_config(mcp_config)
            .dangerously_allow_all(true),
    );
    while let Some(message) = execution.next().await {
        if let Message::System(system) = message? {
            let servers: Vec<(String, String)> = system
                .mcp_servers
                .iter()
                .map(|s| (s.name.clone(), s.status.as_str().to_string()))
                .collect();
            println!("MCP Servers: {servers:?}");
        }
        // Handle other messages...
    }
    Ok(())
}
