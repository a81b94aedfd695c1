//! The planted cases at the edges of the analytics: identified protocols on unusual ports, field
//! values the readers and sums must handle (unset byte counts, an unset transport or state, a
//! pair of connections across an hour boundary), and destinations on either side of every
//! internal-network boundary.

use super::*;

impl Planter<'_> {
    pub(super) fn unusual_ports(&mut self) {
        let v4 = IpAddr::V4;
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "unusual-mqtt-4444",
            "Zeek identified MQTT on port 4444 to an external host (pubsub-unusual-port: high)",
            h,
            d,
            4444,
            Some("mqtt"),
            Traffic::Mqtt,
            600.0,
            rate(Unusual, Protocol::Mqtt, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "unusual-xmpp-443",
            "XMPP with STARTTLS on port 443 to an external host (pubsub-unusual-port: high)",
            h,
            d,
            443,
            Some("xmpp,ssl"),
            Traffic::Xmpp,
            1_800.0,
            rate(Unusual, Protocol::Xmpp, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(6);
        let rows = self.established_rows(&times);
        self.emit(
            Case {
                id: "unusual-amqp-8443",
                description: "a service list naming AMQP second (ssl,amqp) on 8443 to an external \
                              host (pubsub-unusual-port: high)",
                host: h,
                dst: d,
                port: 8443,
                transport: Transport::Tcp,
                service: Some("ssl,amqp"),
                traffic: Traffic::Amqp,
                ratings: vec![rate(Unusual, Protocol::Amqp, true, High)],
            },
            rows,
        );
        let h = v4(self.workstation());
        let d = self.fresh_dst(|_| v4(Ipv4Addr::new(10, 0, 9, 9)));
        self.beacon(
            "unusual-stomp-internal-uppercase",
            "STOMP identified on 8161 inside the site, the label in upper case (synthetic: Zeek \
             writes lower case; the match is case-insensitive) (pubsub-unusual-port: medium)",
            h,
            d,
            8161,
            Some("STOMP"),
            Traffic::Stomp,
            900.0,
            rate(Unusual, Protocol::Stomp, false, Medium),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(5);
        let rows = self.established_rows(&times);
        self.emit(
            Case {
                id: "mqtt-on-xmpp-port",
                description: "MQTT identified on 5222, an XMPP port: the port rule says XMPP and \
                              the unusual-port rule says MQTT (two alerts, both high)",
                host: h,
                dst: d,
                port: 5222,
                transport: Transport::Tcp,
                service: Some("mqtt"),
                traffic: Traffic::Mqtt,
                ratings: vec![
                    rate(Port, Protocol::Xmpp, true, High),
                    rate(Unusual, Protocol::Mqtt, true, High),
                ],
            },
            rows,
        );
    }

    pub(super) fn field_edge_cases(&mut self) {
        let v4 = IpAddr::V4;
        // Byte counts unset on every row: bytes_sent/bytes_received must be null.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(6);
        let rows = times
            .iter()
            .map(|&t| Row {
                lone_packet: true,
                ..Row::new(t, ConnState::OTH, true)
            })
            .collect();
        self.emit(
            Case {
                id: "unset-bytes-amqp",
                description: "AMQP rows Zeek saw as lone mid-stream packets (OTH, no duration, no \
                              byte counts): counted, bytes null (medium)",
                host: h,
                dst: d,
                port: 5672,
                transport: Transport::Tcp,
                service: None,
                traffic: Traffic::Amqp,
                ratings: vec![rate(Port, Protocol::Amqp, true, Medium)],
            },
            rows,
        );
        // Some rows without byte counts: sums over the others.
        let h = v4(self.workstation());
        let d = self.fresh_dst(|r| {
            v4(Ipv4Addr::new(
                172,
                31,
                r.below(256) as u8,
                r.between(1, 254) as u8,
            ))
        });
        let times = self.random_times(7);
        let rows = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                if i % 2 == 1 {
                    Row {
                        lone_packet: true,
                        ..Row::new(t, ConnState::OTH, true)
                    }
                } else {
                    Row::new(t, ConnState::SF, true)
                }
            })
            .collect();
        self.emit(
            Case {
                id: "partial-bytes-stomp-internal",
                description: "STOMP over TLS to 172.31/16 (internal), three of seven rows without \
                              byte counts: sums over the other four (medium)",
                host: h,
                dst: d,
                port: 61614,
                transport: Transport::Tcp,
                service: Some("ssl"),
                traffic: Traffic::Stomp,
                ratings: vec![rate(Port, Protocol::Stomp, false, Medium)],
            },
            rows,
        );
        // Two connections 20 s apart across a UTC hour boundary.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let boundary = self.hour_boundary();
        let rows = vec![
            Row::new(
                boundary - 10_000_000 - self.micro_jitter(),
                ConnState::SF,
                true,
            ),
            Row::new(
                boundary + 10_000_000 + self.micro_jitter(),
                ConnState::SF,
                true,
            ),
        ];
        self.emit(
            Case {
                id: "window-straddle-xmpp",
                description: "two XMPP connections 20 s apart on either side of a UTC hour: one \
                              alert without --window, none with --window 1h (high)",
                host: h,
                dst: d,
                port: 5269,
                transport: Transport::Tcp,
                service: Some("xmpp,ssl"),
                traffic: Traffic::Xmpp,
                ratings: vec![rate(Port, Protocol::Xmpp, true, High)],
            },
            rows,
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let boundary = self.hour_boundary();
        let first = boundary + 5 * 60_000_000 + self.micro_jitter();
        let rows = vec![
            Row::new(first, ConnState::SF, true),
            Row::new(first + 10 * 60_000_000, ConnState::SF, true),
        ];
        self.emit(
            Case {
                id: "window-same-hour-mqtts",
                description: "two MQTT-over-TLS connections ten minutes apart inside one UTC hour: \
                              one alert with or without --window 1h (high)",
                host: h,
                dst: d,
                port: 8883,
                transport: Transport::Tcp,
                service: Some("ssl"),
                traffic: Traffic::Tls,
                ratings: vec![rate(Port, Protocol::Mqtt, true, High)],
            },
            rows,
        );
        // Transport unset, and (separately) state unset. Never both on one row: a JSON record
        // with neither `proto` nor `conn_state` (nor `_path`) cannot be told from a record of
        // another Zeek log, and readers may rightly leave it out.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(4);
        let rows = self.established_rows(&times);
        self.emit(
            Case {
                id: "unset-proto",
                description: "MQTT rows with proto unset (synthetic: Zeek always writes it): \
                              transport unknown counts as TCP (high)",
                host: h,
                dst: d,
                port: 1883,
                transport: Transport::Unset,
                service: Some("mqtt"),
                traffic: Traffic::Mqtt,
                ratings: vec![rate(Port, Protocol::Mqtt, true, High)],
            },
            rows,
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(4);
        let rows = times
            .iter()
            .map(|&t| Row {
                state: None,
                ..Row::new(t, ConnState::SF, true)
            })
            .collect();
        self.emit(
            Case {
                id: "unset-conn-state",
                description: "AMQP rows with conn_state unset: state unknown counts as \
                              established (medium)",
                host: h,
                dst: d,
                port: 5671,
                transport: Transport::Tcp,
                service: Some("ssl"),
                traffic: Traffic::Amqp,
                ratings: vec![rate(Port, Protocol::Amqp, true, Medium)],
            },
            rows,
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(3);
        let rows = times
            .iter()
            .map(|&t| Row {
                local_unset: true,
                ..Row::new(t, ConnState::SF, true)
            })
            .collect();
        self.emit(
            Case {
                id: "unset-local-orig",
                description: "STOMP over TLS rows with local_orig unset: direction unknown, they \
                              count (high)",
                host: h,
                dst: d,
                port: 61614,
                transport: Transport::Tcp,
                service: Some("ssl"),
                traffic: Traffic::Tls,
                ratings: vec![rate(Port, Protocol::Stomp, true, High)],
            },
            rows,
        );
    }

    /// Destinations on either side of every internal-network boundary.
    pub(super) fn scope_boundaries(&mut self) {
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        let v6 = |s: [u16; 8]| {
            IpAddr::V6(Ipv6Addr::new(
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
            ))
        };
        // (destination, port, service, protocol, external, suspicion)
        type Boundary = (IpAddr, u16, Option<&'static str>, Protocol, bool, Suspicion);
        let cases: [Boundary; 18] = [
            (
                v4(9, 255, 255, 201),
                1883,
                Some("mqtt"),
                Protocol::Mqtt,
                true,
                High,
            ),
            (v4(11, 0, 0, 9), 5222, None, Protocol::Xmpp, true, High),
            (
                v4(172, 15, 255, 200),
                5222,
                None,
                Protocol::Xmpp,
                true,
                High,
            ),
            (
                v4(172, 16, 0, 20),
                5222,
                None,
                Protocol::Xmpp,
                false,
                Medium,
            ),
            (
                v4(172, 31, 255, 200),
                5269,
                None,
                Protocol::Xmpp,
                false,
                Medium,
            ),
            (v4(172, 32, 0, 20), 5222, None, Protocol::Xmpp, true, High),
            (
                v4(100, 63, 255, 200),
                5671,
                Some("ssl"),
                Protocol::Amqp,
                true,
                Medium,
            ),
            (
                v4(100, 64, 0, 20),
                61614,
                Some("ssl"),
                Protocol::Stomp,
                false,
                Medium,
            ),
            (
                v4(100, 127, 255, 200),
                61613,
                None,
                Protocol::Stomp,
                false,
                Medium,
            ),
            (
                v4(100, 128, 0, 20),
                61613,
                None,
                Protocol::Stomp,
                true,
                High,
            ),
            (
                v4(169, 254, 10, 20),
                1883,
                Some("mqtt"),
                Protocol::Mqtt,
                false,
                Low,
            ),
            (
                v4(192, 169, 0, 20),
                5223,
                Some("ssl"),
                Protocol::Xmpp,
                true,
                High,
            ),
            (
                v6([0xfbff, 0xffff, 0, 0, 0, 0, 0, 0x20]),
                5222,
                None,
                Protocol::Xmpp,
                true,
                High,
            ),
            (
                v6([0xfc00, 0, 0, 0, 0, 0, 0, 0x20]),
                5222,
                None,
                Protocol::Xmpp,
                false,
                Medium,
            ),
            (
                v6([0xfdff, 0xffff, 0, 0, 0, 0, 0, 0x20]),
                5672,
                None,
                Protocol::Amqp,
                false,
                Low,
            ),
            (
                v6([0xfe80, 0, 0, 0, 0x1c2a, 0xff, 0xfe00, 0x20]),
                5222,
                None,
                Protocol::Xmpp,
                false,
                Medium,
            ),
            (
                v6([0xfebf, 0xffff, 0, 0, 0, 0, 0, 0x20]),
                61613,
                None,
                Protocol::Stomp,
                false,
                Medium,
            ),
            (
                v6([0xfec0, 0, 0, 0, 0, 0, 0, 0x20]),
                61613,
                None,
                Protocol::Stomp,
                true,
                High,
            ),
        ];
        for (dst, port, service, protocol, external, suspicion) in cases {
            self.used_dsts.insert(dst);
            let host = if dst.is_ipv6() {
                IpAddr::V6(self.ula_host())
            } else {
                IpAddr::V4(self.workstation())
            };
            let times = self.random_times(3);
            let rows = self.established_rows(&times);
            self.emit(
                Case {
                    id: "scope-boundary",
                    description: "a destination just inside or just outside an internal network \
                                  (10/8, 172.16/12, 100.64/10, 169.254/16, 192.168/16, fc00::/7, \
                                  fe80::/10)",
                    host,
                    dst,
                    port,
                    transport: Transport::Tcp,
                    service,
                    traffic: Traffic::Tls,
                    ratings: vec![rate(Port, protocol, external, suspicion)],
                },
                rows,
            );
        }
    }
}
