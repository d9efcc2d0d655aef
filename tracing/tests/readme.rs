//! The README's tokio example is `examples/tokio_app.rs`, which `cargo test` builds: this keeps
//! the two the same, so that the README's code compiles as written.

#[test]
fn the_readme_shows_the_tokio_example_as_it_is() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/tokio_app.rs");
    let code: String = example
        .lines()
        .filter(|line| !line.starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect();
    let block = format!("```rust\n{}```\n", code.trim_start_matches('\n'));
    assert!(
        readme.contains(&block),
        "README.md must show examples/tokio_app.rs (without its `//!` lines) as it is:\n{block}"
    );
}
