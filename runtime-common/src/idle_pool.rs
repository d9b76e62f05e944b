//! [`IdlePool`]: the kept-alive connections of every runtime's `http://` client, per host.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// Idle connections kept per host.
const IDLE_PER_HOST: usize = 8192;

/// Kept-alive connections per authority (`host:port`), at most 8,192 idle per host; clones
/// share them.
pub struct IdlePool<C>(Arc<Mutex<HashMap<String, Vec<C>>>>);

impl<C> IdlePool<C> {
    /// The most recently kept connection to `authority` that `usable` accepts (readable
    /// while idle = closed by the peer, or a stray byte); the ones it refuses are dropped.
    /// `usable` runs after the pool's lock is let go: it may be a syscall.
    pub fn take(&self, authority: &str, usable: impl Fn(&C) -> bool) -> Option<C> {
        loop {
            let conn = self.lock().get_mut(authority)?.pop()?;
            if usable(&conn) {
                return Some(conn);
            }
        }
    }

    /// Keeps `conn` for a later request to `authority` (dropped when that host already has
    /// the most idle connections kept).
    pub fn put(&self, authority: &str, conn: C) {
        let mut idle = self.lock();
        match idle.get_mut(authority) {
            Some(list) if list.len() >= IDLE_PER_HOST => {}
            Some(list) => list.push(conn),
            None => drop(idle.insert(authority.to_owned(), vec![conn])),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<C>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C> Default for IdlePool<C> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<C> Clone for IdlePool<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C> fmt::Debug for IdlePool<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let idle: usize = self.lock().values().map(Vec::len).sum();
        f.debug_struct("IdlePool").field("idle", &idle).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_newest_usable_and_drops_the_refused() {
        let pool = IdlePool::default();
        for n in 1..=3 {
            pool.put("h:1", n);
        }
        pool.put("other:2", 9);
        assert_eq!(
            pool.take("h:1", |&n| n != 3),
            Some(2),
            "3 refused and dropped"
        );
        assert_eq!(pool.take("h:1", |_| true), Some(1));
        assert_eq!(pool.take("h:1", |_| true), None);
        assert_eq!(pool.take("nobody:3", |_| true), None);
        assert_eq!(
            pool.clone().take("other:2", |_| true),
            Some(9),
            "clones share"
        );
        for n in 0..IDLE_PER_HOST + 5 {
            pool.put("h:1", n);
        }
        assert_eq!(
            format!("{pool:?}"),
            format!("IdlePool {{ idle: {IDLE_PER_HOST} }}")
        );
    }
}
