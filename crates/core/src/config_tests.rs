//! Tests of the configuration: the template, parsing and validation of every section, and the
//! allowlists it configures.

use super::*;

#[test]
fn template_is_the_default() {
    let c = HuntConfig::from_toml_str(DEFAULT_CONFIG_TOML).unwrap();
    let empty = HuntConfig::from_toml_str("").unwrap();
    assert_eq!(c, empty);
    assert_eq!(c.ports, default_ports());
    assert_eq!(c.internal, InternalNetworks::defaults());
    assert_eq!(c.min_connections, 2);
    assert_eq!(c.window, WindowSpec(None));
    assert_eq!(c.min_suspicion, Suspicion::Medium);
    assert_eq!(c.analytics, AnalyticId::ALL.to_vec());
}

#[test]
fn windows_parse() {
    assert_eq!(
        "1h".parse::<WindowSpec>().unwrap().micros(),
        Some(3_600_000_000)
    );
    assert_eq!("24h".parse::<WindowSpec>().unwrap().to_string(), "1d");
    assert_eq!("90m".parse::<WindowSpec>().unwrap().to_string(), "90m");
    assert_eq!("none".parse::<WindowSpec>().unwrap(), WindowSpec(None));
    assert!("0h".parse::<WindowSpec>().is_err());
    assert!("h".parse::<WindowSpec>().is_err());
    assert!("5y".parse::<WindowSpec>().is_err());
    assert!("99999999999999999w".parse::<WindowSpec>().is_err());
}

