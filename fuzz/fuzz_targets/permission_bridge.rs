//! Fuzzes the permission bridge: arbitrary notification bytes, request files, decisions,
//! timeouts and the end of the run. Checks: no panic; every call is answered exactly once;
//! every answer starts with `allow\n` or `reject\n`; after the end nothing stays pending.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use ampere_core::callbacks::permission_bridge::{BridgeOutput, Decision, PermissionBridge};
use ampere_core::run::IoFailure;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Step {
    Notify(Vec<u8>),
    NotifyId(u8),
    File(u8, Vec<u8>),
    FileFailed(u8),
    Decide(u8, Option<String>),
    Advance(u16),
    Finish,
}

fuzz_target!(|steps: Vec<Step>| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut bridge = PermissionBridge::new(Duration::from_millis(500));
    let mut answers: HashMap<u64, u32> = HashMap::new();
    let mut asked = HashSet::new();
    let mut finished = false;
    for step in steps {
        match step {
            Step::Notify(bytes) => bridge.handle_notifications(&bytes, now),
            Step::NotifyId(id) => bridge.handle_notifications(format!("{id}\n").as_bytes(), now),
            Step::File(id, bytes) => bridge.handle_request_file(u64::from(id), Ok(bytes)),
            Step::FileFailed(id) => bridge.handle_request_file(
                u64::from(id),
                Err(IoFailure::new(std::io::ErrorKind::NotFound, "gone")),
            ),
            Step::Decide(id, d) => bridge.handle_decision(
                u64::from(id),
                d.map_or(Decision::Allow, Decision::Reject),
            ),
            Step::Advance(ms) => {
                now += Duration::from_millis(u64::from(ms));
                if bridge.poll_timeout().is_some_and(|d| d <= now) {
                    bridge.handle_timeout(now);
                    assert!(bridge.poll_timeout().is_none_or(|d| d > now));
                }
            }
            Step::Finish => {
                bridge.finish();
                finished = true;
            }
        }
        while let Some(out) = bridge.poll_output() {
            match out {
                BridgeOutput::ReadRequest(id) => {
                    asked.insert(id);
                }
                BridgeOutput::Decide { .. } => {}
                BridgeOutput::Answer { id, bytes, allowed } => {
                    assert!(bytes.starts_with(if allowed { b"allow\n" } else { b"reject\n" }));
                    let n = answers.entry(id).or_default();
                    *n += 1;
                    // A pid may be reused by a later call once answered.
                    if *n > 1 {
                        assert!(asked.contains(&id) || finished);
                    }
                }
            }
        }
        if finished {
            assert_eq!(bridge.pending(), 0);
        }
    }
});
