//! Command-line arguments, as close to what the user typed as possible: one clap struct per
//! command, and the flag groups several commands share (`--config`, `--output`, `--analytic`,
//! `--all-sessions`) declared once and flattened into each. Nothing here is validated beyond
//! what clap checks; `settings` turns these into one validated settings value per command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "pubsub-hunt",
    version,
    about = "Hunt command-and-control hidden in publish/subscribe protocols (MITRE ATT&CK T1071.005)",
    long_about = "Hunt command-and-control hidden in publish/subscribe protocols (MQTT, XMPP, AMQP, \
                  STOMP; MITRE ATT&CK T1071.005) in network connection logs.",
    after_help = "Exit status: 0 success; 1 alerts found (only with --fail-on-alert); 2 some input \
                  was skipped (results are still written); 3 fatal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the analytics over logs and report alerts.
    #[command(
        after_help = "Examples:\n  pubsub-hunt hunt conn.log\n  pubsub-hunt hunt --window 1h \
                            --format csv -o alerts.csv /var/log/zeek/\n  zcat conn.*.log.gz | \
                            pubsub-hunt hunt -"
    )]
    Hunt(HuntArgs),
    /// Explain one alert, host or destination: the full evidence of the matching alerts, or
    /// what became of the groups that did not alert (below the threshold, demoted, suppressed
    /// by which allowlist entry, not a candidate because…). Takes the same inputs and options
    /// as `hunt`.
    #[command(
        after_help = "TARGET is an alert id (the table's short id or any unique prefix of the full                       one), a host (name or address) or a destination (address, network, or                       name).

Examples:
  pubsub-hunt explain 3f2a9c1d conn.log
                        pubsub-hunt explain 10.0.0.23 /var/log/zeek/
  pubsub-hunt explain                       broker.example.net --config tuned.toml conn.log"
    )]
    Explain(ExplainArgs),
    /// Write or check a configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the input formats pubsub-hunt reads.
    Formats,
    /// Capture live on a network interface (Linux; needs root or CAP_NET_RAW) and report
    /// alerts as they happen, until interrupted.
    #[command(
        after_help = "Examples:\n  sudo pubsub-hunt watch --interface eth0\n  sudo pubsub-hunt watch \
                      -i any --filter 'tcp and port 1883' --all-sessions"
    )]
    Watch(WatchArgs),
    /// Run a hunt and report how the allowlist works on it: which entries fire most, and which
    /// new entries would remove the most low-value alerts (with what each would also hide).
    #[command(
        after_help = "Examples:\n  pubsub-hunt tune conn.log\n  pubsub-hunt tune --config tuned.toml \
                      --top 20 /var/log/zeek/\n  pubsub-hunt tune --format jsonl capture.pcap"
    )]
    Tune(TuneArgs),
    /// Export the tuned analytic as SIEM rules, or show it in plain words.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Turn findings into controls: Suricata rules, an nftables blocklist, external dynamic
    /// lists, a Zeek Intel file and a STIX 2.1 bundle, from a hunt's inputs or a saved alerts
    /// file.
    #[command(after_help = CONTROLS_AFTER_HELP)]
    Controls(ControlsArgs),
    /// Show or reset the history kept across runs (the state store).
    #[command(subcommand)]
    State(StateCommand),
    /// Run as a member of a Kafka consumer group: read connection records from topics, rate
    /// each partition's hosts over event-time windows, and deliver findings (keyed by alert id)
    /// to a topic and/or a file at least once. Needs a build with the `kafka` feature.
    #[command(
        after_help = "Examples:\n  pubsub-hunt stream --brokers kafka1:9092 --topic zeek-conn --group \
                      pubsub-hunt --output-topic pubsub-findings\n  pubsub-hunt stream --brokers \
                      127.0.0.1:9092 --topic zeek --group hunters -o findings.jsonl \
                      --window 1h\n\nFindings are written after their window closes; offsets are \
                      committed only after the findings that depend on them are acknowledged or \
                      synced to the file. SIGTERM finishes the batch, commits and leaves the group."
    )]
    Stream(StreamArgs),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Write the analytic (ports, internal networks, threshold, window, Mosquitto exclusion,
    /// allowlist) as a query for one SIEM.
    #[command(
        after_help = "Examples:\n  pubsub-hunt rules export --target sigma\n  pubsub-hunt rules \
                      export --target kql --config tuned.toml -o pubsub.kql"
    )]
    Export(RulesExportArgs),
    /// Print the effective analytic in plain words.
    Show(RulesShowArgs),
}

