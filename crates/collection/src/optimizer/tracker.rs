//! What the optimizers did and are doing: the running optimization, the
//! last completed ones, and the report `/optimizations` serves.

use std::time::SystemTime;

/// State of an optimization.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimizationStatus {
    /// Running.
    Optimizing,
    /// Finished.
    Done,
    /// Failed with this error.
    Error(String),
}

/// One optimization, running or completed.
#[derive(Debug, Clone)]
pub struct Optimization {
    /// Sequence number (unique within the process).
    pub id: u64,
    /// Optimizer name.
    pub optimizer: &'static str,
    /// Segment keys and their live points.
    pub segments: Vec<(u64, usize)>,
    /// Start time.
    pub started: SystemTime,
    /// End time, once finished.
    pub finished: Option<SystemTime>,
    /// State.
    pub status: OptimizationStatus,
}

/// A pending optimization.
#[derive(Debug, Clone)]
pub struct QueuedOptimization {
    /// Optimizer name.
    pub optimizer: &'static str,
    /// Segment keys and their live points.
    pub segments: Vec<(u64, usize)>,
}

/// What `GET /collections/{name}/optimizations` reports.
#[derive(Debug, Clone)]
pub struct OptimizationsReport {
    /// Running now.
    pub running: Vec<Optimization>,
    /// Pending, in order.
    pub queued: Vec<QueuedOptimization>,
    /// Recently finished, newest first.
    pub completed: Vec<Optimization>,
    /// Segments nothing waits to optimize: keys and live points.
    pub idle: Vec<(u64, usize)>,
}

/// Completed optimizations kept for reports.
const COMPLETED_KEPT: usize = 16;

/// The running optimization and the last completed ones.
#[derive(Debug, Default)]
pub struct Tracker {
    pub(super) running: Option<Optimization>,
    pub(super) completed: std::collections::VecDeque<Optimization>,
    next: u64,
}

impl Tracker {
    pub(super) fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub(super) fn finish(&mut self, status: OptimizationStatus) {
        if let Some(mut done) = self.running.take() {
            done.finished = Some(SystemTime::now());
            done.status = status;
            if self.completed.len() == COMPLETED_KEPT {
                self.completed.pop_front();
            }
            self.completed.push_back(done);
        }
    }
}
