//! A real tokio application: an axum server with tower-http's `TraceLayer` on a loopback port,
//! set up with `logtree::Setup::new().tracing(true)`, serving requests of a real TCP client.
//! The server's `tracing` events and the handler's `log` and `tracing` records land in the same
//! file, in the same format, under their targets; the tree's levels filter them, also when
//! changed between two requests.
//!
//! One test only: the global subscriber and the `log` facade are per process.

use std::net::SocketAddr;

use logtree::formatters::JsonFormatter;
use logtree::{LevelFilter, LoggerTree, MemorySink, Setup};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_http::trace::TraceLayer;

async fn hello() -> &'static str {
    tracing::info!(target: "app::handler", user = "ann", admin = false, "saying hello");
    log::info!(target: "app::handler", "a log record from the handler");
    "hello"
}

/// Serves the app on a free loopback port, in the background of the current runtime.
async fn serve() -> SocketAddr {
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(hello))
        .layer(TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One `GET` over a fresh connection, read to the end. The server logs the response's events
/// before it sends the response, so they are in the sinks when this returns.
async fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// The JSON lines the sink has received since `from`, parsed.
fn json_since(sink: &MemorySink, from: usize) -> Vec<Value> {
    sink.lines()[from..]
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn with_message<'a>(lines: &'a [Value], message: &str) -> Option<&'a Value> {
    lines.iter().find(|line| line["message"] == message)
}

#[tokio::test]
async fn server_events_arrive_under_their_targets_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let json = MemorySink::with_formatter(JsonFormatter::new());
    let setup = Setup::new()
        .dir(dir.path())
        .file_stem("Server")
        .console(false)
        .ignore_env()
        .logger_level("tower_http", LevelFilter::Debug)
        .sink(json.clone())
        .tracing(true);
    // On the root: every crate's records, `log` or `tracing`, reach the file.
    setup.install("").unwrap();
    // Installing again (as each module may) changes nothing and writes no line twice.
    setup.install("app").unwrap();

    let addr = serve().await;
    let response = get(addr, "/hello").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("hello"), "{response}");

    let first = json_since(&json, 0);
    let request_context = |line: &Value| {
        assert_eq!(line["fields"]["span.name"], "request", "{line}");
        assert_eq!(line["fields"]["method"], "GET", "{line}");
        assert_eq!(line["fields"]["uri"], "/hello", "{line}");
        assert_eq!(line["fields"]["version"], "HTTP/1.1", "{line}");
    };
    let started = with_message(&first, "started processing request").expect("on_request");
    assert_eq!(started["logger"], "tower_http.trace.on_request");
    assert_eq!(started["level"], "DEBUG");
    request_context(started);
    let finished = with_message(&first, "finished processing request").expect("on_response");
    assert_eq!(finished["logger"], "tower_http.trace.on_response");
    assert_eq!(finished["fields"]["status"], 200, "a JSON number");
    assert!(finished["fields"]["latency"].is_string(), "{finished}");
    request_context(finished);
    let handler = with_message(&first, "saying hello").expect("the handler's event");
    assert_eq!(handler["logger"], "app.handler");
    assert_eq!(handler["fields"]["user"], "ann");
    assert_eq!(handler["fields"]["admin"], false);
    request_context(handler);
    assert!(with_message(&first, "a log record from the handler").is_some());

    // Levels changed at run time apply to the next request: `on_request` is silenced, and
    // with `tower_http` at `Info` its span goes too, so the handler's event has no context.
    let on_request = LoggerTree::global()
        .logger("tower_http.trace.on_request")
        .unwrap();
    on_request.set_level(Some(LevelFilter::Warn));
    let seen = json.lines().len();
    get(addr, "/hello").await;
    let second = json_since(&json, seen);
    assert!(with_message(&second, "started processing request").is_none());
    assert!(with_message(&second, "finished processing request").is_some());

    LoggerTree::global()
        .logger("tower_http")
        .unwrap()
        .set_level(Some(LevelFilter::Info));
    let seen = json.lines().len();
    get(addr, "/hello").await;
    let third = json_since(&json, seen);
    let loggers: Vec<&str> = third.iter().filter_map(|l| l["logger"].as_str()).collect();
    assert_eq!(loggers, ["app.handler", "app.handler"], "{third:?}");
    assert!(third[0]["fields"].get("span.name").is_none(), "{third:?}");

    // The file has every line the JSON sink has, in the millisecond format, `log` and
    // `tracing` alike.
    LoggerTree::global().flush().unwrap();
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert_eq!(text.lines().count(), json.lines().len(), "{text}");
    assert!(
        text.contains(
            " - tower_http.trace.on_request - DEBUG - started processing request \
             span.name=request method=GET uri=/hello version=HTTP/1.1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            " - app.handler - INFO - saying hello span.name=request method=GET uri=/hello \
             version=HTTP/1.1 user=ann admin=false\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(" - app.handler - INFO - a log record from the handler\n"),
        "{text}"
    );
}
