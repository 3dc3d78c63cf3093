//! `clients`, `client NAME` and `report client NAME`: the client list, one client's card
//! and timeline, and setting a client's tier, cadence or name.

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::{Value, json};

use foldhash::HashMap;

use super::follow_ups::{follow_up_view, with_period};
use super::{action_json, follow_up_json, names, person_for_write, show_date};
use crate::cli::{Cadence, ClientArgs};
use crate::context::Context;
use crate::error::UsageError;
use crate::model::{Action, Client, Record, Status, clean_name, local_date};
use crate::render::{Block, Cell, Table, Tone, View};
use crate::report::{ClientSummary, Initiative, client_summaries};
use crate::state::State;
use crate::store::Need;

pub fn list(ctx: &Context) -> Result<()> {
    let today = ctx.today();
    let state = ctx.load_window(today, today)?;
    let summaries = client_summaries(&state, today);
    let mut table = Table::new(
        &[
            "Client",
            "Tier",
            "Actions",
            "Last touch",
            "Days since",
            "Open",
            "Overdue",
            "Next due",
            "Cadence",
        ],
        "No clients yet. Log your first action: extramile log CLIENT what you did",
    )
    .names(&["Client", "Tier"])
    .dropping(&[
        "Days since",
        "Tier",
        "Actions",
        "Open",
        "Next due",
        "Cadence",
    ]);
    for s in &summaries {
        table.row(vec![
            s.client.as_str().into(),
            s.tier.clone().unwrap_or_default().into(),
            s.actions.to_string().into(),
            s.last_touch
                .map(show_date)
                .unwrap_or_else(|| "never".into())
                .into(),
            s.days_since
                .map(|d| d.to_string())
                .unwrap_or_default()
                .into(),
            s.open.to_string().into(),
            Cell::new(
                s.overdue.to_string(),
                if s.overdue > 0 {
                    Tone::Alert
                } else {
                    Tone::Plain
                },
            ),
            s.next_due.map(show_date).unwrap_or_default().into(),
            cadence_cell(s),
        ]);
    }
    let json = match ctx.wants_json() {
        true => serde_json::to_value(&summaries)?,
        false => Value::Null,
    };
    ctx.print(&View::table("clients", table, json))
}

fn cadence_cell(s: &ClientSummary) -> Cell {
    let tone = if s.cadence.is_past() {
        Tone::Alert
    } else {
        Tone::Plain
    };
    Cell::new(s.cadence.describe(), tone)
}

pub fn client(ctx: &Context, args: ClientArgs) -> Result<()> {
    if let Some(typed) = &args.person {
        return person(ctx, &args, typed);
    }
    if args.tier.is_none() && args.cadence.is_none() && args.rename.is_none() {
        return card(ctx, &args.name);
    }
    let tier = args
        .tier
        .as_deref()
        .map(|t| clean_name("tier", t))
        .transpose()?;
    let rename = args
        .rename
        .as_deref()
        .map(|n| clean_name("new name", n))
        .transpose()?;
    let (before, after) =
        ctx.store
            .change(Need::Clients, "client", ctx.now, |loaded| {
                let state = &loaded.state;
                let before = state.existing_client(&args.name)?.clone();
                let mut after = before.clone();
                if let Some(tier) = &tier {
                    after.tier = (!tier.eq_ignore_ascii_case("none")).then(|| tier.clone());
                }
                if let Some(Cadence(days)) = args.cadence {
                    after.cadence_days = days;
                }
                if let Some(name) = &rename {
                    let taken = state.clients.values().find(|c| {
                        c.id != before.id && c.name.to_lowercase() == name.to_lowercase()
                    });
                    if let Some(other) = taken {
                        crate::usage!(
                            "there is already a client called '{}'; choose another name",
                            other.name
                        );
                    }
                    after.name = name.clone();
                }
                let records = if after == before {
                    vec![]
                } else {
                    vec![Record::Client(after.clone())]
                };
                Ok((records.into(), (before, after)))
            })?;
    let line = describe_change(&before, &after);
    ctx.confirm(&line, client_json(&after))
}

