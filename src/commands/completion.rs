//! `completions`, and the answers to a shell's completion requests.
//!
//! Completion is dynamic: the script a shell loads calls back into the binary
//! (`COMPLETE=bash extramile -- WORDS…`), which answers from the command-line model and,
//! for the names of clients and people and for numbers, from a read of the store that
//! writes nothing and waits for no lock. Any error there offers nothing.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::CompletionCandidate;
use clap_complete::env::{EnvCompleter, Shells};

use crate::cli::Cli;
use crate::render::visible;
use crate::state::{Match, State};
use crate::store::{Need, Store};

/// The variable that asks the binary to complete instead of run (clap's convention).
const COMPLETE: &str = "COMPLETE";

/// The shells completion works in, with the adapters of our own where clap's fall short.
const SHELLS: Shells<'static> = Shells(&[
    &Bash,
    &clap_complete::env::Elvish,
    &clap_complete::env::Fish,
    &clap_complete::env::Powershell,
    &Zsh,
]);

/// Answers a shell's completion request and exits, when `COMPLETE` names a shell.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE)
        .shells(SHELLS)
        .complete();
}

/// Prints the script that makes `shell` complete through the binary: what
/// `COMPLETE=SHELL extramile` prints.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let adapter = SHELLS
        .completer(&shell.to_string())
        .ok_or_else(|| crate::error::UsageError::new(format!("no completion for {shell}")))?;
    // The binary as it was called, made absolute when it was a relative path, as
    // clap does for `COMPLETE=SHELL extramile`: a bare name is looked up on PATH.
    let called = PathBuf::from(
        std::env::args_os()
            .next()
            .unwrap_or_else(|| "extramile".into()),
    );
    let completer = if called.components().count() > 1 && called.is_relative() {
        std::env::current_dir()?.join(called)
    } else {
        called
    };
    let mut out = std::io::stdout().lock();
    adapter.write_registration(
        COMPLETE,
        "extramile",
        "extramile",
        &completer.to_string_lossy(),
        &mut out,
    )?;
    out.flush()?;
    Ok(())
}

/// bash through clap's protocol, with a script of our own that quotes what it inserts,
/// so a client name with spaces lands as one word (`Acme\ Corp`, or inside the quote
/// the word was opened with), and words split at `=` joined again.
struct Bash;

const BASH_SCRIPT: &str = r#"_extramile() {
    local IFS=$'\013' i
    local words=("${COMP_WORDS[@]}")
    if [[ ${BASH_VERSINFO[0]} -ge 4 ]]; then
        words[COMP_CWORD]="$2"
    fi
    compopt +o nospace 2>/dev/null
    COMPREPLY=($(_CLAP_IFS="$IFS" _CLAP_COMPLETE_INDEX="$COMP_CWORD" @VAR@=bash @COMPLETER@ -- "${words[@]}" 2>/dev/null)) || COMPREPLY=()
    # Quoted for the line, unless the word opens a quote (readline closes it).
    if [[ ${COMP_WORDS[COMP_CWORD]} != [\"\']* ]]; then
        for i in "${!COMPREPLY[@]}"; do
            printf -v 'COMPREPLY[i]' %q "${COMPREPLY[i]}"
        done
    fi
    # A folder is not the end of a path.
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace 2>/dev/null
    fi
}
if [[ ${BASH_VERSINFO[0]} -gt 4 || ${BASH_VERSINFO[0]} -eq 4 && ${BASH_VERSINFO[1]} -ge 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _extramile @BIN@
else
    complete -o nospace -o bashdefault -F _extramile @BIN@
fi
"#;

impl EnvCompleter for Bash {
    fn name(&self) -> &'static str {
        "bash"
    }

    fn is(&self, name: &str) -> bool {
        name == "bash"
    }

    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let quoted = format!("'{}'", completer.replace('\'', r"'\''"));
        let script = BASH_SCRIPT
            .replace("@VAR@", var)
            .replace("@COMPLETER@", &quoted)
            .replace("@BIN@", bin);
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut index: usize = std::env::var("_CLAP_COMPLETE_INDEX")
            .ok()
            .and_then(|i| i.parse().ok())
            .unwrap_or_default();
        // bash hands `--store=PATH` over as `--store`, `=`, `PATH` (`=` breaks words for
        // it), which would read as the value `=`; `--store PATH` means the same.
        let mut words: Vec<OsString> = Vec::with_capacity(args.len());
        for (i, word) in args.into_iter().enumerate() {
            let option = words
                .last()
                .is_some_and(|w| w.to_string_lossy().starts_with("--"));
            if word == "=" && i < index && option {
                index -= 1;
            } else {
                words.push(word);
            }
        }
        let ifs = std::env::var("_CLAP_IFS").unwrap_or_else(|_| "\n".to_string());
        let values: Vec<String> = clap_complete::engine::complete(cmd, words, index, current_dir)?
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect();
        buf.write_all(values.join(&ifs).as_bytes())
    }
}

/// zsh as clap does it, plus a line that completes on the first TAB too when the
/// script is autoloaded from a folder in `fpath` as `_extramile` (its first run only
/// registers the completer otherwise).
struct Zsh;

impl EnvCompleter for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
    }

    fn is(&self, name: &str) -> bool {
        name == "zsh"
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        clap_complete::env::Zsh.write_registration(var, name, bin, completer, buf)?;
        writeln!(
            buf,
            "if [[ ${{funcstack[1]}} == _{bin} ]]; then ${{_comps[{bin}]}} \"$@\"; fi"
        )
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        clap_complete::env::Zsh.write_complete(cmd, args, current_dir, buf)
    }
}

