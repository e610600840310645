//! Replay and duplicate protection: remember each delivery's id for a window, reject it if seen.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Remembers delivery ids (or nonces) to reject a second delivery of the same one.
pub trait ReplayGuard: Send + Sync {
    /// Records `key` as seen at `now` (Unix seconds) for `window` seconds. Returns `false` if it
    /// was already seen within its window: the delivery is a replay or a retry of one processed.
    fn first_sighting(&self, key: &str, now: i64, window: u64) -> bool;
}

/// The default [`ReplayGuard`]: in memory, bounded, expiring entries after their window.
///
/// Safe to share between threads. When full, the entries closest to expiry are evicted first, so
/// the guard never grows past its capacity; size it above the number of deliveries expected in
/// the longest window.
#[derive(Debug)]
pub struct InMemoryReplayGuard {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    expires: HashMap<String, i64>,
    /// (expiry, key), in insertion order; windows are per receiver, so this is nearly sorted.
    order: VecDeque<(i64, String)>,
}

impl InMemoryReplayGuard {
    /// A guard holding at most `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many ids it holds now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.expires.len()).unwrap_or(0)
    }

    /// Whether it holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for InMemoryReplayGuard {
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn first_sighting(&self, key: &str, now: i64, window: u64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Forget what has expired.
        while let Some((expiry, _)) = inner.order.front() {
            if *expiry > now {
                break;
            }
            if let Some((expiry, k)) = inner.order.pop_front() {
                if inner.expires.get(&k) == Some(&expiry) {
                    inner.expires.remove(&k);
                }
            }
        }
        if let Some(expiry) = inner.expires.get(key) {
            if *expiry > now {
                return false;
            }
        }
        while inner.expires.len() >= self.capacity {
            match inner.order.pop_front() {
                Some((expiry, k)) => {
                    if inner.expires.get(&k) == Some(&expiry) {
                        inner.expires.remove(&k);
                    }
                }
                None => break,
            }
        }
        let expiry = now.saturating_add(i64::try_from(window).unwrap_or(i64::MAX));
        inner.expires.insert(key.to_owned(), expiry);
        inner.order.push_back((expiry, key.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_within_its_window_and_accepted_after() {
        let g = InMemoryReplayGuard::new(10);
        assert!(g.first_sighting("a", 100, 60));
        assert!(!g.first_sighting("a", 159, 60), "inside the window");
        assert!(g.first_sighting("a", 160, 60), "the window is over");
        assert!(g.first_sighting("b", 160, 60));
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let g = InMemoryReplayGuard::new(3);
        for (i, key) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            assert!(g.first_sighting(key, 100 + i as i64, 1_000));
        }
        assert_eq!(g.len(), 3);
        assert!(!g.first_sighting("e", 200, 1_000), "the newest are kept");
        assert!(g.first_sighting("a", 200, 1_000), "the oldest were evicted");
    }

    #[test]
    fn extreme_windows_and_clocks_do_not_overflow() {
        let g = InMemoryReplayGuard::new(3);
        // The expiry saturates at i64::MAX instead of wrapping into the past.
        assert!(g.first_sighting("a", i64::MAX - 10, u64::MAX));
        assert!(!g.first_sighting("a", i64::MAX - 1, u64::MAX));
        assert!(g.first_sighting("b", i64::MIN, 0));
    }

    #[test]
    fn concurrent_deliveries_of_one_id_pass_exactly_once() {
        let g = std::sync::Arc::new(InMemoryReplayGuard::new(1_000));
        let passed: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let g = std::sync::Arc::clone(&g);
                    s.spawn(move || {
                        (0..100)
                            .filter(|i| g.first_sighting(&format!("id-{i}"), 0, 60))
                            .count()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum()
        });
        assert_eq!(
            passed, 100,
            "each of the 100 ids passes once across 8 threads"
        );
    }
}