/// `client NAME --person P [--role R] [--email E]`: adds someone at the client, or
/// sets the role and email of someone there.
fn person(ctx: &Context, args: &ClientArgs, typed: &str) -> Result<()> {
    let role = args
        .role
        .as_deref()
        .map(|r| clean_name("role", r))
        .transpose()?;
    let email = args.email.as_deref().map(clean_email).transpose()?;
    let (client, is_new, before, after) =
        ctx.store
            .change(Need::Clients, "client", ctx.now, |loaded| {
                let state = &loaded.state;
                let client = state.existing_client(&args.name)?.clone();
                let (before, new_person) =
                    person_for_write(state, &client, typed, ctx.now, args.new)?;
                let mut after = before.clone();
                let unless_none = |v: &String| (!v.eq_ignore_ascii_case("none")).then(|| v.clone());
                if let Some(role) = &role {
                    after.role = unless_none(role);
                }
                if let Some(email) = &email {
                    after.email = unless_none(email);
                }
                let is_new = new_person.is_some();
                let records = if is_new || after != before {
                    vec![Record::Person(after.clone())]
                } else {
                    vec![]
                };
                Ok((records.into(), (client, is_new, before, after)))
            })?;
    let mut changes = Vec::new();
    if before.role != after.role || (is_new && after.role.is_some()) {
        changes.push(match &after.role {
            Some(role) => format!("role {role}"),
            None => "role cleared".into(),
        });
    }
    if before.email != after.email || (is_new && after.email.is_some()) {
        changes.push(match &after.email {
            Some(email) => format!("email {email}"),
            None => "email cleared".into(),
        });
    }
    let line = match (is_new, changes.is_empty()) {
        (true, true) => format!("New person: {} at {}.", after.name, client.name),
        (true, false) => format!(
            "New person: {} at {} ({}).",
            after.name,
            client.name,
            changes.join(", ")
        ),
        (false, true) => format!("{} at {}: nothing to change.", after.name, client.name),
        (false, false) => format!("{} at {}: {}.", after.name, client.name, changes.join(", ")),
    };
    let json = json!({
        "client": client.name,
        "name": after.name,
        "role": after.role,
        "email": after.email,
        "new": is_new,
    });
    ctx.confirm(&line, json)
}

/// An email address as typed: a name with one '@' between something and something,
/// and no spaces; `none` as it is.
fn clean_email(typed: &str) -> Result<String, UsageError> {
    let email = clean_name("email", typed)?;
    let well_formed = email
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty() && !host.contains('@'))
        && !email.contains(char::is_whitespace);
    if well_formed || email.eq_ignore_ascii_case("none") {
        Ok(email)
    } else {
        Err(UsageError::new(format!(
            "'{email}' is not an email address; give one like dana@example.com, or none to clear it"
        )))
    }
}

/// What changed on a client, in words.
fn describe_change(before: &Client, after: &Client) -> String {
    let mut changes = Vec::new();
    if before.name != after.name {
        changes.push(format!("renamed from {}", before.name));
    }
    if before.tier != after.tier {
        changes.push(match &after.tier {
            Some(tier) => format!("tier {tier}"),
            None => "tier cleared".into(),
        });
    }
    if before.cadence_days != after.cadence_days {
        changes.push(match after.cadence_days {
            Some(days) => format!("stay in touch every {days} days"),
            None => "cadence cleared".into(),
        });
    }
    if changes.is_empty() {
        format!("{}: nothing to change.", after.name)
    } else {
        format!("{}: {}.", after.name, changes.join(", "))
    }
}

fn client_json(client: &Client) -> Value {
    json!({ "name": client.name, "tier": client.tier, "cadence_days": client.cadence_days })
}

/// The people at a client, with the day each was last with an action. Nothing is left
/// out to fit a narrow terminal (the card is the one place their role and email show):
/// there each person becomes a block.
fn people_view(state: &State, client: &Client) -> Table {
    let mut table =
        Table::new(&["Name", "Role", "Email", "Last touch"], "").names(&["Name", "Role", "Email"]);
    for p in state.people_at(&client.id) {
        table.row(vec![
            p.name.as_str().into(),
            p.role.clone().unwrap_or_default().into(),
            p.email.clone().unwrap_or_default().into(),
            last_touch(state, &p.id)
                .map(show_date)
                .unwrap_or_else(|| "never".into())
                .into(),
        ]);
    }
    table
}

/// The day of the latest action with the person of this id.
fn last_touch(state: &State, person: &str) -> Option<NaiveDate> {
    state
        .actions
        .values()
        .filter(|a| a.with.iter().any(|w| w == person))
        .map(|a| a.at)
        .max()
        .map(local_date)
}

/// The client's card and timeline (`client NAME`, `report client NAME`).
pub fn card(ctx: &Context, name: &str) -> Result<()> {
    let id = ctx
        .store
        .load_clients()?
        .state
        .existing_client(name)?
        .id
        .clone();
    let state = ctx.load_client(&id)?;
    let client = state.existing_client(name)?;
    ctx.print(&card_view(&state, client, ctx.today(), ctx.wants_json()))
}

