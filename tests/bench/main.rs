//! The performance benchmark: builds a store of 100,000 actions over 500 clients across
//! three years and 20,000 follow-ups (and one more client with 200 actions at every
//! size) through `extramile import`, then prints, for each
//! everyday command, the median whole-process wall time and the peak memory.
//!
//! Run: `cargo bench --locked --bench commands` (options after `--`: `--actions N`,
//! `--follow-ups N`, `--clients N`, `--runs N`), or at a million actions with
//! `--million` (or `EXTRAMILE_BENCH_SCALE=1m`): the same store ten times longer, its
//! last 60 days as busy as at 100,000, and fewer runs of the commands that read
//! everything.

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
    /// How many times longer than three years the history is.
    scale: usize,
}

fn options() -> Options {
    let mut o = Options {
        actions: 100_000,
        follow_ups: 20_000,
        clients: 500,
        runs: 15,
        scale: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let million = args.iter().any(|a| a == "--million")
        || std::env::var("EXTRAMILE_BENCH_SCALE").is_ok_and(|s| s.eq_ignore_ascii_case("1m"));
    if million {
        (o.actions, o.follow_ups, o.scale) = (1_000_000, 200_000, 10);
    }
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
/// The client with `SMALL_ACTIONS` actions at every size.
const SMALL: &str = "Small Co";
const SMALL_ACTIONS: usize = 200;
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
    // One more client with 200 actions over the whole history at every size: what a
    // client's reads cost should follow its own records, not the store's.
    // Drawn apart, so the rest of the store is as it was without it.
    let mut small = Lcg(seed ^ 0x5e11);
    writeln!(out, "client,{SMALL},,,,,,,,B,").unwrap();
    rows += 1;
    for _ in 0..SMALL_ACTIONS {
        let at = day(small.below(3 * 365 * o.scale as u64) as i64);
        let text = sentence(&mut small);
        writeln!(out, "action,{SMALL},idea,{text},{at} 10:00,,,,,,").unwrap();
        rows += 1;
    }
    for _ in 0..o.actions {
        let client = random.below(o.clients as u64);
        let at = day(random.below(3 * 365 * o.scale as u64) as i64);
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
        // As many open ones at every length of history: 15% of three years' worth.
        let roll = random.below(100 * o.scale as u64);
        let (due, status, done) = if roll >= 15 {
            let due = day(7 + random.below(3 * 365 * o.scale as u64 - 7) as i64);
            let done = due + chrono::Duration::days(random.below(5) as i64 - 2);
            (due, "done", format!("{done} 17:00"))
        } else if roll < 10 {
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

/// Runs the binary once and measures its wall time and peak resident memory, after any
/// snapshot rebuild started in the background by an earlier command has finished (it
/// holds the index lock while it works), so runs do not overlap it.
fn run(store: &Path, args: &[String]) -> Run {
    if let Ok(lock) = std::fs::File::open(beside(store, ".indexing")) {
        lock.lock().unwrap();
    }
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

/// One measured run: commands run first, unmeasured (`["rm-snapshot"]` removes the
/// snapshot), then the command measured.
#[derive(serde::Serialize, serde::Deserialize, Clone, Default)]
struct Step {
    before: Vec<Vec<String>>,
    args: Vec<String>,
    /// A run on the copy of the store with a fresh snapshot, measured apart from the
    /// others (see `measure_against_fresh`).
    #[serde(default)]
    fresh: bool,
}

fn step(args: &[&str]) -> Step {
    Step {
        args: strings(args),
        ..Step::default()
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Median wall time and largest peak memory of `steps` (after one unmeasured warm-up
/// run of the first when `warm`), measured from a fresh small process: a child's peak
/// memory counts its spawner's memory.
fn measure(store: &Path, steps: &[Step], warm: bool) -> (Duration, u64) {
    let (time, peak, _) = measure_all(store, store, steps, warm);
    (time, peak)
}

/// `measure` of `steps`, each run right after the same command on `fresh`, a copy of the
/// store whose snapshot was rebuilt and which is never written to, so both see the
/// machine as it is at that moment: the medians of `steps` and of those fresh runs,
/// and the largest peak memory of `steps`.
fn measure_against_fresh(store: &Path, fresh: &Path, steps: &[Step]) -> (Duration, u64, Duration) {
    let paired: Vec<Step> = steps
        .iter()
        .flat_map(|step| {
            let fresh = Step {
                before: Vec::new(),
                args: step.args.clone(),
                fresh: true,
            };
            [fresh, step.clone()]
        })
        .collect();
    measure_all(store, fresh, &paired, false)
}

/// Median wall time and largest peak memory of the steps that are not `fresh`, and the
/// median wall time of those that are, run on `fresh_store` (zero when none are).
fn measure_all(
    store: &Path,
    fresh_store: &Path,
    steps: &[Step],
    warm: bool,
) -> (Duration, u64, Duration) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(store)
        .arg(if warm { "warm" } else { "cold" })
        .arg(serde_json::to_string(steps).unwrap())
        .arg(fresh_store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let figures: Vec<u64> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let [nanos, peak, fresh_nanos] = figures[..] else {
        panic!("the measuring process printed {text:?}");
    };
    (
        Duration::from_nanos(nanos),
        peak,
        Duration::from_nanos(fresh_nanos),
    )
}

/// `--measure STORE warm|cold STEPS FRESH-STORE`: the measuring process; prints
/// "median-ns peak-kb fresh-median-ns".
fn measure_here(args: &[String]) {
    let store = Path::new(&args[0]);
    let steps: Vec<Step> = serde_json::from_str(&args[2]).unwrap();
    let fresh_store = Path::new(&args[3]);
    if args[1] == "warm" {
        run(store, &steps[0].args);
    }
    let mut results = Vec::new();
    for step in &steps {
        for before in &step.before {
            if before == &["rm-snapshot"] {
                let _ = std::fs::remove_file(beside(store, ".snapshot"));
            } else {
                run(store, before);
            }
        }
        let on = if step.fresh { fresh_store } else { store };
        results.push((step.fresh, run(on, &step.args)));
    }
    let (fresh, results): (Vec<_>, Vec<_>) = results.into_iter().partition(|(f, _)| *f);
    let median_of = |runs: Vec<(bool, Run)>| {
        (!runs.is_empty()).then(|| median(runs.iter().map(|(_, r)| r.wall).collect()))
    };
    let peak = results.iter().map(|(_, r)| r.peak_kb).max().unwrap_or(0);
    println!(
        "{} {peak} {}",
        median_of(results).unwrap().as_nanos(),
        median_of(fresh).unwrap_or_default().as_nanos()
    );
}

fn beside(store: &Path, suffix: &str) -> PathBuf {
    let mut path = store.as_os_str().to_os_string();
    path.push(suffix);
    PathBuf::from(path)
}

/// Runs the binary for its JSON output.
fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_extramile"))
        .args(["--format", "json"])
        .args(args)
        .env("EXTRAMILE_STORE", store)
        .env("EXTRAMILE_NOW", NOW)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success(), "extramile {args:?} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Timewarrior's summary of the week of `NOW`, over the same actions as intervals of
/// half an hour (tagged with their client and kind), when `timew` is on the PATH: the
/// peer the issue names, on this machine in this run.
fn timewarrior(csv: &Path, runs: usize) {
    if Command::new("timew").arg("--version").output().is_err() {
        println!("{:<34} {:>10}", "timew summary (peer)", "no timew");
        return;
    }
    let db = tempfile::tempdir().unwrap();
    std::fs::create_dir(db.path().join("data")).unwrap();
    std::fs::write(db.path().join("timewarrior.cfg"), "").unwrap();
    let mut months: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in std::fs::read_to_string(csv).unwrap().lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[0] != "action" {
            continue;
        }
        let at = chrono::NaiveDateTime::parse_from_str(fields[4], "%Y-%m-%d %H:%M").unwrap();
        let end = at + chrono::Duration::minutes(30);
        let stamp = |t: chrono::NaiveDateTime| t.format("%Y%m%dT%H%M%SZ").to_string();
        months
            .entry(at.format("%Y-%m").to_string())
            .or_default()
            .push(format!(
                "inc {} - {} # \"{}\" {}",
                stamp(at),
                stamp(end),
                fields[1],
                fields[2]
            ));
    }
    for (month, mut lines) in months {
        lines.sort();
        let file = db.path().join("data").join(format!("{month}.data"));
        std::fs::write(file, lines.join("\n") + "\n").unwrap();
    }
    let summary = || {
        let mut cmd = Command::new("timew");
        cmd.args(["summary", "2026-11-16", "-", "2026-11-23"])
            .env("TIMEWARRIORDB", db.path())
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let start = Instant::now();
        let (ok, peak) = wait(cmd.spawn().unwrap());
        assert!(ok, "timew summary failed");
        (start.elapsed(), peak)
    };
    // The first run builds Timewarrior's tags database.
    summary();
    let results: Vec<(Duration, u64)> = (0..runs).map(|_| summary()).collect();
    let peak = results.iter().map(|r| r.1).max().unwrap_or(0);
    row(
        "timew summary, the week (peer)",
        (median(results.iter().map(|r| r.0).collect()), peak),
    );
}

fn row(name: &str, (time, peak): (Duration, u64)) {
    println!("{name:<34} {:>10} {:>7} MB", ms(time), peak / 1024);
}

/// A copy of the store's journal (and nothing beside it) at `to`.
fn copy_journal(store: &Path, to: &Path) {
    std::fs::copy(store, to).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--measure") {
        return measure_here(&args[1..]);
    }
    let o = options();
    let runs = o.runs;
    // The commands that read everything run fewer times at a million.
    let bulk_runs = if o.scale > 1 { 3 } else { 5 };
    let dir = tempfile::tempdir().unwrap();
    let store: PathBuf = dir.path().join("journal.jsonl");
    let csv = dir.path().join("import.csv");
    let rows = generate(&csv, &o, 7);
    println!(
        "extramile benchmark: {} actions, {} follow-ups, {} clients ({rows} rows), median of {runs} runs ({bulk_runs} for whole-store commands)\n",
        o.actions, o.follow_ups, o.clients
    );
    println!("{:<34} {:>10} {:>10}", "what", "time", "peak mem");
    let csv_arg = csv.to_str().unwrap();
    row(
        "import",
        measure(&store, &[step(&["import", csv_arg])], false),
    );
    let size = std::fs::metadata(&store).unwrap().len();
    let floor = median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(std::fs::read(&store).unwrap());
                start.elapsed()
            })
            .collect(),
    );
    println!(
        "{:<34} {:>10}   ({:.1} MB store)",
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
            runs,
            scale: 1,
        },
        7,
    );
    run(
        &small_store,
        &strings(&["import", small_csv.to_str().unwrap()]),
    );
    let repeat = |args: &[&str], n: usize| vec![step(args); n];
    row(
        "log at 1,000 actions",
        measure(
            &small_store,
            &repeat(&["log", "Client 042", "benchmark", "note"], runs),
            true,
        ),
    );

    // Reads, on a store whose snapshot is fresh.
    let reads: [(&str, &[&str]); 17] = [
        ("overdue", &["overdue"]),
        ("remind", &["remind"]),
        ("remind --count", &["remind", "--count"]),
        ("upcoming", &["upcoming"]),
        ("(today's view)", &[]),
        ("report week", &["report", "week"]),
        ("report week --last", &["report", "week", "--last"]),
        (
            "report week --week, 16 months back",
            &["report", "week", "--week", "2025-W30"],
        ),
        ("report month", &["report", "month"]),
        ("clients", &["clients"]),
        ("actions --client C", &["actions", "--client", "Client 042"]),
        ("client NAME", &["client", "Client 042"]),
        ("report client NAME", &["report", "client", "Client 042"]),
        (
            "actions --client (200 rows)",
            &["actions", "--client", SMALL],
        ),
        ("client NAME (200 actions)", &["client", SMALL]),
        ("report client (200 actions)", &["report", "client", SMALL]),
        ("log", &["log", "Client 042", "benchmark", "note"]),
    ];
    for (name, args) in reads {
        row(name, measure(&store, &repeat(args, runs), true));
    }
    // What starting any process costs here, and the peer to beat, in the same run.
    row(
        "--version (start-up floor)",
        measure(&store, &repeat(&["--version"], runs), true),
    );
    timewarrior(&csv, runs);
    row(
        "fu",
        measure(
            &store,
            &repeat(&["fu", "Client 042", "send the deck", "--due", "+3d"], runs),
            true,
        ),
    );

    // Everyday writes to records made long ago: each run its own record.
    let old_open: Vec<u64> = json(&store, &["overdue"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    let actions: Vec<u64> = json(&store, &["actions", "--client", "Client 007"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    let mut open = old_open.iter().map(u64::to_string);
    let mut old_actions = actions.iter().map(u64::to_string);
    let each = |make: &mut dyn FnMut(usize) -> Vec<String>| -> Vec<Step> {
        (0..runs)
            .map(|i| Step {
                before: Vec::new(),
                args: make(i),
                fresh: false,
            })
            .collect()
    };
    let done = each(&mut |_| vec!["done".into(), open.next().unwrap()]);
    let cancel = each(&mut |_| vec!["cancel".into(), open.next().unwrap()]);
    let snooze_id = open.next().unwrap();
    let snooze = each(&mut |_| vec!["snooze".into(), snooze_id.clone(), "+1d".into()]);
    let edit_id = old_actions.next().unwrap();
    let edit =
        each(&mut |i| strings(&["edit", &edit_id, "--text", &format!("benchmark edit {i}")]));
    let delete = each(&mut |_| vec!["delete".into(), old_actions.next().unwrap()]);
    let tier = each(&mut |i| strings(&["client", "Client 042", "--tier", ["A", "B"][i % 2]]));
    for (name, steps) in [
        ("done (an old follow-up)", done),
        ("snooze (an old follow-up)", snooze),
        ("cancel (an old follow-up)", cancel),
        ("edit (an old action)", edit),
        ("delete (an old action)", delete),
        ("client --tier", tier),
    ] {
        row(name, measure(&store, &steps, false));
    }
    row("undo", measure(&store, &repeat(&["undo"], runs), false));
    // An undo of a change the snapshot was rebuilt after.
    let undo_held: Vec<Step> = (0..runs)
        .map(|i| Step {
            before: vec![
                strings(&["edit", &edit_id, "--text", &format!("benchmark edit {i}")]),
                strings(&["index"]),
            ],
            args: strings(&["undo"]),
            fresh: false,
        })
        .collect();
    row(
        "undo (a change the snapshot holds)",
        measure(&store, &undo_held, false),
    );

    // What a read costs right after each kind of write, against the same read on a copy
    // of the store whose snapshot is fresh, the two run by turns.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh_store = fresh_dir.path().join("journal.jsonl");
    copy_journal(&store, &fresh_store);
    run(&fresh_store, &strings(&["index"]));
    let after = |write: &[&str], read: &[&str]| -> Vec<Step> {
        (0..runs)
            .map(|_| Step {
                before: vec![strings(write)],
                args: strings(read),
                fresh: false,
            })
            .collect()
    };
    let edit_again = ["edit", &edit_id, "--text", "benchmark edit again"];
    let read_after: [(&str, &[&str], &[&str]); 5] = [
        ("overdue right after an undo", &["undo"], &["overdue"]),
        ("overdue right after an edit", &edit_again, &["overdue"]),
        (
            "report week right after an undo",
            &["undo"],
            &["report", "week"],
        ),
        (
            "report week right after an edit",
            &edit_again,
            &["report", "week"],
        ),
        (
            "report week right after a log",
            &["log", "Client 042", "benchmark", "note"],
            &["report", "week"],
        ),
    ];
    let delete_then_clients: Vec<Step> = (0..runs)
        .map(|_| Step {
            before: vec![vec!["delete".into(), old_actions.next().unwrap()]],
            args: strings(&["clients"]),
            fresh: false,
        })
        .collect();
    let read_after = read_after
        .into_iter()
        .map(|(name, write, read)| (name, after(write, read)))
        .chain([("clients right after a delete", delete_then_clients)]);
    for (name, steps) in read_after {
        let (time, peak, fresh) = measure_against_fresh(&store, &fresh_store, &steps);
        println!(
            "{name:<34} {:>10} {:>7} MB   ({:.2}x fresh: {})",
            ms(time),
            peak / 1024,
            time.as_secs_f64() / fresh.as_secs_f64(),
            ms(fresh)
        );
    }

    // A missing snapshot: the first command after a restore or a big pull rebuilds it.
    let cold = (0..bulk_runs)
        .map(|_| Step {
            before: vec![vec!["rm-snapshot".into()]],
            args: strings(&["overdue"]),
            fresh: false,
        })
        .collect::<Vec<_>>();
    row("overdue, no snapshot (cold)", measure(&store, &cold, false));

    // The commands that go through everything.
    let export = dir.path().join("export.json");
    let export_arg = export.to_str().unwrap();
    for (name, args) in [
        ("actions (all)", &["actions"][..]),
        (
            "export json",
            &["export", "--format", "json", "--output", export_arg],
        ),
        (
            "export csv --to hubspot",
            &[
                "export", "--format", "csv", "--to", "hubspot", "--output", export_arg,
            ],
        ),
        (
            "export ics",
            &["export", "--format", "ics", "--output", export_arg],
        ),
        ("check", &["check"]),
    ] {
        row(name, measure(&store, &repeat(args, bulk_runs), true));
    }
    // merge: another copy of the store with a few changes of its own.
    let other_dir = tempfile::tempdir().unwrap();
    let other = other_dir.path().join("journal.jsonl");
    copy_journal(&store, &other);
    for i in 0..3 {
        run(
            &other,
            &strings(&["log", "Client 042", &format!("from the laptop {i}")]),
        );
    }
    let other_arg = other.to_str().unwrap();
    row(
        "merge (another copy, 3 new)",
        measure(&store, &repeat(&["merge", other_arg], 1), false),
    );
    let compact_dir = tempfile::tempdir().unwrap();
    let compacted = compact_dir.path().join("journal.jsonl");
    copy_journal(&store, &compacted);
    row(
        "compact",
        measure(&compacted, &repeat(&["compact"], 1), false),
    );

    // A sales leader's digest over ten reps' journals (at 100,000 only).
    if o.scale == 1 {
        let team_dir = tempfile::tempdir().unwrap();
        let mut args = strings(&["report", "week", "--team"]);
        for rep in 0..10 {
            let path = team_dir.path().join(format!("rep{rep}.jsonl"));
            copy_journal(&store, &path);
            args.push(path.to_str().unwrap().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        row(
            "report week --team (10 x 100k)",
            measure(&store, &repeat(&args, bulk_runs), true),
        );
    }
}