#[derive(Debug, Args)]
pub struct RulesExportArgs {
    /// sigma (network_connection + correlation rule), kql (Defender XDR and Sentinel), spl
    /// (CIM Network_Traffic), yara-l (Chronicle UDM) or esql (Elastic ECS).
    #[arg(short, long, value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub config: DefaultsConfigArg,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesShowArgs {
    #[command(flatten)]
    pub config: DefaultsConfigArg,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the commented default configuration (TOML).
    Init(ConfigInitArgs),
    /// Validate a configuration file and print the effective settings.
    Check(ConfigCheckArgs),
    /// Print the default allowlist: every entry's reason, what it matches and the evidence it
    /// may absorb.
    #[command(
        after_help = "Examples:\n  pubsub-hunt config defaults\n  pubsub-hunt config defaults \
                      --format json --config tuned.toml"
    )]
    Defaults(ConfigDefaultsArgs),
}

#[derive(Debug, Args)]
pub struct ConfigDefaultsArgs {
    #[command(flatten)]
    pub config: DefaultsConfigArg,
    /// text (grouped by class), json (one object per entry) or markdown (the table in the
    /// README and docs/allowlist.md).
    #[arg(long, value_enum, default_value_t = DefaultsFormatArg::Text)]
    pub format: DefaultsFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefaultsFormatArg {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    /// Write to this file instead of standard output (refuses to overwrite).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The file to check.
    pub config: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Jsonl,
    Csv,
    /// A self-contained HTML report (use with -o report.html).
    Html,
    /// OCSF Detection Findings (class 2004), one per line.
    Ocsf,
    /// ECS alert documents (event.kind: alert), one per line.
    Ecs,
}

/// The formats of `stream`'s findings: records that stand alone, one per message or line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormatArg {
    /// The objects `hunt --format jsonl` writes.
    Jsonl,
    /// OCSF Detection Findings (class 2004), `finding_info.uid` the alert id.
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuspicionArg {
    High,
    Medium,
    Low,
}

// `tune` shares every flag of `hunt`; its `--top` (declared in `ViewArgs`) counts the
// candidate entries listed.
const TUNE_TOP_HELP: &str = "Most candidate entries listed [default: 15]";

#[derive(Debug, Args)]
#[command(mut_arg("top", |a| a.help(TUNE_TOP_HELP)))]
pub struct TuneArgs {
    #[command(flatten)]
    pub hunt: HuntArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An alert id (or a unique prefix), a host, or a destination.
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub hunt: HuntArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

// What to look at and how to show it (`hunt`, `tune`, `explain`).
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Only records that start at or after TIME: RFC 3339 (`2026-11-02T08:00:00Z`) or a
    /// duration before now (`90m`, `24h`, `7d`). Applied to the records before grouping: the
    /// hunt runs over that time range only, and records without a time are left out.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only records that start at or before TIME (as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Write only the N highest-ranked alerts (the summary still counts them all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Only alerts of this host: a name or an address (repeatable). Applied to the alerts, not
    /// the records: every channel is still judged against all the data (how many hosts reach a
    /// destination is evidence), so a filter never changes a verdict.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Only alerts to this destination: an address, a network (CIDR), or a name (the
    /// destination's own name or one ending in `.NAME`) (repeatable). Applied to the alerts,
    /// like --host.
    #[arg(long = "dst", value_name = "DEST")]
    pub dsts: Vec<String>,

    /// Colour the table by suspicion: auto (on a terminal, unless NO_COLOR is set), always or
    /// never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,

