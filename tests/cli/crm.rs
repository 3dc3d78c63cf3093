//! The CRM bridge: HubSpot and Salesforce exports, `--map`, semicolon files, and
//! `export --to`.

use serde_json::Value;

use crate::Env;

/// A HubSpot export as its activity properties name the columns: a note, a call, an
/// open task and a completed one, with columns extramile does not read.
const HUBSPOT: &str = "\
Task ID,Associated Company,Activity date,Note body,Call title,Call notes,Task title,Notes,Due date,Task status,Priority,Activity assigned to
,Acme,2026-11-02 09:15,Met their new CFO,,,,,,,,kim@example.com
,Acme,2026-11-03 14:00,,Renewal call,Walked through the new tiers,,,,,,kim@example.com
901,Globex,,,,,Send the revised quote,Include the SLA,2026-11-27,NOT_STARTED,HIGH,kim@example.com
902,Globex,,,,,Confirm the kickoff date,,2026-11-12,COMPLETED,LOW,kim@example.com
";

/// The same activities as `HUBSPOT`, as HubSpot's internal property names head the
/// columns: `hs_timestamp` is the notes' and the call's date and the tasks' due date
/// (the API's instants, a task's due at the end of its day).
const HUBSPOT_INTERNAL: &str = "\
hs_object_id,Associated Company,hs_timestamp,hs_note_body,hs_call_title,hs_call_body,hs_task_subject,hs_task_body,hs_task_status,hs_task_type,hs_task_priority,hubspot_owner_id
,Acme,2026-11-02T09:15:00.000Z,Met their new CFO,,,,,,,,41
,Acme,2026-11-03T14:00:00.000Z,,Renewal call,Walked through the new tiers,,,,,,41
901,Globex,2026-11-27T17:00:00.000Z,,,,Send the revised quote,Include the SLA,NOT_STARTED,TODO,HIGH,41
902,Globex,2026-11-12T17:00:00.000Z,,,,Confirm the kickoff date,,COMPLETED,TODO,LOW,41
";

/// A meeting, an email, a completed call task and an open to-do, by labels and by
/// internal names.
const HUBSPOT_TYPES: [&str; 2] = [
    "\
Associated Company,Activity date,Meeting name,Meeting description,Email subject,Email body,Task title,Due date,Task status,Task type,Create date
Initech,2026-11-05 10:00,Quarterly review,Agenda sent,,,,,,,
Initech,2026-11-06 08:30,,,Recap,Thanks for the time,,,,,
Initech,,,,,,Call about the renewal,2026-11-10,COMPLETED,CALL,2026-11-01 09:00
Initech,,,,,,Send the deck,2026-11-25,NOT_STARTED,TODO,2026-11-02 09:00
",
    "\
Associated Company,hs_timestamp,hs_meeting_title,hs_meeting_body,hs_email_subject,hs_email_text,hs_task_subject,hs_task_status,hs_task_type,hs_createdate
Initech,2026-11-05T10:00:00Z,Quarterly review,Agenda sent,,,,,,
Initech,2026-11-06T08:30:00Z,,,Recap,Thanks for the time,,,,
Initech,2026-11-10T16:00:00Z,,,,,Call about the renewal,COMPLETED,CALL,2026-11-01T09:00:00Z
Initech,2026-11-25T16:00:00Z,,,,,Send the deck,NOT_STARTED,TODO,2026-11-02T09:00:00Z
",
];

/// A Salesforce Data Loader export of Tasks and an Event, API names as headers (in
/// Data Loader's capitals), dates as it writes them.
const SALESFORCE: &str = "\
ID,ACCOUNT.NAME,SUBJECT,DESCRIPTION,TASKSUBTYPE,EVENTSUBTYPE,ACTIVITYDATE,ACTIVITYDATETIME,STATUS,COMPLETEDDATETIME,CREATEDDATE,PRIORITY
00T1,Initech,Call,Talked about the migration,Call,,2026-11-04,,Completed,2026-11-04T16:20:00.000+0000,2026-11-04T16:20:00.000+0000,Normal
00U1,Initech,Quarterly review,,,Event,2026-11-05,2026-11-05T10:00:00.000+0000,,,2026-10-20T08:00:00.000+0000,
00T2,Initech,Send the migration plan,,Task,,2026-11-26,,Not Started,,2026-11-04T16:25:00.000+0000,High
00T3,Initech,Book the workshop room,,Task,,2026-11-09,,Completed,2026-11-10T11:00:00.000+0000,2026-11-02T09:00:00.000+0000,Normal
";

