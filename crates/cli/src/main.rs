//! The `pubsub-hunt` binary: parses arguments, builds the chosen command's validated settings
//! (`settings`), runs the command (one module each) and maps the outcome to an exit status. All
//! real work lives in the library crates; this crate only wires them together and talks to the
//! terminal.

mod args;
mod config_cmd;
mod controls;
mod explain;
mod formats;
mod hunt;
mod progress;
mod rules;
mod settings;
mod state_cmd;
mod stream;
mod summary;
mod tune;
mod watch;

use args::Cli;
use clap::Parser;
use settings::Settings;
use std::io::Write;
use std::process::ExitCode;

/// Exit statuses (documented in the README and in `--help`).
pub mod exit {
    /// The run completed and every input was read cleanly.
    pub const SUCCESS: u8 = 0;
    /// Alerts were found and `--fail-on-alert` was given.
    pub const ALERTS: u8 = 1;
    /// The run completed, but some input was skipped (results are still written).
    pub const INPUT_PROBLEMS: u8 = 2;
    /// Bad arguments or configuration, `--strict` stopped at a problem, or output failed.
    pub const FATAL: u8 = 3;
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::FATAL
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The reader of our output stopped reading (`| head`): it chose to see no more,
            // so the run ends quietly. A closed or failing output is an error (status 3).
            if is_broken_pipe(&e) {
                return ExitCode::from(exit::SUCCESS);
            }
            let _ = writeln!(std::io::stderr(), "pubsub-hunt: error: {e:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Builds the validated settings of the chosen command (every check of user input happens
/// there, before anything is read, captured or written), then runs it.
fn run(cli: Cli) -> anyhow::Result<u8> {
    match Settings::from_args(cli.command)? {
        Settings::Hunt(s) => hunt::run(s),
        Settings::Tune(s) => tune::run(s),
        Settings::Watch(s) => watch::run(s),
        Settings::Explain(s) => explain::run(s),
        Settings::RulesExport(s) => rules::export(s),
        Settings::RulesShow(s) => rules::show(s),
        Settings::ConfigInit(s) => config_cmd::init(s),
        Settings::ConfigCheck(s) => config_cmd::check(s),
        Settings::ConfigDefaults(s) => config_cmd::defaults(s),
        Settings::Formats(s) => formats::run(s),
        Settings::Controls(s) => controls::run(s),
        Settings::State(s) => state_cmd::run(s),
        Settings::Stream(s) => stream::run(s),
    }
}
