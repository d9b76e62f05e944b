//! MCP integration: inline server configuration (written to a private 0600 file, never
//! put on the command line) and the servers' status in the init message.

use ampere_blocking::{execute, AmpOptions, McpConfig, McpServer, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
        )
        .server("remote", McpServer::http("https://api.example.com/mcp"));

    let options = AmpOptions::new()
        .mcp_config(mcp_config)
        .dangerously_allow_all(true);
    for message in execute("Test the login flow on staging environment", options) {
        match message? {
            Message::System(init) => {
                let servers: Vec<_> = init
                    .mcp_servers
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.status.as_str()))
                    .collect();
                println!("MCP servers: {}", servers.join(", "));
            }
            Message::Result(result) => println!("{}", result.result),
            _ => {}
        }
    }
    Ok(())
}