#[test]
fn rejects_bad_configs() {
    for bad in [
        "[analytics]\nmin_connections = 0",
        "[analytics]\nwindow = \"fortnight\"",
        "[analytics]\nenabled = [\"nope\"]",
        "[ports]\nMQTT = [1883]\nXMPP = [1883]",
        "[ports]\nFOO = [1]",
        "[ports]\nunidentified = [443]",
        "[networks]\nextra_internal = [\"not-a-net\"]",
        "[[allowlist]]\nreason = \"x\"",
        "[[allowlist]]\nreason = \"\"\nport = 1883",
        "[analyticz]\n",
    ] {
        assert!(HuntConfig::from_toml_str(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn iot_hosts_by_network_or_name() {
    let c =
        HuntConfig::from_toml_str("[hosts]\niot = [\"10.40.0.0/16\", \"203.0.113.7\", \"gw-*\"]")
            .unwrap();
    let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
    assert!(c.iot_hosts.contains("thermo-1", ip("10.40.3.9")));
    assert!(c.iot_hosts.contains("10.40.3.9", None));
    assert!(c.iot_hosts.contains("203.0.113.7", None));
    assert!(c.iot_hosts.contains("GW-Plant-2", ip("10.9.9.9")));
    assert!(!c.iot_hosts.contains("ws-17", ip("10.10.20.5")));
    assert!(!c.iot_hosts.contains("10.41.0.1", None));
    assert!(HuntConfig::default().iot_hosts.is_empty());
    let e = HuntConfig::from_toml_str("[hosts]\niot = [\"a b\"]").unwrap_err();
    assert!(e.to_string().contains("hosts.iot"), "{e}");
    assert!(HuntConfig::from_toml_str("[hosts]\ngateways = []").is_err());
}

#[test]
fn extra_internal_and_addresses() {
    let c = HuntConfig::from_toml_str(
        "[networks]\nextra_internal = [\"198.51.100.0/24\", \"203.0.113.7\"]",
    )
    .unwrap();
    assert!(c.internal.is_internal("198.51.100.9".parse().unwrap()));
    assert!(c.internal.is_internal("203.0.113.7".parse().unwrap()));
    assert!(!c.internal.is_internal("203.0.113.8".parse().unwrap()));
    assert!(c.internal.is_internal("10.0.0.1".parse().unwrap()));
}

#[test]
fn mosquitto_clients_match_on_basename() {
    let c = HuntConfig::default();
    for yes in [
        "mosquitto_pub",
        "MOSQUITTO_SUB.EXE",
        r"C:\x\Mosquitto.exe",
        "/usr/bin/mosquitto_sub",
    ] {
        assert!(c.is_mosquitto_client(Some(yes)), "{yes}");
    }
    for no in ["mosquitto_pub.py", "python.exe", "mosquittox", ""] {
        assert!(!c.is_mosquitto_client(Some(no)), "{no}");
    }
    assert!(!c.is_mosquitto_client(None));
}

#[test]
fn globs() {
    assert!(glob_match_ci("home-assistant*", "Home-Assistant.exe"));
    assert!(glob_match_ci("*\\python*.exe", "C:\\Py\\python3.exe"));
    assert!(glob_match_ci("a*b*c", "axxbyyc"));
    assert!(!glob_match_ci("a*b*c", "axxbyy"));
    assert!(glob_match_ci("exact", "EXACT"));
    assert!(!glob_match_ci("exact", "exactly"));
}

static NO_NAMES: [String; 0] = [];

pub(super) fn subj<'a>(
    analytic: AnalyticId,
    host: &'a str,
    process: Option<&'a str>,
    dst_ip: IpAddr,
    dst_port: u16,
    protocol: Protocol,
) -> AllowSubject<'a> {
    AllowSubject {
        analytic,
        host,
        process,
        dst_ip,
        dst_port,
        protocol,
        app: None,
        dst_names: &NO_NAMES,
        dst_internal: false,
        iot_host: false,
        hosts_reaching: 1,
        brief_sessions: false,
        host_works_around_the_clock: false,
    }
}

#[test]
fn process_names_match_windows_images() {
    let c = HuntConfig::from_toml_str("[[allowlist]]\nreason = \"chat\"\nprocess = \"pidgin\"\n")
        .unwrap();
    let ip = "203.0.113.1".parse().unwrap();
    let m = |p| {
        c.allowlist[0].matches(&subj(
            AnalyticId::PubsubPort,
            "h",
            Some(p),
            ip,
            5222,
            Protocol::Xmpp,
        ))
    };
    assert!(m(r"C:\Program Files\Pidgin\Pidgin.exe"));
    assert!(m("/usr/bin/pidgin"));
    assert!(!m("/usr/bin/pidgin-evil"));
}

#[test]
fn allow_entries_match_all_given_fields() {
    let c = HuntConfig::from_toml_str(
        "[[allowlist]]\nreason = \"ha\"\nprocess = \"home-assistant*\"\ndestination = \"10.20.0.0/16\"\n",
    )
    .unwrap();
    let e = &c.allowlist[0];
    let ip = "10.20.1.1".parse().unwrap();
    assert!(e.matches(&subj(
        AnalyticId::PubsubPort,
        "h",
        Some("/opt/home-assistant"),
        ip,
        1883,
        Protocol::Mqtt
    )));
    assert!(!e.matches(&subj(
        AnalyticId::PubsubPort,
        "h",
        None,
        ip,
        1883,
        Protocol::Mqtt
    )));
    assert!(!e.matches(&subj(
        AnalyticId::PubsubPort,
        "h",
        Some("/opt/home-assistant"),
        "10.21.1.1".parse().unwrap(),
        1883,
        Protocol::Mqtt
    )));
}

mod allowlist {
    use super::subj;
    use super::*;

    #[test]
    fn destinations_accept_bare_addresses() {
        let c = HuntConfig::from_toml_str(
            "[[allowlist]]\nreason = \"broker\"\ndestination = \"203.0.113.7\"\n\
             [[allowlist]]\nreason = \"lab\"\ndestination = \"198.51.100.9/24\"\n",
        )
        .unwrap();
        let m = |e: &AllowEntry, ip: &str| {
            e.matches(&subj(
                AnalyticId::PubsubPort,
                "h",
                None,
                ip.parse().unwrap(),
                1883,
                Protocol::Mqtt,
            ))
        };
        assert!(m(&c.allowlist[0], "203.0.113.7"));
        assert!(!m(&c.allowlist[0], "203.0.113.8"));
        // A CIDR with host bits is taken as its network.
        assert!(m(&c.allowlist[1], "198.51.100.200"));
        assert!(
            HuntConfig::from_toml_str("[[allowlist]]\nreason = \"x\"\ndestination = \"nope\"\n")
                .is_err()
        );
    }
}