/// A client's card; its JSON only when `json` is wanted (see `follow_up_view`).
pub fn card_view(state: &State, client: &Client, today: NaiveDate, json: bool) -> View {
    let summary = client_summaries(state, today)
        .into_iter()
        .find(|s| s.client == client.name)
        .expect("every client has a summary");
    let mut actions: Vec<_> = state
        .actions
        .values()
        .filter(|a| a.client == client.id)
        .collect();
    actions.sort_by_key(|a| (a.at, a.num));
    let initiative = Initiative::of(actions.iter().copied());
    let mut facts = vec![
        format!("Tier: {}", client.tier.as_deref().unwrap_or("none")),
        match client.cadence_days {
            Some(days) => format!(
                "Cadence: every {days} days ({})",
                summary.cadence.describe()
            ),
            None => "Cadence: none".into(),
        },
        match (summary.last_touch, summary.days_since) {
            (Some(day), Some(ago)) => format!("Last touch: {} ({ago} days ago)", show_date(day)),
            _ => "Last touch: never".into(),
        },
        format!("Actions: {}", summary.actions),
        format!("Unasked: {}", initiative.describe()),
    ];
    facts.push(format!(
        "Open follow-ups: {} ({} overdue)",
        summary.open, summary.overdue
    ));

    let open: Vec<_> = state
        .open_follow_ups()
        .into_iter()
        .filter(|f| f.client == client.id)
        .collect();
    let open_view = follow_up_view("open", state, &open, today, "No open follow-ups.", json);

    let mut timeline = Table::new(
        &["Date", "#", "Type", "Kind / status", "Text"],
        "Nothing logged yet.",
    )
    .names(&["Kind / status"])
    .prose(&["Text"])
    .dropping(&["Type"]);
    let mut entries: Vec<(NaiveDate, u64, Vec<Cell>)> = Vec::new();
    for a in state.actions.values().filter(|a| a.client == client.id) {
        let day = local_date(a.at);
        entries.push((
            day,
            a.num,
            vec![
                show_date(day).into(),
                a.num.to_string().into(),
                "action".into(),
                a.kind.name().into(),
                a.text.as_str().into(),
            ],
        ));
    }
    // What came of each closed follow-up, when `done --log` said.
    let outcomes: HashMap<&str, &Action> = state
        .actions
        .values()
        .filter(|a| a.client == client.id)
        .filter_map(|a| Some((a.follows_up.as_deref()?, a)))
        .collect();
    for f in state.follow_ups.values().filter(|f| f.client == client.id) {
        let text = match (f.status, outcomes.get(f.id.as_str())) {
            (Status::Open, _) => with_period(f),
            (_, Some(a)) => format!("{} → outcome #{}: {}", f.text, a.num, a.text),
            (_, None) => f.text.clone(),
        };
        let day = match f.status {
            Status::Open => f.due,
            _ => f.closed_at.map(local_date).unwrap_or(f.due),
        };
        let status = match f.status {
            Status::Open if f.is_overdue(today) => Cell::new("overdue", Tone::Alert),
            Status::Open => Cell::from("open, due"),
            Status::Done if f.done_late() => {
                Cell::new(format!("done late (due {})", show_date(f.due)), Tone::Alert)
            }
            Status::Done => Cell::new("done", Tone::Good),
            Status::Cancelled => Cell::new("cancelled", Tone::Dim),
        };
        entries.push((
            day,
            f.num,
            vec![
                show_date(day).into(),
                f.num.to_string().into(),
                "follow-up".into(),
                status,
                text.into(),
            ],
        ));
    }
    entries.sort_by_key(|(day, num, _)| (*day, *num));
    timeline.rows = entries.into_iter().map(|(_, _, row)| row).collect();
    // The table shows an excerpt of a long note; the card shows it whole below.
    let in_full: Vec<Block> = timeline
        .rows
        .iter()
        .filter(|row| row[4].text.chars().nth(crate::render::EXCERPT).is_some())
        .map(|row| {
            let line = format!("#{} in full: {}", row[1].text, row[4].text);
            Block::Line("in_full", line.into())
        })
        .collect();

    let mut follow_ups: Vec<_> = state
        .follow_ups
        .values()
        .filter(|f| f.client == client.id)
        .collect();
    follow_ups.sort_by_key(|f| (f.due, f.due_time, f.num));
    let people: Vec<Value> = state
        .people_at(&client.id)
        .into_iter()
        .map(|p| {
            json!({
                "name": p.name,
                "role": p.role,
                "email": p.email,
                "last_touch": last_touch(state, &p.id).map(show_date),
            })
        })
        .collect();
    #[derive(serde::Serialize)]
    struct Card<'a> {
        #[serde(flatten)]
        summary: &'a ClientSummary,
        #[serde(flatten)]
        initiative: Initiative,
    }
    let json = if !json {
        Value::Null
    } else {
        json!({
        "client": Card { summary: &summary, initiative },
        "people": people,
        "actions": actions.iter().map(|a| action_json(&client.name, &names(state, &a.with), a)).collect::<Vec<_>>(),
        "follow_ups": follow_ups.iter().map(|f| {
            let mut json = follow_up_json(&client.name, &names(state, &f.with), f, today);
            json["outcome"] = json!(outcomes.get(f.id.as_str()).map(|a| action_json(&client.name, &names(state, &a.with), a)));
            json
        }).collect::<Vec<_>>(),
        })
    };

    let mut blocks = vec![Block::Heading(client.name.clone())];
    blocks.extend(facts.into_iter().map(|f| Block::Line("client", f.into())));
    let people = people_view(state, client);
    if !people.rows.is_empty() {
        blocks.push(Block::Heading("People".into()));
        blocks.push(Block::Table("people", people));
    }
    blocks.push(Block::Heading("Timeline".into()));
    blocks.push(Block::Table("timeline", timeline));
    blocks.extend(in_full);
    blocks.push(Block::Heading("Open follow-ups".into()));
    blocks.extend(open_view.blocks);
    View { blocks, json }
}
