//! Every command-line type. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCompleter;

use crate::commands::completion::{client_names, open_follow_ups, person_names, recent_records};
use crate::crm::{Crm, MapEntry};
use crate::dates::{Month, Week, When};
use crate::model::{Kind, Period};

/// The forms a WHEN takes, shown under every command that reads one.
macro_rules! when_forms {
    () => {
        "WHEN is one of: today, tomorrow, yesterday, a weekday (fri = the coming Friday, \
         next fri = Friday next week, last fri), next week (its Monday), next month (its \
         1st), end of week or eow (this week's Sunday), end of month or eom, +3d, -2d, 2w, \
         1m (a month), in 3 days, in 2 months, 3 days ago, a month and day (dec 5 = the next \
         Dec 5, today included; 5 december 2027), YYYY-MM-DD, YYYY-MM-DD HH:MM. Any of them may be \
         followed by a time (fri 3pm, tomorrow 09:00, dec 5 3:30pm, tomorrow noon); a time \
         alone (3pm, noon) is today. A time the clocks skip (daylight saving) is refused."
    };
}

pub const WHEN_FORMS: &str = when_forms!();

const AFTER_HELP: &str = concat!(
    when_forms!(),
    "\n\nRun `extramile` alone for today's view: what is overdue and due today, this week's \
     actions, your streak, and clients you are neglecting."
);

/// Log the extra mile you went for each client, keep the follow-ups you promised,
/// and see each week whom you served, what slipped, and who is being neglected.
#[derive(Debug, Parser)]
#[command(name = "extramile", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// The journal file (or a directory holding journal.jsonl) [default: your data directory]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "EXTRAMILE_STORE",
        hide_env_values = true
    )]
    pub store: Option<PathBuf>,

    /// How to print records and reports
    #[arg(long, global = true, value_enum, ignore_case = true, help_heading = "Global options", default_value_t = Format::Table)]
    pub format: Format,

    /// When to use colour (NO_COLOR turns `auto` off)
    #[arg(long, global = true, value_enum, ignore_case = true, help_heading = "Global options", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Whether `--format` is given more than once. clap refuses that on one level, but
