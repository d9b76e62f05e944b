//! Threads: create one, continue it, read it back as Markdown, and share it.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_threads
//! ```

use ampere_async_std::{
    AgentError, Amp, AmpOptions, ContinueThread, MultiplayerSetting, TtlDuration, Visibility,
};

fn main() -> Result<(), AgentError> {
    async_std::task::block_on(async {
        let amp = Amp::new();
        let thread_id = amp.thread_new(Some(Visibility::Private)).await?;
        println!("new thread: {thread_id}");

        // Continue that thread by id (`AmpOptions::continue_thread(ContinueThread::Latest)`
        // continues the most recent one).
        let options = AmpOptions::new().continue_thread(ContinueThread::Id(thread_id.clone()));
        let summary = amp
            .run("What was the last error you found?", options)
            .await?;
        println!("{}", summary.result);

        let markdown = amp.thread_markdown(&thread_id).await?;
        println!("{markdown}");

        let shared = amp
            .thread_multiplayer(&thread_id, MultiplayerSetting::Ttl(TtlDuration::hours(2)))
            .await?;
        println!("{shared}");
        Ok(())
    })
}