/// Client names that begin with what is typed, case aside (CLIENT, `--client`).
pub fn client_names(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Some(state) = peek(Need::Clients) else {
        return Vec::new();
    };
    let typed = unquoted(typed);
    state
        .clients_by_name()
        .into_iter()
        .filter(|c| offered(&c.name, &typed))
        .map(|c| CompletionCandidate::new(&c.name))
        .collect()
}

/// The names of people that begin with what is typed, case aside (`--with`,
/// `--person`): those at the client named on the line, described by their role; else,
/// when it names none (yet), everyone's, each name once, described by its clients.
pub fn person_names(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Some(state) = peek(Need::Clients) else {
        return Vec::new();
    };
    let typed = unquoted(typed);
    let named = client_typed().and_then(|name| match state.match_client(&name) {
        Ok(Match::Existing(client)) => Some(client),
        _ => None,
    });
    if let Some(client) = named {
        return state
            .people_at(&client.id)
            .into_iter()
            .filter(|p| offered(&p.name, &typed))
            .map(|p| candidate(&p.name, p.role.as_deref()))
            .collect();
    }
    let mut people: Vec<_> = state
        .people
        .values()
        .filter(|p| offered(&p.name, &typed))
        .map(|p| (p.name.as_str(), state.client_name(&p.client)))
        .collect();
    people.sort_by_cached_key(|&(name, client)| (name.to_lowercase(), name, client.to_lowercase()));
    let mut names: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, client) in people {
        match names.last_mut() {
            Some((last, clients)) if *last == name => clients.push(client),
            _ => names.push((name, vec![client])),
        }
    }
    names
        .into_iter()
        .map(|(name, clients)| candidate(name, Some(&clients.join(", "))))
        .collect()
}

/// The numbers of open follow-ups, soonest due first, each described by its client,
/// text and due date (`done`, `snooze`, `cancel`).
pub fn open_follow_ups(typed: &OsStr) -> Vec<CompletionCandidate> {
    match peek(Need::Open) {
        Some(state) => follow_up_numbers(&state, &unquoted(typed)),
        None => Vec::new(),
    }
}

/// Days back whose actions `edit` and `delete` offer.
const RECENT_DAYS: i64 = 14;

/// Open follow-ups, then the actions of the last two weeks, newest first (`edit`,
/// `delete`).
pub fn recent_records(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Ok(now) = crate::context::now() else {
        return Vec::new();
    };
    let since = (now - chrono::Duration::days(RECENT_DAYS)).timestamp();
    let Some(state) = peek(Need::Window(since, since, i64::MAX)) else {
        return Vec::new();
    };
    let typed = unquoted(typed);
    let mut candidates = follow_up_numbers(&state, &typed);
    let mut actions: Vec<_> = state
        .actions
        .values()
        .filter(|a| a.at.timestamp() >= since && begins(&a.num.to_string(), &typed))
        .collect();
    actions.sort_by_key(|a| std::cmp::Reverse((a.at, a.num)));
    candidates.extend(actions.into_iter().map(|a| {
        let about = format!(
            "{}: {} ({}, {})",
            state.client_name(&a.client),
            gist(&a.text),
            a.kind,
            super::show_date(crate::model::local_date(a.at))
        );
        number(a.num, &about)
    }));
    candidates
}

