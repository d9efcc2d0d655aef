//! The downstream sink receives records from the `log` macros of any module.

use downstream_sink::{CsvFormatter, CsvRows};
use logtree_core::log;
use logtree_core::{LevelFilter, LoggerTree, SetupOptions};

mod billing {
    pub fn charge(cents: u64) {
        logtree_core::log::info!("charged {cents} cents");
        logtree_core::log::trace!("not shown");
        logtree_core::log::warn!(target: "billing::audit", "audit \"flag\", raised");
    }
}

#[test]
fn a_custom_sink_sees_records_from_log_macros() {
    let rows = CsvRows::new(CsvFormatter);
    LoggerTree::setup(
        "through_log_macros",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(rows.clone()),
    )
    .unwrap();
    LoggerTree::setup("billing", SetupOptions::new().sink(rows.clone())).unwrap();
    billing::charge(250);
    log::info!("from the test body");
    assert_eq!(
        rows.rows(),
        [
            "INFO,through_log_macros.billing,charged 250 cents",
            "WARN,billing.audit,\"audit \"\"flag\"\", raised\"",
            "INFO,through_log_macros,from the test body",
        ]
    );
}