/// lets a global option given before and after the subcommand through, the later
/// winning; DESIGN.md allows one `--format` per command.
pub fn format_given_twice(args: &[std::ffi::OsString]) -> bool {
    let given = args
        .iter()
        .take_while(|a| *a != "--")
        .filter(|a| {
            a.to_str()
                .is_some_and(|a| a == "--format" || a.starts_with("--format="))
        })
        .count();
    given > 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    /// iCalendar, for `export` only
    Ics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record an extra mile you went for a client
    #[command(after_help = concat!(
        "Example: extramile log Acme fixed their export before they noticed --kind fix --follow-up fri\n\n",
        when_forms!()
    ))]
    Log(LogArgs),

    /// Schedule a follow-up you promised a client
    #[command(visible_alias = "fu", after_help = WHEN_FORMS)]
    FollowUp(FollowUpArgs),

    /// Mark follow-ups done (a recurring one schedules its next occurrence)
    Done {
        /// Follow-up numbers, as `upcoming` shows them
        #[arg(required = true, value_name = "ID", value_parser = parse_id, add = ArgValueCompleter::new(open_follow_ups))]
        ids: Vec<u64>,
        /// Also log what came of it, as an action linked to the follow-up
        #[arg(long, value_name = "TEXT")]
        log: Option<String>,
        /// The kind of that action
        #[arg(long, short, value_enum, ignore_case = true, requires = "log")]
        kind: Option<Kind>,
    },

    /// Move follow-ups to a new due date
    #[command(after_help = WHEN_FORMS)]
    Snooze {
        /// Follow-up numbers, as `upcoming` shows them
        #[arg(required = true, value_name = "ID", value_parser = parse_id, add = ArgValueCompleter::new(open_follow_ups))]
        ids: Vec<u64>,
        /// The new due date, with a time of day or without (which clears the old time)
        #[arg(value_name = "WHEN", allow_hyphen_values = true, value_parser = parse_new_due)]
        when: When,
    },

    /// Drop follow-ups you no longer mean to do; a recurring one comes back next time
    Cancel {
        /// Follow-up numbers, as `upcoming` shows them
        #[arg(required = true, value_name = "ID", value_parser = parse_id, add = ArgValueCompleter::new(open_follow_ups))]
        ids: Vec<u64>,
        /// End a recurring follow-up's series instead of skipping one occurrence
        #[arg(long)]
        series: bool,
    },

    /// Open follow-ups due before today, most overdue first
    Overdue {
        /// Only this client's
        #[arg(long, value_name = "CLIENT", add = ArgValueCompleter::new(client_names))]
        client: Option<String>,
    },

    /// Overdue follow-ups, then those due today and in the next few days
    Upcoming {
        /// How many days ahead to look
        #[arg(long, default_value_t = 7, value_name = "N")]
        days: u32,
    },

    /// One line per follow-up due today or overdue, nothing when none: for cron and prompts
    Remind {
        /// Print only how many (nothing when none), for a shell prompt
        #[arg(long)]
        count: bool,
    },

    /// List logged actions, oldest first
    #[command(after_help = WHEN_FORMS)]
    Actions(ActionsArgs),

    /// All clients with their last touch, follow-ups and cadence status
    Clients,

    /// One client's card and timeline, or set its tier, cadence or name
    Client(ClientArgs),

    /// Whom to contact now, ranked, each with the reason
    #[command(after_help = crate::next::RANKING)]
    Next {
        /// Show at most the first N
        #[arg(long, default_value_t = 10, value_name = "N", value_parser = parse_limit)]
        limit: usize,
    },

    /// Weekly and monthly summaries, trends, the year's calendar, a client's history,
    /// and the team's week
    #[command(subcommand)]
    Report(ReportCommand),

    /// Correct an action or follow-up
    #[command(after_help = WHEN_FORMS)]
    Edit(EditArgs),

    /// Delete an action or follow-up (`undo` brings it back)
    Delete {
        /// The action's or follow-up's number
        #[arg(value_parser = parse_id, add = ArgValueCompleter::new(recent_records))]
        id: u64,
    },

    /// Revert the last change; repeat to walk further back
    Undo,

    /// Write every record as JSON (default), CSV, or an iCalendar feed of follow-ups
    #[command(
        after_help = "The iCalendar feed holds every open follow-up, and those done, \
        cancelled or deleted since --since (90 days by default) as cancelled events (completed \
        to-dos with --tasks), each under the same UID with a higher SEQUENCE at every change, \
        so a calendar that imports each new export moves and takes out what changed.\n\n\
        Examples:\n  extramile export > backup.json\n  \
        extramile export --format csv --output clients.csv\n  \
        extramile export --format ics --output follow-ups.ics\n  \
        extramile export --format ics --tasks --alarm 30m --since \"30 days ago\"\n  \
        extramile export --format csv --to hubspot --output hubspot.csv"
    )]
    Export {
        /// Write to this file instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write the CSV as this CRM imports tasks and notes (see README, "CRM bridge")
        #[arg(long, value_enum, ignore_case = true, value_name = "CRM")]
        to: Option<Crm>,
        #[command(flatten)]
        calendar: CalendarArgs,
    },

    /// Read records from a JSON export, a CSV file or a CRM's export; all or nothing
    #[command(
        after_help = "CSV columns: type,id,client,kind,text,at,due,status,done_at,tags,tier,cadence,\
        num,snoozes,action,due_time,asked,story (type and client are required; the others may be left out, \
        in any order).\n\n\
        Examples:\n  extramile import tasks.csv --from hubspot\n  \
        extramile import visits.csv --map \"Company Name=client,Activity Date=at,Notes=text\""
    )]
    Import {
        /// The file to read
        file: PathBuf,
        /// Read the file as this CRM exports activities and tasks
        #[arg(long, value_enum, ignore_case = true, value_name = "CRM")]
        from: Option<Crm>,
        /// Read these columns of the file as these fields of ours, e.g. "Company=client,Date=at";
        /// columns nothing reads are listed and skipped
        #[arg(
            long,
            value_name = "COLUMN=FIELD,…",
            value_delimiter = ',',
            value_parser = crate::crm::parse_map_entry
        )]
        map: Vec<MapEntry>,
    },

    /// Show the weekly report and follow-ups on built-in sample data (touches no store)
    Demo,

    /// Print a shell completion script
    #[command(
        after_help = "Install for bash, zsh or fish (zsh also needs fpath=(~/.zfunc $fpath) \
        before compinit in ~/.zshrc):\n  \
        mkdir -p ~/.local/share/bash-completion/completions\n  \
        extramile completions bash > ~/.local/share/bash-completion/completions/extramile\n  \
        mkdir -p ~/.zfunc && extramile completions zsh > ~/.zfunc/_extramile\n  \
        mkdir -p ~/.config/fish/completions\n  \
        extramile completions fish > ~/.config/fish/completions/extramile.fish\n\n\
        The script calls back into extramile (COMPLETE=bash extramile prints the same one): \
        install it again after upgrading."
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Verify the store: every line readable, ids unique, records pointing at clients
    Check,

    /// Rebuild the snapshot beside the journal now (commands keep it up to date)
    Index,

    /// Rewrite the store to the newest version of each record, keeping a backup
    Compact,

    /// Fold other journals (another laptop's copy, say) into this store
    #[command(
        after_help = "Records changed on both sides keep the newest change; records whose \
        numbers collide get new ones. Merging the same file twice changes nothing."
    )]
    Merge {
        /// Journal files to fold in
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },

    /// Merge two journals for git; see README, "Sync and teams"
    #[command(after_help = "Enable it in a repository that holds a journal:\n  \
        echo 'journal.jsonl merge=extramile' >> .gitattributes\n  \
        git config merge.extramile.driver 'extramile merge-driver %O %A %B'")]
    MergeDriver {
        /// The common ancestor: what theirs added since it is brought in, what theirs
        /// took out since it (a revert) is taken out here too
        base: PathBuf,
        /// Ours; the merged journal is written here
        ours: PathBuf,
        /// Theirs
        theirs: PathBuf,
    },

    /// Print the man page (roff)
    #[command(after_help = "Install, to read it with man extramile:\n  \
        mkdir -p ~/.local/share/man/man1\n  \
        extramile man > ~/.local/share/man/man1/extramile.1\n  \
        export MANPATH=\":$HOME/.local/share/man\"")]
    Man,
}

