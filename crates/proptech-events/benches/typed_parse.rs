//! The typed parse of every documented event sample (after errata), per provider: what a receiver
//! pays to turn a delivery into its Rust type, next to a parse of the same bytes into a
//! `serde_json::Value` measured in the same run. `cargo bench -p proptech-events --bench
//! typed_parse`; the ratio of the two is what to compare between versions of the types.

// criterion_group! defines an undocumented function.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proptech_catalog::SchemaSet;
use proptech_events::Provider;

/// The documented event samples of `provider`, corrected by their errata; for a provider whose docs
/// print no event sample (EverReal), the hand-made instances of `tests/valid/`.
fn samples(set: &SchemaSet, provider: &str) -> Vec<Vec<u8>> {
    let errata = set.errata().expect("errata load");
    let mut out = Vec::new();
    for fixture in set.fixtures().expect("fixtures load") {
        if fixture.provider != provider {
            continue;
        }
        let Some(event) = set.get(&fixture.schema).and_then(|d| d.event()) else {
            continue; // a request or resource body, not an event
        };
        let sample = proptech_catalog::read_json(&fixture.path).expect("fixture is JSON");
        let key = fixture.key();
        let corrected = errata
            .corrected(&key, Some(event.event_type), &sample)
            .expect("errata fixes apply");
        if corrected.is_none() && !errata.expected_errors(&key).is_empty() {
            continue; // a sample its errata say cannot be corrected
        }
        let body = match corrected {
            Some(fixed) => serde_json::to_vec(&fixed).expect("serialises"),
            None => std::fs::read(&fixture.path).expect("readable"),
        };
        out.push(body);
    }
    if out.is_empty() {
        let dir = set.root().join("../tests/valid").join(provider);
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("hand-made instances")
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        out = paths
            .iter()
            .filter(|p| {
                let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
                set.get(&format!("{provider}/events/{file}"))
                    .and_then(|d| d.event())
                    .is_some()
            })
            .map(|p| std::fs::read(p).expect("readable"))
            .collect();
    }
    out
}

fn typed_parse(c: &mut Criterion) {
    let set = SchemaSet::load_workspace().expect("the schema set loads");
    for provider in Provider::ALL {
        let mut group = c.benchmark_group(format!("typed_parse/{provider}"));
        let samples = samples(&set, provider.as_str());
        assert!(!samples.is_empty(), "{provider} has documented samples");
        group.throughput(Throughput::Elements(samples.len() as u64));
        // The baseline: the same bytes into a `serde_json::Value`.
        group.bench_function(BenchmarkId::from_parameter("value"), |b| {
            b.iter(|| {
                for body in &samples {
                    std::hint::black_box(
                        serde_json::from_slice::<serde_json::Value>(body).expect("parses"),
                    );
                }
            })
        });
        group.bench_function(BenchmarkId::from_parameter("typed"), |b| {
            b.iter(|| {
                for body in &samples {
                    std::hint::black_box(proptech_events::parse(provider, body).expect("parses"));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, typed_parse);
criterion_main!(benches);
