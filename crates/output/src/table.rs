//! The terminal table: one line per alert, fitted to the terminal's width, for triage at a
//! glance. Alerts are collected and rendered at the end, when every cell's width is known.
//!
//! A column with nothing in it (no process recorded, no signal, no time) is left out. When the
//! full table is wider than the terminal, whole columns are shortened or left out, in
//! this order, until it fits (documented in `docs/output.md`): the signals column lists fewer
//! signals; the first/last column goes; process paths are cut to their last components; the
//! signals column goes; host and destination names are cut to their first (host) or last
//! (destination) labels; the process column goes; then score, connections and protocol; last the
//! allowlist column (a `~` before the suspicion then marks a suppressed row). The id,
//! suspicion, host and destination always stay, and an address or port is never cut. With
//! `details`, every alert's reasons follow its line, wrapped at word boundaries.

mod cells;

use super::AlertWriter;
use cells::width;
use pubsub_hunt_core::time::format_rfc3339;
use pubsub_hunt_core::{Alert, Suspicion};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The width used when there is no terminal to ask (output to a pipe or a file).
pub const DEFAULT_WIDTH: u16 = 120;

/// How the table is drawn; the binary decides each from the terminal and the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableOptions {
    /// Columns available; [`DEFAULT_WIDTH`] when `None`.
    pub width: Option<u16>,
    /// ANSI colours by suspicion.
    pub color: bool,
    /// The reasons under each alert (`--details`).
    pub details: bool,
    /// Alerts the run found but left out (`--top`), for the footer.
    pub omitted: usize,
}

/// A table for people, rendered when all alerts are in.
pub struct TableWriter<'a> {
    out: Box<dyn Write + 'a>,
    rows: Vec<Alert>,
    opts: TableOptions,
}

impl<'a> TableWriter<'a> {
    /// A plain table (no colour, no details) bounded by `width`.
    pub fn new(out: Box<dyn Write + 'a>, width: Option<u16>) -> Self {
        Self::with_options(
            out,
            TableOptions {
                width,
                ..TableOptions::default()
            },
        )
    }

    pub fn with_options(out: Box<dyn Write + 'a>, opts: TableOptions) -> Self {
        TableWriter {
            out,
            rows: Vec::new(),
            opts,
        }
    }
}

/// The columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Id,
    Suspicion,
    Score,
    Host,
    Process,
    Destination,
    Protocol,
    Conns,
    Seen,
    Signals,
    Mark,
}

impl Col {
    const ALL: [Col; 11] = [
        Col::Id,
        Col::Suspicion,
        Col::Score,
        Col::Host,
        Col::Process,
        Col::Destination,
        Col::Protocol,
        Col::Conns,
        Col::Seen,
        Col::Signals,
        Col::Mark,
    ];

    fn header(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Suspicion => "suspicion",
            Col::Score => "score",
            Col::Host => "host",
            Col::Process => "process",
            Col::Destination => "destination",
            Col::Protocol => "proto",
            Col::Conns => "conns",
            Col::Seen => "first→last (UTC)",
            Col::Signals => "top signals",
            Col::Mark => "allowlist",
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Col::Score | Col::Conns)
    }
}

/// How the columns are drawn: which are shown and how far each is shortened.
#[derive(Debug, Clone)]
struct Layout {
    shown: Vec<Col>,
    signals: usize,
    process_max: Option<usize>,
    host_max: Option<usize>,
    dest_name_max: Option<usize>,
}

/// One shortening step of the fitting order (see the module documentation).
#[derive(Debug, Clone, Copy)]
enum Step {
    Signals(usize),
    Drop(Col),
    Process(usize),
    Names(usize, usize),
}

const STEPS: [Step; 14] = [
    Step::Signals(2),
    Step::Signals(1),
    Step::Drop(Col::Seen),
    Step::Process(24),
    Step::Process(14),
    Step::Drop(Col::Signals),
    Step::Names(20, 28),
    Step::Drop(Col::Process),
    Step::Drop(Col::Score),
    Step::Names(12, 16),
    Step::Drop(Col::Conns),
    Step::Drop(Col::Protocol),
    Step::Names(8, 10),
    Step::Drop(Col::Mark),
];

