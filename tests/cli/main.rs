//! End-to-end tests: the real binary against a temp store, with a cleared environment
//! and a fixed clock.

mod bulk;
mod calendar;
mod crm;
mod every_action;
mod everyday;
mod follow_ups;
mod formats;
mod foundation;
mod hostile;
mod insight;
mod invariants;
mod next;
mod one_truth;
mod people;
mod readme;
mod recurring;
mod reliability;
mod remind;
mod reports;
mod shells;
mod snapshot;
mod store;
mod sync;
mod sync_sim;
mod trend;
mod widths;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Friday of ISO week 2026-W47.
pub const NOW: &str = "2026-11-20 10:00";

/// One temp store and a clock.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub now: String,
    pub tz: String,
}

impl Default for Env {
    fn default() -> Env {
        Env::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            now: NOW.to_string(),
            tz: "UTC".to_string(),
        }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store").join("journal.jsonl")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_extramile"));
        for var in [
            "NO_COLOR",
            "COLUMNS",
            "EXTRAMILE_STORE",
            "EXTRAMILE_NOW",
            "RUST_BACKTRACE",
            "CLICOLOR_FORCE",
            "COMPLETE",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("EXTRAMILE_STORE", self.store())
            // Snapshots of others' journals (the team digest) go here, not the user's.
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("EXTRAMILE_NOW", &self.now)
            .env("TZ", &self.tz)
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with the clock at `now` instead.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        cmd.env("EXTRAMILE_NOW", now);
        cmd.output().unwrap()
    }

    /// Succeeds, or fails the test with what it printed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        check_ok(args, self.run(args))
    }

    pub fn ok_at(&self, now: &str, args: &[&str]) -> String {
        check_ok(args, self.run_at(now, args))
    }

    /// Fails with `code`, one line on stderr, nothing on stdout; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        check_fails(code, args, self.run(args))
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Writes `content` to `name` in the temp folder and imports it here, which must
    /// change nothing (it came from this store); returns the file's path.
    pub fn reimport_changes_nothing(&self, name: &str, content: &str) -> PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let before = self.store_bytes();
        let same = self.ok(&["import", file.to_str().unwrap()]);
        assert!(same.contains("0 new, 0 updated"), "{name}: {same}");
        assert_eq!(self.store_bytes(), before, "{name}");
        file
    }

    pub fn store_bytes(&self) -> Vec<u8> {
        std::fs::read(self.store()).unwrap_or_default()
    }
}

pub fn check_ok(args: &[&str], out: Output) -> String {
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{args:?} failed with {:?}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    stdout
}

pub fn check_fails(code: i32, args: &[&str], out: Output) -> String {
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    stderr
}

/// A small deterministic generator, so a failure can be replayed.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Runs git in `dir` with a fixed identity and no user or system configuration;
/// whether it succeeded, and what it printed.
pub fn git_run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .args(["-c", "user.name=Rep", "-c", "user.email=rep@example.com"])
        .args(["-c", "init.defaultBranch=main", "-c", "core.editor=true"])
        .args(["-c", "pull.rebase=false", "-c", "advice.detachedHead=false"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `git_run`, which must succeed; returns what git printed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = git_run(dir, args);
    assert!(ok, "git {args:?} in {} failed: {text}", dir.display());
    text
}

pub fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}
