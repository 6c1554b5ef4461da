//! Failed logins are counted per client address and per account name; once either has
//! failed too often it must wait before it may try again. A refused attempt does not
//! even reach the password hash, so guessing costs the kiosk nothing either.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts kept at most; beyond that the lapsed ones are dropped first.
const MAX_TRACKED: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    Account(String),
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

pub struct Throttle {
    per_client: u32,
    per_account: u32,
    lockout: Duration,
    failures: Mutex<HashMap<Key, Failures>>,
}

/// Which limit refused an attempt, and for how much longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
    pub by_account: bool,
}

impl Throttle {
    pub fn new(per_client: u32, per_account: u32, lockout: Duration) -> Throttle {
        Throttle {
            per_client,
            per_account,
            lockout,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` may try to log in as `account` now. A bearer token names no
    /// account (`None`): otherwise anyone could lock every machine client out.
    pub fn check(&self, client: IpAddr, account: Option<&str>) -> Result<(), Refused> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let wait = |key: &Key, limit: u32| {
            failures
                .get(key)
                .filter(|f| f.count >= limit)
                .and_then(|f| self.lockout.checked_sub(now.duration_since(f.last)))
                .filter(|left| !left.is_zero())
        };
        if let Some(retry_after) = wait(&Key::Client(client), self.per_client) {
            return Err(Refused {
                retry_after,
                by_account: false,
            });
        }
        if let Some(retry_after) = account.and_then(|a| wait(&account_key(a), self.per_account)) {
            return Err(Refused {
                retry_after,
                by_account: true,
            });
        }
        Ok(())
    }

    pub fn failed(&self, client: IpAddr, account: Option<&str>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| now.duration_since(f.last) < self.lockout);
        }
        for key in std::iter::once(Key::Client(client)).chain(account.map(account_key)) {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
            });
            // A count that has lapsed starts again.
            if now.duration_since(entry.last) >= self.lockout {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    /// A good password clears this client's and this account's failures.
    pub fn succeeded(&self, client: IpAddr, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&Key::Client(client));
        failures.remove(&account_key(account));
    }
}

/// Names are compared as typed; cut short so that a huge name cannot fill memory.
fn account_key(account: &str) -> Key {
    Key::Account(account.chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn a_client_is_refused_after_its_limit_and_others_are_not() {
        let throttle = Throttle::new(3, 100, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttle.check(A, Some("ana")).is_ok());
            throttle.failed(A, Some("ana"));
        }
        let refused = throttle.check(A, Some("bob")).unwrap_err();
        assert!(!refused.by_account);
        assert!(refused.retry_after <= Duration::from_secs(60));
        assert!(refused.retry_after > Duration::from_secs(55));
        assert!(throttle.check(B, Some("ana")).is_ok());
    }

    #[test]
    fn an_account_is_refused_after_its_limit_from_any_client() {
        let throttle = Throttle::new(100, 2, Duration::from_secs(60));
        throttle.failed(A, Some("ana"));
        throttle.failed(B, Some("ana"));
        assert!(throttle.check(B, Some("ana")).unwrap_err().by_account);
        assert!(throttle.check(A, Some("bob")).is_ok());
    }

    #[test]
    fn a_lockout_lapses_and_a_success_clears_the_count() {
        let throttle = Throttle::new(1, 100, Duration::from_millis(50));
        throttle.failed(A, Some("ana"));
        assert!(throttle.check(A, Some("ana")).is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(throttle.check(A, Some("ana")).is_ok());
        let throttle = Throttle::new(2, 100, Duration::from_secs(60));
        throttle.failed(A, Some("ana"));
        throttle.succeeded(A, "ana");
        throttle.failed(A, Some("ana"));
        assert!(throttle.check(A, Some("ana")).is_ok());
    }
}
