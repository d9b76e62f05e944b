//! `ampere-drop-exit RUNTIME STUB TEMP_DIR`: starts one execution under RUNTIME (`tokio`,
//! `async-std` or `blocking`) against STUB playing a CLI that ignores SIGTERM, with options
//! that need a private folder (created under TEMP_DIR), reads its first message, prints
//! `pid=<child pid>` and `dir=<private folder>`, drops the execution and exits at once
//! (`std::process::exit`, no runtime shutdown). The suite's `exit_right_after_drop` checks
//! that nothing is left afterwards: no CLI process, no private folder.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::options::AmpOptions;

/// A kill grace far longer than the helper lives: only the exit-time SIGKILL can end the CLI.
const GRACE: Duration = Duration::from_secs(600);

fn options() -> AmpOptions {
    AmpOptions::new()
        .system_prompt("drop-exit system prompt")
        .mcp_config(McpConfig::new().server("db", McpServer::stdio("db").env("TOKEN", "s3cret")))
}

const PROMPT: &str = "[[scenario:ignore-sigterm]] exit right after the drop";

fn report(pid: Option<u32>, dir: Option<PathBuf>, first: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "first={first}");
    let _ = writeln!(
        out,
        "pid={}",
        pid.map(|p| p.to_string()).unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "dir={}",
        dir.map(|d| d.display().to_string()).unwrap_or_default()
    );
    let _ = out.flush();
}

fn describe<E: std::fmt::Debug>(item: Option<Result<ampere_core::message::Message, E>>) -> String {
    match item {
        Some(Ok(m)) => m.message_type().to_string(),
        Some(Err(e)) => format!("error {e:?}"),
        None => "end".to_string(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, stub, temp] = args.as_slice() else {
        eprintln!("usage: ampere-drop-exit tokio|async-std|blocking STUB TEMP_DIR");
        std::process::exit(2);
    };
    match runtime.as_str() {
        "tokio" => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("ampere-drop-exit: tokio runtime: {e}");
                    std::process::exit(2);
                }
            };
            rt.block_on(async {
                let amp = ampere_tokio::Amp::builder()
                    .cli_path(stub)
                    .temp_dir(temp)
                    .kill_grace(GRACE)
                    .build();
                let mut execution = amp.execute(PROMPT, options());
                let first = describe(execution.next().await);
                report(
                    execution.pid(),
                    execution.private_dir().map(PathBuf::from),
                    &first,
                );
                drop(execution);
                std::process::exit(0);
            })
        }
        "async-std" => async_std::task::block_on(async {
            let amp = ampere_async_std::Amp::builder()
                .cli_path(stub)
                .temp_dir(temp)
                .kill_grace(GRACE)
                .build();
            let mut execution = amp.execute(PROMPT, options());
            let first = describe(execution.next().await);
            report(
                execution.pid(),
                execution.private_dir().map(PathBuf::from),
                &first,
            );
            drop(execution);
            std::process::exit(0);
        }),
        "blocking" => {
            let amp = ampere_blocking::Amp::builder()
                .cli_path(stub)
                .temp_dir(temp)
                .kill_grace(GRACE)
                .build();
            let mut execution = amp.execute(PROMPT, options());
            let first = describe(execution.next());
            report(
                execution.pid(),
                execution.private_dir().map(PathBuf::from),
                &first,
            );
            drop(execution);
            std::process::exit(0);
        }
        other => {
            eprintln!("ampere-drop-exit: unknown runtime {other:?}");
            std::process::exit(2);
        }
    }
}
