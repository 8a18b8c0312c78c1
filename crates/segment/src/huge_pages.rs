//! Huge-page advice for large in-memory arrays.
//!
//! Graph walks read vectors and link rows at random: with 4 KiB pages
//! nearly every read also misses the TLB (a page-table walk, costlier still
//! under virtualization). Large arrays ask the kernel for 2 MiB pages
//! before they are first written; where transparent huge pages are off or
//! in `madvise` mode without this request, nothing changes.

/// Arrays below this size are left alone (a small segment would otherwise
/// pay a whole huge page for its first vector).
pub const MIN_BYTES: usize = 8 << 20;

const HUGE_PAGE: usize = 2 << 20;

/// Asks for huge pages over the whole 2 MiB pages inside `len` bytes at
/// `ptr` (memory not yet written: pages already present stay small).
pub fn advise(ptr: *const u8, len: usize) {
    if len < MIN_BYTES {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + len) / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: the range lies inside one live allocation of the caller and
    // is page-aligned; MADV_HUGEPAGE only changes how the kernel backs it,
    // never its contents. A failure (no THP support) is harmless.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

/// A vector of the `len` items of `items`, its memory advised before they
/// are written.
pub fn collect<T>(len: usize, items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise(v.as_ptr() as *const u8, len * std::mem::size_of::<T>());
    v.extend(items.into_iter().take(len));
    v
}
