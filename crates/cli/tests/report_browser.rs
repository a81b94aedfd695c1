//! The HTML report in a real browser: Debian's Chromium, headless and cut off from the network
//! (`scripts/test.sh` installs it), renders the report of the example data and of a labelled
//! capture. The test fails on any console message (a script error, a request the page's
//! content security policy refused) and on any network request the page made (from Chromium's
//! network log, so it holds whatever the policy says), and checks the rendered DOM: one
//! section per alert with its id, a timeline and a histogram per alert, the filters' script ran
//! (it writes how many alerts are shown). It prints each report to PDF, and keeps a screenshot
//! of each report in the test's output directory for a person to look at.
//!
//! Without Chromium the test skips with a message, unless `PUBSUB_HUNT_REQUIRE_ORACLES=1`.

mod common;

use std::path::{Path, PathBuf};

use common::root;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            !std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1"),
            "Chromium required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but not installed"
        );
        eprintln!("SKIPPED: no chromium (run scripts/test.sh as root to install it)");
    }
    found
}

/// What Chromium made of a page: the DOM after scripts ran, the console errors, and the
/// network requests the page made.
struct Rendered {
    dom: String,
    console_errors: Vec<String>,
    page_requests: Vec<String>,
}

/// The switches of every run: headless, no sandbox or GPU, and no network. Chromium's own
/// services (component updates, sign-in) still start requests in headless mode whatever the
/// `--disable-*` switches say, so every host name resolves to nothing: no request, the page's
/// or the browser's, leaves the machine (loopback stays reachable for the negative control).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--no-first-run",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--enable-logging=stderr",
    "--v=0",
];

/// Renders `page` headless with no network, capturing the DOM (`--dump-dom`), the console
/// (Chromium logs console messages to stderr with `--enable-logging=stderr`) and the network
/// log (`--log-net-log`), and takes a screenshot to `shot` when given.
fn render(chrome: &Path, page: &Path, shot: Option<&Path>) -> Rendered {
    let profile = tempfile::tempdir().unwrap();
    let net_log = profile.path().join("net-log.json");
    let base = |cmd: &mut std::process::Command| {
        cmd.args(CHROMIUM_FLAGS).arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ));
    };
    let url = format!("file://{}", page.display());
    let mut cmd = std::process::Command::new(chrome);
    base(&mut cmd);
    let out = cmd
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if let Some(shot) = shot {
        let mut cmd = std::process::Command::new(chrome);
        base(&mut cmd);
        let st = cmd
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1280,2400")
            .arg(&url)
            .output()
            .unwrap();
        assert!(
            shot.is_file(),
            "no screenshot: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let log = std::fs::read_to_string(&net_log)
        .unwrap_or_else(|e| panic!("no network log from Chromium ({e}): {stderr}"));
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console_errors: console_errors(&stderr),
        page_requests: page_requests(&log),
    }
}

/// Prints `page` to a PDF with Chromium's print path (print styles applied) and returns the
/// number of pages.
fn print_pages(chrome: &Path, page: &Path, pdf: &Path) -> usize {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chrome)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    // Page objects are written uncompressed (`/Type /Page`, the tree nodes are `/Type /Pages`).
    let text = String::from_utf8_lossy(&bytes);
    text.match_indices("/Type /Page")
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count()
}

/// The URLs of the network requests a `file://` page made, from Chromium's network log: the
/// requests started (`URL_REQUEST_START_JOB`) in the page's network partition (its isolation
/// key names `file://`). The browser's own service requests are in other partitions.
fn page_requests(log: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(log).expect("Chromium's network log is JSON");
    let start = &v["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    assert!(
        start.is_number(),
        "no URL_REQUEST_START_JOB in the log's constants"
    );
    v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| &e["type"] == start)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(String::from))
        .collect()
}

/// Console messages in Chromium's log. Chromium logs every console message at INFO as
/// `INFO:CONSOLE…` whatever its level, so the level cannot be told; the report writes nothing to
/// the console, so any message (an uncaught exception, a request its policy refused, a
/// `console.error`) is a fault.
fn console_errors(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect()
}