const GAP: &str = "  ";

impl Layout {
    fn full(any_suppressed: bool) -> Layout {
        Layout {
            shown: Col::ALL
                .into_iter()
                .filter(|c| *c != Col::Mark || any_suppressed)
                .collect(),
            signals: 3,
            process_max: None,
            host_max: None,
            dest_name_max: None,
        }
    }

    fn apply(&mut self, step: Step) {
        match step {
            Step::Signals(n) => self.signals = n,
            Step::Drop(c) => self.shown.retain(|x| *x != c),
            Step::Process(m) => self.process_max = Some(m),
            Step::Names(h, d) => {
                self.host_max = Some(h);
                self.dest_name_max = Some(d);
            }
        }
    }

    fn cell(&self, col: Col, a: &Alert) -> String {
        match col {
            Col::Id => cells::short_id(a),
            // Without room for the allowlist column, `~` marks a suppressed row.
            Col::Suspicion if a.suppressed_by.is_some() && !self.shown.contains(&Col::Mark) => {
                format!("~{}", a.suspicion)
            }
            Col::Suspicion => a.suspicion.to_string(),
            Col::Score => a.score.to_string(),
            Col::Host => cells::host(a, self.host_max),
            Col::Process => cells::process(a, self.process_max),
            Col::Destination => cells::destination(a, self.dest_name_max),
            Col::Protocol => a.protocol.to_string(),
            Col::Conns => a.connections.to_string(),
            Col::Seen => cells::seen(a),
            Col::Signals => cells::signals(a, self.signals),
            Col::Mark => {
                if a.suppressed_by.is_some() {
                    "suppressed".into()
                } else {
                    String::new()
                }
            }
        }
    }

    /// Every row's cells and each column's width.
    fn cells(&self, rows: &[Alert]) -> (Vec<Vec<String>>, Vec<usize>) {
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|a| self.shown.iter().map(|c| self.cell(*c, a)).collect())
            .collect();
        let widths = self
            .shown
            .iter()
            .enumerate()
            .map(|(i, c)| {
                table
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(c.header())])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        (table, widths)
    }
}

fn total(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + GAP.len() * widths.len().saturating_sub(1)
}

/// The widest layout that fits `max` columns (the narrowest one when none does).
fn fit(rows: &[Alert], max: usize) -> (Layout, Vec<Vec<String>>, Vec<usize>) {
    let mut layout = Layout::full(rows.iter().any(|a| a.suppressed_by.is_some()));
    // A column with nothing in it (no process recorded, no signal, no time) says nothing.
    let (cells, _) = layout.cells(rows);
    let empty: Vec<Col> = layout
        .shown
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Col::Process | Col::Signals | Col::Seen))
        .filter(|(i, _)| cells.iter().all(|r| r[*i] == "-"))
        .map(|(_, c)| *c)
        .collect();
    layout.shown.retain(|c| !empty.contains(c));
    let (mut cells, mut widths) = layout.cells(rows);
    for step in STEPS {
        if total(&widths) <= max {
            break;
        }
        layout.apply(step);
        (cells, widths) = layout.cells(rows);
    }
    (layout, cells, widths)
}

/// ANSI styles, or none.
struct Paint(bool);

impl Paint {
    fn style(&self, s: anstyle::Style, text: &str) -> String {
        if self.0 {
            format!("{}{text}{}", s.render(), s.render_reset())
        } else {
            text.to_string()
        }
    }

    fn suspicion(&self, sus: Suspicion, text: &str) -> String {
        use anstyle::{AnsiColor, Style};
        let s = match sus {
            Suspicion::High => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            Suspicion::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Suspicion::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        };
        self.style(s, text)
    }
}

