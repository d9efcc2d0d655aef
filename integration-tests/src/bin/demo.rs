//! A first look at the logger tree: module loggers below `app`, levels inherited from the
//! nearest ancestor, records propagating to the top-level logger's sink, and `log::info!` from
//! any module arriving in the tree.

use logtree_core::{LevelFilter, LoggerTree, MemorySink, SetupOptions};

mod db {
    pub fn connect() {
        log::info!("connected to {}", "postgres://localhost");
        log::debug!("pool size {}", 8);
    }
}

fn main() -> Result<(), logtree_core::Error> {
    let lines = MemorySink::new();
    let app = LoggerTree::setup(
        "demo",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(lines.clone()),
    )?;
    db::connect();
    LoggerTree::setup("demo.db", SetupOptions::new().level(LevelFilter::Debug))?;
    db::connect();
    app.warn(format_args!("shutting down"));
    for line in lines.lines() {
        println!("{line}");
    }
    Ok(())
}