fn write(env: &Env, name: &str, content: &str) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

fn texts(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["client"].as_str().unwrap().to_string(),
                r["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every follow-up, open or closed, as (client, text, due, status, done_at).
fn follow_ups(env: &Env) -> Vec<(String, String, String, String, String)> {
    let export: Value = serde_json::from_str(&env.ok(&["export"])).unwrap();
    let clients: std::collections::HashMap<&str, &str> = export["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    let mut list: Vec<_> = export["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (
                clients[f["client"].as_str().unwrap()].to_string(),
                text("text"),
                text("due"),
                text("status"),
                text("closed_at"),
            )
        })
        .collect();
    list.sort();
    list
}

#[test]
fn a_hubspot_export_imports_notes_and_calls_as_actions_and_tasks_as_follow_ups() {
    let env = Env::new();
    let file = write(&env, "hubspot.csv", HUBSPOT);
    let out = env.ok(&["import", &file, "--from", "hubspot"]);
    assert!(out.contains("6 new, 0 updated, 0 already here"), "{out}");
    assert!(
        out.contains("Columns not read: Task ID, Priority, Activity assigned to."),
        "{out}"
    );

    let actions = env.json(&["actions"]);
    assert_eq!(
        texts(&actions),
        [
            ("Acme".into(), "Met their new CFO".into()),
            (
                "Acme".into(),
                "Renewal call — Walked through the new tiers".into()
            ),
        ]
    );
    assert_eq!(actions[0]["kind"], "other", "a note");
    assert_eq!(actions[0]["at"], "2026-11-02T09:15:00+00:00");
    assert_eq!(actions[1]["kind"], "check-in", "a call");

    assert_eq!(
        follow_ups(&env),
        [
            (
                "Globex".into(),
                "Confirm the kickoff date".into(),
                "2026-11-12".into(),
                "done".into(),
                "2026-11-12T00:00:00Z".into()
            ),
            (
                "Globex".into(),
                "Send the revised quote — Include the SLA".into(),
                "2026-11-27".into(),
                "open".into(),
                String::new()
            ),
        ]
    );
    let upcoming = env.json(&["upcoming", "--days", "7"]);
    assert_eq!(upcoming.as_array().unwrap().len(), 1, "{upcoming}");
    // The completed task counts as a follow-up done this report's way: on time.
    let week = env.json(&["report", "week", "--week", "2026-W46"]);
    assert_eq!(week["followups_done"], 1, "{week}");
    assert_eq!(week["followups_done_late"], 0, "{week}");
}

#[test]
fn hubspot_internal_names_import_the_same_records_as_its_labels() {
    for (labels, internal) in [
        (HUBSPOT, HUBSPOT_INTERNAL),
        (HUBSPOT_TYPES[0], HUBSPOT_TYPES[1]),
    ] {
        let (by_label, by_name) = (Env::new(), Env::new());
        by_label.ok(&[
            "import",
            &write(&by_label, "labels.csv", labels),
            "--from",
            "hubspot",
        ]);
        let file = write(&by_name, "internal.csv", internal);
        by_name.ok(&["import", &file, "--from", "hubspot"]);
        let csv = by_label.ok(&["export", "--format", "csv"]);
        assert!(csv.lines().count() > 4, "{csv}");
        assert_eq!(by_name.ok(&["export", "--format", "csv"]), csv);
        // The same ids too: one file after the other adds nothing.
        let file = write(&by_label, "internal.csv", internal);
        let again = by_label.ok(&["import", &file, "--from", "hubspot"]);
        assert!(again.contains("0 new, 0 updated"), "{again}");
    }
}

#[test]
fn hs_timestamp_is_a_tasks_due_date_and_a_notes_date() {
    let env = Env::new();
    let file = write(&env, "hubspot.csv", HUBSPOT_INTERNAL);
    let out = env.ok(&["import", &file, "--from", "hubspot"]);
    assert!(out.contains("6 new"), "{out}");
    assert!(
        out.contains("Columns not read: hs_object_id, hs_task_priority, hubspot_owner_id."),
        "{out}"
    );
    let actions = env.json(&["actions"]);
    assert_eq!(actions[0]["text"], "Met their new CFO");
    assert_eq!(actions[0]["kind"], "other", "a note");
    assert_eq!(actions[0]["at"], "2026-11-02T09:15:00+00:00");
    assert_eq!(actions[1]["kind"], "check-in", "a call");
    assert_eq!(actions[1]["at"], "2026-11-03T14:00:00+00:00");
    let upcoming = env.json(&["upcoming", "--days", "30"]);
    assert_eq!(upcoming.as_array().unwrap().len(), 1, "{upcoming}");
    assert_eq!(
        upcoming[0]["text"],
        "Send the revised quote — Include the SLA"
    );
    assert_eq!(upcoming[0]["due"], "2026-11-27", "the day, not the time");
    assert_eq!(
        follow_ups(&env)[0],
        (
            "Globex".into(),
            "Confirm the kickoff date".into(),
            "2026-11-12".into(),
            "done".into(),
            "2026-11-12T00:00:00Z".into()
        )
    );

    // A task's type is its kind: a completed call task is a call made, an open to-do
    // a follow-up created when hs_createdate says.
    let env = Env::new();
    let file = write(&env, "types.csv", HUBSPOT_TYPES[1]);
    env.ok(&["import", &file, "--from", "hubspot"]);
    let kinds: Vec<(String, String, String)> = env
        .json(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap().to_string();
            (field("text"), field("kind"), field("at"))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "Quarterly review — Agenda sent".into(),
                "check-in".into(),
                "2026-11-05T10:00:00+00:00".into()
            ),
            (
                "Recap — Thanks for the time".into(),
                "touch".into(),
                "2026-11-06T08:30:00+00:00".into()
            ),
            (
                "Call about the renewal".into(),
                "check-in".into(),
                "2026-11-10T00:00:00+00:00".into()
            ),
        ]
    );
    let open = env.json(&["upcoming", "--days", "30"]);
    assert_eq!(open[0]["text"], "Send the deck");
    assert_eq!(open[0]["due"], "2026-11-25");
    let export: Value = serde_json::from_str(&env.ok(&["export"])).unwrap();
    assert_eq!(export["follow_ups"][0]["created"], "2026-11-02T09:00:00Z");
}