fn report(input: &str, dir: &Path, name: &str) -> (PathBuf, usize) {
    let page = dir.join(format!("{name}.html"));
    let out = common::bin()
        .current_dir(root())
        .args([
            "hunt",
            "--threads",
            "2",
            "--quiet",
            "--format",
            "html",
            "-o",
        ])
        .arg(&page)
        .arg(input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jsonl = common::bin()
        .current_dir(root())
        .args([
            "hunt",
            "--threads",
            "2",
            "--quiet",
            "--format",
            "jsonl",
            input,
        ])
        .output()
        .unwrap();
    let alerts = String::from_utf8(jsonl.stdout).unwrap().lines().count();
    (page, alerts)
}

/// Where screenshots are kept for a person to look at.
fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn reports_render_in_chromium_without_console_errors() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, input) in [
        ("example-conn-log", "examples/data/conn.log"),
        (
            "coap-mqtt-pcap",
            "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap",
        ),
    ] {
        let (page, alerts) = report(input, dir.path(), name);
        assert!(alerts > 0);
        let shot = shots_dir().join(format!("{name}.png"));
        let r = render(&chrome, &page, Some(&shot));
        eprintln!("screenshot: {}", shot.display());
        assert!(
            r.console_errors.is_empty(),
            "{name}: {:?}",
            r.console_errors
        );
        // Offline: the page asked for nothing over the network, and its policy forbids it to.
        assert!(r.page_requests.is_empty(), "{name}: {:?}", r.page_requests);
        assert!(
            r.dom.contains("content=\"default-src 'none';"),
            "{name}: no content security policy"
        );
        // Printable: Chromium's print path lays the report out on pages.
        let pages = print_pages(&chrome, &page, &dir.path().join(format!("{name}.pdf")));
        assert!(pages >= 1, "{name}: an empty print");
        eprintln!("{name}: printed on {pages} pages");
        let dom = &r.dom;
        assert!(dom.contains("<h1>pubsub-hunt report</h1>"), "{name}: {dom}");
        // The filter script ran: it wrote the count of alerts shown.
        assert!(
            dom.contains(&format!(">{alerts} of {alerts} alerts shown<")),
            "{name}: the filter script did not run"
        );
        assert_eq!(
            dom.matches("<section class=\"alert ").count(),
            alerts,
            "{name}"
        );
        assert_eq!(
            dom.matches("<svg class=\"timeline\"").count(),
            alerts,
            "{name}"
        );
        assert!(
            dom.matches("<svg class=\"histogram\"").count() >= 1,
            "{name}"
        );
        assert!(dom.contains("Run summary") && dom.contains(input), "{name}");
        for needle in [
            "Wireshark display filter",
            "BPF capture filter",
            "KQL",
            "SPL",
            "Investigate",
            "Respond",
        ] {
            assert!(dom.contains(needle), "{name}: no {needle}");
        }
    }
}

#[test]
fn the_console_and_network_checks_see_faults() {
    // The checks above must be able to fail: a page that throws, and one that asks for an
    // outside resource its policy forbids, are both caught.
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let throws = dir.path().join("throws.html");
    std::fs::write(
        &throws,
        "<!DOCTYPE html><html><body><script>null.x = 1;</script></body></html>",
    )
    .unwrap();
    assert!(!render(&chrome, &throws, None).console_errors.is_empty());
    let fetches = dir.path().join("fetches.html");
    std::fs::write(
        &fetches,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'\"></head><body><img src=\"http://192.0.2.1/x.png\"></body></html>",
    )
    .unwrap();
    assert!(!render(&chrome, &fetches, None).console_errors.is_empty());
    // The network check must be able to fail too: a page without a policy that loads an
    // image from loopback (nothing listens on the discard port) is seen asking for it.
    let loads = dir.path().join("loads.html");
    std::fs::write(
        &loads,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .unwrap();
    assert_eq!(
        render(&chrome, &loads, None).page_requests,
        ["http://127.0.0.1:9/x.png"]
    );
}
