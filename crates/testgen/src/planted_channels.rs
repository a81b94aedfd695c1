//! The planted cases of pub/sub channels proper: external and internal channels of every
//! protocol the seed's rule rates, and the connections its conditions exclude (refused or
//! unanswered attempts, failures among successes, connections started outside).

use super::*;

impl Planter<'_> {
    pub(super) fn external_channels(&mut self) {
        let v4 = IpAddr::V4;
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "mqtt-external-beacon",
            "MQTT to an external broker every ~5 min (external MQTT, unknown process: high)",
            h,
            d,
            1883,
            Some("mqtt"),
            Traffic::Mqtt,
            300.0,
            rate(Port, Protocol::Mqtt, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "mqtts-external-beacon",
            "MQTT over TLS (8883) to an external broker every ~10 min (high)",
            h,
            d,
            8883,
            Some("ssl"),
            Traffic::Tls,
            600.0,
            rate(Port, Protocol::Mqtt, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "xmpp-external-sessions",
            "XMPP client sessions (5222, STARTTLS) to an external server (high)",
            h,
            d,
            5222,
            Some("xmpp,ssl"),
            Traffic::Xmpp,
            1_800.0,
            rate(Port, Protocol::Xmpp, true, High),
        );
        let d = self.hosting();
        self.beacon(
            "xmpp-s2s-external",
            "server-to-server XMPP (5269) from an internal server to an external one (high)",
            v4(Ipv4Addr::new(10, 0, 7, 20)),
            d,
            5269,
            Some("xmpp,ssl"),
            Traffic::Xmpp,
            3_600.0,
            rate(Port, Protocol::Xmpp, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "stomp-external-beacon",
            "STOMP (61613) beacon every ~2 min to an external broker; Zeek names no service (high)",
            h,
            d,
            61613,
            None,
            Traffic::Stomp,
            120.0,
            rate(Port, Protocol::Stomp, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "stomp-tls-external",
            "STOMP over TLS (61614) to an external broker every ~15 min (high)",
            h,
            d,
            61614,
            Some("ssl"),
            Traffic::Tls,
            900.0,
            rate(Port, Protocol::Stomp, true, High),
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        self.beacon(
            "amqp-external",
            "AMQP (5672) to an external broker every ~10 min (external AMQP: medium)",
            h,
            d,
            5672,
            None,
            Traffic::Amqp,
            600.0,
            rate(Port, Protocol::Amqp, true, Medium),
        );
        let d = self.hosting();
        self.beacon(
            "amqps-external",
            "AMQP over TLS (5671) from an application server to a cloud broker (medium)",
            v4(Ipv4Addr::new(10, 20, 0, 11)),
            d,
            5671,
            Some("ssl"),
            Traffic::Amqp,
            300.0,
            rate(Port, Protocol::Amqp, true, Medium),
        );
        let host = IpAddr::V6(self.workstation_v6());
        let d = self.fresh_dst(|r| {
            IpAddr::V6(Ipv6Addr::new(
                0x2a05,
                0xd018,
                r.below(0x1000) as u16,
                0x1f00,
                0,
                0,
                0,
                r.between(1, 0xff) as u16,
            ))
        });
        self.beacon(
            "mqtt-external-ipv6",
            "MQTT over IPv6 from a dual-stack workstation to an external broker (high)",
            host,
            d,
            1883,
            Some("mqtt"),
            Traffic::Mqtt,
            600.0,
            rate(Port, Protocol::Mqtt, true, High),
        );
        // Benign but flagged: Apple push notifications use 5223, an XMPP port.
        let wifi: Vec<Ipv4Addr> = self
            .net
            .clients
            .iter()
            .filter(|c| c.kind == ClientKind::Wifi)
            .map(|c| c.v4)
            .take(4)
            .collect();
        for phone in wifi {
            let d =
                self.fresh_dst(|r| IpAddr::V4(Ipv4Addr::new(17, 57, 144, r.between(1, 254) as u8)));
            self.beacon(
                "apple-push-benign",
                "an iPhone on guest Wi-Fi keeping its Apple push connection (5223) up: a benign \
                 true positive of the port rule (external XMPP port: high)",
                v4(phone),
                d,
                5223,
                Some("ssl"),
                Traffic::Push,
                1_800.0,
                rate(Port, Protocol::Xmpp, true, High),
            );
        }
    }

    pub(super) fn internal_channels(&mut self) {
        let v4 = IpAddr::V4;
        let h = v4(self.workstation());
        let d = self.fresh_dst(|r| {
            v4(Ipv4Addr::new(
                172,
                20,
                r.below(256) as u8,
                r.between(1, 254) as u8,
            ))
        });
        self.beacon(
            "xmpp-internal-172-20",
            "XMPP to a server in 172.20/16: internal (172.16/12), which the SPL seed's 172.16.* \
             pattern misses and calls external (medium)",
            h,
            d,
            5222,
            Some("xmpp,ssl"),
            Traffic::Xmpp,
            1_200.0,
            rate(Port, Protocol::Xmpp, false, Medium),
        );
        let h = v4(self.workstation());
        let d = self.fresh_dst(|r| {
            v4(Ipv4Addr::new(
                100,
                r.between(64, 127) as u8,
                r.below(256) as u8,
                r.between(1, 254) as u8,
            ))
        });
        self.beacon(
            "stomp-internal-cgnat",
            "STOMP to a broker in 100.64/10 (carrier-grade NAT space, internal) (medium)",
            h,
            d,
            61613,
            None,
            Traffic::Stomp,
            600.0,
            rate(Port, Protocol::Stomp, false, Medium),
        );
        let h = IpAddr::V6(self.ula_host());
        let d = self
            .fresh_dst(|r| IpAddr::V6(network::random_in_v6_48(r, network::ORG_ULA_PREFIX, 0x20)));
        self.beacon(
            "xmpp-internal-ula",
            "XMPP between unique-local IPv6 addresses (fc00::/7, internal) (medium)",
            h,
            d,
            5222,
            Some("xmpp,ssl"),
            Traffic::Xmpp,
            1_800.0,
            rate(Port, Protocol::Xmpp, false, Medium),
        );
        // IoT sensors publishing to the site's broker: the usual, reported only at low.
        let broker = v4(Ipv4Addr::new(10, 30, 0, 5));
        self.used_dsts.insert(broker);
        let sensors: Vec<Ipv4Addr> = self
            .net
            .clients
            .iter()
            .filter(|c| c.kind == ClientKind::Iot)
            .map(|c| c.v4)
            .take(8)
            .collect();
        for sensor in sensors {
            self.beacon(
                "mqtt-iot-internal",
                "an IoT sensor publishing to the site's MQTT broker every ~2 min (internal MQTT: low)",
                v4(sensor), broker, 1883, Some("mqtt"), Traffic::Mqtt, 120.0,
                rate(Port, Protocol::Mqtt, false, Low),
            );
        }
        let rabbit = v4(Ipv4Addr::new(10, 20, 0, 10));
        self.used_dsts.insert(rabbit);
        for last in 21..=23 {
            self.beacon(
                "amqp-internal",
                "an application server talking to the site's RabbitMQ (internal AMQP: low)",
                v4(Ipv4Addr::new(10, 20, 0, last)),
                rabbit,
                5672,
                None,
                Traffic::Amqp,
                240.0,
                rate(Port, Protocol::Amqp, false, Low),
            );
        }
    }

    pub(super) fn exclusions(&mut self) {
        let v4 = IpAddr::V4;
        // Refused and unanswered attempts only.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(12);
        let rows = times
            .iter()
            .enumerate()
            .map(|(i, &t)| Row::new(t, NOT_ESTABLISHED[i % NOT_ESTABLISHED.len()], false))
            .collect();
        self.emit(
            Case {
                id: "refused-external-mqtt",
                description: "twelve MQTT attempts that never got established (REJ, S0, RSTOS0, \
                              RSTRH, SH, SHR): nothing to count, no alert",
                host: h,
                dst: d,
                port: 1883,
                transport: Transport::Tcp,
                service: None,
                traffic: Traffic::Mqtt,
                ratings: vec![rate(Port, Protocol::Mqtt, true, High)],
            },
            rows,
        );
        // Established and failed mixed: only the established count.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let ok = [
            ConnState::SF,
            ConnState::SF,
            ConnState::SF,
            ConnState::RSTO,
            ConnState::RSTR,
            ConnState::S1,
            ConnState::S2,
            ConnState::S3,
            ConnState::OTH,
        ];
        let failed = [
            ConnState::REJ,
            ConnState::REJ,
            ConnState::REJ,
            ConnState::S0,
            ConnState::S0,
            ConnState::S0,
            ConnState::SH,
            ConnState::SHR,
        ];
        let times = self.random_times(ok.len() + failed.len());
        let mut states: Vec<(ConnState, bool)> = ok
            .iter()
            .map(|s| (*s, true))
            .chain(failed.iter().map(|s| (*s, false)))
            .collect();
        for i in (1..states.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            states.swap(i, j);
        }
        let rows = times
            .iter()
            .zip(&states)
            .map(|(&t, &(s, c))| Row::new(t, s, c))
            .collect();
        self.emit(
            Case {
                id: "mixed-states-external-xmpp",
                description: "XMPP (5223) with 9 established connections (SF, RSTO, RSTR, S1, S2, \
                              S3, OTH) among 8 refused or unanswered: 9 count (high)",
                host: h,
                dst: d,
                port: 5223,
                transport: Transport::Tcp,
                service: Some("xmpp,ssl"),
                traffic: Traffic::Xmpp,
                ratings: vec![rate(Port, Protocol::Xmpp, true, High)],
            },
            rows,
        );
        // One success among failures: below the threshold once failures are dropped.
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(6);
        let rows = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                if i == 2 {
                    Row::new(t, ConnState::SF, true)
                } else {
                    Row::new(t, ConnState::S0, false)
                }
            })
            .collect();
        self.emit(
            Case {
                id: "one-success-external-stomp",
                description: "one established STOMP connection and five unanswered SYNs: one \
                              connection counts, below the threshold of 2",
                host: h,
                dst: d,
                port: 61613,
                transport: Transport::Tcp,
                service: None,
                traffic: Traffic::Stomp,
                ratings: vec![rate(Port, Protocol::Stomp, true, High)],
            },
            rows,
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(1);
        let rows = times
            .iter()
            .map(|&t| Row::new(t, ConnState::SF, true))
            .collect();
        self.emit(
            Case {
                id: "single-external-xmpp",
                description: "a single XMPP connection to an external server: below the threshold",
                host: h,
                dst: d,
                port: 5222,
                transport: Transport::Tcp,
                service: Some("xmpp,ssl"),
                traffic: Traffic::Xmpp,
                ratings: vec![rate(Port, Protocol::Xmpp, true, High)],
            },
            rows,
        );
        let (h, d) = (v4(self.workstation()), self.hosting());
        let times = self.random_times(10);
        let rows = times
            .iter()
            .map(|&t| Row::new(t, ConnState::SF, false))
            .collect();
        self.emit(
            Case {
                id: "udp-mqtt-sn",
                description: "MQTT-SN over UDP to port 1883: not TCP, does not count",
                host: h,
                dst: d,
                port: 1883,
                transport: Transport::Udp,
                service: None,
                traffic: Traffic::Mqtt,
                ratings: vec![rate(Port, Protocol::Mqtt, true, High)],
            },
            rows,
        );
        // Inbound: started outside (local_orig F). Without Site::local_nets Zeek cannot say, so
        // the rows count.
        let counts = !self.net.local_nets;
        let outsider = IpAddr::V4(network::random_public_v4(&mut self.rng));
        let server = v4(Ipv4Addr::new(10, 0, 7, 8));
        self.used_dsts.insert(server);
        let times = self.random_times(15);
        let rows = times
            .iter()
            .map(|&t| Row::new(t, ConnState::SF, counts))
            .collect();
        self.emit(
            Case {
                id: "inbound-xmpp",
                description: "an outside client connecting in to the site's XMPP server \
                              (local_orig F): does not count (would be internal XMPP: medium)",
                host: outsider,
                dst: server,
                port: 5222,
                transport: Transport::Tcp,
                service: Some("xmpp,ssl"),
                traffic: Traffic::Xmpp,
                ratings: vec![rate(Port, Protocol::Xmpp, false, Medium)],
            },
            rows,
        );
        let outsider = IpAddr::V4(network::random_public_v4(&mut self.rng));
        let times = self.random_times(10);
        let rows = times
            .iter()
            .map(|&t| Row::new(t, ConnState::SF, counts))
            .collect();
        self.emit(
            Case {
                id: "inbound-mqtt",
                description: "an outside client publishing to the site's MQTT broker (local_orig \
                              F): does not count (would be internal MQTT: low)",
                host: outsider,
                dst: v4(Ipv4Addr::new(10, 30, 0, 5)),
                port: 1883,
                transport: Transport::Tcp,
                service: Some("mqtt"),
                traffic: Traffic::Mqtt,
                ratings: vec![rate(Port, Protocol::Mqtt, false, Low)],
            },
            rows,
        );
    }
}