fn follow_up_numbers(state: &State, typed: &str) -> Vec<CompletionCandidate> {
    state
        .open_follow_ups()
        .into_iter()
        .filter(|f| begins(&f.num.to_string(), typed))
        .map(|f| {
            let about = format!(
                "{}: {}, due {}",
                state.client_name(&f.client),
                gist(&f.text),
                super::show_date(f.due)
            );
            number(f.num, &about)
        })
        .collect()
}

/// Characters of a text shown beside its number.
const GIST: usize = 40;

/// The first line of a text, cut to `GIST` characters.
fn gist(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut gist: String = line.chars().take(GIST).collect();
    if gist.len() < text.len() {
        gist.push('…');
    }
    gist
}

/// A number, with what it is about shown visibly beside it.
fn number(num: u64, about: &str) -> CompletionCandidate {
    candidate(&num.to_string(), Some(about))
}

/// A value, with what it is about, if anything, shown visibly beside it.
fn candidate(value: &str, about: Option<&str>) -> CompletionCandidate {
    CompletionCandidate::new(value).help(about.map(|a| visible(a, false).into_owned().into()))
}

/// The store's current state as far as `need` goes, from the store the line being
/// completed names (`--store`, else `EXTRAMILE_STORE`, else the default); `None` on
/// any error.
fn peek(need: Need) -> Option<State> {
    let given = store_typed().or_else(|| std::env::var_os("EXTRAMILE_STORE").map(PathBuf::from));
    let path = crate::context::store_path(given.as_deref()).ok()?;
    Store::open(&path)
        .peek(need)
        .ok()
        .map(|loaded| loaded.state)
}

/// The words of the line being completed (those after the completer's `--`), with
/// `--option=VALUE` whole again where bash split it into three words (`=` breaks words
/// for it).
fn line_words() -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut args = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .take_while(|a| a != "--")
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(word) = args.next() {
        match words.last_mut() {
            Some(option) if word == "=" && option.starts_with("--") && !option.contains('=') => {
                option.push('=');
                option.extend(args.next());
            }
            _ => words.push(word),
        }
    }
    words
}

/// The last `--store` on the line being completed, with a leading `~/` taken as the
/// home folder, as the shell will take it.
fn store_typed() -> Option<PathBuf> {
    let words = line_words();
    let mut typed = None;
    for (i, word) in words.iter().enumerate() {
        if word == "--store" {
            typed = words.get(i + 1).map(String::as_str);
        } else if let Some(path) = word.strip_prefix("--store=") {
            typed = Some(path);
        }
    }
    let typed = unquoted(OsStr::new(&typed?));
    match typed.strip_prefix("~/") {
        Some(rest) => Some(directories::BaseDirs::new()?.home_dir().join(rest)),
        None => Some(PathBuf::from(typed)),
    }
}

/// The client named on the line being completed: `log` and `follow-up`'s CLIENT,
/// `client`'s NAME, `actions --client`; `None` when there is none yet.
fn client_typed() -> Option<String> {
    let words = line_words();
    let line = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&words)
        .ok()?;
    let (_, command) = line.subcommand()?;
    let typed = ["client", "name"]
        .into_iter()
        .find_map(|id| command.try_get_one::<String>(id).ok().flatten())?;
    Some(unquoted(OsStr::new(typed)))
}

/// A word as typed, without the shell's quoting: an opening quote (and the same quote
/// closing the word), and the backslash before an escaped character (shells hand some
/// words over as typed).
fn unquoted(typed: &OsStr) -> String {
    let typed = typed.to_string_lossy();
    let typed = match typed.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let inside = &typed[1..];
            inside.strip_suffix(quote).unwrap_or(inside)
        }
        _ => &typed,
    };
    let mut out = String::with_capacity(typed.len());
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Whether a name is offered for what is typed: it begins with it, case aside, and
/// holds nothing a terminal would not show as it is.
fn offered(name: &str, typed: &str) -> bool {
    visible(name, false) == name && begins(name, typed)
}

/// Whether `value` begins with `typed`, case aside.
fn begins(value: &str, typed: &str) -> bool {
    value.to_lowercase().starts_with(&typed.to_lowercase())
}
