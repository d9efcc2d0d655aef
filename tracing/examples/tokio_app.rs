//! A tokio application whose `log` and `tracing` records land in the same console and files,
//! in the same format: an axum server with tower-http's `TraceLayer` that serves one request
//! of its own and ends.
//!
//! `LOGTREE_DIR=/tmp/tokio-app-logs cargo run -p logtree-tracing --example tokio_app`
//! (without `LOGTREE_DIR` it writes `logs/App_<date>.log` in the current directory).

use logtree::{LevelFilter, Setup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_http::trace::TraceLayer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // On the root logger, so that every crate's records, `log` or `tracing`, reach the
    // console and logs/App_<date>.log; `tracing(true)` adds the global tracing subscriber.
    Setup::new()
        .level(LevelFilter::Info)
        .logger_level("tower_http", LevelFilter::Debug)
        .tracing(true)
        .install("")?;

    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                // With the fields of tower-http's `request` span: method, uri, version.
                tracing::info!(user = "ann", "serving");
                log::info!("a `log` record, in the same file");
                "hello"
            }),
        )
        .layer(TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    tokio::spawn(async move { axum::serve(listener, app).await });

    // One request, so that the example ends.
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    tracing::info!(bytes = response.len(), "done");
    Ok(())
}
