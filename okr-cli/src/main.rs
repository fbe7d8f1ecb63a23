//! `okr`: the command for analysts — build the demo history, import and export event logs,
//! replay state as of any moment, report cycles (text, JSON, CSV, HTML with charts),
//! re-score under another policy, cross-cycle statistics, lints and synthetic workloads.
//!
//! Exit codes: 0 ok, 1 a command was refused or the input is invalid, 2 the store (or an
//! output file) failed. Errors name the file, the line and the field where there is one.

#![forbid(unsafe_code)]

/// Writes to standard output like `print!`; see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

/// Writes a line to standard output like `println!`; see [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The allocator of the `okr` binary: mimalloc, since the command line's work (parsing,
/// deciding and encoding millions of commands and events, snapshots of a large state) is
/// mostly small allocations, often freed on another thread than the one that made them
/// (commands parsed on `okr apply`'s reading thread, the state cloned for a snapshot),
/// where the system allocator's arenas contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod board;
mod error;
mod html;
mod progress;
mod report;
mod store;

use clap::{Parser, Subcommand, ValueEnum};
use error::{CliError, CliResult};
use okr_core::i18n::{self, Lang, Text};
use okr_core::rollup::{Rollup, ScoringPolicy};
use okr_core::stats::{stats, Stats, StatsOptions};
use okr_core::{Command, CycleKind, Phase, State};
use okr_fixtures::demo::Demo;
use okr_fixtures::workload::{Size, Workload, WorkloadSpec};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use store::{
    cycles_in_order, default_cycle, open_existing, open_or_create, parse_as_of, resolve_cycle,
    resolve_unit, state_at,
};

