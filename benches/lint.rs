//! Recognising and linting 10,000 policy files in memory: the cost of `lint`
//! without the file system and the output format.

// A benchmark that cannot read its corpus should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oidc_doctor::model::documents::{Recognised, recognise_json, recognise_yaml};
use oidc_doctor::rules::trust_policy::{self, LintOptions};

/// Every lint fixture (plain policies, get-role output, plans, templates),
/// cycled to 10,000 files.
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    let mut stack = vec![root.join("lint"), root.join("trust_policy")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json" || e == "yaml")
                && !path.ends_with("expected.json")
            {
                let text = std::fs::read_to_string(&path).expect("fixture");
                files.push((path.display().to_string(), text));
            }
        }
    }
    assert!(!files.is_empty(), "no lint fixtures found");
    files.iter().cycle().take(10_000).cloned().collect()
}

fn lint(c: &mut Criterion) {
    let files = corpus();
    let options = LintOptions::default();
    let mut group = c.benchmark_group("lint");
    group.throughput(Throughput::Elements(files.len() as u64));
    group.sample_size(10);
    group.bench_function("10k files: recognise + TP rules", |b| {
        b.iter(|| {
            let mut findings = 0;
            for (path, text) in &files {
                let recognised = if Path::new(path)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
                {
                    recognise_yaml(path, text.clone())
                } else {
                    recognise_json(path, text.clone())
                };
                if let Recognised::Policies(docs) = recognised {
                    for doc in &docs {
                        findings += trust_policy::check(doc, &options).len();
                    }
                }
            }
            black_box(findings)
        });
    });
    group.finish();
}

criterion_group!(benches, lint);
criterion_main!(benches);
