//! The official Rust client (`qdrant-client`, gRPC only) against the real
//! binary: create a collection, upsert, query with a filter, scroll, delete.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qdrant_client::qdrant::{
    Condition, CreateCollectionBuilder, DeletePointsBuilder, Distance, Filter, PointStruct,
    PointsIdsList, QueryPointsBuilder, ScrollPointsBuilder, UpsertPointsBuilder,
    VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path, http: u16, grpc: u16) -> Server {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let child = Command::new(env!("CARGO_BIN_EXE_vectorizer"))
        .args(["--config-dir", config])
        .env("QDRANT__SERVICE__HOST", "127.0.0.1")
        .env("QDRANT__SERVICE__HTTP_PORT", http.to_string())
        .env("QDRANT__SERVICE__GRPC_PORT", grpc.to_string())
        .env("QDRANT__STORAGE__STORAGE_PATH", dir.join("data"))
        .env("QDRANT__LOG_LEVEL", "WARN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    Server(child)
}

async fn connect(grpc: u16) -> Qdrant {
    let client = Qdrant::from_url(&format!("http://127.0.0.1:{grpc}"))
        .skip_compatibility_check()
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.health_check().await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_with_the_rust_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let grpc = free_port();
    let _server = start(dir.path(), free_port(), grpc);
    let client = connect(grpc).await;

    let health = client.health_check().await.expect("health");
    assert_eq!(health.title, "qdrant - vector search engine");

    client
        .create_collection(
            CreateCollectionBuilder::new("rust")
                .vectors_config(VectorParamsBuilder::new(4, Distance::Dot)),
        )
        .await
        .expect("create");
    assert!(client.collection_exists("rust").await.expect("exists"));

    let points: Vec<PointStruct> = (0..20u64)
        .map(|i| {
            let mut payload = Payload::new();
            payload.insert("even", i % 2 == 0);
            payload.insert("n", i as i64);
            PointStruct::new(i, vec![i as f32, 1.0, 0.0, 0.5], payload)
        })
        .collect();
    client
        .upsert_points(UpsertPointsBuilder::new("rust", points).wait(true))
        .await
        .expect("upsert");

    let hits = client
        .query(
            QueryPointsBuilder::new("rust")
                .query(vec![1.0, 0.0, 0.0, 0.0])
                .filter(Filter::must([Condition::matches("even", true)]))
                .limit(3)
                .with_payload(true),
        )
        .await
        .expect("query");
    let ids: Vec<String> = hits
        .result
        .iter()
        .map(|p| {
            format!(
                "{:?}",
                p.id.as_ref().and_then(|i| i.point_id_options.clone())
            )
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0].contains("18"), "{ids:?}");
    assert_eq!(hits.result[0].payload["n"].as_integer(), Some(18));

    let page = client
        .scroll(
            ScrollPointsBuilder::new("rust")
                .limit(5)
                .with_payload(false),
        )
        .await
        .expect("scroll");
    assert_eq!(page.result.len(), 5);
    assert!(page.next_page_offset.is_some());

    client
        .delete_points(
            DeletePointsBuilder::new("rust")
                .points(PointsIdsList {
                    ids: vec![0.into(), 1.into()],
                })
                .wait(true),
        )
        .await
        .expect("delete");
    let count = client
        .count(qdrant_client::qdrant::CountPointsBuilder::new("rust").exact(true))
        .await
        .expect("count");
    assert_eq!(count.result.map(|c| c.count), Some(18));

    let missing = client
        .collection_info("no_such")
        .await
        .expect_err("missing");
    assert!(missing.to_string().contains("doesn't exist"), "{missing}");
    client
        .delete_collection("rust")
        .await
        .expect("delete collection");
}
