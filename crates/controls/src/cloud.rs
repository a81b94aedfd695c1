//! Cloud providers' shared endpoints: names under which one address serves many customers (IoT
//! hubs, managed brokers, push services, public test brokers). Blocking such an address or name
//! takes down every tenant behind it, so destination controls for them are skipped unless
//! forced; signatures on the channel's own topics and client ids are still written. This is the
//! one table of them; `docs/controls.md` lists it with the reasons.

/// One shared endpoint: a DNS suffix (matching the name itself or any name under it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedEndpoint {
    pub provider: &'static str,
    pub suffix: &'static str,
    pub service: &'static str,
}

const fn e(provider: &'static str, suffix: &'static str, service: &'static str) -> SharedEndpoint {
    SharedEndpoint {
        provider,
        suffix,
        service,
    }
}

/// The table (also in `docs/controls.md`).
pub const SHARED_ENDPOINTS: &[SharedEndpoint] = &[
    e(
        "Amazon Web Services",
        "amazonaws.com",
        "AWS IoT Core, Amazon MQ, load balancers",
    ),
    e(
        "Amazon Web Services",
        "amazonaws.com.cn",
        "AWS China regions",
    ),
    e("Amazon Web Services", "cloudfront.net", "CloudFront edge"),
    e(
        "Microsoft Azure",
        "azure-devices.net",
        "IoT Hub (MQTT, AMQP)",
    ),
    e(
        "Microsoft Azure",
        "azure-devices-provisioning.net",
        "IoT Hub device provisioning",
    ),
    e(
        "Microsoft Azure",
        "servicebus.windows.net",
        "Service Bus and Event Hubs (AMQP)",
    ),
    e(
        "Microsoft Azure",
        "eventgrid.azure.net",
        "Event Grid MQTT broker",
    ),
    e("Microsoft Azure", "webpubsub.azure.com", "Web PubSub"),
    e(
        "Google Cloud",
        "googleapis.com",
        "Pub/Sub, Cloud IoT MQTT bridge",
    ),
    e(
        "Google",
        "mtalk.google.com",
        "Firebase Cloud Messaging (XMPP)",
    ),
    e("Apple", "push.apple.com", "Apple Push Notification service"),
    e("Alibaba Cloud", "aliyuncs.com", "IoT Platform MQTT"),
    e("HiveMQ", "hivemq.cloud", "HiveMQ Cloud clusters"),
    e("HiveMQ", "broker.hivemq.com", "public MQTT broker"),
    e("EMQ", "emqxsl.com", "EMQX Cloud deployments"),
    e("EMQ", "broker.emqx.io", "public MQTT broker"),
    e(
        "Eclipse Foundation",
        "test.mosquitto.org",
        "public MQTT test broker",
    ),
    e(
        "Cloudflare",
        "cloudflare.net",
        "Spectrum and proxied endpoints",
    ),
];

/// The shared endpoint a name belongs to, if any (case-insensitive, a trailing dot ignored).
pub fn shared_endpoint(name: &str) -> Option<&'static SharedEndpoint> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    SHARED_ENDPOINTS.iter().find(|e| {
        n == e.suffix
            || n.strip_suffix(e.suffix)
                .is_some_and(|head| head.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_by_whole_labels() {
        let aws = shared_endpoint("a1b2c3-ats.iot.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(aws.provider, "Amazon Web Services");
        assert!(shared_endpoint("Broker.HiveMQ.com.").is_some());
        // A look-alike is not the provider.
        assert!(shared_endpoint("evilamazonaws.com").is_none());
        assert!(shared_endpoint("c2.example.net").is_none());
        assert!(shared_endpoint("broker.hivemq.com.evil.net").is_none());
    }
}
