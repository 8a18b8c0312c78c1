//! A reusable visited set: one bit per node (a million nodes fit in 128 KB,
//! which stays in the core's cache during a walk), cleared after a search
//! by zeroing only the words it touched.

use std::cell::RefCell;

/// Visited marks for one search.
pub struct Visited {
    bits: Vec<u64>,
    /// Indexes of the words of `bits` that are not zero.
    touched: Vec<u32>,
}

impl Visited {
    fn reset(&mut self, n: usize) {
        for &w in &self.touched {
            self.bits[w as usize] = 0;
        }
        self.touched.clear();
        let words = n.div_ceil(64);
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
    }

    /// Marks `node`; returns whether it was already marked.
    #[inline]
    pub fn check_and_mark(&mut self, node: u32) -> bool {
        let (w, bit) = ((node >> 6) as usize, 1u64 << (node & 63));
        let word = &mut self.bits[w];
        if *word & bit != 0 {
            return true;
        }
        if *word == 0 {
            self.touched.push(w as u32);
        }
        *word |= bit;
        false
    }
}

thread_local! {
    static POOL: RefCell<Vec<Visited>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a cleared visited set for `n` nodes taken from this
/// thread's pool.
pub fn with_visited<T>(n: usize, f: impl FnOnce(&mut Visited) -> T) -> T {
    let mut v = POOL.with(|p| p.borrow_mut().pop()).unwrap_or(Visited {
        bits: Vec::new(),
        touched: Vec::new(),
    });
    v.reset(n);
    let out = f(&mut v);
    POOL.with(|p| p.borrow_mut().push(v));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_cleared_between_searches() {
        with_visited(200, |v| {
            assert!(!v.check_and_mark(3));
            assert!(v.check_and_mark(3));
            assert!(!v.check_and_mark(199));
            assert!(!v.check_and_mark(64));
        });
        // the pooled set comes back empty, also when it grows
        with_visited(1000, |v| {
            for node in [3, 199, 64, 999] {
                assert!(!v.check_and_mark(node), "{node}");
            }
            assert!(v.check_and_mark(999));
        });
    }
}