    /// In the table, print each alert's reasons and records under its line.
    #[arg(long)]
    pub details: bool,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Files, directories (read recursively) or `-` for standard input. Plain, gzip, zstd and
    /// zip inputs are recognised by content.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    #[command(flatten)]
    pub config: ConfigArg,

    /// Input format; `auto` decides per file from its content (`pubsub-hunt formats` lists
    /// the names).
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub input_format: String,

    /// A mapping file (TOML) describing a CSV or JSON export pubsub-hunt has no reader for:
    /// which column is the time, host, process, user, addresses, ports, action and bytes. Its
    /// `name` can be given to --input-format. May be repeated.
    #[arg(long, value_name = "FILE")]
    pub mapping: Vec<PathBuf>,

    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,

    #[command(flatten)]
    pub output: OutputArg,

    /// Tumbling window (`1h`, `24h`, `7d`, or `none` for the whole input); overrides the config.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,

    #[command(flatten)]
    pub analytics: AnalyticArgs,

    #[command(flatten)]
    pub sessions: AllSessionsArg,

    /// Also report alerts the allowlist suppressed, with `suppressed_by` naming the entry's
    /// reason.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Do not apply the shipped default allowlist of known-benign classes (chat clients, IoT
    /// agents, push services, internal message-queue servers…); your own entries still apply.
    #[arg(long)]
    pub no_default_allowlist: bool,

    /// Least suspicion reported; overrides the config.
    #[arg(long, value_enum)]
    pub min_suspicion: Option<SuspicionArg>,

    /// Fewest connections a group needs; overrides the config.
    #[arg(long, value_name = "N")]
    pub min_connections: Option<u64>,

    /// Add an internal network (CIDR or address; repeatable).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,

    /// Stop at the first input problem, and validate every record instead of prefiltering.
    #[arg(long)]
    pub strict: bool,

    /// Exit with status 1 when there are alerts.
    #[arg(long)]
    pub fail_on_alert: bool,

    /// Worker threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub view: ViewArgs,

    /// No summary and no progress on standard error (problems are still reported; logs that
    /// are not connection logs are summed up in one line).
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Bootstrap brokers, `HOST:PORT` (comma-separated or repeated).
    #[arg(long, value_name = "HOST:PORT", required = true)]
    pub brokers: Vec<String>,

    /// Topic to read (repeatable).
    #[arg(long = "topic", value_name = "NAME", required = true)]
    pub topics: Vec<String>,

    /// Consumer group id: members of one group share the topics' partitions.
    #[arg(long, value_name = "ID")]
    pub group: String,

    /// Append findings (one per line, in --format) to this file, synced before offsets are
    /// committed.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Produce findings to this topic, keyed by alert id (use a compacted topic to keep the
    /// latest finding per channel).
    #[arg(long, value_name = "NAME")]
    pub output_topic: Option<String>,

    /// How findings are written, to the file and the topic alike, by the writers of `hunt`.
    #[arg(long, value_enum, default_value_t = StreamFormatArg::Jsonl)]
    pub format: StreamFormatArg,

    /// Event-time window each partition's records are rated over (`15m`, `1h`, `1d`), aligned
    /// on the epoch (UTC).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub window: String,

    /// How far behind a partition's newest record a record may be and still join its window.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub lateness: String,

    /// Close a partition's open windows when it got no record for this long (`0` never).
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub idle_close: String,

    /// Leave the group once no record arrived for this long, after closing every window
    /// (catch-up runs over a backlog; tests). Default: run until SIGTERM.
    #[arg(long, value_name = "DURATION")]
    pub stop_when_idle: Option<String>,

    /// Seconds between stats lines on standard error.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub stats_every: u64,

    /// Seconds between batches: due windows closed, findings flushed, offsets committed.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub commit_every: u64,

    /// A librdkafka property, `KEY=VALUE` (repeatable): security settings, timeouts.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub properties: Vec<String>,

