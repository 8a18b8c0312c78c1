//! The `vectorizer` binary: configuration, storage, REST service, flushing
//! and graceful shutdown.

mod grpc;
mod http;
mod ops;
mod quota;
mod settings;
mod telemetry;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use storage::toc::TableOfContent;
use tracing::{error, info};

use crate::settings::Settings;

/// Vectorizer: a Qdrant-compatible vector search engine.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Path to an extra configuration file, applied over config/*.yaml.
    #[arg(long)]
    config_path: Option<PathBuf>,
    /// Directory holding config.yaml, $RUN_MODE.yaml and local.yaml.
    #[arg(long, default_value = "config")]
    config_dir: PathBuf,
}

fn init_logging(level: &str) {
    let level = level
        .parse::<tracing::Level>()
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .init();
}

/// Flushes every collection whose flush interval has passed.
async fn flush_loop(toc: Arc<TableOfContent>) {
    let mut last: std::collections::HashMap<String, Instant> = Default::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let toc = toc.clone();
        let mut due = Vec::new();
        for name in toc.collection_names() {
            let Ok(c) = toc.get(&name) else { continue };
            let interval = Duration::from_secs(c.config().optimizer_config.flush_interval_sec);
            let then = *last.entry(name.clone()).or_insert_with(Instant::now);
            if then.elapsed() >= interval {
                last.insert(name.clone(), Instant::now());
                due.push((name, c));
            }
        }
        let _ = tokio::task::spawn_blocking(move || {
            for (name, c) in due {
                if let Err(e) = c.flush() {
                    error!(collection = %name, error = %e, "periodic flush failed");
                }
            }
        })
        .await;
    }
}

/// Runs the optimizers of every collection on a dedicated thread (graph
/// builds are CPU-bound and must not stall the async reactor) until `stop`.
///
/// Optimization jobs run inside a pool of `threads` (the
/// `optimizer_cpu_budget`), which graph builds never exceed.
fn spawn_optimizer(
    toc: Arc<TableOfContent>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: usize,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("optimizer".into())
        .spawn(move || {
            lower_priority();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("optimizer-{i}"))
                .build()
                .ok();
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let mut worked = false;
                for name in toc.collection_names() {
                    if let Ok(c) = toc.get(&name) {
                        let run = || c.optimize();
                        let result = match &pool {
                            Some(pool) => pool.install(run),
                            None => run(),
                        };
                        match result {
                            Ok(ran) => worked |= ran,
                            Err(e) => error!(collection = %name, error = %e, "optimization failed"),
                        }
                    }
                }
                if !worked {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        })
        .expect("spawn optimizer thread")
}

/// Lowers the calling thread's scheduling priority (Linux: nice is per
/// thread, and threads it starts inherit it): optimizations use the CPU
/// that requests leave, so an upload or a query does not wait behind a
/// graph build.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with `who = 0` changes only the calling thread's
    // nice value; a failure leaves it as it was
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, OPTIMIZER_NICE);
    }
}

/// The nice value of optimization threads.
#[cfg(target_os = "linux")]
const OPTIMIZER_NICE: libc::c_int = 10;

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    info!("shutdown requested");
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings::load(
        &args.config_dir,
        args.config_path.as_deref(),
        std::env::vars(),
    )?;
    init_logging(&settings.log_level);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if settings.service.max_workers > 0 {
        runtime.worker_threads(settings.service.max_workers);
    }
    runtime.enable_all().build()?.block_on(run(settings))
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    info!(version = env!("CARGO_PKG_VERSION"), storage = %settings.storage.storage_path.display(), "starting Vectorizer");
    let storage_path = settings.storage.storage_path.clone();
    let defaults = settings.collection_defaults();
    let optimizer_threads = settings.storage.performance.optimizer_threads();
    let toc = tokio::task::spawn_blocking(move || TableOfContent::open(&storage_path, defaults))
        .await?
        .context("opening storage")?;
    let toc = Arc::new(toc);
    let quotas = quota::Quotas::load(&settings.storage.storage_path, settings.storage.quotas)
        .context("reading the quota")?;
    let addr = format!("{}:{}", settings.service.host, settings.service.http_port);
    let state = http::AppState {
        toc: toc.clone(),
        settings: Arc::new(settings),
        telemetry: telemetry::Telemetry::new(),
        quotas: Arc::new(quotas),
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    info!(%addr, "REST API listening");
    let flusher = tokio::spawn(flush_loop(toc.clone()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let optimizer = spawn_optimizer(toc.clone(), stop.clone(), optimizer_threads);
    // one shutdown signal stops both transports
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grpc = match state.settings.service.grpc_port {
        Some(port) => {
            let grpc_addr: std::net::SocketAddr =
                format!("{}:{}", state.settings.service.host, port)
                    .parse()
                    .with_context(|| {
                        format!("gRPC address {}:{port}", state.settings.service.host)
                    })?;
            let mut rx = stop_rx.clone();
            let grpc_state = state.clone();
            info!(addr = %grpc_addr, "gRPC API listening");
            Some(tokio::spawn(async move {
                let shutdown = async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                };
                if let Err(e) = grpc::serve(grpc_state, grpc_addr, shutdown).await {
                    error!(error = %e, "gRPC server failed");
                }
            }))
        }
        None => None,
    };
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .await?;
    if let Some(grpc) = grpc {
        let _ = grpc.await;
    }
    flusher.abort();
    stop.store(true, std::sync::atomic::Ordering::Release);
    let _ = tokio::task::spawn_blocking(move || optimizer.join()).await;
    let t = toc.clone();
    tokio::task::spawn_blocking(move || t.flush_all()).await?;
    info!("flushed all collections; bye");
    Ok(())
}
