//! The README's console examples, run as written. Each `$ ` line of a ```console block
//! runs in bash against one temp store for the whole README, with the clock set by the
//! nearest `<!-- now: … -->` comment above it; the lines that follow, up to the next
//! `$ `, are what it must print (standard output and error, as a terminal shows them).
//! A line `...` stands for any number of lines. `UPDATE_README=1 cargo test readme`
//! writes what each example printed into the README, except where it has a `...`.

use std::path::Path;

use crate::Env;

struct Example {
    line: usize,
    now: String,
    command: String,
    expected: Vec<String>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let (mut now, mut in_console) = (None::<String>, false);
    for (index, line) in readme.lines().enumerate() {
        if let Some(rest) = line.trim().strip_prefix("<!-- now:") {
            now = Some(rest.trim_end_matches("-->").trim().to_string());
        } else if line.starts_with("```") {
            in_console = line == "```console";
        } else if !in_console {
        } else if let Some(command) = line.strip_prefix("$ ") {
            let now = now
                .clone()
                .unwrap_or_else(|| panic!("README line {}: no <!-- now: … --> above", index + 1));
            examples.push(Example {
                line: index + 1,
                now,
                command: command.to_string(),
                expected: Vec::new(),
            });
        } else {
            let example = examples.last_mut().expect("output before any command");
            example.expected.push(line.trim_end().to_string());
        }
    }
    examples
}

/// Whether `actual` reads as `expected`, where a `...` line matches any lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|line| line.trim_end() == first)
                && matches(rest, &actual[1..])
        }
    }
}

fn run(env: &Env, bin_dir: &Path, example: &Example) -> String {
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = env.command(&[]);
    cmd.env("EXTRAMILE_NOW", &example.now).env("PATH", path);
    let mut bash = std::process::Command::new("bash");
    bash.arg("-c")
        .arg(format!("exec 2>&1; {}", example.command))
        .current_dir(env.dir.path())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = bash.output().expect("bash runs");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_console_example_in_the_readme_prints_what_it_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let examples = examples(&readme);
    assert!(
        examples.len() >= 15,
        "only {} examples found",
        examples.len()
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_extramile")).parent().unwrap();
    let env = Env::new();
    let update = std::env::var_os("UPDATE_README").is_some();
    let mut readme_lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let mut updates = Vec::new();
    for example in &examples {
        let actual = run(&env, bin_dir, example);
        let lines: Vec<&str> = actual.lines().collect();
        if update
            && !matches(&example.expected, &lines)
            && !example.expected.contains(&"...".into())
        {
            let new: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
            updates.push((example.line, example.expected.len(), new));
            continue;
        }
        assert!(
            matches(&example.expected, &lines),
            "README line {}: `{}` printed:\n{actual}\nbut the README shows:\n{}",
            example.line,
            example.command,
            example.expected.join("\n")
        );
    }
    for (line, old, new) in updates.into_iter().rev() {
        readme_lines.splice(line..line + old, new);
    }
    if update {
        readme_lines.push(String::new());
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"),
            readme_lines.join("\n"),
        )
        .unwrap();
    }
}

#[test]
fn an_ellipsis_matches_any_lines_and_nothing_else_does() {
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(matches(&lines("a\n...\nd"), &["a", "b", "c", "d"]));
    assert!(matches(&lines("a\n...\nd"), &["a", "d"]));
    assert!(!matches(&lines("a\n...\nd"), &["a", "b"]));
    assert!(!matches(&lines("a\nb"), &["a", "b", "c"]));
}