#[test]
fn a_salesforce_export_imports_logged_calls_events_and_tasks() {
    let env = Env::new();
    let file = write(&env, "tasks.csv", SALESFORCE);
    let out = env.ok(&["import", &file, "--from", "salesforce"]);
    assert!(out.contains("5 new"), "{out}");
    assert!(out.contains("Columns not read: ID, PRIORITY."), "{out}");

    let actions = env.json(&["actions"]);
    assert_eq!(
        texts(&actions),
        [
            ("Initech".into(), "Call — Talked about the migration".into()),
            ("Initech".into(), "Quarterly review".into()),
        ]
    );
    assert_eq!(actions[0]["kind"], "check-in");
    assert_eq!(
        actions[0]["at"], "2026-11-04T16:20:00+00:00",
        "completed then"
    );
    assert_eq!(actions[1]["kind"], "check-in", "an event is a meeting");
    assert_eq!(actions[1]["at"], "2026-11-05T10:00:00+00:00");

    assert_eq!(
        follow_ups(&env),
        [
            (
                "Initech".into(),
                "Book the workshop room".into(),
                "2026-11-09".into(),
                "done".into(),
                "2026-11-10T11:00:00Z".into()
            ),
            (
                "Initech".into(),
                "Send the migration plan".into(),
                "2026-11-26".into(),
                "open".into(),
                String::new()
            ),
        ]
    );
    let late = env.json(&["report", "week", "--week", "2026-W46"]);
    assert_eq!(
        late["followups_done_late"], 1,
        "done a day after it was due"
    );
}