/// okr: the event-sourced OKR cycle engine, for analysts.
#[derive(Debug, Parser)]
#[command(name = "okr", version, about, long_about = None)]
struct Cli {
    /// The store: a sled directory, or a PostgreSQL database as
    /// `postgres://user@host:port/db?organisation=<name>`.
    #[arg(long, global = true, default_value = "./okr.db")]
    store: PathBuf,
    /// How many seconds to wait for another okr process that holds the store.
    #[arg(long, global = true, default_value_t = 2.0)]
    wait: f64,
    /// The language of the output for people (headings, summaries, lint messages, the HTML
    /// report, error messages): `en` or `de` (German: Sie-form, decimal comma, dates as
    /// 30.06.2024).
    #[arg(long, global = true, default_value = "en")]
    lang: Lang,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Build the demo history (Total Digital: six cities, two practice sprints, eight quarters),
    /// then print the latest closed quarter's report and the statistics.
    Demo {
        /// Delete a non-empty store first.
        #[arg(long)]
        force: bool,
    },
    /// Create an empty store.
    Init,
    /// Execute commands from a JSON Lines file (one command per line). Every line is tried;
    /// refusals are reported as `file:line: reason` and the run goes on; exit 1 if any.
    Apply {
        /// The file (`-` for standard input).
        file: PathBuf,
        /// Print every advisory lint the commands meet (otherwise only their number).
        #[arg(long)]
        lints: bool,
    },
    /// Forget a person (the right to erasure; OkrMaster only): destroys the key their name
    /// and texts are sealed with. Afterwards they appear as "ehemaliges Mitglied N" and their
    /// texts as "[gelöscht]" everywhere; every figure stays as it was. Backups made before
    /// still hold the key (see the README).
    ForgetPerson {
        /// The person's id.
        person: uuid::Uuid,
        /// Why (e.g. the request it answers).
        #[arg(long)]
        reason: String,
        /// The OkrMaster who forgets them.
        #[arg(long)]
        actor: uuid::Uuid,
    },
    /// Serve the store over HTTP/JSON (the C ABI's messages, bearer tokens from the
    /// configuration file) until SIGINT or SIGTERM. Put TLS in a reverse proxy in front.
    Serve {
        /// The configuration file (TOML: listen, store, organisation, limits, tokens).
        #[arg(long, required_unless_present = "hash_token")]
        config: Option<PathBuf>,
        /// Listen here instead of the configuration's `listen` (port 0: a free port).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Read a token from standard input and print its SHA-256 for the configuration.
        #[arg(long)]
        hash_token: bool,
    },
    /// Write the event log as JSON Lines.
    Export {
        /// The file (`-` for standard output).
        file: PathBuf,
        /// For analysts outside the organisation: names become "Person N" (N: the
        /// registration number), free texts "[gelöscht]"; ids, times and figures stay.
        #[arg(long)]
        pseudonymise: bool,
    },
    /// Import an event log (JSON Lines) into an empty store; validated first, all or nothing.
    /// Every line's hash must match the log's hash chain (a log without hashes is chained).
    Import {
        /// The file.
        file: PathBuf,
        /// Accept a log whose hashes do not match (from elsewhere, or edited on purpose) and
        /// chain it anew.
        #[arg(long)]
        rechain: bool,
    },
    /// Walk the log and check its hash chain; exit 2 at the first broken link, naming its
    /// position.
    Verify {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Copy the store into a new directory and verify the copy.
    Backup {
        /// The backup's directory (new, or empty).
        dir: PathBuf,
    },
    /// Rebuild the store from a backup made with `okr backup`, after verifying it. A store
    /// already at `--store` is kept, renamed to `<store>.replaced-<n>`, only with --force.
    Restore {
        /// The backup's directory.
        dir: PathBuf,
        /// Replace an existing store (it is renamed aside, never deleted).
        #[arg(long)]
        force: bool,
    },
    /// Show every cycle's state and rollup as of a moment.
    Replay {
        /// A global position, an RFC 3339 timestamp or a date (its start, UTC).
        #[arg(long, allow_hyphen_values = true)]
        as_of: String,
    },
    /// Report one cycle.
    Report {
        /// Cycle id or name (default: the running cycle, else the last closed one).
        #[arg(long)]
        cycle: Option<String>,
        /// A global position, an RFC 3339 timestamp or a date (its start, UTC).
        #[arg(long, allow_hyphen_values = true)]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report only this unit (id or name) and the units below it.
        #[arg(long)]
        unit: Option<String>,
    },
    /// What-if: a cycle's scores under another scoring policy beside the recorded ones.
    Rescore {
        /// Cycle id or name.
        #[arg(long)]
        cycle: String,
        /// e.g. `unbounded`, `kr-only,equal`, `v1:clamped,with-children,weighted`.
        #[arg(long)]
        policy: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Cross-cycle statistics over the closed cycles: totals, per cycle and per unit (never
    /// per person). A unit with fewer than --min-unit-members members has no row of its own:
    /// its figures count in the nearest unit above it with that many, or in the totals only.
    Stats {
        /// Include practice sprints.
        #[arg(long)]
        include_practice: bool,
        /// The fewest members a unit needs for a row of its own (1 shows every unit).
        #[arg(long, value_name = "K", default_value_t = okr_core::stats::MIN_UNIT_MEMBERS)]
        min_unit_members: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// The prioritised board: a cycle's initiatives in Kanban columns (to do, doing, done)
    /// per unit, objective and key result, ranked by impact over effort, with the TOP-3 of
    /// the open ones.
    Board {
        /// Cycle id or name (default: the running cycle, else the last closed one).
        #[arg(long)]
        cycle: Option<String>,
        /// Only this unit (id or name) and the units below it.
        #[arg(long, conflicts_with_all = ["objective", "key_result"])]
        unit: Option<String>,
        /// Only this objective (id).
        #[arg(long, conflicts_with = "key_result")]
        objective: Option<uuid::Uuid>,
        /// Only this key result (id).
        #[arg(long)]
        key_result: Option<uuid::Uuid>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        /// The same as `--format json`: the board as the C ABI's and `okr serve`'s `board`
        /// query returns it.
        #[arg(long)]
        json: bool,
    },
    /// How the practice matures over the closed cycles: outputs among the objectives,
    /// check-in discipline, agreement keep rate, retro actions done.
    Maturity {
        /// Count practice sprints too.
        #[arg(long)]
        include_practice: bool,
        /// The points as JSON, as the C ABI's and `okr serve`'s `maturity` query returns them.
        #[arg(long)]
        json: bool,
    },
    /// Advisory lints of one or every cycle.
    Lint {
        /// Cycle id or name (every cycle when absent).
        #[arg(long)]
        cycle: Option<String>,
    },
    /// A synthetic workload's commands (or events) as JSON Lines.
    Synth {
        /// S, M, L or XL.
        #[arg(long)]
        size: String,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the events instead of the commands.
        #[arg(long)]
        events: bool,
    },
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let lang = cli.lang;
    match run(cli) {
        Ok(()) | Err(CliError::OutputClosed) => {}
        Err(e) => {
            eprintln!("okr: {}", e.message(lang));
            std::process::exit(e.exit_code());
        }
    }
}

/// Writes to standard output. When the reader has gone away (`okr report … | head`), the
/// command stops quietly with exit code 0, as Unix tools do, instead of panicking as
/// `println!` would; any other failure to write is reported and exits with 2.
fn write_stdout(args: std::fmt::Arguments) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("okr: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

fn run(cli: Cli) -> CliResult {
    if !(cli.wait.is_finite() && cli.wait >= 0.0) {
        return Err(CliError::invalid(
            format!(
                "--wait: `{}` is not a number of seconds (0 or more)",
                cli.wait
            ),
            format!(
                "--wait: `{}` ist keine Anzahl Sekunden (0 oder mehr)",
                i18n::number(cli.wait, Lang::De)
            ),
        ));
    }
    store::set_lock_wait(std::time::Duration::from_secs_f64(cli.wait.min(86_400.0)));
    let path = cli.store.as_path();
    let lang = cli.lang;
    match cli.command {
        Cmd::Demo { force } => demo(path, force, lang),
        Cmd::Init => {
            let engine = open_or_create(path)?;
            outln!(
                "{} {}: {}",
                lang.pick("store", "Speicher"),
                store::shown(path),
                events(engine.position().map_or(0, |p| p + 1), lang)
            );
            Ok(())
        }
        Cmd::Apply { file, lints } => apply(path, &file, lints, lang),
        Cmd::ForgetPerson {
            person,
            reason,
            actor,
        } => forget_person(path, person, &reason, actor, lang),
        Cmd::Serve {
            config,
            listen,
            hash_token,
        } => serve(config.as_deref(), listen, hash_token),
        Cmd::Export { file, pseudonymise } => export(path, &file, pseudonymise, lang),
        Cmd::Import { file, rechain } => import(path, &file, rechain, lang),
        Cmd::Verify { format } => verify(path, format, lang),
        Cmd::Backup { dir } => backup(path, &dir, lang),
        Cmd::Restore { dir, force } => restore(path, &dir, force, lang),
        Cmd::Replay { as_of } => replay(path, &as_of, lang),
        Cmd::Report {
            cycle,
            as_of,
            format,
            out,
            unit,
        } => report_cmd(
            path,
            cycle.as_deref(),
            as_of.as_deref(),
            format,
            out.as_deref(),
            unit.as_deref(),
            lang,
        ),
        Cmd::Rescore {
            cycle,
            policy,
            format,
        } => rescore(path, &cycle, &policy, format, lang),
        Cmd::Stats {
            include_practice,
            min_unit_members,
            format,
        } => {
            let engine = store::open_read_only(path)?;
            let options = StatsOptions {
                include_practice,
                min_unit_members,
            };
            let s = engine.read(|state| stats(state, &options));
            match format {
                TextOrJson::Json => outln!("{}", to_json(&s)?),
                TextOrJson::Text => out!("{}", stats_text(&s, lang)),
            }
            Ok(())
        }
        Cmd::Lint { cycle } => lint(path, cycle.as_deref(), lang),
        Cmd::Board {
            cycle,
            unit,
            objective,
            key_result,
            format,
            json,
        } => board_cmd(
            path,
            cycle.as_deref(),
            BoardScopeArgs {
                unit: unit.as_deref(),
                objective,
                key_result,
            },
            if json { TextOrJson::Json } else { format },
            lang,
        ),
        Cmd::Maturity {
            include_practice,
            json,
        } => maturity_cmd(path, include_practice, json, lang),
        Cmd::Synth {
            size,
            seed,
            out,
            events,
        } => synth(&size, seed, out.as_deref(), events, lang),
    }
}

/// What part of the cycle `okr board` shows.
struct BoardScopeArgs<'a> {
    unit: Option<&'a str>,
    objective: Option<uuid::Uuid>,
    key_result: Option<uuid::Uuid>,
}

fn board_cmd(
    path: &Path,
    cycle: Option<&str>,
    scope: BoardScopeArgs,
    format: TextOrJson,
    lang: Lang,
) -> CliResult {
    use okr_core::board::{board, Scope};
    let engine = store::open_read_only(path)?;
    let state = engine.read(State::clone);
    let id = match cycle {
        Some(cycle) => resolve_cycle(&state, cycle)?,
        None => default_cycle(&state)?,
    };
    let scope = match (scope.unit, scope.objective, scope.key_result) {
        (Some(u), _, _) => Scope::Unit(resolve_unit(&state, u)?),
        (None, Some(o), _) => Scope::Objective(okr_core::ObjectiveId(o)),
        (None, None, Some(k)) => Scope::KeyResult(okr_core::KeyResultId(k)),
        (None, None, None) => Scope::Cycle,
    };
    let b = board(&state, id, scope).map_err(|r| {
        let flag = match scope {
            Scope::Objective(_) => "--objective",
            Scope::KeyResult(_) => "--key-result",
            Scope::Unit(_) => "--unit",
            Scope::Cycle => "--cycle",
        };
        let name = state.cycles.get(&id).map_or("", |c| c.name.as_str());
        CliError::invalid(
            format!("{flag}: {r} in cycle {name}"),
            format!("{flag}: im Zyklus {name}: {}", r.message(Lang::De)),
        )
    })?;
    match format {
        TextOrJson::Json => outln!("{}", to_json(&b)?),
        TextOrJson::Text => out!("{}", board::text(&b, lang)),
    }
    Ok(())
}

fn maturity_cmd(path: &Path, include_practice: bool, json: bool, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let options = okr_core::stats::StatsOptions {
        include_practice,
        ..Default::default()
    };
    let cycles = engine.read(|s| okr_core::maturity::maturity(s, &options));
    if json {
        outln!("{}", to_json(&serde_json::json!({ "cycles": cycles }))?);
        return Ok(());
    }
    let de = matches!(lang, Lang::De);
    let share = |v: Option<f64>| pct(v, lang);
    let mut o = String::new();
    o.push_str(if de {
        "Zyklus             Output-Anteil  Check-in-Disziplin  Einhaltung  Retro erledigt\n"
    } else {
        "cycle              output share   check-in discipline  keep rate  retro done\n"
    });
    for p in &cycles {
        o.push_str(&format!(
            "{:<18} {:>13}  {:>18}  {:>10}  {:>14}\n",
            report::fit(&p.name, 18),
            share(p.output_share),
            share(p.check_in_discipline),
            share(p.agreement_keep_rate),
            share(p.retro_actions_done)
        ));
    }
    if cycles.is_empty() {
        o.push_str(if de {
            "(noch kein abgeschlossener Zyklus)\n"
        } else {
            "(no closed cycle yet)\n"
        });
    }
    out!("{o}");
    Ok(())
}

fn to_json(v: &impl serde::Serialize) -> CliResult<String> {
    serde_json::to_string_pretty(v).map_err(|e| {
        CliError::storage(
            format!("JSON: {e}"),
            format!("JSON lässt sich nicht schreiben: {e}"),
        )
    })
}

/// `n` events, in `lang`.
fn events(n: u64, lang: Lang) -> String {
    lang.count(n, ("event", "events"), ("Ereignis", "Ereignisse"))
}

/// Writes `text` to `out` or standard output.
fn emit(out: Option<&Path>, text: &str, lang: Lang) -> CliResult {
    match out {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, text).map_err(|e| CliError::write(p, e))?;
            eprintln!("{} {}", lang.pick("wrote", "geschrieben:"), p.display());
            Ok(())
        }
        _ => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())
                .and_then(|_| o.flush())
                .map_err(|e| CliError::write(Path::new("standard output"), e))
        }
    }
}

