//! Decoding and judging 10,000 tokens: the cost of `decode` without process
//! start-up, and of the token stage every later command runs.

// A benchmark that cannot read its corpus should stop loudly.
#![allow(clippy::expect_used)]
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oidc_doctor::model::token;
use oidc_doctor::rules;

/// Every fixture token (realistic variety: good, expired, malformed,
/// every issuer family), repeated to 10,000.
fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/token");
    let mut tokens = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures/token").flatten() {
        if dir.path().is_dir() {
            for file in std::fs::read_dir(dir.path()).expect("rule dir").flatten() {
                tokens.push(std::fs::read(file.path()).expect("fixture"));
            }
        }
    }
    tokens.iter().cycle().take(10_000).cloned().collect()
}

fn decode_and_lint(c: &mut Criterion) {
    let tokens = corpus();
    let now: jiff::Timestamp = "2026-06-01T12:00:00Z".parse().expect("instant");
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(tokens.len() as u64));
    group.sample_size(20);
    group.bench_function("10k tokens: parse + TK rules", |b| {
        b.iter(|| {
            let mut findings = 0;
            for bytes in &tokens {
                let parsed = token::parse(black_box(bytes));
                findings += rules::token::check(&parsed, now).len();
            }
            black_box(findings)
        });
    });
    group.finish();
}

criterion_group!(benches, decode_and_lint);
criterion_main!(benches);