#[test]
fn importing_a_crm_file_twice_adds_nothing_even_on_another_day() {
    let env = Env::new();
    for (name, content, from) in [
        ("hubspot.csv", HUBSPOT, "hubspot"),
        ("internal.csv", HUBSPOT_INTERNAL, "hubspot"),
        ("types.csv", HUBSPOT_TYPES[1], "hubspot"),
        ("tasks.csv", SALESFORCE, "salesforce"),
    ] {
        let file = write(&env, name, content);
        env.ok(&["import", &file, "--from", from]);
        let before = env.store_bytes();
        let again = env.ok_at("2026-12-01 08:00", &["import", &file, "--from", from]);
        assert!(again.contains("0 new, 0 updated"), "{again}");
        assert_eq!(env.store_bytes(), before, "{from}: nothing written");
    }
}

#[test]
fn a_changed_task_status_updates_its_follow_up() {
    let env = Env::new();
    let file = write(&env, "hubspot.csv", HUBSPOT);
    env.ok(&["import", &file, "--from", "hubspot"]);
    let done = HUBSPOT.replace("2026-11-27,NOT_STARTED", "2026-11-27,COMPLETED");
    let file = write(&env, "hubspot.csv", &done);
    let out = env.ok(&["import", &file, "--from", "hubspot"]);
    assert!(out.contains("0 new, 1 updated"), "{out}");
    assert!(env.json(&["upcoming"]).as_array().unwrap().is_empty());
}

