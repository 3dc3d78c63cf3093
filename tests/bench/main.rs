//! The performance benchmark: builds a store of 100,000 actions over 500 clients across
//! three years and 20,000 follow-ups through `extramile import`, then prints, for each
//! everyday command, the median whole-process wall time and the peak memory.
//!
//! Run: `cargo bench --locked --bench commands` (options after `--`: `--actions N`,
//! `--follow-ups N`, `--clients N`, `--runs N`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-20 10:00";

struct Options {
    actions: usize,
    follow_ups: usize,
    clients: usize,
    runs: usize,
}

fn options() -> Options {
    let mut o = Options {
        actions: 100_000,
        follow_ups: 20_000,
        clients: 500,
        runs: 15,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .expect("a number after the option")
        };
        match args[i].as_str() {
            "--actions" => o.actions = value(),
            "--follow-ups" => o.follow_ups = value(),
            "--clients" => o.clients = value(),
            "--runs" => o.runs = value(),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    o
}

/// A small deterministic generator, so every run builds the same store.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const WORDS: [&str; 24] = [
    "fixed",
    "export",
    "invoice",
    "sent",
    "article",
    "renewal",
    "intro",
    "CFO",
    "pilot",
    "feedback",
    "checked",
    "dashboard",
    "launch",
    "called",
    "about",
    "their",
    "new",
    "team",
    "coffee",
    "deck",
    "pricing",
    "contract",
    "migration",
    "plan",
];
const KINDS: [&str; 6] = ["fix", "idea", "check-in", "touch", "intro", "other"];

