//! Thread commands and thread continuity: create a thread, continue it, render it as
//! Markdown, and share it for a while.

use ampere_blocking::{
    AgentError, Amp, AmpOptions, ContinueThread, MultiplayerSetting, TtlDuration, Visibility,
};

fn main() -> Result<(), AgentError> {
    let amp = Amp::new();
    let thread_id = amp.thread_new(Some(Visibility::Private))?;
    println!("created {thread_id}");

    // Continue that thread by id (or `ContinueThread::Latest` for the most recent one).
    let options = AmpOptions::new().continue_thread(ContinueThread::Id(thread_id.clone()));
    let summary = amp.run("What was the last error you found?", options)?;
    println!("{}", summary.result);

    println!("{}", amp.thread_markdown(&thread_id)?);
    let shared =
        amp.thread_multiplayer(&thread_id, MultiplayerSetting::Ttl(TtlDuration::hours(2)))?;
    println!("{shared}");
    Ok(())
}