#[test]
fn a_bad_date_names_the_row_and_column_and_changes_nothing() {
    let env = Env::new();
    env.ok(&["log", "Acme", "existing"]);
    let before = env.store_bytes();
    let bad = HUBSPOT.replace("2026-11-03 14:00", "2026-11-31 14:00");
    let file = write(&env, "hubspot.csv", &bad);
    let err = env.fails(2, &["import", &file, "--from", "hubspot"]);
    assert!(
        err.contains("row 2: column 'Activity date' holds '2026-11-31 14:00', which is not a date"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(env.store_bytes(), before);

    let cases = [
        (
            SALESFORCE.replace(",2026-11-26,,Not Started", ",26/11/2026,,Not Started"),
            "row 3: column 'ACTIVITYDATE' holds '26/11/2026'",
        ),
        (
            SALESFORCE.replace("Not Started", "Escalated"),
            "row 3: column 'STATUS' holds the status 'Escalated'",
        ),
        (
            SALESFORCE.replace("00T2,Initech", "00T2,"),
            "row 3: column 'ACCOUNT.NAME' is empty; every row needs a client",
        ),
    ];
    for (content, message) in cases {
        let file = write(&env, "tasks.csv", &content);
        let err = env.fails(2, &["import", &file, "--from", "salesforce"]);
        assert!(err.contains(message), "{message}: {err}");
        assert_eq!(env.store_bytes(), before);
    }
}

#[test]
fn a_map_reads_any_file_and_a_column_it_lacks_is_a_usage_error() {
    let env = Env::new();
    let file = write(
        &env,
        "visits.csv",
        "Company Name,Activity Date,Notes,Kind,Next step,Owner\n\
         Acme,2026-11-18 16:00,Fixed their invoice template,fix,,Kim\n\
         Acme,2026-11-19,Call back about the invoice,,2026-11-25,Kim\n",
    );
    let out = env.ok(&[
        "import",
        &file,
        "--map",
        "Company Name=client,Activity Date=at,Notes=text",
        "--map",
        "Next step=due",
    ]);
    assert!(out.contains("3 new"), "{out}");
    assert!(out.contains("Columns not read: Owner."), "{out}");
    let actions = env.json(&["actions"]);
    assert_eq!(actions.as_array().unwrap().len(), 1);
    assert_eq!(
        actions[0]["kind"], "fix",
        "a column named like ours is read"
    );
    assert_eq!(actions[0]["at"], "2026-11-18T16:00:00+00:00");
    let upcoming = env.json(&["upcoming"]);
    assert_eq!(upcoming[0]["text"], "Call back about the invoice");
    assert_eq!(upcoming[0]["due"], "2026-11-25");

    let before = env.store_bytes();
    let err = env.fails(2, &["import", &file, "--map", "Company=client,Notes=text"]);
    assert!(
        err.contains("--map names the column 'Company', which the file does not have"),
        "{err}"
    );
    assert!(
        err.contains("its columns are Company Name, Activity Date"),
        "{err}"
    );
    let err = env.fails(2, &["import", &file, "--map", "Company Name=customer"]);
    assert!(err.contains("'customer' is not a field"), "{err}");
    let err = env.fails(2, &["import", &file, "--map", "Notes=text"]);
    assert!(
        err.contains("no column of the file gives the client"),
        "{err}"
    );
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn semicolon_files_import_ours_and_mapped_alike() {
    let env = Env::new();
    let ours = write(
        &env,
        "ours.csv",
        "type;client;text;at;kind\naction;Acme;Sent the report, early;2026-11-18 09:00;idea\n",
    );
    assert!(env.ok(&["import", &ours]).contains("2 new"));
    let actions = env.json(&["actions"]);
    assert_eq!(actions[0]["text"], "Sent the report, early");
    assert_eq!(actions[0]["kind"], "idea");

    let excel = write(
        &env,
        "besuche.csv",
        "Firma;Datum;Notiz\n\"Umbrella; Corp\";19.11.2026 16:00;\"Rechnung korrigiert, ungefragt\"\n",
    );
    env.ok(&[
        "import",
        &excel,
        "--map",
        "Firma=client,Datum=at,Notiz=text",
    ]);
    let umbrella = env.json(&["actions", "--client", "Umbrella"]);
    assert_eq!(umbrella[0]["client"], "Umbrella; Corp");
    assert_eq!(umbrella[0]["text"], "Rechnung korrigiert, ungefragt");
    assert_eq!(umbrella[0]["at"], "2026-11-19T16:00:00+00:00");
}

#[test]
fn unused_columns_are_listed_in_json_and_our_own_csv_stays_strict() {
    let env = Env::new();
    let file = write(&env, "hubspot.csv", HUBSPOT);
    let out = env.json(&["import", &file, "--from", "hubspot"]);
    assert_eq!(
        out["unused_columns"],
        serde_json::json!(["Task ID", "Priority", "Activity assigned to"])
    );
    let ours = write(
        &env,
        "ours.csv",
        "type,client,text,at,owner\naction,Acme,x,2026-11-18,me\n",
    );
    let err = env.fails(2, &["import", &ours]);
    assert!(err.contains("unknown column 'owner'"), "{err}");
    assert!(err.contains("use --from or --map"), "{err}");
}

#[test]
fn crm_flags_read_csv_only_and_export_to_writes_csv_only() {
    let env = Env::new();
    env.ok(&["log", "Acme", "fixed it"]);
    let json = env.dir.path().join("backup.json");
    env.ok(&["export", "--output", json.to_str().unwrap()]);
    let err = env.fails(2, &["import", json.to_str().unwrap(), "--from", "hubspot"]);
    assert!(err.contains("JSON export"), "{err}");
    let err = env.fails(2, &["export", "--format", "json", "--to", "hubspot"]);
    assert!(err.contains("--to writes a CSV file"), "{err}");
    env.fails(2, &["export", "--format", "csv", "--to", "pipedrive"]);
}

/// A store with an action, an open, a done and a cancelled follow-up.
fn scenario(env: &Env) {
    env.ok_at(
        "2026-11-16 09:30",
        &[
            "log",
            "Acme",
            "caught an expiring certificate",
            "--kind",
            "fix",
        ],
    );
    env.ok(&[
        "fu",
        "Acme",
        "send the renewal draft",
        "--due",
        "2026-11-27",
    ]);
    env.ok(&[
        "fu",
        "Globex",
        "=SUM(A1) in their sheet",
        "--due",
        "2026-11-18",
    ]);
    env.ok(&["fu", "Globex", "drop this one", "--due", "2026-11-30"]);
    let ids: Vec<u64> = env
        .json(&["upcoming", "--days", "30"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    env.ok(&["done", &ids[0].to_string()]);
    env.ok(&["cancel", &ids[2].to_string()]);
}

#[test]
fn export_to_hubspot_writes_its_columns_and_imports_back_into_another_store() {
    let env = Env::new();
    scenario(&env);
    let csv = env.ok(&["export", "--format", "csv", "--to", "hubspot"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "Company name,Activity date,Note body,Task title,Due date,Task status",
            "Acme,2026-11-16,caught an expiring certificate,,,",
            "Globex,,,'=SUM(A1) in their sheet,2026-11-18,COMPLETED",
            "Acme,,,send the renewal draft,2026-11-27,NOT_STARTED",
        ],
        "one note, two tasks, the cancelled one left out, the formula neutralised"
    );

    let other = Env::new();
    let file = write(&other, "hubspot.csv", &csv);
    let out = other.ok(&["import", &file, "--from", "hubspot"]);
    assert!(out.contains("5 new"), "{out}");
    assert!(!out.contains("Columns not read"), "{out}");
    let actions = other.json(&["actions"]);
    assert_eq!(texts(&actions), texts(&env.json(&["actions"])));
    assert_eq!(
        actions[0]["at"], "2026-11-16T00:00:00+00:00",
        "the day, as HubSpot takes it"
    );
    let open = |e: &Env| texts(&e.json(&["upcoming", "--days", "30"]));
    assert_eq!(open(&other), open(&env));
    let theirs: Vec<_> = follow_ups(&other)
        .into_iter()
        .map(|(c, t, d, s, _)| (c, t, d, s))
        .collect();
    let ours: Vec<_> = follow_ups(&env)
        .into_iter()
        .filter(|f| f.3 != "cancelled")
        .map(|(c, t, d, s, _)| (c, t, d, s))
        .collect();
    assert_eq!(theirs, ours);
    // And it is a CRM file like any other: again, nothing.
    assert!(
        other
            .ok(&["import", &file, "--from", "hubspot"])
            .contains("0 new, 0 updated")
    );
}

#[test]
fn export_to_salesforce_writes_data_loader_task_rows() {
    let env = Env::new();
    scenario(&env);
    let long = format!("{} and more", "word ".repeat(60));
    env.ok(&["log", "Initech", &long]);
    let csv = env.ok(&["export", "--format", "csv", "--to", "salesforce"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "Account.Name",
            "Subject",
            "ActivityDate",
            "Status",
            "Description"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "Acme",
            "caught an expiring certificate",
            "2026-11-16",
            "Completed",
            ""
        ]
    );
    let cut = &rows[1];
    assert_eq!(cut[0], "Initech");
    assert_eq!(cut[1].chars().count(), 255, "Subject keeps to its limit");
    assert_eq!(cut[4], long.trim(), "the whole text in the Description");
    assert_eq!(
        rows[2],
        [
            "Globex",
            "'=SUM(A1) in their sheet",
            "2026-11-18",
            "Completed",
            ""
        ]
    );
    assert_eq!(
        rows[3],
        [
            "Acme",
            "send the renewal draft",
            "2026-11-27",
            "Not Started",
            ""
        ]
    );
    assert_eq!(rows.len(), 4, "the cancelled follow-up is left out");

    // Follow-ups come back from it as they were.
    let other = Env::new();
    let file = write(&other, "tasks.csv", &csv);
    other.ok(&["import", &file, "--from", "salesforce"]);
    let open = |e: &Env| texts(&e.json(&["upcoming", "--days", "30"]));
    assert_eq!(open(&other), open(&env));
}