impl Command {
    /// Whether it reads a window of the store (what is due, a report, the clients or
    /// one of them, a client's actions), so its memory stays within what it shows at
    /// any size.
    pub fn reads_a_window(&self) -> bool {
        match self {
            Command::Actions(args) => args.client.is_some(),
            command => matches!(
                command,
                Command::Overdue { .. }
                    | Command::Upcoming { .. }
                    | Command::Remind { .. }
                    | Command::Clients
                    | Command::Client(_)
                    | Command::Next { .. }
                    | Command::Report(_)
            ),
        }
    }
}

/// An ID as the tool prints it: `12` or `#12`.
fn parse_id(text: &str) -> Result<u64, String> {
    let digits = text.strip_prefix('#').unwrap_or(text);
    match digits.parse::<u64>() {
        Ok(num) if num > 0 => Ok(num),
        _ => Err(format!(
            "'{text}' is not an ID; an ID is the number `upcoming` or `actions` shows, like 12 or #12"
        )),
    }
}

/// Snooze's WHEN, which comes last: a lone ID there means the date was left out.
fn parse_new_due(text: &str) -> Result<When, String> {
    match text.parse::<When>() {
        Ok(when) => Ok(when),
        Err(_) if parse_id(text).is_ok() => Err(format!(
            "'{text}' looks like an ID, not a date; give the new due date after the IDs, e.g. `extramile snooze {text} mon`"
        )),
        Err(err) => Err(err.to_string()),
    }
}

