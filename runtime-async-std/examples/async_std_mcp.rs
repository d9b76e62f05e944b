//! MCP integration: give the agent extra tools from Model Context Protocol servers. An
//! inline configuration may hold secrets, so it is written to a private 0600 file and
//! passed by path, never on the command line.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_mcp
//! ```

use ampere_async_std::{AgentError, AmpOptions, McpConfig, McpServer, Message};

fn main() -> Result<(), AgentError> {
    let mut database = McpServer::stdio("node")
        .arg("./custom-mcp-server.js")
        .env("NODE_ENV", "production");
    if let Ok(url) = std::env::var("DATABASE_URL") {
        database = database.env("DB_CONNECTION_STRING", url);
    }
    let config = McpConfig::new()
        .server(
            "playwright",
            McpServer::stdio("npx").args(["-y", "@playwright/mcp@latest", "--headless"]),
        )
        .server("database", database)
        .server("remote", McpServer::http("https://api.example.com/mcp"));
    let options = AmpOptions::new()
        .mcp_config(config)
        .dangerously_allow_all(true);
    async_std::task::block_on(async {
        let mut messages =
            ampere_async_std::execute("Test the login flow on staging environment", options);
        while let Some(message) = messages.next().await {
            match message? {
                Message::System(init) => {
                    for server in &init.mcp_servers {
                        println!("MCP server {}: {}", server.name, server.status.as_str());
                    }
                }
                Message::Result(result) => println!("{}", result.result),
                _ => {}
            }
        }
        Ok(())
    })
}
