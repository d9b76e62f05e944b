//! The async driver's dispatch (`runtime-async/src/driver.rs`): the child's IO wakes the
//! consumer while it waits (it then reads on its own task), else the driver task. These
//! tests leave a consumer parked and then stop polling it (a `next()` polled once and
//! dropped, as `select!` or a timeout does), and check that the run still goes on without
//! it: timeouts fire, the group is killed and reaped, and nothing it wrote is lost.
//! The same tests run on both async runtimes.

use std::time::Duration;

use ampere_tests::suite::{eventually, process_exists};

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");
const PATIENCE: Duration = Duration::from_secs(30);

macro_rules! dispatch_tests {
    ($name:ident, $krate:ident, $block_on:expr) => {
        mod $name {
            use super::*;
            use $krate::{AgentError, Amp, AmpOptions, Execution, Message, TimeoutKind};

            fn amp(temp: &tempfile::TempDir, idle: Option<Duration>) -> Amp {
                let builder = Amp::builder().cli_path(STUB).temp_dir(temp.path());
                match idle {
                    Some(idle) => builder.idle_timeout(idle),
                    None => builder,
                }
                .build()
            }

            /// Takes the first message (init), parks the consumer and drops its `next()`,
            /// then blocks this task (nothing polls the execution) until the CLI is gone:
            /// killed by a timeout, or exited, and reaped.
            async fn park_then_stop_polling(execution: &mut Execution) {
                let first = execution.next().await;
                assert!(matches!(first, Some(Ok(Message::System(_)))), "{first:?}");
                assert!(futures_util::poll!(std::pin::pin!(execution.next())).is_pending());
                let pid = execution.pid().expect("spawned");
                assert!(
                    eventually(PATIENCE, || !process_exists(pid)),
                    "the CLI ({pid}) was not reaped while nobody polled"
                );
            }

            /// The idle timeout fires, and the CLI is killed and reaped, while the consumer
            /// that was parked does not poll.
            #[test]
            fn a_parked_consumer_that_stops_polling_still_gets_its_timeout() {
                let temp = tempfile::tempdir().expect("tempdir");
                let amp = amp(&temp, Some(Duration::from_millis(300)));
                $block_on(async {
                    let mut execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
                    park_then_stop_polling(&mut execution).await;
                    let end = execution.next().await;
                    assert!(
                        matches!(
                            end,
                            Some(Err(AgentError::Timeout {
                                kind: TimeoutKind::Idle,
                                ..
                            }))
                        ),
                        "{end:?}"
                    );
                    assert!(execution.next().await.is_none());
                });
            }

            /// What the CLI writes while a parked consumer stops polling is all there, in
            /// order, when it polls again; the CLI's exit is noticed without it.
            #[test]
            fn output_written_while_nobody_polls_is_kept() {
                let temp = tempfile::tempdir().expect("tempdir");
                let amp = amp(&temp, None);
                $block_on(async {
                    let mut execution = amp.execute(
                        "[[scenario:slow-drip byte_delay_us=20]] hello",
                        AmpOptions::default(),
                    );
                    park_then_stop_polling(&mut execution).await;
                    let mut rest = Vec::new();
                    while let Some(item) = execution.next().await {
                        rest.push(item.expect("no error"));
                    }
                    assert!(
                        matches!(rest.last(), Some(Message::Result(r)) if r.subtype == "success"),
                        "{rest:?}"
                    );
                    assert!(rest.iter().any(|m| matches!(m, Message::Assistant(_))));
                });
            }
        }
    };
}

fn on_tokio(future: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

dispatch_tests!(tokio_runtime, ampere_tokio, on_tokio);
dispatch_tests!(
    async_std_runtime,
    ampere_async_std,
    async_std::task::block_on
);