    /// Input format of the records; `auto` decides per message from its content.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub input_format: String,

    #[command(flatten)]
    pub config: ConfigArg,

    #[command(flatten)]
    pub analytics: AnalyticArgs,

    /// Do not apply the shipped default allowlist; your own entries still apply.
    #[arg(long)]
    pub no_default_allowlist: bool,

    /// Least suspicion reported; overrides the config.
    #[arg(long, value_enum)]
    pub min_suspicion: Option<SuspicionArg>,

    /// Fewest connections a group needs; overrides the config.
    #[arg(long, value_name = "N")]
    pub min_connections: Option<u64>,

    /// Add an internal network (CIDR or address; repeatable).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,

    /// Stop at the first malformed record (without committing past it).
    #[arg(long)]
    pub strict: bool,

    /// The history `hunt` keeps is read once at start (never written by `stream`).
    #[command(flatten)]
    pub state: StateArgs,
}

// `watch` writes each alert as it is raised, and each session as it ends: it keeps its own
// wording of the shared `--output` and `--all-sessions` (declared once, in `OutputArg` and
// `AllSessionsArg`).
const WATCH_OUTPUT_HELP: &str = "Write results to this file instead of standard output";
const WATCH_SESSIONS_HELP: &str = "Also write one line per publish/subscribe session as it ends";

#[derive(Debug, Args)]
#[command(
    mut_arg("output", |a| a.help(WATCH_OUTPUT_HELP)),
    mut_arg("all_sessions", |a| a.help(WATCH_SESSIONS_HELP))
)]
pub struct WatchArgs {
    /// Interface to capture on (`any` for all).
    #[arg(short, long, value_name = "IFACE")]
    pub interface: String,

    /// Capture filter: `N` or `port N`, `host ADDR`, `tcp`, `udp`, joined with `and`.
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,

    #[command(flatten)]
    pub config: ConfigArg,

    #[command(flatten)]
    pub output: OutputArg,

    /// Output format, written by the same writers as `hunt`: jsonl (the default), csv, ocsf
    /// and ecs write one record per new or raised alert; table prints one table per report
    /// interval; html writes one report of the whole watch when it stops (use with -o).
    #[arg(short, long, value_enum, default_value_t = FormatArg::Jsonl)]
    pub format: FormatArg,

    /// How often the groups are re-rated and new or raised alerts written, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub report_every: u64,

    #[command(flatten)]
    pub sessions: AllSessionsArg,

    #[command(flatten)]
    pub analytics: AnalyticArgs,

    #[command(flatten)]
    pub state: StateArgs,
}

// The flag groups below are shared by several commands and declared once here. They carry no
// `///` doc comment of their own: clap would take it as the about text of the command they are
// flattened into.

// `--config` of the commands that hunt (`hunt`, `tune`, `watch`).
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Configuration file (see `pubsub-hunt config init`).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

