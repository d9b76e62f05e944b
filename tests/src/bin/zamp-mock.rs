//! `zamp-mock`: runs the Zamp actions API mock (see `ampere_tests::mock`) for manual use.
//!
//! Usage: `zamp-mock [--port N] [--token T] [--prefix /api] [--running-polls N]`
//! Prints `ZAMP_BASE_URL=...` and `ZAMP_AUTH_TOKEN=...`, then serves until killed.

use ampere_tests::mock::{ActionScript, MockConfig, ZampMock};

fn main() {
    let mut config = MockConfig::default();
    let mut running_polls = 0u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> String {
            args.next().unwrap_or_else(|| {
                eprintln!("zamp-mock: {name} needs a value");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--port" => {
                config.port = value("--port").parse().unwrap_or_else(|_| {
                    eprintln!("zamp-mock: --port must be a number");
                    std::process::exit(2)
                })
            }
            "--token" => config.token = Some(value("--token")),
            "--prefix" => config.prefix = value("--prefix"),
            "--running-polls" => running_polls = value("--running-polls").parse().unwrap_or(0),
            "-h" | "--help" => {
                println!("zamp-mock [--port N] [--token T] [--prefix /api] [--running-polls N]");
                return;
            }
            other => {
                eprintln!("zamp-mock: unknown argument {other:?}");
                std::process::exit(2)
            }
        }
    }
    let mock = match ZampMock::start_with(config) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("zamp-mock: {e}");
            std::process::exit(1)
        }
    };
    mock.set_default(ActionScript {
        running_polls,
        ..ActionScript::default()
    });
    println!("ZAMP_BASE_URL={}", mock.base_url());
    println!("ZAMP_AUTH_TOKEN={}", mock.token());
    loop {
        std::thread::park();
    }
}
