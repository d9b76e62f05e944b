//! Tool permissions: fine-grained rules for which tools Amp may use.
//!
//! Rules go into a generated settings file in a private folder (never on the command line); the first match wins.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example tool_permissions`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, MatchCondition, Permission};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let permissions = vec![
        // Allow listing files
        Permission::allow("Bash")
            .matching("cmd", MatchCondition::glob("ls *"))
            .build()?,
        // Allow running tests
        Permission::allow("Bash")
            .matching("cmd", MatchCondition::glob("npm test"))
            .build()?,
        // Ask before reading sensitive files
        Permission::ask("Read")
            .matching("path", MatchCondition::glob("/etc/*"))
            .build()?,
    ];
    let mut execution = execute(
        "List files and run tests",
        AmpOptions::default().permissions(permissions),
    );
    while let Some(message) = execution.next().await {
        println!("{}", message?.message_type());
    }
    Ok(())
}
