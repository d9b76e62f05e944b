//! The backoff schedule of the create retries and of the polls.

use std::time::Duration;

/// A backoff schedule that counts the waiting it asked for.
///
/// The interval is kept as `f64` seconds and multiplied exactly like the reference SDK
/// (`min(interval * coefficient, cap)`); each wait is clipped so the total never passes
/// the budget.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    next_secs: f64,
    coefficient: f64,
    cap_secs: f64,
    waited: Duration,
    pub(super) budget: Duration,
}

impl Backoff {
    pub(super) fn new(
        initial: Duration,
        coefficient: f64,
        cap: Duration,
        budget: Duration,
    ) -> Self {
        Self {
            next_secs: initial.as_secs_f64(),
            coefficient,
            cap_secs: cap.as_secs_f64(),
            waited: Duration::ZERO,
            budget,
        }
    }

    /// The next wait, or `None` when the budget is spent. Advances the schedule.
    pub(super) fn next_wait(&mut self) -> Option<Duration> {
        let remaining = self.budget.saturating_sub(self.waited);
        if remaining.is_zero() {
            return None;
        }
        let interval = Duration::try_from_secs_f64(self.next_secs).unwrap_or(remaining);
        let wait = interval.min(remaining);
        self.waited = self.waited.saturating_add(wait);
        self.next_secs = (self.next_secs * self.coefficient).min(self.cap_secs);
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_clips_to_budget() {
        let mut b = Backoff::new(
            Duration::from_secs(1),
            2.0,
            Duration::from_secs(30),
            Duration::from_secs(10),
        );
        let waits: Vec<_> = std::iter::from_fn(|| b.next_wait()).collect();
        assert_eq!(
            waits,
            [1, 2, 4, 3].map(Duration::from_secs).to_vec(),
            "1+2+4 = 7, then 3 to reach 10"
        );
    }
}