fn demo(path: &Path, force: bool, lang: Lang) -> CliResult {
    if store::postgres_url(path).is_some() {
        let engine = open_or_create(path)?;
        if let Some(p) = engine.position() {
            return Err(CliError::invalid(
                format!(
                    "{}: the organisation's store holds {} events; `okr demo` builds into an empty one (okr deletes nothing in a database: name another organisation)",
                    store::shown(path),
                    p + 1
                ),
                format!(
                    "{}: der Speicher der Organisation enthält {} Ereignisse; `okr demo` baut in \
                     einen leeren (okr löscht nichts in einer Datenbank: nennen Sie eine andere \
                     Organisation)",
                    store::shown(path),
                    p + 1
                ),
            ));
        }
    } else if path.exists() {
        let engine = open_existing(path).map_err(|e| {
            CliError::invalid(
                format!("{e}; `okr demo` only replaces an okr store, delete it yourself"),
                format!(
                    "{}; `okr demo` ersetzt nur einen okr-Speicher, löschen Sie ihn selbst",
                    e.message(Lang::De)
                ),
            )
        })?;
        if let Some(p) = engine.position() {
            if !force {
                return Err(CliError::invalid(
                    format!(
                        "{}: the store holds {} events; use --force to replace it",
                        path.display(),
                        p + 1
                    ),
                    format!(
                        "{}: der Speicher enthält {} Ereignisse; ersetzen Sie ihn mit --force",
                        path.display(),
                        p + 1
                    ),
                ));
            }
            drop(engine);
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            };
            removed.map_err(|e| CliError::write(path, e))?;
        }
    }
    let engine = open_or_create(path)?;
    let demo = Demo::build();
    let pb = progress::bar(demo.commands.len() as u64, "demo", false);
    for chunk in demo.commands.chunks(1000) {
        engine
            .execute_batch(chunk)
            .map_err(|e| CliError::engine(&"demo".into(), e))?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    let events = engine.position().map_or(0, |p| p + 1);
    let (state, t) = state_at(&engine, None)?;
    outln!(
        "{} {}: {}, {}, {}.\n",
        lang.pick("Demo store", "Demo-Speicher"),
        store::shown(path),
        lang.count(
            demo.commands.len() as u64,
            ("command", "commands"),
            ("Befehl", "Befehle")
        ),
        self::events(events, lang),
        lang.count(
            state.cycles.len() as u64,
            ("cycle", "cycles"),
            ("Zyklus", "Zyklen")
        ),
    );
    let latest = cycles_in_order(&state)
        .into_iter()
        .rfind(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
        .map(|c| c.id);
    if let Some(id) = latest {
        if let Some(r) = report::build(&state, id, t) {
            out!("{}", report::text(&r, lang));
        }
    }
    outln!();
    out!(
        "{}",
        stats_text(&stats(&state, &StatsOptions::default()), lang)
    );
    Ok(())
}

/// At most this many commands of `okr apply` are decided before their append is written and
/// synced; fewer when the input has no more lines ready.
const APPLY_GROUP: usize = 4096;

/// What `okr apply` says about one line, in line order.
enum ApplyLine {
    /// The line's command, by its index in the group.
    Command(usize, usize),
    /// A message about a line that was not a command, already final.
    Note(Text),
}

/// Counts of an `okr apply` run.
#[derive(Default)]
struct ApplyTally {
    ok: u64,
    refused: u64,
    lints: u64,
}

fn apply(path: &Path, file: &Path, show_lints: bool, lang: Lang) -> CliResult {
    let input: Box<dyn std::io::Read + Send> = if file == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).map_err(|e| CliError::read(file, e))?)
    };
    let engine = open_or_create(path)?;
    // Lines are read and parsed on a thread of their own while the engine decides and writes
    // the group before: parsing is about a fifth of the work, and the groups still reach the
    // engine whole and in order. One group waits in the channel at most.
    let (groups, received) = std::sync::mpsc::sync_channel(1);
    let reading = file.to_owned();
    std::thread::spawn(move || read_groups(input, &reading, &groups));
    let mut tally = ApplyTally::default();
    for group in received {
        let (mut lines, mut commands) = group?;
        apply_group(
            &engine,
            (file, lang),
            show_lints,
            &mut lines,
            &mut commands,
            &mut tally,
        )?;
    }
    let ApplyTally { ok, refused, lints } = tally;
    outln!(
        "{}, {}, {}",
        lang.count(
            ok,
            ("command applied", "commands applied"),
            ("Befehl ausgeführt", "Befehle ausgeführt")
        ),
        lang.pick(
            &format!("{refused} refused"),
            &format!("{refused} abgelehnt")
        ),
        lang.count(
            lints,
            ("advisory lint met", "advisory lints met"),
            ("Hinweis", "Hinweise")
        )
    );
    if refused > 0 {
        let refused_in = |lang: Lang| {
            format!(
                "{}: {}",
                file.display(),
                lang.count(
                    refused,
                    ("command refused", "commands refused"),
                    ("Befehl abgelehnt", "Befehle abgelehnt")
                )
            )
        };
        return Err(CliError::invalid(
            refused_in(Lang::En),
            refused_in(Lang::De),
        ));
    }
    Ok(())
}

/// `okr forget-person`: one `forget_person` command, its id derived from person and actor
/// (so that running it again is a retry, not a second command).
fn forget_person(
    path: &Path,
    person: uuid::Uuid,
    reason: &str,
    actor: uuid::Uuid,
    lang: Lang,
) -> CliResult {
    let engine = store::open_existing(path)?;
    let mut id = *b"okr forget-perso";
    for (i, b) in id.iter_mut().enumerate() {
        *b ^= person.as_bytes()[i] ^ actor.as_bytes()[i].rotate_left(3);
    }
    let command = Command::new(
        uuid::Builder::from_custom_bytes(id).into_uuid(),
        okr_core::PersonId(actor),
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
        okr_core::CommandBody::ForgetPerson {
            person: okr_core::PersonId(person),
            reason: reason.to_owned(),
        },
    );
    let outcome = engine
        .execute(&command)
        .map_err(|e| CliError::engine(&"forget-person".into(), e))?;
    let name = engine.read(|s| {
        s.people
            .get(&okr_core::PersonId(person))
            .map(|p| p.name.to_string())
    });
    let already = if outcome.duplicate {
        lang.pick(
            " (already, by this command)",
            " (schon, durch diesen Befehl)",
        )
    } else {
        ""
    };
    match lang {
        Lang::En => outln!(
            "person {person} forgotten{already}: now {}",
            name.unwrap_or_default()
        ),
        Lang::De => outln!(
            "Person {person} vergessen{already}: jetzt {}",
            name.unwrap_or_default()
        ),
    }
    Ok(())
}

