//! The labeled scenario's benign devices: IoT fleets on cloud hubs and home automation on the LAN
//! broker ([`super::Scenario::generate`] draws them first).

use super::*;

/// Devices: IoT fleets on cloud hubs and home automation on the LAN broker.
pub(super) fn devices(c: &mut Catalogue) {
    use AppProtocol::*;
    use Label::Benign;
    let whole = c.whole();

    // --- IoT fleets on cloud hubs -----------------------------------------------------------
    let aws_prefix = format!("a{}-ats", c.hex(13));
    let aws_host = format!("{aws_prefix}.iot.eu-west-1.amazonaws.com");
    let aws_ip = Ipv4Addr::new(52, 48, 17, 100 + c.rng.below(100) as u8);
    for (i, period) in [60.0, 300.0, 600.0, 120.0].into_iter().enumerate() {
        let mac = c.upper_hex(12);
        let ip = c.ip(10, 30, 1);
        let id = format!("aws-iot-thermo-{}", i + 1);
        let client_id = format!("thermo-{mac}");
        let description = format!("ESP32 thermostat {client_id} reporting to AWS IoT Core");
        let t = timing(
            c.span,
            persistent(c.hours(6.0, 10.0)),
            periodic(period, 0.02, Payload::ShadowJson),
            poisson(4.0 * HOUR, Payload::ShadowJson),
            1200,
            whole,
        );
        push(
            Spec {
                id: &id,
                label: Benign,
                category: "iot-fleet",
                description: &description,
                host: (&format!("thermo-{}", &mac[6..]), ip, Os::Embedded),
                image: "esp32-firmware",
                user: "-",
                dst: (aws_ip, 8883, &aws_host),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                publish: vec![format!("$aws/things/{client_id}/shadow/update")],
                subscribe: vec![format!("$aws/things/{client_id}/shadow/update/delta")],
                client_id,
                username: None,
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }
    {
        let mac = c.upper_hex(12);
        let ip = c.ip(10, 30, 1);
        let client_id = format!("meter-{mac}");
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 9.0)),
            periodic(900.0, 0.01, Payload::SensorJson),
            None,
            300,
            whole,
        );
        push(
            Spec {
                id: "aws-iot-meter-443",
                label: Benign,
                category: "iot-fleet",
                description: "energy meter on AWS IoT over port 443 with ALPN x-amzn-mqtt-ca",
                host: (&format!("meter-{}", &mac[6..]), ip, Os::Embedded),
                image: "meter-firmware",
                user: "-",
                dst: (
                    Ipv4Addr::new(52, 48, 17, aws_ip.octets()[3] + 1),
                    443,
                    &aws_host,
                ),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                publish: vec![format!("dt/energy/{client_id}/telemetry")],
                subscribe: vec![format!("cmd/energy/{client_id}/#")],
                client_id,
                username: None,
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }
    let hub = "contoso-plant.azure-devices.net";
    let hub_ip = Ipv4Addr::new(20, 50, 72, 10 + c.rng.below(200) as u8);
    for i in 1..=2 {
        let device = format!("press-line-{:02}", 3 + i);
        let ip = c.ip(10, 30, 2);
        let t = timing(
            c.span,
            persistent(c.hours(7.0, 11.0)),
            periodic(120.0, 0.05, Payload::SensorJson),
            poisson(6.0 * HOUR, Payload::SensorJson),
            240,
            whole,
        );
        push(
            Spec {
                id: &format!("azure-iot-{device}"),
                label: Benign,
                category: "iot-fleet",
                description: "press controller sending telemetry to Azure IoT Hub",
                host: (&device, ip, Os::Embedded),
                image: "azure-iot-sdk-c",
                user: "-",
                dst: (hub_ip, 8883, hub),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                publish: vec![format!("devices/{device}/messages/events/")],
                subscribe: vec![format!("devices/{device}/messages/devicebound/#")],
                username: Some(format!("{hub}/{device}/?api-version=2021-04-12")),
                client_id: device.clone(),
                timing: t,
                rtt_ms: 22.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 0);
        let t = timing(
            c.span,
            persistent(c.hours(8.0, 11.0)),
            periodic(60.0, 0.0, Payload::ShadowJson),
            poisson(2.0 * HOUR, Payload::ShadowJson),
            1200,
            whole,
        );
        push(
            Spec {
                id: "greengrass-gw",
                label: Benign,
                category: "iot-fleet",
                description: "AWS IoT Greengrass v2 nucleus on the plant gateway (fixed 60 s telemetry)",
                host: ("gw-plant-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-11-amazon-corretto/bin/java",
                user: "ggc_user",
                dst: (
                    Ipv4Addr::new(52, 48, 17, aws_ip.octets()[3] + 2),
                    8883,
                    &aws_host,
                ),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                client_id: "gw-plant-01".into(),
                username: None,
                publish: strings(&["$aws/things/gw-plant-01/shadow/update"]),
                subscribe: strings(&["$aws/things/gw-plant-01/jobs/notify"]),
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }

    // --- Home automation on the LAN Mosquitto ----------------------------------------------
    let mosquitto = Ipv4Addr::new(10, 30, 0, 2);
    {
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(1200.0, Payload::HassCommand),
            poisson(90.0, Payload::ZigbeeState),
            60,
            whole,
        );
        push(
            Spec {
                id: "home-assistant",
                label: Benign,
                category: "home-automation",
                description: "Home Assistant core subscribed to device state on the local Mosquitto",
                host: ("ha-core", ip, Os::Linux),
                image: "/usr/local/bin/python3.12",
                user: "homeassistant",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("homeassistant-{}", c.hex(8)),
                username: Some("homeassistant".into()),
                publish: strings(&["zigbee2mqtt/living_room_lamp/set"]),
                subscribe: strings(&["homeassistant/#", "zigbee2mqtt/#", "tele/+/STATE"]),
                timing: t,
                rtt_ms: 0.4,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(90.0, Payload::ZigbeeState),
            poisson(1500.0, Payload::HassCommand),
            60,
            whole,
        );
        push(
            Spec {
                id: "zigbee2mqtt",
                label: Benign,
                category: "home-automation",
                description: "Zigbee2MQTT bridge publishing sensor states as they change",
                host: ("zigbee-hub", ip, Os::Linux),
                image: "/usr/bin/node",
                user: "zigbee2mqtt",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("zigbee2mqtt_{}", c.hex(8)),
                username: Some("zigbee2mqtt".into()),
                publish: strings(&[
                    "zigbee2mqtt/hallway_motion",
                    "zigbee2mqtt/kitchen_temp",
                    "zigbee2mqtt/front_door",
                ]),
                subscribe: strings(&["zigbee2mqtt/+/set", "zigbee2mqtt/bridge/request/#"]),
                timing: t,
                rtt_ms: 0.4,
            },
            c,
        );
    }
    for (i, keepalive) in [30, 60].into_iter().enumerate() {
        let mac = c.upper_hex(6);
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(8.0, 11.0)),
            periodic(300.0, 0.005, Payload::TasmotaState),
            poisson(3.0 * HOUR, Payload::HassCommand),
            keepalive,
            whole,
        );
        push(
            Spec {
                id: &format!("tasmota-plug-{}", i + 1),
                label: Benign,
                category: "home-automation",
                description: "Tasmota smart plug: TelePeriod 300 s, MQTT keepalive 30 or 60 s",
                host: (&format!("tasmota-{mac}"), ip, Os::Embedded),
                image: "tasmota",
                user: "-",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                publish: vec![
                    format!("tele/tasmota_{mac}/STATE"),
                    format!("tele/tasmota_{mac}/SENSOR"),
                ],
                subscribe: vec![format!("cmnd/tasmota_{mac}/#")],
                client_id: format!("DVES_{mac}"),
                username: Some("DVES_USER".into()),
                timing: t,
                rtt_ms: 0.6,
            },
            c,
        );
    }
}
