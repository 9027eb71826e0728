//! `cargo bench [-- FILTER]`: wall time, throughput and peak memory of the
//! bundled scenarios and an engine-only synthetic load.
//!
//! Each run happens in a fresh child process (this binary re-run with
//! `--child FILE`), so the peak resident memory it reports (VmHWM) is that
//! run's alone. Prints one row per scenario: median wall time of the engine
//! run (writing results excluded), events/s, ns per event, deliveries/s,
//! ns per delivery, MESSAGE records sent, peak memory. Speed is measured here, never in tests. When two or more
//! `scale-*` scenarios ran (`cargo bench -- scale`: 1k, 2k, 5k and 10k nodes
//! at the same per-node load), it also prints the fitted growth exponents of
//! wall time and peak memory against deliveries. Last, it runs the bundled
//! online-fraction sweep (105 small runs) on one thread and on every core
//! and prints the speed-up (`cargo bench -- sweep` for that alone).
//! public-chat and scale-1k run twice: under their own strategy and under
//! sds (`cargo bench -- sds` for the sds rows alone, `cargo bench --
//! scale-1k` for both scale-1k rows side by side).
//! `cargo bench -- reconcile` times one set reconciliation of 100,000 vs
//! 100,000 ids differing by 1% (1,000 ids on each side the other lacks)
//! with negentropy v1 (no frame limit, 1 MiB, 4,096 bytes) and with Waku
//! store sync: rounds, bytes, median wall time.