/// A `--limit`: how many to show, one or more.
fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "'{text}' is not a limit; give how many to show, 1 or more"
        )),
    }
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The action's or follow-up's number
    #[arg(value_parser = parse_id, add = ArgValueCompleter::new(recent_records))]
    pub id: u64,
    /// New text
    #[arg(long)]
    pub text: Option<String>,
    /// New kind (actions)
    #[arg(long, short, value_enum, ignore_case = true)]
    pub kind: Option<Kind>,
    /// New time (actions)
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub at: Option<When>,
    /// Move it to another client
    #[arg(long, value_name = "CLIENT", add = ArgValueCompleter::new(client_names))]
    pub client: Option<String>,
    /// Replace the tags (actions); repeat for more, or give "" to clear
    #[arg(long, short, value_name = "TAG")]
    pub tag: Option<Vec<String>>,
    /// New due date, with a time of day or without (follow-ups); a recurring one's
    /// schedule then counts from it
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub due: Option<When>,
    /// Make a follow-up recur, e.g. 2w, 1m or quarter, counting from its due date; `none`
    /// ends the series
    #[arg(long, value_name = "PERIOD")]
    pub every: Option<Every>,
    /// The client asked for it (actions)
    #[arg(long, conflicts_with = "unasked")]
    pub asked: bool,
    /// You did it unasked (actions)
    #[arg(long)]
    pub unasked: bool,
    /// Mark it as a story worth telling (actions)
    #[arg(long, conflicts_with = "no_story")]
    pub story: bool,
    /// No longer a story (actions)
    #[arg(long)]
    pub no_story: bool,
}

impl EditArgs {
    /// Whether the action was asked for, when given.
    pub fn asked(&self) -> Option<bool> {
        flag(self.asked, self.unasked)
    }

    /// Whether the action is a story, when given.
    pub fn story(&self) -> Option<bool> {
        flag(self.story, self.no_story)
    }
}

/// A pair of flags that set and clear one thing: which was given, if either.
fn flag(set: bool, clear: bool) -> Option<bool> {
    (set || clear).then_some(set)
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The client (case-insensitive; a unique prefix selects an existing one)
    #[arg(add = ArgValueCompleter::new(client_names))]
    pub client: String,
    /// What you did
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
    /// What kind of extra mile it was
    #[arg(long, short, value_enum, ignore_case = true, default_value_t = Kind::Other)]
    pub kind: Kind,
    /// When you did it [default: now]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub at: Option<When>,
    /// A tag; repeat for more
    #[arg(long, short, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Also schedule a follow-up due then (a day, and a time if you give one)
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub follow_up: Option<When>,
    /// The follow-up's text [default: "Follow up: <what you did>"]
    #[arg(long, value_name = "TEXT", requires = "follow_up")]
    pub follow_up_text: Option<String>,
    /// Make the follow-up recur: 7d, 2w, 1m, quarter (days, weeks, months, quarters)
    #[arg(long, value_name = "PERIOD", requires = "follow_up")]
    pub every: Option<Period>,
    /// The client asked for it (reactive); without it, you went unasked
    #[arg(long)]
    pub asked: bool,
    /// An extra-mile story worth telling: the weekly report lists it
    #[arg(long)]
    pub story: bool,
    /// Someone at the client it was with (matched like clients; a new name adds
    /// them); repeat for more
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(person_names))]
    pub with: Vec<String>,
    /// Add a new client or person even though the name is close to an existing one's
    #[arg(long)]
    pub new: bool,
}

#[derive(Debug, Args)]
pub struct FollowUpArgs {
    /// The client (case-insensitive; a unique prefix selects an existing one)
    #[arg(add = ArgValueCompleter::new(client_names))]
    pub client: String,
    /// What you promised
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
    /// When it is due: a day, and a time if you give one
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub due: When,
    /// Make it recur: 7d, 2w, 1m, quarter (days, weeks, months, quarters); `done` then
    /// schedules the next one a period after this one's due date
    #[arg(long, value_name = "PERIOD")]
    pub every: Option<Period>,
    /// Someone at the client it was with (matched like clients; a new name adds
    /// them); repeat for more
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(person_names))]
    pub with: Vec<String>,
    /// Add a new client or person even though the name is close to an existing one's
    #[arg(long)]
    pub new: bool,
}