/// A group of `okr apply`'s lines, parsed: what is said of each line, and the commands.
type ApplyGroup = (Vec<ApplyLine>, Vec<Command>);

/// Reads and parses `okr apply`'s input, sending a group of lines whenever [`APPLY_GROUP`]
/// commands are parsed or no more input is waiting (so that a slow producer on stdin gets
/// each answer when its line is in), and a last group at the end. Stops at a read error
/// (sent as the last item) or when the receiver is gone.
fn read_groups(
    input: Box<dyn std::io::Read + Send>,
    file: &Path,
    groups: &std::sync::mpsc::SyncSender<Result<ApplyGroup, CliError>>,
) {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let (mut lines, mut commands): ApplyGroup = (Vec::new(), Vec::new());
    let mut bytes = Vec::new();
    let mut n = 0usize;
    loop {
        bytes.clear();
        let read = match reader.read_until(b'\n', &mut bytes) {
            Ok(read) => read,
            Err(e) => {
                let _ = groups.send(Ok((lines, commands)));
                let _ = groups.send(Err(CliError::read(file, e)));
                return;
            }
        };
        if read == 0 {
            let _ = groups.send(Ok((lines, commands)));
            return;
        }
        n += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        // A UTF-8 byte-order mark (as some Windows editors write) opens the first line only.
        let line = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if n == 1 => rest,
            _ => &bytes[..],
        };
        match std::str::from_utf8(line) {
            Err(e) => lines.push(ApplyLine::Note(Text::new(
                format!(
                    "{}:{n}: not UTF-8: invalid byte at column {}; line skipped",
                    file.display(),
                    e.valid_up_to() + 1
                ),
                format!(
                    "{}: Zeile {n}: kein UTF-8: ungültiges Byte in Spalte {}; Zeile übersprungen",
                    file.display(),
                    e.valid_up_to() + 1
                ),
            ))),
            Ok(line) if line.trim().is_empty() => {}
            // The same strict parsing as the C ABI and `okr serve`: full field paths inside
            // the body, repeated keys and over-long texts refused, `version` 1 or absent.
            Ok(line) => match okr_wire::parse::command(line.as_bytes(), "the line") {
                Ok(command) => {
                    lines.push(ApplyLine::Command(n, commands.len()));
                    commands.push(command);
                }
                Err(e) => lines.push(ApplyLine::Note({
                    let t = error::wire_text(&e);
                    Text::new(
                        format!("{}:{n}: {}", file.display(), t.en()),
                        format!("{}: Zeile {n}: {}", file.display(), t.de()),
                    )
                })),
            },
        }
        if (commands.len() >= APPLY_GROUP || reader.buffer().is_empty())
            && groups
                .send(Ok((
                    std::mem::take(&mut lines),
                    std::mem::take(&mut commands),
                )))
                .is_err()
        {
            return;
        }
    }
}

/// Executes the commands of a group of lines, each on its own, the accepted ones written as
/// one durable append ([`okr_store::Engine::execute_each`]), and then reports every line in
/// order: nothing is reported as applied before it is on disk.
fn apply_group(
    engine: &okr_store::Engine,
    (file, lang): (&Path, Lang),
    show_lints: bool,
    lines: &mut Vec<ApplyLine>,
    commands: &mut Vec<Command>,
    tally: &mut ApplyTally,
) -> CliResult {
    let outcomes = if commands.is_empty() {
        Vec::new()
    } else {
        engine.execute_each(commands).map_err(|e| {
            let numbers: Vec<usize> = lines
                .iter()
                .filter_map(|l| match l {
                    ApplyLine::Command(n, _) => Some(*n),
                    ApplyLine::Note(_) => None,
                })
                .collect();
            let (first, last) = (numbers.first(), numbers.last());
            let at = match (first, last) {
                (Some(a), Some(b)) if a != b => Text::new(
                    format!("{}:{a}-{b}", file.display()),
                    format!("{}: Zeilen {a} bis {b}", file.display()),
                ),
                (Some(a), _) => Text::new(
                    format!("{}:{a}", file.display()),
                    format!("{}: Zeile {a}", file.display()),
                ),
                _ => file.display().to_string().into(),
            };
            CliError::engine(&at, e)
        })?
    };
    for line in lines.drain(..) {
        match line {
            ApplyLine::Note(message) => {
                eprintln!("{}", message.get(lang));
                tally.refused += 1;
            }
            ApplyLine::Command(n, index) => match &outcomes[index] {
                Ok(outcome) => {
                    tally.ok += 1;
                    tally.lints += outcome.lints.len() as u64;
                    for l in outcome.lints.iter().filter(|_| show_lints) {
                        eprintln!(
                            "{}:{n}: {} {}: {}",
                            file.display(),
                            lang.pick("lint", "Hinweis"),
                            l.code.code(),
                            l.message(lang)
                        );
                    }
                }
                // A rejection by the rules, or a command id reused for another command
                // (the Engine's rule, as in the C ABI and `okr serve`): not applied.
                Err(r) => {
                    let why = error::refusal_text(r);
                    match lang {
                        Lang::En => eprintln!("{}:{n}: refused: {}", file.display(), why.en()),
                        Lang::De => {
                            eprintln!("{}: Zeile {n}: abgelehnt: {}", file.display(), why.de())
                        }
                    }
                    tally.refused += 1;
                }
            },
        }
    }
    commands.clear();
    Ok(())
}

fn serve(
    config: Option<&Path>,
    listen: Option<std::net::SocketAddr>,
    hash_token: bool,
) -> CliResult {
    if hash_token {
        let mut token = String::new();
        std::io::stdin().read_line(&mut token).map_err(|e| {
            CliError::invalid(
                format!("reading the token: {e}"),
                format!("Das Token lässt sich nicht lesen: {}", error::io_de(&e)),
            )
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CliError::invalid(
                "no token on standard input",
                "auf der Standardeingabe steht kein Token",
            ));
        }
        outln!("{}", okr_serve::hash_token(token));
        return Ok(());
    }
    let Some(config_path) = config else {
        return Err(CliError::invalid(
            "--config: give the configuration file",
            "--config: geben Sie die Konfigurationsdatei an",
        ));
    };
    let mut config = okr_serve::Config::load(config_path).map_err(|e| {
        CliError::invalid(
            e.to_string(),
            format!("Die Konfiguration lässt sich nicht verwenden: {e}"),
        )
    })?;
    if let Some(l) = listen {
        config.listen = l;
    }
    let durability = match &config.durability {
        Some(d) => okr_wire::parse::durability(d).map_err(|e| {
            CliError::invalid(
                format!("{}: {e}", config_path.display()),
                format!("{}: {}", config_path.display(), error::wire_text(&e).de()),
            )
        })?,
        None => okr_store::Durability::Sync,
    };
    // A path is read relative to the configuration file; a postgres:// URL as it is.
    let store = if okr_store::is_postgres_url(&config.store) {
        PathBuf::from(&config.store)
    } else {
        config_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&config.store)
    };
    let engine = store::open(&store, true, durability)?;
    okr_serve::init_logging();
    let engines = std::collections::HashMap::from([(config.organisation.clone(), engine)]);
    okr_serve::run(&config, engines).map_err(|e| {
        CliError::storage(
            format!("okr serve: {e}"),
            format!("okr serve ist ausgefallen: {e}"),
        )
    })
}

