//! Hit ratio of `#[memotrace::cached]` against moka, the `cached` crate's LRU and
//! Belady's offline optimum, on generated workloads or a recorded trace.
//!
//! ```text
//! cargo run --release -p memotrace-benches --bin hit_ratio -- [--requests N] [--seed S]
//!     [--out DIR] [--font FILE] [--no-plots]
//! cargo run --release -p memotrace-benches --bin hit_ratio -- --trace S3.lis --format lis
//!     [--capacities 100000,400000,800000]
//! ```
//! Generated workloads: Zipf α = 0.6, 0.8, 1.0, 1.2 over 1 M keys; Zipf 0.9 with a scan
//! of 2× the capacity every 100 k requests; a loop over 1.2× the capacity. Capacities:
//! 0.1 %, 1 % and 10 % of the distinct keys. Prints a Markdown table and writes one PNG
//! per workload to `--out` (default `docs/hit_ratio`).

use memotrace_benches::hit_ratio::contenders::{Contender, MACRO_CAPACITIES};
use memotrace_benches::hit_ratio::plot::{self, Line};
use memotrace_benches::hit_ratio::{trace_file, workload};
use memotrace_benches::machine::Machine;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

const DISTINCT: u64 = 1_000_000;
const CAPACITIES: [u64; 3] = [DISTINCT / 1_000, DISTINCT / 100, DISTINCT / 10];

struct Options {
    requests: usize,
    seed: u64,
    out: PathBuf,
    font: PathBuf,
    plots: bool,
    trace: Option<(PathBuf, trace_file::Format)>,
    capacities: Option<Vec<u64>>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        requests: 10_000_000,
        seed: 42,
        out: PathBuf::from("docs/hit_ratio"),
        font: PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        plots: true,
        trace: None,
        capacities: None,
    };
    let mut format = trace_file::Format::Lines;
    let mut trace = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--no-plots" {
            o.plots = false;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match flag.as_str() {
            "--requests" => o.requests = number(&value)? as usize,
            "--seed" => o.seed = number(&value)?,
            "--out" => o.out = value.into(),
            "--font" => o.font = value.into(),
            "--trace" => trace = Some(PathBuf::from(value)),
            "--format" => {
                format = trace_file::Format::parse(&value).ok_or("--format is lis or lines")?
            }
            "--capacities" => {
                o.capacities = Some(value.split(',').map(number).collect::<Result<_, _>>()?)
            }
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown flag {other}")),
        }
    }
    o.trace = trace.map(|t| (t, format));
    Ok(o)
}

/// One request stream and the capacities it is replayed at; `stream` builds the trace
/// for a capacity (scans and loops are sized by it).
struct Workload {
    name: String,
    distinct: u64,
    capacities: Vec<u64>,
    stream: Box<dyn Fn(u64) -> Vec<u64>>,
    per_capacity: bool,
}

fn generated(o: &Options) -> Vec<Workload> {
    let (n, seed) = (o.requests, o.seed);
    let mut out: Vec<Workload> = [0.6, 0.8, 1.0, 1.2]
        .into_iter()
        .map(|alpha| Workload {
            name: format!("zipf-{alpha:.1}"),
            distinct: DISTINCT,
            capacities: CAPACITIES.to_vec(),
            stream: Box::new(move |_| workload::zipf(alpha, DISTINCT, n, seed)),
            per_capacity: false,
        })
        .collect();
    out.push(Workload {
        name: "scan-mix".into(),
        distinct: DISTINCT,
        capacities: CAPACITIES.to_vec(),
        stream: Box::new(move |cap| workload::scan_mix(DISTINCT, cap, n, seed)),
        per_capacity: true,
    });
    out.push(Workload {
        name: "loop".into(),
        distinct: DISTINCT,
        capacities: CAPACITIES.to_vec(),
        stream: Box::new(move |cap| workload::looping(cap, n)),
        per_capacity: true,
    });
    out
}

fn recorded(o: &Options, path: &PathBuf, format: trace_file::Format) -> Result<Workload, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let keys = trace_file::read(std::io::BufReader::new(file), format, o.requests)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let distinct = keys.iter().collect::<HashSet<_>>().len() as u64;
    println!(
        "# {}: {} requests, {distinct} distinct keys",
        path.display(),
        keys.len()
    );
    let capacities = o
        .capacities
        .clone()
        .unwrap_or_else(|| [1_000, 100, 10].map(|d| (distinct / d).max(1)).to_vec());
    let name = path
        .file_stem()
        .map_or("trace".into(), |s| s.to_string_lossy().into_owned());
    Ok(Workload {
        name,
        distinct,
        capacities,
        stream: Box::new(move |_| keys.clone()),
        per_capacity: false,
    })
}

fn percent(hits: u64, of: usize) -> f64 {
    100.0 * hits as f64 / of as f64
}

fn main() {
    let o = options().unwrap_or_else(|e| {
        eprintln!("hit_ratio: {e}");
        std::process::exit(2)
    });
    let workloads = match &o.trace {
        Some((path, format)) => vec![recorded(&o, path, *format).unwrap_or_else(|e| {
            eprintln!("hit_ratio: {e}");
            std::process::exit(1)
        })],
        None => generated(&o),
    };
    if o.plots {
        if let Err(e) = plot::use_font(&o.font).and_then(|()| Ok(std::fs::create_dir_all(&o.out)?))
        {
            eprintln!("hit_ratio: no plots ({e}); --font FILE names a .ttf");
            std::process::exit(1)
        }
    }
    println!(
        "# hit ratio, {} requests per workload, seed {}",
        o.requests, o.seed
    );
    println!("# start: {}", Machine::now());
    println!("# `#[cached]` capacities compiled in: {MACRO_CAPACITIES:?} (others print -)");
    print!("\n| workload | capacity |");
    Contender::ALL
        .iter()
        .for_each(|c| print!(" {} |", c.name()));
    print!("\n|---|---|");
    Contender::ALL.iter().for_each(|_| print!("---|"));
    println!();
    for w in &workloads {
        let mut lines: Vec<Line> = Contender::ALL
            .iter()
            .map(|&contender| Line {
                contender,
                points: Vec::new(),
            })
            .collect();
        let mut shared = None;
        for &cap in &w.capacities {
            let sized;
            let trace: &[u64] = if w.per_capacity {
                sized = (w.stream)(cap);
                &sized
            } else {
                shared.get_or_insert_with(|| (w.stream)(cap))
            };
            let share = (100_000.0 * cap as f64 / w.distinct as f64).round() / 1_000.0;
            print!("| {} | {cap} ({share}%) |", w.name);
            for line in &mut lines {
                let started = Instant::now();
                match line.contender.hits(trace, cap) {
                    Some(hits) => {
                        let ratio = percent(hits, trace.len());
                        print!(" {ratio:.2} % |");
                        line.points.push((share, ratio));
                    }
                    None => print!(" - |"),
                }
                eprintln!(
                    "{} cap {cap} {}: {:.1} s",
                    w.name,
                    line.contender.name(),
                    started.elapsed().as_secs_f64()
                );
            }
            println!();
        }
        if o.plots {
            let path = o.out.join(format!("{}.png", w.name));
            let title = format!(
                "{}: hit ratio vs capacity ({} requests)",
                w.name, o.requests
            );
            lines.retain(|l| !l.points.is_empty());
            if let Err(e) = plot::draw(&path, &title, &lines) {
                eprintln!("hit_ratio: {}: {e}", path.display());
            }
        }
    }
    println!("\n# end: {}", Machine::now());
}
