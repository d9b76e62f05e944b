//! What is specific to `ampere-async-std` beyond the shared suite (`suite_async_std.rs`):
//! a panicking input stream, cancelling a session. `async_std_executors.rs` runs the adapter
//! under other executors (smol, a bare `block_on`).

mod async_std_support;

use std::time::Instant;

use ampere_async_std::{AgentError, Message, Prompt};
use async_std_support::*;

#[test]
fn a_panicking_input_stream_is_reported_and_the_child_killed() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let input = futures_lite::stream::poll_fn(
            |_| -> std::task::Poll<Option<ampere_async_std::UserInputMessage>> {
                panic!("input stream exploded")
            },
        );
        let mut execution = amp.execute(Prompt::stream(input), options_with_private_dir());
        let mut last = None;
        while let Some(item) = within(Instant::now() + PATIENCE, execution.next()).await {
            last = Some(item);
        }
        match last {
            Some(Err(AgentError::Io {
                context, message, ..
            })) => {
                assert!(context.contains("panicked"), "{context}");
                assert!(message.contains("input stream exploded"), "{message}");
            }
            other => panic!("expected the panic to be reported, got {other:?}"),
        }
        let pid = execution.pid().expect("the child was started");
        assert!(
            eventually(PATIENCE, || !process_exists(pid)),
            "child {pid} left running"
        );
        assert!(eventually(PATIENCE, || leftovers(root.path()).is_empty()));
    });
}

#[test]
fn cancelling_a_session_stops_the_cli() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut session = amp.session(options_with_private_dir());
        session
            .send_text("[[scenario:hang]] x")
            .await
            .expect("send");
        let first = within(Instant::now() + PATIENCE, session.next()).await;
        assert!(matches!(first, Some(Ok(Message::System(_)))), "{first:?}");
        let pid = session.pid().expect("pid");
        within(Instant::now() + PATIENCE, session.cancel()).await;
        assert!(!process_exists(pid));
        assert!(leftovers(root.path()).is_empty());
    });
}