fn export(path: &Path, file: &Path, pseudonymise: bool, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let n = if file == Path::new("-") {
        engine
            .export_with(BufWriter::new(std::io::stdout().lock()), pseudonymise)
            .map_err(|e| CliError::engine(&"export".into(), e))?
    } else {
        let f = std::fs::File::create(file).map_err(|e| CliError::write(file, e))?;
        engine
            .export_with(BufWriter::new(f), pseudonymise)
            .map_err(|e| CliError::engine(&file.display().to_string().into(), e))?
    };
    if file != Path::new("-") {
        match lang {
            Lang::En => outln!("exported {} to {}", events(n, lang), file.display()),
            Lang::De => outln!("{} nach {} exportiert", events(n, lang), file.display()),
        }
    }
    Ok(())
}

fn verify(path: &Path, format: TextOrJson, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let report = engine
        .verify()
        .map_err(|e| CliError::engine(&store::shown(path).into(), e))?;
    match format {
        TextOrJson::Json => outln!("{}", to_json(&report)?),
        TextOrJson::Text if report.intact => outln!(
            "{}: {}{}",
            store::shown(path),
            match lang {
                Lang::En => format!(
                    "the hash chain of {} is intact",
                    events(report.events, lang)
                ),
                Lang::De => format!(
                    "die Hash-Kette aus {} ist unversehrt",
                    events(report.events, lang)
                ),
            },
            report.head.map_or(String::new(), |h| format!(
                "; {} {h}",
                lang.pick("head", "Kopf")
            ))
        ),
        TextOrJson::Text => {}
    }
    match report.broken {
        None => Ok(()),
        Some(broken) => Err(CliError::storage(
            format!(
                "{}: broken link at position {}: {} ({} before it check)",
                store::shown(path),
                broken.position,
                broken.detail,
                events(report.events, Lang::En)
            ),
            format!(
                "{}: unterbrochene Verkettung an Position {}: {} ({} davor sind in Ordnung)",
                store::shown(path),
                broken.position,
                broken.detail,
                events(report.events, Lang::De)
            ),
        )),
    }
}

fn backup(path: &Path, dir: &Path, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let report = engine
        .backup(dir)
        .map_err(|e| CliError::engine(&dir.display().to_string().into(), e))?;
    let head = report.head.map_or(String::new(), |h| {
        format!("; {} {h}", lang.pick("head", "Kopf"))
    });
    match lang {
        Lang::En => outln!(
            "backed up {} of {} to {} and verified the copy{head}",
            events(report.events, lang),
            store::shown(path),
            dir.display(),
        ),
        Lang::De => outln!(
            "{} aus {} nach {} gesichert und die Kopie geprüft{head}",
            events(report.events, lang),
            store::shown(path),
            dir.display(),
        ),
    }
    Ok(())
}

fn restore(path: &Path, dir: &Path, force: bool, lang: Lang) -> CliResult {
    if store::postgres_url(path).is_some() {
        return Err(CliError::invalid(
            "okr restore rebuilds a sled store; for PostgreSQL, import an export into a new organisation",
            "okr restore baut einen sled-Speicher neu auf; für PostgreSQL importieren Sie einen \
             Export in eine neue Organisation",
        ));
    }
    let backup = store::open_read_only(dir)?;
    let report = backup
        .verify()
        .map_err(|e| CliError::engine(&dir.display().to_string().into(), e))?;
    if let Some(broken) = report.broken {
        return Err(CliError::storage(
            format!(
                "{}: the backup does not verify: broken link at position {}: {}; nothing restored",
                dir.display(),
                broken.position,
                broken.detail
            ),
            format!(
                "{}: die Sicherung besteht die Prüfung nicht: unterbrochene Verkettung an \
                 Position {}: {}; nichts wiederhergestellt",
                dir.display(),
                broken.position,
                broken.detail
            ),
        ));
    }
    let occupied = std::fs::read_dir(path)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if occupied {
        if !force {
            return Err(CliError::invalid(
                format!(
                    "{}: a store (or other files) is here; use --force to set it aside (it is \
                     renamed, not deleted) and restore in its place",
                    path.display()
                ),
                format!(
                    "{}: hier liegt schon ein Speicher (oder andere Dateien); legen Sie ihn mit \
                     --force beiseite (er wird umbenannt, nicht gelöscht) und stellen Sie an \
                     seiner Stelle wieder her",
                    path.display()
                ),
            ));
        }
        let aside = (1..)
            .map(|n| {
                let mut name = path.as_os_str().to_owned();
                name.push(format!(".replaced-{n}"));
                PathBuf::from(name)
            })
            .find(|p| !p.exists())
            .unwrap_or_else(|| path.with_extension("replaced"));
        std::fs::rename(path, &aside).map_err(|e| CliError::write(path, e))?;
        eprintln!(
            "okr: {} {}",
            lang.pick(
                "set the old store aside as",
                "den alten Speicher beiseitegelegt als"
            ),
            aside.display()
        );
    }
    let restored = backup
        .backup(path)
        .map_err(|e| CliError::engine(&path.display().to_string().into(), e))?;
    let head = restored.head.map_or(String::new(), |h| {
        format!("; {} {h}", lang.pick("head", "Kopf"))
    });
    match lang {
        Lang::En => outln!(
            "restored {} from {} into {} and verified it{head}",
            events(restored.events, lang),
            dir.display(),
            path.display(),
        ),
        Lang::De => outln!(
            "{} aus {} nach {} wiederhergestellt und geprüft{head}",
            events(restored.events, lang),
            dir.display(),
            path.display(),
        ),
    }
    Ok(())
}

fn import(path: &Path, file: &Path, rechain: bool, lang: Lang) -> CliResult {
    let f = std::fs::File::open(file).map_err(|e| CliError::read(file, e))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let engine = open_or_create(path)?;
    let pb = progress::bar(len, "import", true);
    let reader = BufReader::new(pb.wrap_read(f));
    let result = engine.import_with(reader, okr_store::ImportOptions { rechain });
    pb.finish_and_clear();
    match result {
        Ok(n) => {
            match lang {
                Lang::En => outln!("imported {} from {}", events(n, lang), file.display()),
                Lang::De => outln!("{} aus {} importiert", events(n, lang), file.display()),
            }
            Ok(())
        }
        Err(okr_store::EngineError::Import { line, detail }) => {
            let field = json_field_of(file, line, &detail);
            let field_in = |word: &str| {
                field
                    .as_ref()
                    .map(|f| format!("{word} `{f}`: "))
                    .unwrap_or_default()
            };
            Err(CliError::invalid(
                format!(
                    "{}:{line}: {}{detail}; nothing imported",
                    file.display(),
                    field_in("field")
                ),
                format!(
                    "{}: Zeile {line}: {}kein gültiges Ereignis des Protokolls (Befund: \
                     {detail}); nichts importiert",
                    file.display(),
                    field_in("Feld")
                ),
            ))
        }
        Err(e) => Err(CliError::engine(&file.display().to_string().into(), e)),
    }
}

