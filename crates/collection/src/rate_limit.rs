//! Strict mode's read and write rate limits: token buckets holding a
//! minute's worth of tokens, refilled continuously.

use std::time::Instant;

use crate::error::{CollectionError, Result};

/// A bucket of `per_minute` tokens refilled at `per_minute` a minute.
#[derive(Debug, Clone)]
struct TokenBucket {
    per_minute: u64,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(per_minute: u64) -> Self {
        TokenBucket {
            per_minute,
            tokens: per_minute as f64,
            refilled: Instant::now(),
        }
    }

    /// Takes `cost` tokens, or says why not (Qdrant's texts).
    fn take(&mut self, cost: u64, kind: &str) -> std::result::Result<(), String> {
        let capacity = self.per_minute as f64;
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.refilled = now;
        let cost_f = cost as f64;
        if cost_f > capacity {
            return Err(format!(
                "{kind} rate limit exceeded, request larger than rate limiter capacity, please try to split your request"
            ));
        }
        if self.tokens < cost_f {
            let wait = ((cost_f - self.tokens) / per_second).ceil() as u64;
            return Err(format!(
                "{kind} rate limit exceeded: Operation requires {cost} tokens but only {:.1} were available. Retry after {wait}s",
                (self.tokens * 10.0).floor() / 10.0
            ));
        }
        self.tokens -= cost_f;
        Ok(())
    }
}

/// What a rate limit is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Searches, scrolls, counts, retrievals.
    Read,
    /// Updates.
    Write,
}

/// The buckets of one collection; a bucket starts over when its limit
/// changes.
#[derive(Debug, Default)]
pub struct RateLimits {
    read: Option<TokenBucket>,
    write: Option<TokenBucket>,
}

impl RateLimits {
    /// Takes `cost` tokens of `access` under `per_minute` (no limit: free).
    pub fn take(&mut self, access: Access, per_minute: Option<u64>, cost: u64) -> Result<()> {
        let (slot, kind) = match access {
            Access::Read => (&mut self.read, "Read"),
            Access::Write => (&mut self.write, "Write"),
        };
        let Some(per_minute) = per_minute else {
            *slot = None;
            return Ok(());
        };
        let bucket = match slot {
            Some(b) if b.per_minute == per_minute => b,
            _ => slot.insert(TokenBucket::new(per_minute)),
        };
        bucket
            .take(cost, kind)
            .map_err(CollectionError::RateLimited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_tokens_then_refusals_with_qdrants_text() {
        let mut limits = RateLimits::default();
        limits.take(Access::Read, Some(2), 1).unwrap();
        limits.take(Access::Read, Some(2), 1).unwrap();
        let refused = limits.take(Access::Read, Some(2), 1).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Rate limiting exceeded: Read rate limit exceeded: Operation requires 1 tokens but only 0.0 were available. Retry after 30s"
        );
        // writes have their own bucket; an oversized request is told to split
        limits.take(Access::Write, Some(2), 2).unwrap();
        let big = limits.take(Access::Write, Some(2), 3).unwrap_err();
        assert!(big
            .to_string()
            .ends_with("please try to split your request"));
        // a new limit starts a full bucket
        limits.take(Access::Read, Some(3), 3).unwrap();
        limits.take(Access::Read, None, 100).unwrap();
    }
}
