//! Facts about this process and machine, read from `/proc` (zero where the
//! platform does not expose them).

use std::path::Path;
use std::time::SystemTime;

use serde_json::{json, Value};

/// Memory of this process, bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Resident set.
    pub resident: u64,
    /// Resident anonymous memory (the heap and stacks).
    pub anonymous: u64,
    /// Page tables.
    pub page_tables: u64,
    /// Mapped but not resident.
    pub retained: u64,
}

/// Counters of this process for the Prometheus `process_*` families.
#[derive(Debug, Clone, Copy, Default)]
pub struct Process {
    /// Threads.
    pub threads: u64,
    /// Memory mappings.
    pub mmaps: u64,
    /// The system's limit of mappings per process.
    pub max_mmaps: u64,
    /// Open file descriptors.
    pub fds: u64,
    /// The limit of open file descriptors.
    pub max_fds: u64,
    /// Page faults served without disk access.
    pub minor_faults: u64,
    /// Page faults that read the disk.
    pub major_faults: u64,
    /// CPU time used, seconds.
    pub cpu_seconds: f64,
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A `Key:   value kB` line of `/proc/self/status` (or `/proc/meminfo`).
fn status_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The memory of this process.
pub fn memory() -> Memory {
    let status = read("/proc/self/status");
    let kb = |key: &str| status_field(&status, key) * 1024;
    let resident = kb("VmRSS");
    Memory {
        resident,
        anonymous: kb("RssAnon"),
        page_tables: kb("VmPTE"),
        retained: kb("VmSize").saturating_sub(resident),
    }
}

/// Counters of this process.
pub fn process() -> Process {
    let status = read("/proc/self/status");
    let stat = read("/proc/self/stat");
    // fields after the command (which may hold spaces) start at field 3
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let field = |n: usize| -> u64 { fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0) };
    let ticks = 100.0; // USER_HZ on Linux
    let max_fds = read("/proc/self/limits")
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(0);
    Process {
        threads: status_field(&status, "Threads"),
        mmaps: read("/proc/self/maps").lines().count() as u64,
        max_mmaps: read("/proc/sys/vm/max_map_count")
            .trim()
            .parse()
            .unwrap_or(0),
        fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
        max_fds,
        minor_faults: field(10),
        major_faults: field(12),
        cpu_seconds: (field(14) + field(15)) as f64 / ticks,
    }
}

/// CPU features the vector kernels can use, as Qdrant lists them.
fn cpu_flags() -> String {
    #[allow(unused_mut)]
    let mut flags: Vec<&str> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($name:tt),*) => {
                $(if std::is_x86_feature_detected!($name) { flags.push($name); })*
            };
        }
        probe!(
            "sse",
            "sse2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512vl",
            "avx512vpopcntdq"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            flags.push("neon");
        }
        if std::arch::is_aarch64_feature_detected!("fp16") {
            flags.push("fp16");
        }
    }
    flags.join(",")
}

/// Size of the filesystem holding `path`, KB.
fn disk_size_kb(path: &Path) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return 0;
        };
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0 {
            return (st.f_blocks as u64).saturating_mul(st.f_frsize as u64) / 1024;
        }
        0
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0
    }
}

/// `app.system` of telemetry: the machine this server runs on.
pub fn system_json(storage: &Path, started: SystemTime) -> Value {
    let os = read("/etc/os-release");
    let os_field = |key: &str| {
        os.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_owned())
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let uptime = started
        .elapsed()
        .unwrap_or_default()
        .as_secs_f64()
        .max(1e-3);
    let is_docker = Path::new("/.dockerenv").exists() || read("/proc/1/cgroup").contains("docker");
    json!({
        "distribution": os_field("ID"),
        "distribution_version": os_field("VERSION_ID"),
        "is_docker": is_docker,
        "cores": cores,
        "cpu_cores_used": (process().cpu_seconds / uptime) as f32,
        "ram_size": status_field(&read("/proc/meminfo"), "MemTotal"),
        "disk_size": disk_size_kb(storage),
        "cpu_flags": cpu_flags(),
        "cpu_endian": if cfg!(target_endian = "little") { "little" } else { "big" },
    })
}