/// The JSON field a decoder message points at: serde_json says "at line 1 column N" but
/// not always which field; this finds the key path (`payload.value`) around that column.
fn json_field_of(file: &Path, line: usize, detail: &str) -> Option<String> {
    let column: usize = detail
        .rsplit_once("at line 1 column ")?
        .1
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let f = std::fs::File::open(file).ok()?;
    let text = BufReader::new(f).lines().nth(line.checked_sub(1)?)?.ok()?;
    field_at(&text, column)
}

/// The key path of the value at byte `column` (1-based) of a one-line JSON object.
fn field_at(text: &str, column: usize) -> Option<String> {
    let mut path: Vec<Option<String>> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut current = String::new();
    let mut last_string = String::new();
    for (i, ch) in text.char_indices() {
        if i >= column {
            break;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
                last_string = std::mem::take(&mut current);
            } else {
                current.push(ch);
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '{' | '[' => path.push(None),
            '}' | ']' => {
                path.pop();
            }
            ':' => {
                if let Some(top) = path.last_mut() {
                    *top = Some(last_string.clone());
                }
            }
            _ => {}
        }
    }
    let keys: Vec<String> = path.into_iter().flatten().collect();
    (!keys.is_empty()).then(|| keys.join("."))
}

fn replay(path: &Path, as_of: &str, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let at = parse_as_of(as_of)?;
    let pb = progress::spinner("replaying");
    let result = state_at(&engine, Some(at));
    pb.finish_and_clear();
    let (state, t) = result?;
    out!("{}", replay_text(&state, t, lang));
    Ok(())
}

fn replay_text(state: &State, t: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    let w = |en: &'static str, de: &'static str| lang.pick(en, de);
    let mut o = format!(
        "{} {}: {}, {}, {}\n",
        w("State as of", "Stand vom"),
        match lang {
            Lang::En => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            Lang::De => t.format("%d.%m.%Y %H:%M:%S UTC").to_string(),
        },
        lang.count(
            state.units.len() as u64,
            ("unit", "units"),
            ("Einheit", "Einheiten")
        ),
        lang.count(
            state.people.len() as u64,
            ("person", "people"),
            ("Person", "Personen")
        ),
        lang.count(
            state.cycles.len() as u64,
            ("cycle", "cycles"),
            ("Zyklus", "Zyklen")
        ),
    );
    for c in cycles_in_order(state) {
        let Some(r) = report::build(state, c.id, t) else {
            continue;
        };
        let check_ins: u64 = c
            .key_results
            .values()
            .map(|k| u64::from(k.check_in_count()))
            .sum();
        o.push_str(&format!(
            "\n{} ({}, {})  {} .. {}\n  {} {} {}  {} {}  {} {}  {} {}\n",
            r.cycle.name,
            lang.term(&r.cycle.kind),
            lang.term(&r.cycle.phase),
            lang.date(r.cycle.start),
            lang.date(r.cycle.end),
            w("progress", "Fortschritt"),
            report::bar(r.progress_ppm, 20),
            report::fig(r.progress_ppm, lang),
            w("expected", "erwartet"),
            i18n::ppm(r.expected_ppm, lang),
            w("score", "Bewertung"),
            report::fig(r.score_ppm, lang),
            w("check-ins", "Check-ins"),
            check_ins
        ));
        for u in &r.units {
            o.push_str(&format!(
                "  {:<32} {} {}  {}\n",
                report::fit(&u.name, 32),
                report::bar(u.own_ppm, 10),
                report::fig(u.own_ppm, lang),
                lang.count(
                    u.objectives.len() as u64,
                    ("objective", "objectives"),
                    ("Objective", "Objectives")
                )
            ));
        }
    }
    o
}

fn report_cmd(
    path: &Path,
    cycle: Option<&str>,
    as_of: Option<&str>,
    format: Format,
    out: Option<&Path>,
    unit: Option<&str>,
    lang: Lang,
) -> CliResult {
    let engine = store::open_read_only(path)?;
    let at = as_of.map(parse_as_of).transpose()?;
    let (state, t) = state_at(&engine, at)?;
    let id = match cycle {
        Some(cycle) => resolve_cycle(&state, cycle)?,
        None => default_cycle(&state)?,
    };
    let mut r = report::build(&state, id, t).ok_or_else(|| {
        let name = state.cycles.get(&id).map_or("", |c| c.name.as_str());
        CliError::invalid(
            format!("--cycle: `{name}` has no report"),
            format!("--cycle: zu `{name}` gibt es keinen Bericht"),
        )
    })?;
    if let Some(unit) = unit {
        let root = resolve_unit(&state, unit)?;
        report::only_subtree(&state, &mut r, root);
    }
    let shown: std::collections::BTreeSet<okr_core::UnitId> =
        r.units.iter().map(|u| u.id).collect();
    let text = match format {
        Format::Text => {
            let mut t = report::text(&r, lang);
            if let Ok(b) = okr_core::board::board(&state, id, okr_core::board::Scope::Cycle) {
                t.push_str(&board::report_section(&b, &shown, lang));
            }
            t
        }
        Format::Json => to_json(&r)? + "\n",
        Format::Csv => report::csv(&r).map_err(|e| {
            CliError::storage(
                format!("CSV: {e}"),
                format!("CSV lässt sich nicht schreiben: {e}"),
            )
        })?,
        Format::Html => {
            let h = match at {
                None => engine.history(id),
                Some(at) => engine.history_as_of(id, at),
            }
            .map_err(|e| CliError::engine(&store::reading_the_log(), e))?;
            html::page(&state, &r, h.as_ref(), lang)
        }
    };
    emit(out, &text, lang)
}

#[derive(serde::Serialize)]
struct RescoreRow {
    kind: &'static str,
    id: uuid::Uuid,
    title: String,
    recorded_ppm: Option<i64>,
    what_if_ppm: Option<i64>,
}

