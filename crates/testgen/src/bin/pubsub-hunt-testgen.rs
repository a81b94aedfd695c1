//! `pubsub-hunt-testgen`: writes realistic Zeek conn.log files with planted pub/sub channels
//! and, optionally, their ground truth as JSON, for tests and benchmarks of pubsub-hunt; and
//! (`labeled`) a day of mixed benign and C2 pub/sub traffic as a capture, Sysmon JSON and a
//! conn.log with the ground truth of every channel.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use pubsub_hunt_testgen::{
    GenConfig, LabeledData, LogFormat, RenderOptions, Suspicion, write_conn_log,
    write_conn_log_file,
};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "pubsub-hunt-testgen",
    version,
    about = "Generate pub/sub hunting test data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Tsv,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// A Zeek conn.log with background traffic and planted channels.
    Conn {
        #[arg(long, value_enum, default_value = "tsv")]
        format: Format,
        /// JSON: underscored names (`id_orig_h`) instead of dotted ones.
        #[arg(long)]
        underscore: bool,
        /// JSON: ISO-8601 `ts` (json-streaming-logs style, with `_path` and `_write_ts`).
        #[arg(long)]
        iso_ts: bool,
        /// Rows to write (planted rows are always all written).
        #[arg(long, default_value_t = 100_000)]
        lines: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Capture start, epoch seconds (default 2024-03-04T00:00:00Z).
        #[arg(long)]
        start: Option<i64>,
        /// Capture length in seconds (default: lines / 50, at least 3 hours).
        #[arg(long)]
        span: Option<u64>,
        /// Leave `local_orig`/`local_resp` unset, as Zeek does without `Site::local_nets`.
        #[arg(long)]
        no_local_nets: bool,
        /// Output file (`-` for stdout); `.gz` and `.zst` names are compressed.
        #[arg(long, default_value = "-")]
        out: PathBuf,
        /// Write the ground truth (planted groups, default-run expected alerts) as JSON here.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Labeled mixed traffic: capture.pcap, sysmon.json, conn.log and truth.json in a directory.
    Labeled {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Length of the scenario in hours (at least 2).
        #[arg(long, default_value_t = pubsub_hunt_testgen::labeled::DEFAULT_HOURS)]
        hours: f64,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Labeled { out, seed, hours } => labeled(&out, seed, hours),
        conn => conn_log(conn),
    }
}

fn labeled(out: &std::path::Path, seed: u64, hours: f64) -> Result<()> {
    if !hours.is_finite() || hours <= 0.0 {
        anyhow::bail!("--hours must be a positive number");
    }
    let w = LabeledData::generate(seed, hours)
        .write_dir(out)
        .with_context(|| format!("writing into {}", out.display()))?;
    eprintln!(
        "pubsub-hunt-testgen: {} channels ({} c2): {} packets, {} Sysmon events, {} conn rows in {}",
        w.channels,
        w.c2_channels,
        w.packets,
        w.sysmon_events,
        w.conn_rows,
        out.display()
    );
    Ok(())
}

fn conn_log(command: Command) -> Result<()> {
    let Command::Conn {
        format,
        underscore,
        iso_ts,
        lines,
        seed,
        start,
        span,
        no_local_nets,
        out,
        truth,
    } = command
    else {
        anyhow::bail!("not a conn command");
    };
    let defaults = GenConfig::default();
    let cfg = GenConfig {
        lines,
        seed,
        start_secs: start.unwrap_or(defaults.start_secs),
        span_secs: span,
        local_nets: !no_local_nets,
    };
    let opts = RenderOptions {
        format: match format {
            Format::Tsv => LogFormat::ZeekTsv,
            Format::Json => LogFormat::ZeekJson,
        },
        underscore_names: underscore,
        iso_ts,
    };
    let ground_truth = if out.as_os_str() == "-" {
        let stdout = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let (mut w, t) = write_conn_log(&cfg, &opts, stdout).context("writing to stdout")?;
        w.flush()?;
        t
    } else {
        write_conn_log_file(&cfg, &opts, &out)
            .with_context(|| format!("writing {}", out.display()))?
    };
    if let Some(path) = truth {
        let doc = serde_json::json!({
            "generator": "pubsub-hunt-testgen conn",
            "truth": ground_truth,
            "expected_alerts_default": ground_truth.expected_alerts(None, Suspicion::Medium),
        });
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!(
        "pubsub-hunt-testgen: {} rows ({} planted, {} planted groups)",
        ground_truth.rows,
        ground_truth.planted_rows,
        ground_truth.groups.len()
    );
    Ok(())
}