fn pad(text: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(text)));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The footer: alerts by suspicion (the same count as the run summary on standard error),
/// suppressed alerts shown, alerts left out by `--top`, and the time span.
fn footer(rows: &[Alert], omitted: usize) -> String {
    let live: Vec<&Alert> = rows.iter().filter(|a| a.suppressed_by.is_none()).collect();
    let mut by: BTreeMap<Suspicion, usize> = BTreeMap::new();
    for a in &live {
        *by.entry(a.suspicion).or_default() += 1;
    }
    let by: Vec<String> = by.iter().rev().map(|(s, n)| format!("{s} {n}")).collect();
    let mut out = plural(live.len() + omitted, "alert", "alerts");
    if !by.is_empty() && omitted == 0 {
        out.push_str(&format!(" ({})", by.join(", ")));
    }
    if omitted > 0 {
        out.push_str(&format!(
            "; {} shown, {omitted} left out by --top, --host or --dst",
            live.len()
        ));
    }
    let suppressed = rows.len() - live.len();
    if suppressed > 0 {
        out.push_str(&format!(
            "; and {} by the allowlist, marked",
            plural(suppressed, "alert suppressed", "alerts suppressed")
        ));
    }
    let first = rows.iter().filter_map(|a| a.first_seen).min();
    let last = rows
        .iter()
        .filter_map(|a| a.last_seen.or(a.first_seen))
        .max();
    if let (Some(f), Some(l)) = (first, last) {
        out.push_str(&format!(
            "; {} to {}",
            &format_rfc3339(f)
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            &format_rfc3339(l)
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
        ));
    }
    out
}

impl AlertWriter for TableWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        self.rows.push(alert.clone());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            if self.opts.omitted > 0 {
                writeln!(
                    self.out,
                    "No alerts shown ({} left out).",
                    self.opts.omitted
                )?;
            } else {
                writeln!(self.out, "No alerts.")?;
            }
            return self.out.flush();
        }
        let max = usize::from(self.opts.width.unwrap_or(DEFAULT_WIDTH)).max(20);
        let rows = std::mem::take(&mut self.rows);
        let (layout, cells, widths) = fit(&rows, max);
        let paint = Paint(self.opts.color);
        let header: Vec<String> = layout
            .shown
            .iter()
            .zip(&widths)
            .map(|(c, w)| pad(c.header(), *w, c.right_aligned()))
            .collect();
        let header = header.join(GAP);
        writeln!(
            self.out,
            "{}",
            paint.style(anstyle::Style::new().bold(), header.trim_end())
        )?;
        for (a, row) in rows.iter().zip(&cells) {
            let parts: Vec<String> = layout
                .shown
                .iter()
                .zip(row.iter().zip(&widths))
                .map(|(c, (text, w))| {
                    let padded = pad(text, *w, c.right_aligned());
                    match c {
                        Col::Suspicion | Col::Score if a.suppressed_by.is_none() => {
                            paint.suspicion(a.suspicion, &padded)
                        }
                        _ => padded,
                    }
                })
                .collect();
            let line = parts.join(GAP);
            let line = line.trim_end();
            if a.suppressed_by.is_some() {
                writeln!(
                    self.out,
                    "{}",
                    paint.style(anstyle::Style::new().dimmed(), line)
                )?;
            } else {
                writeln!(self.out, "{line}")?;
            }
            if self.opts.details {
                self.details(a, max)?;
            }
        }
        writeln!(self.out, "{}", footer(&rows, self.opts.omitted))?;
        self.out.flush()
    }
}

impl TableWriter<'_> {
    /// The reasons and the way back to the data, under an alert's line.
    fn details(&mut self, a: &Alert, max: usize) -> io::Result<()> {
        const INDENT: &str = "    ";
        let room = max.saturating_sub(INDENT.len() + 2).max(20);
        let mut items: Vec<String> = a.reasons.clone();
        let mut more = format!("id {}", a.id);
        if let Some(name) = cells::destination_name(a) {
            more.push_str(&format!(
                "; {name} is {}",
                cells::address_port(a.dst_ip, a.dst_port)
            ));
        }
        if let Some(p) = &a.process {
            more.push_str(&format!("; process {p}"));
        }
        if !a.samples.is_empty() {
            let s: Vec<String> = a
                .samples
                .iter()
                .map(|r| format!("{}:{}", r.file, r.line))
                .collect();
            more.push_str(&format!("; records {}", s.join(" ")));
        }
        items.push(more);
        for item in items {
            for (i, l) in cells::wrap(&item, room).iter().enumerate() {
                let bullet = if i == 0 { "• " } else { "  " };
                writeln!(self.out, "{INDENT}{bullet}{l}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