fn rescore(path: &Path, cycle: &str, policy: &str, format: TextOrJson, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let policy = ScoringPolicy::parse(policy).map_err(|e| {
        CliError::invalid(
            format!("--policy: {e}"),
            format!(
                "--policy: `{policy}` ist keine Bewertungsregel, die okr lesen kann \
                     (Befund: {e})"
            ),
        )
    })?;
    let (rows, recorded_policy, recorded_cycle, what_if_cycle, name) = engine.read(|s| {
        let id = resolve_cycle(s, cycle)?;
        let c = &s.cycles[&id];
        // One index of the cycle, scored twice: under its own policy and the what-if.
        let indexed = Rollup::build(s, id).ok_or_else(|| {
            CliError::invalid(
                format!("--cycle: `{cycle}` is unknown"),
                format!("--cycle: `{cycle}` ist unbekannt"),
            )
        })?;
        let recorded = indexed.rescore(&c.policy.scoring);
        let what_if = indexed.rescore(&policy);
        let mut rows = Vec::new();
        for o in c.objectives.values() {
            rows.push(RescoreRow {
                kind: "objective",
                id: o.id.0,
                title: o.text.title.to_string(),
                recorded_ppm: recorded.objective(o.id).flatten(),
                what_if_ppm: what_if.objective(o.id).flatten(),
            });
            for k in c.key_results_of(o.id).filter(|k| !k.removed) {
                rows.push(RescoreRow {
                    kind: "key_result",
                    id: k.id.0,
                    title: k.title.to_string(),
                    recorded_ppm: recorded.key_result(k.id).map(|x| x.score_ppm),
                    what_if_ppm: what_if.key_result(k.id).map(|x| x.score_ppm),
                });
            }
        }
        Ok::<_, CliError>((
            rows,
            recorded.policy(),
            recorded.cycle(),
            what_if.cycle(),
            c.name.clone(),
        ))
    })?;
    match format {
        TextOrJson::Json => outln!(
            "{}",
            to_json(&serde_json::json!({
                "cycle": name,
                "recorded_policy": recorded_policy.to_string(),
                "what_if_policy": policy.to_string(),
                "recorded_ppm": recorded_cycle,
                "what_if_ppm": what_if_cycle,
                "rows": rows,
            }))?
        ),
        TextOrJson::Text => {
            let w = |en: &'static str, de: &'static str| lang.pick(en, de);
            match lang {
                Lang::En => {
                    outln!("{name}: recorded under {recorded_policy}, what-if under {policy}")
                }
                Lang::De => {
                    outln!("{name}: erfasst nach {recorded_policy}, Was-wäre-wenn nach {policy}")
                }
            }
            outln!(
                "{:>8} {:>8} {:>7}  {}",
                w("recorded", "erfasst"),
                w("what-if", "wäre"),
                w("delta", "Differenz"),
                w("objective / key result", "Objective / Key Result")
            );
            for r in &rows {
                let delta = match (r.recorded_ppm, r.what_if_ppm) {
                    (Some(a), Some(b)) if a != b => {
                        let d = i18n::decimal((b - a) as f64 / 1e6, 2, lang);
                        if b > a {
                            format!("+{d}")
                        } else {
                            d
                        }
                    }
                    _ => String::new(),
                };
                let indent = if r.kind == "objective" { "" } else { "  KR " };
                outln!(
                    "{:>8} {:>8} {:>7}  {}",
                    report::fig(r.recorded_ppm, lang),
                    report::fig(r.what_if_ppm, lang),
                    delta,
                    report::fit(&format!("{indent}{}", r.title), 52)
                );
            }
            outln!(
                "{:>8} {:>8}          {}",
                report::fig(recorded_cycle, lang),
                report::fig(what_if_cycle, lang),
                w("cycle", "Zyklus")
            );
        }
    }
    Ok(())
}

fn pct(v: Option<f64>, lang: Lang) -> String {
    v.map(|v| i18n::percent(v, lang))
        .unwrap_or_else(|| "-".into())
}

fn days(v: Option<f64>, lang: Lang) -> String {
    v.map(|v| i18n::decimal(v, 1, lang))
        .unwrap_or_else(|| "-".into())
}

fn brier(v: Option<f64>, lang: Lang) -> String {
    v.map(|b| i18n::decimal(b, 3, lang))
        .unwrap_or_else(|| "-".into())
}

fn stats_text(s: &Stats, lang: Lang) -> String {
    let w = |en: &'static str, de: &'static str| lang.pick(en, de);
    let f = &s.overall;
    let n = s.cycles.len() as u64;
    let mut o = match lang {
        Lang::En => format!(
            "Statistics over {n} closed cycles{}\n",
            if s.include_practice {
                " (practice sprints included)"
            } else {
                " (practice sprints excluded)"
            }
        ),
        Lang::De => format!(
            "Statistik über {}{}\n",
            lang.count(
                n,
                ("", ""),
                ("abgeschlossenen Zyklus", "abgeschlossene Zyklen")
            ),
            if s.include_practice {
                " (mit Übungssprints)"
            } else {
                " (ohne Übungssprints)"
            }
        ),
    };
    // One figure a line: its label (English, German), its value and what it is made of.
    let row =
        |o: &mut String, label: (&'static str, &'static str), value: String, detail: String| {
            o.push_str(&format!(
                "  {:<21} {value} ({detail})\n",
                w(label.0, label.1)
            ));
        };
    row(
        &mut o,
        ("check-in discipline", "Check-in-Disziplin"),
        pct(f.check_in_discipline, lang),
        match lang {
            Lang::En => format!(
                "{} of {} key-result weeks, {} key results",
                f.key_result_weeks_checked_in, f.key_result_weeks, f.key_results
            ),
            Lang::De => format!(
                "{} von {} Key-Result-Wochen, {} Key Results",
                f.key_result_weeks_checked_in, f.key_result_weeks, f.key_results
            ),
        },
    );
    o.push_str(w(
        "  scores by objective kind:\n",
        "  Bewertungen nach Art des Objectives:\n",
    ));
    for (name, d) in [
        (lang.term("committed"), &f.committed_scores),
        (lang.term("aspirational"), &f.aspirational_scores),
    ] {
        o.push_str(&format!(
            "  {:<12} n {:>3}  {} {}  min {}  q1 {}  {} {}  q3 {}  max {}\n",
            name,
            d.count,
            w("mean", "Mittel"),
            report::fig(d.mean_ppm, lang),
            report::fig(d.min_ppm, lang),
            report::fig(d.q1_ppm, lang),
            w("med", "Median"),
            report::fig(d.median_ppm, lang),
            report::fig(d.q3_ppm, lang),
            report::fig(d.max_ppm, lang)
        ));
    }
    let cal = &f.calibration;
    row(
        &mut o,
        ("calibration (Brier)", "Kalibrierung (Brier)"),
        brier(cal.brier, lang),
        match lang {
            Lang::En => format!(
                "over {} key results, {} achieved",
                cal.key_results, cal.achieved
            ),
            Lang::De => format!(
                "über {} Key Results, {} erreicht",
                cal.key_results, cal.achieved
            ),
        },
    );
    let co = &f.carry_over;
    row(
        &mut o,
        ("carry-over rate", "Übernahmequote"),
        pct(co.rate, lang),
        match lang {
            Lang::En => format!("{} of {} objectives", co.carried, co.objectives),
            Lang::De => format!("{} von {} Objectives", co.carried, co.objectives),
        },
    );
    let ag = &f.agreements;
    row(
        &mut o,
        ("agreement keep rate", "Absprachen gehalten"),
        pct(ag.keep_rate, lang),
        match lang {
            Lang::En => format!("{} kept, {} missed, {} made", ag.kept, ag.missed, ag.made),
            Lang::De => format!(
                "{} gehalten, {} verfehlt, {} getroffen",
                ag.kept, ag.missed, ag.made
            ),
        },
    );
    let ra = &s.retro_actions;
    row(
        &mut o,
        ("retro actions done", "Retro-Maßnahmen erledigt"),
        pct(ra.done_share, lang),
        match lang {
            Lang::En => format!(
                "{} done of {} followed up, {} added",
                ra.done, ra.followed_up, ra.added
            ),
            Lang::De => format!(
                "{} erledigt von {} nachverfolgten, {} beschlossen",
                ra.done, ra.followed_up, ra.added
            ),
        },
    );
    let es = &f.escalations;
    row(
        &mut o,
        ("escalation lead time", "Dauer bis Entscheidung"),
        match lang {
            Lang::En => format!(
                "mean {} d, median {} d, max {} d",
                days(es.mean_days, lang),
                days(es.median_days, lang),
                days(es.max_days, lang)
            ),
            Lang::De => format!(
                "Mittel {} T., Median {} T., max. {} T.",
                days(es.mean_days, lang),
                days(es.median_days, lang),
                days(es.max_days, lang)
            ),
        },
        match lang {
            Lang::En => format!("{} decided", es.decided),
            Lang::De => format!("{} entschieden", es.decided),
        },
    );
    let k = s.min_unit_members;
    o.push_str(&if k > 1 {
        match lang {
            Lang::En => format!(
                "\n  by unit (a unit of fewer than {k} members counts in the unit above it)\n"
            ),
            Lang::De => format!(
                "\n  nach Einheit (eine Einheit mit weniger als {k} Mitgliedern zählt in der Einheit darüber)\n"
            ),
        }
    } else {
        w("\n  by unit (every unit)\n", "\n  nach Einheit (jede Einheit)\n").to_string()
    });
    // As below for the cycles: one format for the header and the rows, a column as wide as
    // its label or its widest value.
    let (m, ob, di, co, ke) = if lang == Lang::En {
        (8, 10, 10, 9, 9)
    } else {
        (10, 10, 10, 11, 9)
    };
    let unit_line = |cells: [&str; 6], folded: &str| {
        format!(
            "  {:<17} {:>m$}  {:>ob$}  {:>di$}  {:>co$}  {:>ke$}{folded}\n",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
        )
    };
    o.push_str(&match lang {
        Lang::En => unit_line(
            [
                "unit",
                "members",
                "objectives",
                "discipline",
                "committed",
                "keep rate",
            ],
            "",
        ),
        Lang::De => unit_line(
            [
                "Einheit",
                "Mitglieder",
                "Objectives",
                "Disziplin",
                "verbindlich",
                "gehalten",
            ],
            "",
        ),
    });
    for u in &s.units {
        let f = &u.figures;
        let folded = match u.folded.len() {
            0 => String::new(),
            n => format!(
                "  ({} {})",
                w("with", "mit"),
                lang.count(
                    n as u64,
                    ("smaller unit", "smaller units"),
                    ("kleineren Einheit", "kleineren Einheiten")
                )
            ),
        };
        o.push_str(&unit_line(
            [
                &report::fit(&u.name, 17),
                &u.members.to_string(),
                &f.carry_over.objectives.to_string(),
                &pct(f.check_in_discipline, lang),
                &report::fig(f.committed_scores.mean_ppm, lang),
                &pct(f.agreements.keep_rate, lang),
            ],
            &folded,
        ));
    }
    if !s.in_totals_only.is_empty() {
        let n = s.in_totals_only.len() as u64;
        o.push_str(&format!(
            "  {}: {}\n",
            w("in the totals only", "nur in den Summen"),
            lang.count(
                n,
                (
                    "unit with no unit of enough members above it",
                    "units with no unit of enough members above them"
                ),
                (
                    "Einheit ohne ausreichend große Einheit darüber",
                    "Einheiten ohne ausreichend große Einheit darüber"
                )
            )
        ));
    }
    // The header and the rows share one format, so that each label stands over its column;
    // a column is as wide as its label (or its widest value).
    let (a, b, cc, d) = if lang == Lang::En {
        (6, 10, 9, 7)
    } else {
        (9, 9, 8, 10)
    };
    let cycle_line = |cells: [&str; 6]| {
        format!(
            "  {:<17} {:>a$}  {:>b$}  {:>cc$}  {:>d$}  {}\n",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
        )
    };
    o.push('\n');
    o.push_str(&match lang {
        Lang::En => cycle_line([
            "cycle",
            "score",
            "discipline",
            "keep rate",
            "carried",
            "Brier",
        ]),
        Lang::De => cycle_line([
            "Zyklus",
            "Bewertung",
            "Disziplin",
            "gehalten",
            "übernommen",
            "Brier",
        ]),
    });
    for (c, t) in s.cycles.iter().zip(&s.trend) {
        o.push_str(&cycle_line([
            &report::fit(&c.name, 17),
            &report::fig(t.score_ppm, lang),
            &pct(c.figures.check_in_discipline, lang),
            &pct(c.figures.agreements.keep_rate, lang),
            &c.figures.carry_over.carried.to_string(),
            &brier(c.figures.calibration.brier, lang),
        ]));
    }
    o
}

