//! Debug logging: see what happens under the hood.
//!
//! The CLI's own log (`log_level`, `log_file`) and ampere's `tracing` events (the command line at debug level, target `ampere`).
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example debug_logging`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, LogLevel};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ampere's own events; RUST_LOG=ampere=debug (the default here) shows the command line.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("ampere=debug")),
        )
        .with_writer(std::io::stderr)
        .init();

    let log_file = std::env::temp_dir().join("amp-debug.log");
    let mut execution = execute(
        "Analyze this project",
        AmpOptions::default()
            .log_level(LogLevel::Debug) // the CLI's own log level
            .log_file(&log_file), // optional: write the CLI's logs to a file
    );
    while let Some(message) = execution.next().await {
        println!("{}", message?.message_type());
    }
    println!("CLI log: {}", log_file.display());
    Ok(())
}