fn sentence(random: &mut Lcg) -> String {
    let n = 4 + random.below(8) as usize;
    (0..n)
        .map(|_| WORDS[random.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the import file: clients, actions over three years up to now, follow-ups.
fn generate(path: &Path, o: &Options, seed: u64) -> usize {
    let mut random = Lcg(seed);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let day = |offset: i64| today - chrono::Days::new(0) - chrono::Duration::days(offset);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "type,client,kind,text,at,due,status,done_at,tags,tier,cadence"
    )
    .unwrap();
    let mut rows = 0;
    for c in 0..o.clients {
        let tier = ["A", "B", "C", ""][c % 4];
        let cadence = if c % 3 == 0 { "14d" } else { "" };
        writeln!(out, "client,Client {c:03},,,,,,,,{tier},{cadence}").unwrap();
        rows += 1;
    }
    for _ in 0..o.actions {
        let client = random.below(o.clients as u64);
        let at = day(random.below(3 * 365) as i64);
        let (hour, minute) = (8 + random.below(10), random.below(60));
        let kind = KINDS[random.below(6) as usize];
        let tags = if random.below(5) == 0 { "q4" } else { "" };
        writeln!(
            out,
            "action,Client {client:03},{kind},{},{at} {hour:02}:{minute:02},,,,{tags},,",
            sentence(&mut random)
        )
        .unwrap();
        rows += 1;
    }
    for _ in 0..o.follow_ups {
        let client = random.below(o.clients as u64);
        let roll = random.below(100);
        let (due, status, done) = if roll < 85 {
            let due = day(7 + random.below(3 * 365 - 7) as i64);
            let done = due + chrono::Duration::days(random.below(5) as i64 - 2);
            (due, "done", format!("{done} 17:00"))
        } else if roll < 95 {
            (day(-(random.below(60) as i64)), "open", String::new())
        } else {
            (day(1 + random.below(30) as i64), "open", String::new())
        };
        // Promised a few days to three weeks before it was due, never after today.
        let created = (due - chrono::Duration::days(1 + random.below(21) as i64)).min(today);
        writeln!(
            out,
            "follow-up,Client {client:03},,{},{created} 09:00,{due},{status},{done},,,",
            sentence(&mut random)
        )
        .unwrap();
        rows += 1;
    }
    out.flush().unwrap();
    rows
}

struct Run {
    wall: Duration,
    peak_kb: u64,
}

/// Runs the binary once and measures its wall time and peak resident memory.
fn run(store: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_extramile"));
    cmd.args(args)
        .env("EXTRAMILE_STORE", store)
        .env("EXTRAMILE_NOW", NOW)
        .env("TZ", "UTC");
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let child = cmd.spawn().unwrap();
    let (ok, peak_kb) = wait(child);
    let wall = start.elapsed();
    assert!(ok, "extramile {args:?} failed");
    Run { wall, peak_kb }
}

#[cfg(unix)]
fn wait(child: std::process::Child) -> (bool, u64) {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let kb = if cfg!(target_os = "macos") {
        usage.ru_maxrss as u64 / 1024
    } else {
        usage.ru_maxrss as u64
    };
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        kb,
    )
}

#[cfg(not(unix))]
fn wait(mut child: std::process::Child) -> (bool, u64) {
    (child.wait().unwrap().success(), 0)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Median wall time and largest peak memory of `runs` runs (0: one cold run), measured
/// from a fresh small process: a child's peak memory counts its spawner's memory.
fn measure(store: &Path, args: &[&str], runs: usize) -> (Duration, u64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(store)
        .arg(runs.to_string())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (nanos, peak) = text.trim().split_once(' ').unwrap();
    (
        Duration::from_nanos(nanos.parse().unwrap()),
        peak.parse().unwrap(),
    )
}

/// `--measure STORE RUNS ARGS…`: the measuring process; prints "median-ns peak-kb".
/// RUNS 0 is a single run without warming up (for import).
fn measure_here(args: &[String]) {
    let (store, runs, args) = (
        Path::new(&args[0]),
        args[1].parse::<usize>().unwrap(),
        &args[2..],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Warm the page cache and the snapshot first; RUNS 0 means one cold run (import).
    if runs > 0 {
        run(store, &args);
    }
    let results: Vec<Run> = (0..runs.max(1)).map(|_| run(store, &args)).collect();
    let peak = results.iter().map(|r| r.peak_kb).max().unwrap_or(0);
    println!(
        "{} {peak}",
        median(results.iter().map(|r| r.wall).collect()).as_nanos()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--measure") {
        return measure_here(&args[1..]);
    }
    let o = options();
    let dir = tempfile::tempdir().unwrap();
    let store: PathBuf = dir.path().join("journal.jsonl");
    let csv = dir.path().join("import.csv");
    let rows = generate(&csv, &o, 7);
    println!(
        "extramile benchmark: {} actions, {} follow-ups, {} clients ({rows} rows), {} runs each, median wall time\n",
        o.actions, o.follow_ups, o.clients, o.runs
    );

    let (import_time, import_peak) = measure(&store, &["import", csv.to_str().unwrap()], 0);
    let size = std::fs::metadata(&store).unwrap().len();
    let floor = median(
        (0..o.runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(std::fs::read(&store).unwrap());
                start.elapsed()
            })
            .collect(),
    );
    println!("{:<28} {:>10} {:>10}", "what", "time", "peak mem");
    println!(
        "{:<28} {:>10} {:>7} MB",
        "import",
        ms(import_time),
        import_peak / 1024
    );
    println!(
        "{:<28} {:>10}   ({:.1} MB store)",
        "read the store once (floor)",
        ms(floor),
        size as f64 / 1e6
    );

    // `log` on a small store right before the large one, so both see the same machine.
    let small_dir = tempfile::tempdir().unwrap();
    let small_store = small_dir.path().join("journal.jsonl");
    let small_csv = small_dir.path().join("import.csv");
    generate(
        &small_csv,
        &Options {
            actions: 1_000,
            follow_ups: 200,
            clients: 50,
            runs: o.runs,
        },
        7,
    );
    run(&small_store, &["import", small_csv.to_str().unwrap()]);
    let (small_log, small_peak) = measure(
        &small_store,
        &["log", "Client 042", "benchmark", "note"],
        o.runs,
    );
    println!(
        "{:<28} {:>10} {:>7} MB",
        "log at 1,000 actions",
        ms(small_log),
        small_peak / 1024
    );

    let commands: [(&str, &[&str]); 9] = [
        ("log", &["log", "Client 042", "benchmark", "note"]),
        ("overdue", &["overdue"]),
        ("upcoming", &["upcoming"]),
        ("report week", &["report", "week"]),
        ("report week --last", &["report", "week", "--last"]),
        ("report month", &["report", "month"]),
        ("clients", &["clients"]),
        ("actions --client C", &["actions", "--client", "Client 042"]),
        ("(today's view)", &[]),
    ];
    for (name, args) in commands {
        let (time, peak) = measure(&store, args, o.runs);
        println!("{name:<28} {:>10} {:>7} MB", ms(time), peak / 1024);
    }

    // A write to an old record, and what reads cost right after one.
    let overdue = Command::new(env!("CARGO_BIN_EXE_extramile"))
        .args(["--format", "json", "overdue"])
        .env("EXTRAMILE_STORE", &store)
        .env("EXTRAMILE_NOW", NOW)
        .output()
        .unwrap();
    let overdue: serde_json::Value = serde_json::from_slice(&overdue.stdout).unwrap();
    let snooze = [
        "snooze".to_string(),
        overdue[0]["id"].to_string(),
        "+1d".to_string(),
    ];
    let snooze: Vec<&str> = snooze.iter().map(String::as_str).collect();
    let after: [(&str, &[&str]); 4] = [
        ("snooze (an old record)", &snooze),
        ("overdue after snoozes", &["overdue"]),
        ("report week after snoozes", &["report", "week"]),
        ("clients after snoozes", &["clients"]),
    ];
    for (name, args) in after {
        let (time, peak) = measure(&store, args, o.runs);
        println!("{name:<28} {:>10} {:>7} MB", ms(time), peak / 1024);
    }
}