use meshsync::engine::run_with;
use meshsync::experiments::progress::Unwatched;
use meshsync::experiments::sweep::Sweep;
use meshsync::scenario::Scenario;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The same allocator as the `meshsync` binary, so figures match its runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Scenario files, the strategy to run them under (`None`: the file's
/// own) and how many runs to take the median of. public-chat and scale-1k
/// also run under sds, right after their own strategy, so the two rows of
/// one bench run can be compared per delivery.
const CASES: [(&str, Option<&str>, usize); 12] = [
    ("scenarios/quickstart.json", None, 11),
    ("scenarios/mobile-churn.json", None, 11),
    ("scenarios/mailserver-on.json", None, 5),
    ("scenarios/helsinki.json", None, 5),
    ("benches/synthetic-churn.json", None, 3),
    ("scenarios/public-chat.json", None, 3),
    ("scenarios/public-chat.json", Some("sds"), 3),
    ("scenarios/scale-1k.json", None, 3),
    ("scenarios/scale-1k.json", Some("sds"), 3),
    ("scenarios/scale-2k.json", None, 1),
    ("scenarios/scale-5k.json", None, 1),
    ("scenarios/scale-10k.json", None, 1),
];

/// One bench row: scenario name, median wall, deliveries, peak KiB.
struct Row {
    name: String,
    wall: f64,
    deliveries: u64,
    peak_kb: u64,
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// One run in this process, under `strategy` (default: the file's):
/// prints `wall_s events deliveries message_records peak_kb`.
fn child(file: &str, strategy: Option<&str>) {
    let s = Scenario::load(Path::new(file)).expect("bundled scenario is valid");
    let strategy = strategy.unwrap_or(&s.strategy);
    let t = Instant::now();
    let r = run_with(&s, strategy, s.seed).unwrap();
    let wall = t.elapsed().as_secs_f64();
    println!(
        "{wall} {} {} {} {}",
        r.summary.events,
        r.summary.deliveries,
        r.summary.records_sent["message"],
        peak_rss_kb()
    );
}

/// What one child run reported.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    events: u64,
    deliveries: u64,
    records: u64,
    peak_kb: u64,
}

/// Runs `file` once in a fresh child process.
fn sample(file: &str, strategy: Option<&str>) -> Sample {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = Command::new(&exe);
    cmd.args(["--child", file]);
    if let Some(st) = strategy {
        cmd.args(["--strategy", st]);
    }
    let out = cmd.output().expect("child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(
        f.len(),
        5,
        "child output: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Sample {
        wall: f[0],
        events: f[1] as u64,
        deliveries: f[2] as u64,
        records: f[3] as u64,
        peak_kb: f[4] as u64,
    }
}

fn bench(file: &str, strategy: Option<&str>, runs: usize) -> Row {
    let mut samples: Vec<Sample> = (0..runs).map(|_| sample(file, strategy)).collect();
    samples.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    let Sample {
        wall,
        events,
        deliveries,
        records,
        ..
    } = samples[samples.len() / 2];
    let peak = samples.iter().map(|r| r.peak_kb).max().unwrap_or(0);
    let stem = Path::new(file).file_stem().unwrap().to_string_lossy();
    let name = match strategy {
        Some(st) => format!("{stem} ({st})"),
        None => stem.into_owned(),
    };
    let per_delivery = |x: f64| {
        if deliveries > 0 {
            format!("{:.0}", x / deliveries as f64)
        } else {
            "-".into()
        }
    };
    println!(
        "| {name} | {runs} | {wall:.4} | {events} | {:.2} M | {:.0} | {deliveries} | {:.0} | {} | {records} | {:.0} |",
        events as f64 / wall / 1e6,
        wall * 1e9 / events.max(1) as f64,
        deliveries as f64 / wall,
        per_delivery(wall * 1e9),
        peak as f64 / 1024.0
    );
    Row {
        name,
        wall,
        deliveries,
        peak_kb: peak,
    }
}

/// Least-squares slope of ln(y) against ln(x).
fn exponent(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Prints the growth exponents of the `scale-*` rows, if two or more ran.
fn growth(rows: &[Row]) {
    let scale: Vec<&Row> = rows
        .iter()
        .filter(|r| r.name.starts_with("scale-") && !r.name.contains(' '))
        .collect();
    if scale.len() < 2 {
        return;
    }
    let time: Vec<(f64, f64)> = scale
        .iter()
        .map(|r| (r.deliveries as f64, r.wall))
        .collect();
    let mem: Vec<(f64, f64)> = scale
        .iter()
        .map(|r| (r.deliveries as f64, r.peak_kb as f64))
        .collect();
    println!(
        "\ngrowth over {} (fitted on deliveries): wall time ~ deliveries^{:.2}, peak memory ~ deliveries^{:.2}",
        scale.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", "),
        exponent(&time),
        exponent(&mem)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let strategy = args
            .iter()
            .position(|a| a == "--strategy")
            .map(|j| args[j + 1].as_str());
        return child(&args[i + 1], strategy);
    }
    // `cargo bench -- <filter>` passes the filter; `--bench` is cargo's own
    // flag. A filter keeps the cases whose file or strategy contains it.
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    println!("| scenario | runs | median wall (s) | events | events/s | ns/event | deliveries | deliveries/s | ns/delivery | message records | peak MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (file, strategy, runs) in CASES {
        let hit = |f: &&String| {
            file.contains(f.as_str()) || strategy.is_some_and(|st| st.contains(f.as_str()))
        };
        if filter.is_empty() || filter.iter().any(hit) {
            rows.push(bench(file, strategy, runs));
        }
    }
    growth(&rows);
    if filter.is_empty() || filter.iter().any(|f| SWEEP.contains(f.as_str())) {
        sweep_speedup(SWEEP, 3);
    }
    if filter.is_empty() || filter.iter().any(|f| "reconcile".contains(f.as_str())) {
        reconcile_100k(5);
    }
}

/// One id of the reconciliation bench: ns timestamp, hash, message index.
type BenchId = (u64, [u8; 32], u32);

/// Ids of the reconciliation bench: `(ns timestamp, hash, index)`, 100,000
/// per side over one hour, 1,000 on each side that the other lacks.
fn bench_ids() -> (Vec<BenchId>, Vec<BenchId>) {
    use sha2::{Digest, Sha256};
    const T0: u64 = 1_700_000_000_000_000_000;
    let total = 101_000u64;
    let step = 3_600_000_000_000 / total;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..total {
        let id = (
            T0 + i * step,
            Sha256::digest(i.to_le_bytes()).into(),
            i as u32,
        );
        match i % 101 {
            0 => a.push(id),
            1 => b.push(id),
            _ => {
                a.push(id);
                b.push(id);
            }
        }
    }
    (a, b)
}

/// Median wall seconds of `runs` calls of `f`, and its last result.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        walls.push(t.elapsed().as_secs_f64());
    }
    walls.sort_by(f64::total_cmp);
    (walls[walls.len() / 2], last.expect("runs > 0"))
}