// `--config` of the commands that describe the analytic (`rules export`, `rules show`).
#[derive(Debug, Args)]
pub struct DefaultsConfigArg {
    /// Configuration file (default: the built-in defaults).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

// `--output` of the commands that write results (`hunt`, `tune`, `watch`).
#[derive(Debug, Args)]
pub struct OutputArg {
    /// Write results to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

// `--analytic` (`hunt`, `tune`, `watch`).
#[derive(Debug, Args)]
pub struct AnalyticArgs {
    /// Analytics to run (repeatable): pubsub-port, pubsub-unusual-port (the port analytics that
    /// form groups), pubsub-beacon, pubsub-content, pubsub-rate, pubsub-process,
    /// pubsub-destination (behaviour analytics that score them), or behaviour (all five).
    /// `--analytic pubsub-port` alone is the seed analytic, unchanged; behaviour analytics alone
    /// report only the groups where they found something. [default: as configured, all]
    #[arg(long = "analytic", value_name = "ID")]
    pub analytics: Vec<String>,
}

// `--all-sessions` (`hunt`, `tune`, `watch`).
#[derive(Debug, Args)]
pub struct AllSessionsArg {
    /// Also write one line per publish/subscribe session recognised in captures, alert or not
    /// (`"kind": "session"`; alerts say `"kind": "alert"`). JSON lines only.
    #[arg(long)]
    pub all_sessions: bool,
}

const CONTROLS_AFTER_HELP: &str = "Files written into --out-dir: pubsub-hunt.rules (Suricata), \
pubsub-hunt.nft (nftables), edl-addresses.txt and edl-domains.txt (external dynamic lists), \
zeek-intel.dat (Zeek Intel), stix-bundle.json (STIX 2.1), skipped.txt and skipped.json (what the \
safety checks left out, and why). See docs/controls.md.\n\nExamples:\n  pubsub-hunt controls \
--out-dir controls/ capture.pcap\n  pubsub-hunt hunt --format jsonl -o alerts.jsonl conn.log && \
pubsub-hunt controls --alerts alerts.jsonl --id 0123456789abcdef --out-dir controls/";

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// Inputs to hunt, as for `hunt` (files, directories or `-`); or give --alerts instead.
    #[arg(
        value_name = "PATH",
        required_unless_present = "alerts",
        conflicts_with = "alerts"
    )]
    pub paths: Vec<String>,

    /// A saved alerts file (JSON lines, as `hunt --format jsonl` writes them, edited or not)
    /// instead of hunting inputs; `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Directory the control files are written into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,

    /// Least suspicion of the alerts made into controls [default: high, or only the --id
    /// alerts when ids are given].
    #[arg(long, value_enum)]
    pub min_suspicion: Option<SuspicionArg>,

    /// An alert to make into controls, by its id (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,

    /// First Suricata rule id; the others follow.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub sid_base: u32,

    /// Suricata classtype of the rules (must exist in the sensor's classification.config).
    #[arg(long, value_name = "NAME", default_value = "trojan-activity")]
    pub classtype: String,

    /// A destination that this many distinct internal hosts reach (over every alert of the
    /// input) is a shared service and gets no destination control.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub shared_hosts: usize,

    /// Write controls even for destinations the safety checks would skip (allowlisted, shared,
    /// cloud endpoints).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub config: ConfigArg,

    /// Input format, as for `hunt`.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub input_format: String,

    /// A mapping file, as for `hunt` (repeatable).
    #[arg(long, value_name = "FILE")]
    pub mapping: Vec<PathBuf>,

    /// Tumbling window, as for `hunt`.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,

    #[command(flatten)]
    pub analytics: AnalyticArgs,

    /// Do not apply the shipped default allowlist, as for `hunt`.
    #[arg(long)]
    pub no_default_allowlist: bool,

    /// Fewest connections a group needs, as for `hunt`.
    #[arg(long, value_name = "N")]
    pub min_connections: Option<u64>,

    /// Add an internal network (repeatable), as for `hunt`.
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,

    /// Stop at the first input problem (or bad line of the alerts file).
    #[arg(long)]
    pub strict: bool,

    /// Worker threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// No summary on standard error (problems and skipped candidates are still reported).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where history across runs is kept (`hunt`, `watch`).
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The state store (SQLite) that keeps history across runs [default:
    /// $XDG_STATE_HOME/pubsub-hunt/state.sqlite or the platform's state directory].
    #[arg(long, value_name = "PATH", conflicts_with = "no_state")]
    pub state: Option<PathBuf>,
    /// Neither read nor write history across runs (also PUBSUB_HUNT_NO_STATE=1).
    #[arg(long)]
    pub no_state: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Where the store is, its schema version, and how much history it holds.
    Show(StateStoreArg),
    /// Forget all history (the file and its schema stay).
    Reset(StateResetArgs),
}

#[derive(Debug, Args)]
pub struct StateStoreArg {
    /// The state store [default: the one `hunt` uses].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StateResetArgs {
    #[command(flatten)]
    pub store: StateStoreArg,
    /// Really forget it (without this, reset only says what it would remove).
    #[arg(long)]
    pub yes: bool,
}
