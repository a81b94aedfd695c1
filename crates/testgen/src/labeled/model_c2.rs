//! The labeled scenario's command-and-control channels, modelled on published profiles (see the
//! scenario's module documentation).

use super::*;

pub(super) fn c2(c: &mut Catalogue) {
    use AppProtocol::*;
    use Label::C2;
    let span = c.span;

    // Mythic MQTT profile, medusa-mqtt agent: reconnect per check-in, fixed 10 s, TLS 8883.
    {
        let ip = c.host_ip("WS-HR-03", 10, 10, 20);
        let from = c.hours(10.0, 13.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(10.0, 0.0, Payload::MythicBase64 { min: 96, max: 240 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 200,
                    max: 1200,
                },
            }),
            60,
            (from, from + HOUR),
        );
        t.task_chance = 0.1;
        let dns = format!("mqtt.{}-telemetry.net", c.hex(6));
        push(
            Spec {
                id: "c2-mythic-mqtt",
                label: C2,
                category: "mythic-mqtt",
                description: "Mythic mqtt profile (medusa-mqtt): TLS 8883, new connection per 10 s check-in, billbradley/2 → billbradley/1",
                host: ("WS-HR-03", ip, Os::Windows),
                image: "C:\\Users\\mlopez\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe",
                user: "CORP\\mlopez",
                dst: (
                    Ipv4Addr::new(185, 225, 17, 40 + c.rng.below(50) as u8),
                    8883,
                    &dns,
                ),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                client_id: "broomhilda".into(),
                username: None,
                publish: strings(&["billbradley/2"]),
                subscribe: strings(&["billbradley/1"]),
                timing: t,
                rtt_ms: 45.0,
            },
            c,
        );
    }
    // The same profile with 30 % jitter and a 60 s interval, cleartext 1883 from a Linux web
    // server (dropped by a web-shell into /tmp).
    {
        let ip = c.ip(10, 20, 2);
        let from = c.hours(3.0, 6.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(60.0, 0.3, Payload::MythicBase64 { min: 96, max: 240 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 200,
                    max: 2400,
                },
            }),
            60,
            (from, from + 6.0 * HOUR),
        );
        t.task_chance = 0.15;
        push(
            Spec {
                id: "c2-mythic-mqtt-jitter",
                label: C2,
                category: "mythic-mqtt",
                description: "Mythic mqtt profile with 30 % jitter, 60 s, cleartext 1883 to a public broker",
                host: ("web-02", ip, Os::Linux),
                image: "/tmp/.X11-cache/python3",
                user: "www-data",
                dst: (Ipv4Addr::new(34, 243, 44, 197), 1883, "broker.emqx.io"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: "broomhilda".into(),
                username: None,
                publish: strings(&["billbradley/2"]),
                subscribe: strings(&["billbradley/1"]),
                timing: t,
                rtt_ms: 80.0,
            },
            c,
        );
    }
    // MQsTTang / QMAGENT: persistent cleartext 1883, no auth, iot/server topics, Alive JSON.
    {
        let ip = c.ip(10, 10, 22);
        let from = c.hours(1.0, 4.0);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(60.0, 0.05, Payload::MqsttangJson),
            poisson(3600.0, Payload::MqsttangJson),
            60,
            (from, span),
        );
        push(
            Spec {
                id: "c2-mqsttang",
                label: C2,
                category: "mqsttang",
                description: "MQsTTang-style backdoor: persistent cleartext MQTT, topics iot/server*, Alive/c_topic/msg JSON",
                host: ("WS-LEGAL-02", ip, Os::Windows),
                image: "C:\\Users\\tchen\\AppData\\Local\\Temp\\Rar$EXa8812.40152\\Invitation letter.exe",
                user: "CORP\\tchen",
                dst: (Ipv4Addr::new(3, 228, 54, 173), 1883, "3.228.54.173"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: c.hex(16),
                username: None,
                publish: strings(&["iot/server1"]),
                subscribe: strings(&["iot/server0", "iot/server2"]),
                timing: t,
                rtt_ms: 90.0,
            },
            c,
        );
    }
    // GLOOXMAIL: XMPP with STARTTLS to a Google-Talk-like service, commands as chat messages.
    {
        let ip = c.ip(10, 10, 23);
        let from = c.hours(0.5, 2.0);
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 7.0)),
            periodic(300.0, 0.2, Payload::EncryptedBase64 { min: 40, max: 120 }),
            poisson(2.0 * HOUR, Payload::EncryptedBase64 { min: 40, max: 400 }),
            60,
            (from, span),
        );
        push(
            Spec {
                id: "c2-glooxmail",
                label: C2,
                category: "glooxmail-xmpp",
                description: "GLOOXMAIL-style implant: gloox XMPP client to talk.google.com:5222, STARTTLS, 5 min check-ins",
                host: ("WS-ENG-11", ip, Os::Windows),
                image: "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\igfxsrvc.exe",
                user: "NT AUTHORITY\\SYSTEM",
                dst: (Ipv4Addr::new(74, 125, 140, 125), 5222, "talk.google.com"),
                protocol: Xmpp,
                carrier: Carrier::StartTls,
                client_id: "mark.lunde82@gmail.com".into(),
                username: None,
                publish: strings(&["wang.lei.ops@gmail.com"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 20.0,
            },
            c,
        );
    }
    // XMPP shell bot in cleartext to an attacker's Prosody.
    {
        let ip = c.ip(10, 20, 3);
        let from = c.hours(2.0, 5.0);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 5.0)),
            periodic(900.0, 0.1, Payload::ShellBot),
            poisson(1800.0, Payload::ShellBot),
            120,
            (from, span),
        );
        push(
            Spec {
                id: "c2-xmpp-shell-bot",
                label: C2,
                category: "xmpp-shell-bot",
                description: "XMPP_Shell_Bot-style bot on a build server: cleartext XMPP, $-prefixed shell commands",
                host: ("build-01", ip, Os::Linux),
                image: "/usr/bin/python3",
                user: "jenkins",
                dst: (Ipv4Addr::new(45, 147, 229, 12), 5222, "chat.dl-mirror.org"),
                protocol: Xmpp,
                carrier: Carrier::Cleartext,
                client_id: format!("bot-{}@chat.dl-mirror.org", c.hex(6)),
                username: None,
                publish: strings(&["op@chat.dl-mirror.org"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 60.0,
            },
            c,
        );
    }
    // STOMP C2 (no public implant uses it; modelled as a reconnecting beacon).
    {
        let ip = c.ip(10, 20, 4);
        let from = c.hours(1.0, 3.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(300.0, 0.2, Payload::EncryptedBase64 { min: 64, max: 200 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 { min: 100, max: 900 },
            }),
            0,
            (from, span),
        );
        t.task_chance = 0.1;
        let q = c.hex(12);
        push(
            Spec {
                id: "c2-stomp",
                label: C2,
                category: "c2-stomp",
                description: "STOMP beacon from a database server to an external ActiveMQ, 5 min ± 20 %",
                host: ("db-03", ip, Os::Linux),
                image: "/dev/shm/.kworker",
                user: "postgres",
                dst: (Ipv4Addr::new(91, 215, 85, 203), 61613, "mq.cloud-sync.biz"),
                protocol: Stomp,
                carrier: Carrier::Cleartext,
                client_id: "agent".into(),
                username: Some("agent".into()),
                publish: vec![format!("/queue/r.{q}")],
                subscribe: vec![format!("/queue/t.{q}")],
                timing: t,
                rtt_ms: 70.0,
            },
            c,
        );
    }
    // TLS on 443 with ALPN mqtt, a slow beacon of two hours, reconnecting.
    {
        let ip = c.ip(10, 10, 24);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(2.0 * HOUR, 0.1, Payload::MythicBase64 { min: 96, max: 300 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 300,
                    max: 3000,
                },
            }),
            60,
            (c.hours(0.0, 1.0), span),
        );
        t.task_chance = 0.3;
        push(
            Spec {
                id: "c2-443-alpn-mqtt",
                label: C2,
                category: "c2-443",
                description: "MQTT over TLS on 443 with ALPN mqtt, beacon every 2 h ± 10 %, from rundll32",
                host: ("WS-SALES-09", ip, Os::Windows),
                image: "C:\\Windows\\System32\\rundll32.exe",
                user: "CORP\\jsmith",
                dst: (
                    Ipv4Addr::new(104, 21, 55, 17),
                    443,
                    "updates.msft-cdn-edge.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&["mqtt"]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["dev/up"]),
                subscribe: strings(&["dev/down"]),
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
    // Cleartext MQTT on port 80, 15 min ± 50 %, reconnecting.
    {
        let ip = c.ip(10, 10, 25);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(900.0, 0.5, Payload::EncryptedBase64 { min: 64, max: 160 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 {
                    min: 100,
                    max: 2000,
                },
            }),
            30,
            (c.hours(0.5, 2.0), span),
        );
        t.task_chance = 0.1;
        let bot = c.hex(24);
        push(
            Spec {
                id: "c2-80-mqtt",
                label: C2,
                category: "c2-80",
                description: "cleartext MQTT on port 80, 15 min ± 50 % jitter, bot/<hex>/cmd topics",
                host: ("WS-OPS-04", ip, Os::Windows),
                image: "C:\\ProgramData\\Intel\\igfxtray.exe",
                user: "CORP\\rpatel",
                dst: (
                    Ipv4Addr::new(193, 29, 13, 88),
                    80,
                    "static.cdn-img-host.net",
                ),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: bot.clone(),
                username: None,
                publish: vec![format!("bot/{bot}/status"), format!("bot/{bot}/result")],
                subscribe: vec![format!("bot/{bot}/cmd")],
                timing: t,
                rtt_ms: 55.0,
            },
            c,
        );
    }
    // WailingCrab-like: MQTT over WebSocket on port 80 to a public broker name, persistent.
    {
        let ip = c.ip(10, 10, 26);
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 8.0)),
            periodic(30.0, 0.05, Payload::EncryptedBase64 { min: 48, max: 96 }),
            poisson(
                3.0 * HOUR,
                Payload::EncryptedBase64 {
                    min: 500,
                    max: 4000,
                },
            ),
            60,
            (c.hours(2.0, 4.0), span),
        );
        let topic = c.hex(32);
        push(
            Spec {
                id: "c2-80-websocket",
                label: C2,
                category: "c2-80-ws",
                description: "WailingCrab-like: MQTT over WebSocket (subprotocol mqtt) on port 80, hashed per-bot topic, from a side-loaded notepad++.exe",
                host: ("WS-MKT-06", ip, Os::Windows),
                image: "C:\\Users\\akim\\AppData\\Local\\Notepad++\\notepad++.exe",
                user: "CORP\\akim",
                dst: (Ipv4Addr::new(34, 243, 44, 198), 80, "broker.emqx.io"),
                protocol: Mqtt(4),
                carrier: Carrier::WebSocket {
                    path: "/mqtt".into(),
                },
                client_id: c.hex(20),
                username: None,
                publish: vec![format!("{topic}/o")],
                subscribe: vec![format!("{topic}/i")],
                timing: t,
                rtt_ms: 80.0,
            },
            c,
        );
    }
    // TLS on 443 with no pub/sub ALPN and an innocuous SNI: nothing can reveal it.
    {
        let ip = c.ip(10, 10, 27);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(600.0, 0.25, Payload::Opaque { min: 150, max: 400 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::Opaque {
                    min: 200,
                    max: 2000,
                },
            }),
            60,
            (c.hours(1.0, 3.0), span),
        );
        t.task_chance = 0.1;
        push(
            Spec {
                id: "c2-443-opaque",
                label: C2,
                category: "c2-443-opaque",
                description: "MQTT inside TLS on 443 with ALPN h2/http1.1 and a CDN-like SNI: unrevealable by design",
                host: ("WS-FIN-02", ip, Os::Windows),
                image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                user: "CORP\\kowens",
                dst: (
                    Ipv4Addr::new(104, 21, 80, 9),
                    443,
                    "assets.static-cdnjs.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&["h2", "http/1.1"]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["u"]),
                subscribe: strings(&["d"]),
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
    // IOCONTROL-like slow beacon: TLS 8883, every 3 h, reconnecting, from an OT gateway.
    {
        let ip = c.ip(10, 30, 3);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(
                3.0 * HOUR,
                0.05,
                Payload::EncryptedBase64 { min: 200, max: 400 },
            ),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 { min: 100, max: 600 },
            }),
            120,
            (c.hours(0.0, 1.0), span),
        );
        t.task_chance = 0.2;
        push(
            Spec {
                id: "c2-iocontrol-slow",
                label: C2,
                category: "iocontrol",
                description: "IOCONTROL-like OT implant: MQTT over TLS 8883, GUID client id, check-in every 3 h",
                host: ("ot-gw-02", ip, Os::Linux),
                image: "/var/tmp/.iocontrol/iocontrol",
                user: "root",
                dst: (
                    Ipv4Addr::new(188, 114, 97, 7),
                    8883,
                    "ns1.ot-update-service.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["device/info"]),
                subscribe: strings(&["device/cmd"]),
                timing: t,
                rtt_ms: 25.0,
            },
            c,
        );
    }
    // `bash` loop around mosquitto_sub: persistent subscription, sparse plaintext commands.
    {
        let ip = c.ip(10, 30, 4);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 5.0)),
            None,
            poisson(2.0 * HOUR, Payload::PlainCommand),
            60,
            (c.hours(1.0, 3.0), span),
        );
        push(
            Spec {
                id: "c2-mosquitto-sub-loop",
                label: C2,
                category: "mosquitto-sub-loop",
                description: "a bash loop around mosquitto_sub on a camera NVR, topic c2/broadcast on broker.hivemq.com",
                host: ("cam-nvr-01", ip, Os::Linux),
                image: "/usr/bin/mosquitto_sub",
                user: "root",
                dst: (Ipv4Addr::new(3, 120, 213, 67), 1883, "broker.hivemq.com"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: Vec::new(),
                subscribe: strings(&["c2/broadcast"]),
                timing: t,
                rtt_ms: 24.0,
            },
            c,
        );
    }
    // Sensor disguise: fake telemetry with a Fernet token, 60 s.
    {
        let ip = c.ip(10, 30, 5);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(60.0, 0.1, Payload::FernetSensor),
            poisson(2.0 * HOUR, Payload::FernetSensor),
            60,
            (c.hours(2.0, 5.0), span),
        );
        push(
            Spec {
                id: "c2-fernet-sensor",
                label: C2,
                category: "fernet-sensor",
                description: "fake temperature sensor hiding Fernet tokens in a checksum field, shared topic sensors",
                host: ("kiosk-01", ip, Os::Linux),
                image: "/usr/bin/python3",
                user: "pi",
                dst: (Ipv4Addr::new(91, 121, 93, 95), 1883, "mqtt.sensorhub.io"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("sensor_temp_{}", c.hex(8)),
                username: None,
                publish: strings(&["sensors"]),
                subscribe: strings(&["sensors"]),
                timing: t,
                rtt_ms: 20.0,
            },
            c,
        );
    }
    // BambooToken-like: GUID topics plus a broadcast topic, online heartbeat every 5 min, TLS
    // 8883 (the only information on the wire is the SNI and the port).
    {
        let ip = c.ip(10, 10, 28);
        let guid = c.guid();
        let t = timing(
            c.span,
            persistent(c.hours(6.0, 8.0)),
            periodic(300.0, 0.15, Payload::BambooHeartbeat),
            poisson(2.0 * HOUR, Payload::EncryptedBase64 { min: 60, max: 400 }),
            90,
            (c.hours(0.0, 2.0), span),
        );
        push(
            Spec {
                id: "c2-bambootoken",
                label: C2,
                category: "bambootoken",
                description: "BambooToken-like: MQTT 1883, global broadcast topic + per-host GUID topics, online heartbeat every 5 min",
                host: ("WS-HR-07", ip, Os::Windows),
                image: "C:\\Users\\Public\\Music\\MediaSvc.exe",
                user: "CORP\\lwang",
                dst: (Ipv4Addr::new(172, 67, 199, 31), 1883, "cdn-static-sync.org"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: guid.clone(),
                username: None,
                publish: vec![
                    format!("clients/{guid}/status"),
                    format!("clients/{guid}/out"),
                ],
                subscribe: vec!["broadcast".into(), format!("clients/{guid}/in")],
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
}