fn reconcile_100k(runs: usize) {
    use meshsync::node::negentropy::wire::{reconcile_in_memory, sealed};
    use meshsync::node::waku_sync::recon::{run_session, Cache, Entry};
    use meshsync::node::waku_sync::wire::SyncId;
    let (a, b) = bench_ids();
    println!();
    println!(
        "| reconciliation, 100k vs 100k, 1% differing | round trips | bytes | median wall (ms) |"
    );
    println!("|---|---|---|---|");
    let pairs = |v: &[BenchId]| v.iter().map(|&(t, h, _)| (t, h)).collect::<Vec<_>>();
    let (sa, sb) = (
        sealed(&pairs(&a)).expect("ids"),
        sealed(&pairs(&b)).expect("ids"),
    );
    for limit in [0u64, 1_048_576, 4096] {
        let (wall, r) = timed(runs, || {
            reconcile_in_memory(&sa, &sb, limit).expect("reconciles")
        });
        assert_eq!((r.have.len(), r.need.len()), (1000, 1000));
        println!(
            "| negentropy v1, frame limit {limit} | {} | {} | {:.1} |",
            r.client_frames,
            r.bytes,
            wall * 1e3
        );
    }
    let cache = |v: &[BenchId]| {
        let mut c = Cache::new(8, 100);
        for &(time, hash, msg) in v {
            c.insert(Entry {
                id: SyncId { time, hash },
                group: 0,
                msg,
            });
        }
        c
    };
    let (ca, cb) = (cache(&a), cache(&b));
    let (from, to) = (a[0].0, b[b.len() - 1].0);
    let (wall, s) = timed(runs, || run_session(&ca, &cb, from, to, &[0]));
    assert_eq!(
        (s.initiator_sends.len(), s.responder_sends.len()),
        (1000, 1000)
    );
    println!(
        "| waku store sync (8 parts, item sets <= 100) | {} | {} | {:.1} |",
        s.payloads.div_ceil(2),
        s.bytes,
        wall * 1e3
    );
}

/// The sweep of small runs whose speed-up on every core is measured.
const SWEEP: &str = "scenarios/sweeps/online-fraction.json";

/// Runs the sweep `file` into a fresh folder on `threads` threads: wall
/// seconds and the folder's `points.csv`.
fn sweep_once(file: &str, threads: usize) -> (f64, String) {
    let sweep = Sweep::load(Path::new(file)).expect("bundled sweep is valid");
    let dir = tempfile::tempdir().expect("temporary folder");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let record = meshsync::output::Provenance::new(&["sweep", file]);
    let t = Instant::now();
    pool.install(|| sweep.run(dir.path(), None, &record, &Unwatched))
        .expect("sweep runs");
    let wall = t.elapsed().as_secs_f64();
    let points = std::fs::read_to_string(dir.path().join("points.csv")).expect("points.csv");
    (wall, points)
}

/// Median wall time of `runs` sweeps on one thread and on every core, the
/// speed-up, and a check that both wrote the same figures.
fn sweep_speedup(file: &str, runs: usize) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let median = |threads: usize| {
        let mut out: Vec<(f64, String)> = (0..runs).map(|_| sweep_once(file, threads)).collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.swap_remove(out.len() / 2)
    };
    let (one, points_one) = median(1);
    let (all, points_all) = median(cores);
    assert_eq!(
        points_one, points_all,
        "thread count changed the sweep's figures"
    );
    let jobs = Sweep::load(Path::new(file)).map_or(0, |s| s.manifest.runs);
    println!(
        "\nsweep {file} ({jobs} runs, median of {runs}): 1 thread {one:.2} s, {cores} threads {all:.2} s, speed-up {:.2}x, identical points.csv",
        one / all
    );
}
