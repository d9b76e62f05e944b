//! The deadlines of a run: overall, idle (only while reading), kill grace and exit drain.

use std::time::{Duration, Instant};

use super::{AgentRun, EndReason, Output, Signal, TimeoutKind};

impl AgentRun {
    pub(super) fn timeout(&mut self, now: Instant) {
        // Timeouts first: ending the run may set a kill deadline that has passed already
        // (a zero grace), which the kill check below then handles in the same call.
        if self.end_reason.is_none() && self.exit.is_none() {
            if let Some((deadline, after)) = self.overall_deadline() {
                if now >= deadline {
                    self.end(EndReason::Timeout(TimeoutKind::Overall, after), now);
                }
            }
        }
        if self.end_reason.is_none() && self.exit.is_none() {
            if let Some((deadline, after)) = self.idle_deadline() {
                if now >= deadline {
                    self.end(EndReason::Timeout(TimeoutKind::Idle, after), now);
                }
            }
        }
        if let Some(deadline) = self.kill_deadline {
            if now >= deadline && self.exit.is_none() && !self.killed {
                self.killed = true;
                self.kill_deadline = None;
                self.outputs.push_back(Output::Signal(Signal::Kill));
            }
        }
        if let Some(deadline) = self.exit_drain_deadline {
            if now >= deadline && !self.pipes_closed() {
                // A grandchild holds the pipes open after the CLI exited: finish without
                // them, and stop what is left of the process group.
                self.exit_drain_deadline = None;
                self.close_stdout();
                self.close_stderr();
                self.outputs.push_back(Output::Signal(Signal::Kill));
            }
        }
    }

    pub(super) fn overall_deadline(&self) -> Option<(Instant, Duration)> {
        let after = self.config.overall_timeout?;
        Some((self.started.checked_add(after)?, after))
    }

    pub(super) fn idle_deadline(&self) -> Option<(Instant, Duration)> {
        if self.paused {
            return None;
        }
        let after = self.config.idle_timeout?;
        Some((self.last_read.checked_add(after)?, after))
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let mut candidates: [Option<Instant>; 4] = [None; 4];
        if self.exit.is_none() {
            if self.end_reason.is_none() {
                candidates[0] = self.overall_deadline().map(|d| d.0);
                candidates[1] = self.idle_deadline().map(|d| d.0);
            } else if !self.killed {
                candidates[2] = self.kill_deadline;
            }
        }
        if !self.pipes_closed() {
            candidates[3] = self.exit_drain_deadline;
        }
        candidates.into_iter().flatten().min()
    }
}
