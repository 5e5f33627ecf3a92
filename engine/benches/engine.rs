//! Criterion micro-benchmarks of the engine alone, on real files: single
//! sets, batched sets, hits and misses, reopening, compaction. For the
//! comparison with other stores see `bench/` (`cargo xtask bench-compare`);
//! these are for watching one change's effect (`cargo bench -p mini-kvstore`).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mini_kvstore::{KvStore, Options, SyncPolicy, WriteBatch};

const KEYS: u64 = 100_000;

fn key(i: u64) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

fn options() -> Options {
    Options::default().sync_policy(SyncPolicy::Never)
}

fn filled(dir: &std::path::Path) -> KvStore {
    let store = KvStore::open_with_options(dir, options()).expect("open");
    let mut batch = WriteBatch::new();
    for i in 0..KEYS {
        batch.set(key(i), [7u8; 100]);
        if batch.len() == 1000 {
            store.apply(std::mem::take(&mut batch)).expect("fill");
        }
    }
    store.sync().expect("sync");
    store
}

fn writes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = KvStore::open_with_options(dir.path(), options()).expect("open");
    let mut group = c.benchmark_group("write");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("set 100 B, no fsync", |b| {
        b.iter(|| {
            i += 1;
            store.set(key(i % KEYS), [1u8; 100]).expect("set");
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("batch of 1,000 sets", |b| {
        b.iter_batched(
            || {
                let mut batch = WriteBatch::new();
                for j in 0..1000 {
                    batch.set(key(j), [2u8; 100]);
                }
                batch
            },
            |batch| store.apply(batch).expect("apply"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("get, hit", |b| {
        b.iter(|| {
            i = i
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            black_box(store.get(key(i % KEYS)).expect("get"));
        })
    });
    group.bench_function("get, miss", |b| {
        b.iter(|| {
            i += 1;
            black_box(store.get(format!("x{i:015}")).expect("get"));
        })
    });
    group.finish();
}

fn reopen_and_compact(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let mut group = c.benchmark_group("maintenance");
    group.sample_size(10);
    group.bench_function("reopen, 100,000 keys", |b| {
        b.iter(|| {
            black_box(
                KvStore::open_with_options(dir.path(), options())
                    .expect("open")
                    .len(),
            )
        })
    });
    group.bench_function("compact, 100,000 live keys", |b| {
        let store = KvStore::open_with_options(dir.path(), options()).expect("open");
        b.iter(|| black_box(store.compact().expect("compact")))
    });
    group.finish();
}

criterion_group!(benches, writes, reads, reopen_and_compact);
criterion_main!(benches);
