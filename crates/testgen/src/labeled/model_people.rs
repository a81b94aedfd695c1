//! The labeled scenario's benign people and their applications: chat on public XMPP servers,
//! message-queue applications, developers, Apple push, FCM and browsers (drawn after the devices).

use super::*;

/// People and their applications: chat on public XMPP servers, message-queue applications,
/// developers, Apple push, FCM and browsers.
pub(super) fn people(c: &mut Catalogue) {
    use AppProtocol::*;
    use Label::Benign;
    let whole = c.whole();
    let span = c.span;

    // --- XMPP chat on public servers --------------------------------------------------------
    let chat = [
        (
            "chat-pidgin",
            "Pidgin on a finance workstation, jabber.org over STARTTLS",
            ("WS-FIN-07", Os::Windows),
            "C:\\Program Files (x86)\\Pidgin\\pidgin.exe",
            "CORP\\ebrown",
            (Ipv4Addr::new(208, 68, 163, 218), 5222, "jabber.org"),
            Carrier::StartTls,
            "ebrown@jabber.org",
        ),
        (
            "chat-gajim",
            "Gajim on a developer laptop, conversations.im over STARTTLS",
            ("dev-lt-03", Os::Linux),
            "/usr/bin/python3.11",
            "dkovacs",
            (Ipv4Addr::new(78, 47, 177, 120), 5222, "conversations.im"),
            Carrier::StartTls,
            "dkovacs@conversations.im",
        ),
        (
            "chat-conversations",
            "Conversations on an Android phone, direct TLS on 5223 (XEP-0368)",
            ("pixel-7-jdoe", Os::Embedded),
            "eu.siacs.conversations",
            "-",
            (Ipv4Addr::new(133, 18, 152, 44), 5223, "xmpp.jp"),
            Carrier::Tls {
                alpn: vec!["xmpp-client"],
            },
            "jdoe@xmpp.jp",
        ),
    ];
    for (id, description, (host, os), image, user, dst, carrier, jid) in chat {
        let ip = if os == Os::Embedded {
            c.host_ip(host, 10, 40, 0)
        } else {
            c.host_ip(host, 10, 10, 20)
        };
        let from = c.hours(6.5, 8.5);
        let until = from + c.hours(9.0, 10.5);
        let t = timing(
            c.span,
            persistent(c.hours(2.5, 4.0)),
            poisson(420.0, Payload::ChatText),
            poisson(360.0, Payload::ChatText),
            300,
            (from, until),
        );
        push(
            Spec {
                id,
                label: Benign,
                category: "chat",
                description,
                host: (host, ip, os),
                image,
                user,
                dst,
                protocol: Xmpp,
                carrier,
                client_id: jid.into(),
                username: None,
                publish: strings(&["friend1@jabber.de", "team@conference.jabber.org"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 35.0,
            },
            c,
        );
    }

    // --- Message-queue applications ---------------------------------------------------------
    let rabbit = Ipv4Addr::new(10, 20, 0, 15);
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(60.0, Payload::OrderEvent),
            poisson(180.0, Payload::OrderEvent),
            60,
            whole,
        );
        push(
            Spec {
                id: "rabbitmq-orders",
                label: Benign,
                category: "mq-app",
                description: "Spring Boot order service publishing to RabbitMQ",
                host: ("app-orders-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                user: "orders",
                dst: (rabbit, 5672, "rabbitmq.corp.internal"),
                protocol: Amqp,
                carrier: Carrier::Cleartext,
                client_id: "order-service".into(),
                username: Some("orders".into()),
                publish: strings(&["orders/order.created", "orders/order.paid"]),
                subscribe: strings(&["order-service.payments"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let from = c.hours(9.0, 12.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.4, 0.5)),
            periodic(2.0, 0.0, Payload::CeleryHeartbeat),
            poisson(120.0, Payload::OrderEvent),
            60,
            (from, from + HOUR),
        );
        push(
            Spec {
                id: "celery-worker",
                label: Benign,
                category: "mq-app",
                description: "Celery worker during a batch window: worker.heartbeat every 2.00 s",
                host: ("batch-02", ip, Os::Linux),
                image: "/opt/reports/venv/bin/python3",
                user: "celery",
                dst: (rabbit, 5672, "rabbitmq.corp.internal"),
                protocol: Amqp,
                carrier: Carrier::Cleartext,
                client_id: "celery@batch-02".into(),
                username: Some("celery".into()),
                publish: strings(&["celeryev/worker.heartbeat"]),
                subscribe: strings(&["celery"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(150.0, Payload::OrderEvent),
            poisson(200.0, Payload::OrderEvent),
            60,
            whole,
        );
        push(
            Spec {
                id: "activemq-billing",
                label: Benign,
                category: "mq-app",
                description: "billing service (stomp.py) on ActiveMQ's STOMP connector",
                host: ("billing-01", ip, Os::Linux),
                image: "/opt/billing/venv/bin/python3",
                user: "billing",
                dst: (
                    Ipv4Addr::new(10, 20, 0, 16),
                    61613,
                    "activemq.corp.internal",
                ),
                protocol: Stomp,
                carrier: Carrier::Cleartext,
                client_id: "billing".into(),
                username: Some("billing".into()),
                publish: strings(&["/queue/invoices"]),
                subscribe: strings(&["/queue/invoice-results"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(90.0, Payload::ClickEvent),
            None,
            0,
            whole,
        );
        push(
            Spec {
                id: "kafka-clickstream",
                label: Benign,
                category: "mq-app",
                description: "web tier producing clickstream events to Kafka",
                host: ("web-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                user: "webapp",
                dst: (Ipv4Addr::new(10, 20, 0, 17), 9092, "kafka-1.corp.internal"),
                protocol: Kafka,
                carrier: Carrier::Cleartext,
                client_id: "clickstream-producer".into(),
                username: None,
                publish: strings(&["web.clickstream"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }

    // --- Developers -------------------------------------------------------------------------
    let test_mosquitto = Ipv4Addr::new(91, 121, 93, 94);
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(9.0, 11.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.5, 0.8)),
            poisson(900.0, Payload::DevTest),
            poisson(6.0, Payload::PublicChatter),
            60,
            (from, from + 1.5 * HOUR),
        );
        push(
            Spec {
                id: "dev-mqtt-explorer",
                label: Benign,
                category: "dev-broker",
                description: "MQTT Explorer browsing test.mosquitto.org (subscribed to #)",
                host: ("DEV-WS-12", ip, Os::Windows),
                image: "C:\\Users\\okafor\\AppData\\Local\\Programs\\mqtt-explorer\\MQTT Explorer.exe",
                user: "CORP\\okafor",
                dst: (test_mosquitto, 1883, "test.mosquitto.org"),
                protocol: Mqtt(5),
                carrier: Carrier::Cleartext,
                client_id: format!("mqtt-explorer-{}", c.hex(8)),
                username: None,
                publish: strings(&["okafor/test"]),
                subscribe: strings(&["#", "$SYS/#"]),
                timing: t,
                rtt_ms: 18.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(13.0, 15.0);
        let t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(5.0, 0.02, Payload::DevTest),
            None,
            60,
            (from, from + 0.5 * HOUR),
        );
        push(
            Spec {
                id: "dev-mosquitto-pub-loop",
                label: Benign,
                category: "dev-broker",
                description: "developer testing with `while true; do mosquitto_pub …; sleep 5; done` against the team broker",
                host: ("dev-lt-05", ip, Os::Linux),
                image: "/usr/bin/mosquitto_pub",
                user: "lnguyen",
                dst: (Ipv4Addr::new(10, 10, 30, 5), 1883, "mqtt-dev.corp.internal"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: strings(&["dev/lnguyen/sensor-sim"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 0.5,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(10.0, 12.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.9, 1.2)),
            None,
            poisson(20.0, Payload::PublicChatter),
            60,
            (from, from + 3.0 * HOUR),
        );
        push(
            Spec {
                id: "dev-mosquitto-sub",
                label: Benign,
                category: "dev-broker",
                description: "mosquitto_sub -h test.mosquitto.org -t 'test/#' in a developer terminal",
                host: ("dev-lt-07", ip, Os::Linux),
                image: "/usr/bin/mosquitto_sub",
                user: "fmuller",
                dst: (test_mosquitto, 1883, "test.mosquitto.org"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: Vec::new(),
                subscribe: strings(&["test/#"]),
                timing: t,
                rtt_ms: 18.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(14.0, 16.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.5, 0.7)),
            periodic(10.0, 0.01, Payload::SensorJson),
            None,
            60,
            (from, from + 1.25 * HOUR),
        );
        push(
            Spec {
                id: "dev-paho-hivemq",
                label: Benign,
                category: "dev-broker",
                description: "a paho-mqtt prototype publishing fake sensor data to broker.hivemq.com every 10 s",
                host: ("DEV-WS-14", ip, Os::Windows),
                image: "C:\\Users\\rsilva\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
                user: "CORP\\rsilva",
                dst: (Ipv4Addr::new(3, 120, 213, 66), 1883, "broker.hivemq.com"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("paho/{}", c.upper_hex(18)),
                username: None,
                publish: strings(&["rsilva/demo/greenhouse/temperature"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 24.0,
            },
            c,
        );
    }

    // --- Apple push, FCM, browsers ----------------------------------------------------------
    let apns = [
        (
            "apple-push-mac",
            ("MBP-ANNA", Os::Macos),
            "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
            "root",
        ),
        (
            "apple-push-windows",
            ("WS-FIN-07", Os::Windows),
            "C:\\Program Files\\Common Files\\Apple\\Apple Application Support\\APSDaemon.exe",
            "CORP\\ebrown",
        ),
    ];
    for (id, (host, os), image, user) in apns {
        let ip = c.host_ip(host, 10, 10, 20);
        let courier = 1 + c.rng.below(50);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 6.0)),
            periodic(1800.0, 0.1, Payload::Opaque { min: 30, max: 60 }),
            poisson(1500.0, Payload::Opaque { min: 120, max: 900 }),
            1800,
            whole,
        );
        push(
            Spec {
                id,
                label: Benign,
                category: "apple-push",
                description: "Apple push (APNs courier) on 5223",
                host: (host, ip, os),
                image,
                user,
                dst: (
                    Ipv4Addr::new(17, 57, 146, 20 + c.rng.below(100) as u8),
                    5223,
                    &format!("{courier}-courier.push.apple.com"),
                ),
                protocol: Opaque,
                carrier: tls(&[]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 40.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(230.0, 0.05, Payload::Opaque { min: 20, max: 40 }),
            poisson(2400.0, Payload::Opaque { min: 200, max: 800 }),
            230,
            (c.hours(7.0, 8.0), span - c.hours(4.0, 5.0)),
        );
        push(
            Spec {
                id: "chrome-fcm",
                label: Benign,
                category: "push",
                description: "Chrome's Firebase Cloud Messaging channel to mtalk.google.com:5228",
                host: ("WS-HR-03", ip, Os::Windows),
                image: "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
                user: "CORP\\mlopez",
                dst: (Ipv4Addr::new(142, 250, 102, 188), 5228, "mtalk.google.com"),
                protocol: Opaque,
                carrier: tls(&[]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 12.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let from = c.hours(12.0, 13.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.3, 0.5)),
            poisson(30.0, Payload::Opaque { min: 60, max: 200 }),
            poisson(10.0, Payload::Opaque { min: 60, max: 200 }),
            0,
            (from, from + c.hours(0.8, 1.0)),
        );
        push(
            Spec {
                id: "browser-game-wss",
                label: Benign,
                category: "browser-public-broker",
                description: "a browser chess game on wss://broker.emqx.io:8084/mqtt",
                host: ("WS-MKT-02", ip, Os::Windows),
                image: "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
                user: "CORP\\pgarcia",
                dst: (Ipv4Addr::new(34, 243, 44, 196), 8084, "broker.emqx.io"),
                protocol: Opaque,
                carrier: tls(&["http/1.1"]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 30.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(
                1800.0,
                0.3,
                Payload::Opaque {
                    min: 400,
                    max: 1400,
                },
            ),
            None,
            0,
            whole,
        );
        push(
            Spec {
                id: "web-https-updates",
                label: Benign,
                category: "web",
                description: "an updater checking for updates over HTTPS every ~30 min",
                host: ("WS-OPS-01", ip, Os::Windows),
                image: "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
                user: "NT AUTHORITY\\SYSTEM",
                dst: (
                    Ipv4Addr::new(13, 107, 4, 50),
                    443,
                    "msedge.api.cdp.microsoft.com",
                ),
                protocol: Opaque,
                carrier: tls(&["h2", "http/1.1"]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: Timing {
                    task_chance: 0.5,
                    downstream: Some(Flow {
                        cadence: Cadence::Poisson { mean_secs: 1.0 },
                        payload: Payload::Opaque {
                            min: 800,
                            max: 6000,
                        },
                    }),
                    ..t
                },
                rtt_ms: 9.0,
            },
            c,
        );
    }
}