fn lint(path: &Path, cycle: Option<&str>, lang: Lang) -> CliResult {
    let engine = store::open_read_only(path)?;
    let (state, t) = state_at(&engine, None)?;
    let ids = match cycle {
        Some(c) => vec![resolve_cycle(&state, c)?],
        None => cycles_in_order(&state).iter().map(|c| c.id).collect(),
    };
    let hints = |n: usize| lang.count(n as u64, ("lint", "lints"), ("Hinweis", "Hinweise"));
    let mut total = 0;
    for id in ids {
        let c = &state.cycles[&id];
        let lints = okr_core::lint::cycle(&state, id, store::cycle_instant(c, t));
        outln!(
            "{} ({}): {}",
            c.name,
            lang.term(&c.phase.to_string()),
            hints(lints.len())
        );
        for l in &lints {
            outln!("  [{}] {}", l.code.code(), l.message(lang));
        }
        total += lints.len();
    }
    outln!(
        "{} {}",
        hints(total),
        lang.pick("(advisory)", "(zur Beratung, keine Ablehnung)")
    );
    Ok(())
}

fn synth(size: &str, seed: u64, out: Option<&Path>, events: bool, lang: Lang) -> CliResult {
    let size: Size = size.parse().map_err(|e| {
        CliError::invalid(
            format!("--size: {e}"),
            format!("--size: `{size}` ist keine Größe: S, M, L oder XL"),
        )
    })?;
    let spec = WorkloadSpec::size(size, seed);
    let to_file = out.filter(|p| *p != Path::new("-"));
    let mut w: Box<dyn Write> = match to_file {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).map_err(|e| CliError::write(p, e))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let target = to_file.unwrap_or(Path::new("standard output"));
    let pb = progress::counter(if events { "events" } else { "commands" });
    let mut n = 0u64;
    let mut write = |v: &dyn erased::Json| -> CliResult {
        v.write_line(&mut w)
            .map_err(|e| CliError::write(target, e))?;
        n += 1;
        if n % 4096 == 0 {
            pb.set_position(n);
        }
        Ok(())
    };
    if events {
        for e in Workload::events(spec) {
            write(&e)?;
        }
    } else {
        for c in Workload::new(spec) {
            write(&c)?;
        }
    }
    w.flush().map_err(|e| CliError::write(target, e))?;
    pb.finish_and_clear();
    if to_file.is_some() {
        let what = if events {
            self::events(n, lang)
        } else {
            lang.count(n, ("command", "commands"), ("Befehl", "Befehle"))
        };
        match lang {
            Lang::En => eprintln!("wrote {what} to {}", target.display()),
            Lang::De => eprintln!("{what} nach {} geschrieben", target.display()),
        }
    }
    Ok(())
}

/// One JSON line of anything serialisable, behind a trait object.
mod erased {
    use std::io::Write;

    /// Writes itself as one JSON line.
    pub trait Json {
        /// Serialises and writes `self` and a newline.
        fn write_line(&self, w: &mut dyn Write) -> std::io::Result<()>;
    }

    impl<T: serde::Serialize> Json for T {
        fn write_line(&self, w: &mut dyn Write) -> std::io::Result<()> {
            serde_json::to_writer(&mut *w, self)?;
            w.write_all(b"\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::field_at;

    #[test]
    fn field_at_finds_the_key_path_of_a_column() {
        let line = r#"{"a":1,"payload":{"type":"x","value":"oops"},"b":"\"q"}"#;
        let col = line.find("oops").unwrap();
        assert_eq!(field_at(line, col).as_deref(), Some("payload.value"));
        assert_eq!(field_at(line, 6).as_deref(), Some("a"));
        let col = line.rfind("q\"").unwrap();
        assert_eq!(field_at(line, col).as_deref(), Some("b"));
        assert_eq!(field_at("[1,2]", 2), None);
    }
}