#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// Only this client's
    #[arg(long, value_name = "CLIENT", add = ArgValueCompleter::new(client_names))]
    pub client: Option<String>,
    /// Only this kind
    #[arg(long, short, value_enum, ignore_case = true)]
    pub kind: Option<Kind>,
    /// Only actions with this tag
    #[arg(long, short, value_name = "TAG")]
    pub tag: Option<String>,
    /// From this day on
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub since: Option<When>,
    /// Up to and including this day
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub until: Option<When>,
    /// Only actions whose text holds this (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only actions with this person (matched like clients; at --client when given)
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(person_names))]
    pub with: Option<String>,
    /// Only the newest N
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The client (case-insensitive; a unique prefix selects)
    #[arg(add = ArgValueCompleter::new(client_names))]
    pub name: String,
    /// Set the tier, e.g. A, B, key; `none` clears it
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// Stay in touch at least this often, e.g. 14d or 2w; `none` clears it
    #[arg(long, value_name = "EVERY")]
    pub cadence: Option<Cadence>,
    /// Rename the client, keeping its history
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// Add someone at the client, or pick one to update (matched like clients)
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with_all = ["tier", "cadence", "rename"],
        add = ArgValueCompleter::new(person_names)
    )]
    pub person: Option<String>,
    /// The person's role, e.g. CFO; `none` clears it
    #[arg(long, value_name = "ROLE", requires = "person")]
    pub role: Option<String>,
    /// The person's email address; `none` clears it
    #[arg(long, value_name = "EMAIL", requires = "person")]
    pub email: Option<String>,
    /// Add a new person even though the name is close to an existing one's
    #[arg(long, requires = "person")]
    pub new: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// What you did this week, what slipped, who is neglected
    Week {
        /// The ISO week, e.g. 2026-W47 [default: this week]
        #[arg(long, value_name = "YYYY-Www", conflicts_with = "last")]
        week: Option<Week>,
        /// Last week
        #[arg(long)]
        last: bool,
        /// Add a table of each rep's week, from their journals (read only)
        #[arg(long, num_args = 1.., value_name = "FILE")]
        team: Vec<PathBuf>,
    },
    /// The reps' week side by side, from their journals alone (read only; no store needed)
    #[command(
        after_help = "A DIR stands for every *.jsonl journal in it. Each rep is named \
        after the journal's file (anna.jsonl is anna; anna/journal.jsonl too).\n\n\
        Examples:\n  extramile report team reps/\n  \
        extramile report team anna.jsonl ben.jsonl --last --format markdown"
    )]
    Team {
        /// Each rep's journal, or a directory of them
        #[arg(required = true, value_name = "FILE|DIR")]
        journals: Vec<PathBuf>,
        /// The ISO week, e.g. 2026-W47 [default: this week]
        #[arg(long, value_name = "YYYY-Www", conflicts_with = "last")]
        week: Option<Week>,
        /// Last week
        #[arg(long)]
        last: bool,
    },
    /// The same figures for a month, with a row per week
    Month {
        /// The month, e.g. 2026-11 [default: this month]
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<Month>,
    },
    /// A row of figures per week up to this one, with a sparkline of each
    Trend {
        /// How many weeks, ending with this one (1 to 520)
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=520))]
        weeks: u32,
    },
    /// A calendar of actions per day, with the current and longest streak
    Year {
        /// The year, e.g. 2026 [default: this year]
        #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1..=9999))]
        year: Option<i32>,
    },
    /// A client's card and timeline
    Client {
        /// The client (case-insensitive; a unique prefix selects)
        #[arg(add = ArgValueCompleter::new(client_names))]
        name: String,
    },
}

