//! A reusable visited set: one generation-stamped slot per node, so clearing
//! it between searches costs nothing.

use std::cell::RefCell;

/// Visited marks for one search.
pub struct Visited {
    marks: Vec<u32>,
    generation: u32,
}

impl Visited {
    fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
    }

    /// Marks `node`; returns whether it was already marked.
    #[inline]
    pub fn check_and_mark(&mut self, node: u32) -> bool {
        let slot = &mut self.marks[node as usize];
        let seen = *slot == self.generation;
        *slot = self.generation;
        seen
    }
}

thread_local! {
    static POOL: RefCell<Vec<Visited>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a cleared visited set for `n` nodes taken from this
/// thread's pool.
pub fn with_visited<T>(n: usize, f: impl FnOnce(&mut Visited) -> T) -> T {
    let mut v = POOL.with(|p| p.borrow_mut().pop()).unwrap_or(Visited {
        marks: Vec::new(),
        generation: 0,
    });
    v.reset(n);
    let out = f(&mut v);
    POOL.with(|p| p.borrow_mut().push(v));
    out
}