/// How `export --format ics` writes its calendar.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// With --format ics: write to-dos (VTODO), done ones marked completed, instead of
    /// events
    #[arg(long)]
    pub tasks: bool,
    /// With --format ics: remind this long before, e.g. 30m, 2h, 1d, or none [default:
    /// 15m before a due time, 09:00 on the day without one]
    #[arg(long, value_name = "LEAD")]
    pub alarm: Option<Alarm>,
    /// With --format ics: keep follow-ups done, cancelled or deleted since WHEN, so
    /// calendars take them out [default: 90 days ago]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub since: Option<When>,
}

/// How long before a follow-up is due its reminder goes off, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alarm(pub Option<u32>);

impl std::str::FromStr for Alarm {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim().to_ascii_lowercase();
        if text == "none" || text == "off" {
            return Ok(Alarm(None));
        }
        let bad = || format!("can't read the alarm '{input}'; write it as 30m, 2h, 1d or none");
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = text.split_at(split);
        let n: u32 = n.parse().map_err(|_| bad())?;
        let minutes = match unit {
            "m" | "min" | "mins" | "minutes" => Some(n),
            "h" | "hour" | "hours" => n.checked_mul(60),
            "d" | "day" | "days" => n.checked_mul(24 * 60),
            _ => return Err(bad()),
        };
        match minutes {
            Some(minutes) if minutes <= 28 * 24 * 60 => Ok(Alarm(Some(minutes))),
            _ => Err(format!(
                "an alarm '{input}' ahead makes no sense; use 0m to 28d, or none"
            )),
        }
    }
}

/// How often a follow-up recurs, or `none` to end its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<Period>);

impl std::str::FromStr for Every {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.trim().to_ascii_lowercase().as_str() {
            "none" | "off" => Ok(Every(None)),
            _ => input.parse().map(|p| Every(Some(p))),
        }
    }
}

/// A stay-in-touch cadence in days, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence(pub Option<u32>);

impl std::str::FromStr for Cadence {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim().to_ascii_lowercase();
        if text == "none" || text == "off" {
            return Ok(Cadence(None));
        }
        let bad = || format!("can't read the cadence '{input}'; write it as 14d, 2w or none");
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = text.split_at(split);
        let n: u32 = n.parse().map_err(|_| bad())?;
        let days = match unit {
            "d" | "day" | "days" => n,
            "w" | "week" | "weeks" => n.checked_mul(7).ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        if days == 0 || days > 3660 {
            return Err(format!(
                "a cadence of '{input}' makes no sense; use 1d to 520w, or none"
            ));
        }
        Ok(Cadence(Some(days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::Day;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn snooze_takes_ids_then_when() {
        let cli = Cli::try_parse_from(["extramile", "snooze", "3", "4", "next fri"]).unwrap();
        match cli.command {
            Some(Command::Snooze { ids, when }) => {
                assert_eq!(ids, [3, 4]);
                assert_eq!(
                    when,
                    When {
                        day: Day::NextWeek(chrono::Weekday::Fri),
                        time: None
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn format_may_be_given_once() {
        assert!(
            Cli::try_parse_from([
                "extramile",
                "clients",
                "--format",
                "json",
                "--format",
                "csv"
            ])
            .is_err()
        );
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(format_given_twice(&args(&[
            "extramile",
            "--format",
            "json",
            "clients",
            "--format=csv"
        ])));
        assert!(!format_given_twice(&args(&[
            "extramile",
            "--format",
            "json",
            "log",
            "A",
            "--",
            "--format"
        ])));
        let cli = Cli::try_parse_from(["extramile", "clients", "--format", "csv"]).unwrap();
        assert_eq!(cli.format, Format::Csv);
    }

    #[test]
    fn cadences() {
        assert_eq!("14d".parse::<Cadence>(), Ok(Cadence(Some(14))));
        assert_eq!("2w".parse::<Cadence>(), Ok(Cadence(Some(14))));
        assert_eq!("None".parse::<Cadence>(), Ok(Cadence(None)));
        assert!("0d".parse::<Cadence>().is_err());
        assert!("fortnight".parse::<Cadence>().is_err());
        assert!("14".parse::<Cadence>().is_err());
    }
}
