//! The groups of a live capture and the census of its hosts: the flows that ended are counted
//! for good; at each report the groups are rated with the flows still open counted in a copy,
//! and with the census of every flow seen, as `hunt` rates a capture of the same traffic (its
//! census is a capture's: a live interface may be filtered, unless it shows several hosts'
//! other work). Without the census a watch never knew a host's other traffic, so it made no
//! busy host and no dedicated device where a hunt of the same packets did.

use pubsub_hunt_core::analytics::census::{Census, Coverage, FlowCensus};
use pubsub_hunt_core::analytics::unreferenced_input;
use pubsub_hunt_core::prior::{History, HistoryKeys, PriorSource};
use pubsub_hunt_core::{Accumulator, Alert, ConnEvent, Engine, HuntSummary, Session};
use std::sync::Arc;

/// The flows that ended so far, as groups and as the census of their hosts.
#[derive(Debug)]
pub struct LiveGroups {
    acc: Accumulator,
    /// `None` when the engine takes no census (behaviour analytics off).
    census: Option<FlowCensus>,
}

impl LiveGroups {
    pub fn new(engine: &Engine) -> LiveGroups {
        LiveGroups {
            acc: Accumulator::new(),
            census: engine.takes_census().then(FlowCensus::default),
        }
    }

    /// Counts a flow that ended.
    pub fn ended(&mut self, engine: &Engine, ev: &ConnEvent) {
        engine.observe(ev, &mut self.acc);
        if let Some(flows) = self.census.as_mut() {
            engine.count_for_census(ev, flows);
        }
    }

    /// The session records of the flows that ended since the last call.
    pub fn take_sessions(&mut self, engine: &Engine) -> Vec<Session> {
        self.acc.take_sessions(engine.config())
    }

    /// Connections (flows) that ended so far.
    pub fn events(&self) -> u64 {
        self.acc.counters.events
    }

    /// The run's record counts and extent, for the report's summary.
    pub fn accumulator(&self) -> &Accumulator {
        &self.acc
    }

    /// Rates the groups as they stand: the flows that ended and those still `open` (counted in
    /// a copy: each is counted for good once, when it ends), with the census of all of them,
    /// judged against `prior` (the state store's history of these groups) when there is one.
    /// Also returns the facts the rating adds to the history (empty without a prior).
    pub fn rate(
        &self,
        engine: &Engine,
        open: &[ConnEvent],
        prior: Option<&mut HistoryCache<'_>>,
    ) -> Result<(Vec<Alert>, HuntSummary, History), String> {
        let mut now = self.acc.clone();
        let mut flows = self.census.clone();
        for ev in open {
            engine.observe(ev, &mut now);
            if let Some(flows) = flows.as_mut() {
                engine.count_for_census(ev, flows);
            }
        }
        if let Some(flows) = flows {
            // A live capture's flows carry no record reference: they all count for one input.
            let mut census = Census::default();
            let input = unreferenced_input();
            engine.observe_flow_census(input, flows, Coverage::MayBeFiltered, &mut census);
            now.absorb_census(census, engine.config());
        }
        Ok(match prior {
            Some(cache) => {
                let history = cache.for_keys(now.history_keys())?;
                engine.clone().with_prior(history).finish_with_history(now)
            }
            None => engine.finish_with_history(now),
        })
    }
}

/// The part of the state store's history the watch's groups are judged against. The store does
/// not change while the watch runs (it is written when the watch stops), so a report whose
/// groups the last load covered reuses it: the store is read again only when groups it has not
/// seen appear.
pub struct HistoryCache<'s> {
    store: &'s dyn PriorSource,
    loaded: Option<(HistoryKeys, Arc<History>)>,
}

impl<'s> HistoryCache<'s> {
    pub fn new(store: &'s dyn PriorSource) -> HistoryCache<'s> {
        HistoryCache {
            store,
            loaded: None,
        }
    }

    /// The history of `keys`: the last load when it covered them all, else a new one.
    pub fn for_keys(&mut self, keys: HistoryKeys) -> Result<Arc<History>, String> {
        if let Some((had, history)) = &self.loaded
            && keys.channels.is_subset(&had.channels)
            && keys.destinations.is_subset(&had.destinations)
            && keys.processes.is_subset(&had.processes)
        {
            return Ok(history.clone());
        }
        let history = Arc::new(self.store.load_for(&keys)?);
        self.loaded = Some((keys, history.clone()));
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{HuntConfig, Suspicion};
    use pubsub_hunt_ingest::ProblemKind;
    use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
    use pubsub_hunt_packets::format::read_flows;
    use pubsub_hunt_packets::sink::FlowSink;
    use pubsub_hunt_testgen::sensor_day::{DEVICE, WORKSTATION};

    /// The census day (`pubsub_hunt_testgen::sensor_day`) on a sensor: the workstation and
    /// two colleagues browse, so the traffic was not filtered to pub/sub and what the device
    /// did not do shows.
    fn sensor_day() -> Vec<u8> {
        pubsub_hunt_testgen::sensor_day::capture(true, 2)
    }

    #[derive(Default)]
    struct Flows(Vec<ConnEvent>);

    impl FlowSink for Flows {
        fn flow(&mut self, flow: EndedFlow) {
            self.0.push(flow.event);
        }
        fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
            panic!("{pos:?} {kind:?} {detail}");
        }
    }

    fn engine() -> Engine {
        Engine::new(HuntConfig {
            min_suspicion: Suspicion::Low,
            ..HuntConfig::default()
        })
    }

    /// What a reader compares: each alert's id, score, suspicion and signals.
    fn verdicts(alerts: &[Alert]) -> Vec<String> {
        alerts
            .iter()
            .map(|a| format!("{} {} {:?} {:?}", a.id, a.score, a.suspicion, a.signals))
            .collect()
    }

    fn device(alerts: &[Alert]) -> &Alert {
        alerts
            .iter()
            .find(|a| a.src_ip == Some(DEVICE.into()))
            .expect("the device's sessions are rated")
    }

    /// The watch rates the flows it saw as `hunt` rates a capture of them: the same alerts,
    /// scores and signals, the census included (the device's only other traffic is lookups in a
    /// capture that shows other hosts' web: a dedicated device).
    #[test]
    fn a_watch_rates_its_flows_as_a_hunt_of_their_capture() {
        let pcap = sensor_day();
        let mut flows = Flows::default();
        read_flows(&pcap[..], FlowConfig::default(), &mut flows).unwrap();
        let engine = engine();
        let mut live = LiveGroups::new(&engine);
        for ev in &flows.0 {
            live.ended(&engine, ev);
        }
        let (watched, _, _) = live.rate(&engine, &[], None).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.pcap");
        std::fs::write(&path, &pcap).unwrap();
        let (acc, _) = pubsub_hunt_ingest::run(
            &[pubsub_hunt_ingest::InputPath::Path(path)],
            &engine,
            &pubsub_hunt_ingest::IngestOptions {
                registry: crate::settings::all_formats(),
                ..pubsub_hunt_ingest::IngestOptions::default()
            },
            &pubsub_hunt_ingest::IgnoreProblems,
        )
        .unwrap();
        let (hunted, _) = engine.finish(acc);

        assert_eq!(verdicts(&watched), verdicts(&hunted));
        let d = device(&watched);
        assert!(
            d.signals
                .contains_key(&pubsub_hunt_core::SignalId::DedicatedDevice),
            "{d:?}"
        );
        assert_eq!(d.suspicion, Suspicion::Low, "{d:?}");
    }

    /// Sessions still open are counted in the rating and in the census, and only in them: with
    /// the device's last session and the workstation's browsing still open, the groups are rated
    /// as when those have ended (the browsing is what shows the workstation busy and the
    /// capture unfiltered), and each is counted for good once, when it ends.
    #[test]
    fn open_flows_count_in_the_rating_and_the_census_until_they_end() {
        let mut flows = Flows::default();
        read_flows(&sensor_day()[..], FlowConfig::default(), &mut flows).unwrap();
        let engine = engine();
        let from = |e: &ConnEvent, host: [u8; 4]| e.src_ip == Some(host.into());
        let last_of_device = flows
            .0
            .iter()
            .rposition(|e| from(e, DEVICE) && e.dst_port == 8883)
            .unwrap();
        let still_open = |i: usize, e: &ConnEvent| {
            i == last_of_device || (from(e, WORKSTATION) && e.dst_port == 443)
        };
        let mut live = LiveGroups::new(&engine);
        let mut open = Vec::new();
        for (i, ev) in flows.0.iter().enumerate() {
            if still_open(i, ev) {
                open.push(ev.clone());
            } else {
                live.ended(&engine, ev);
            }
        }
        assert_eq!(open.len(), 3);
        let (while_open, _, _) = live.rate(&engine, &open, None).unwrap();
        let (again, _, _) = live.rate(&engine, &open, None).unwrap();
        assert_eq!(verdicts(&while_open), verdicts(&again));
        for ev in &open {
            live.ended(&engine, ev);
        }
        let (ended, _, _) = live.rate(&engine, &[], None).unwrap();
        assert_eq!(verdicts(&while_open), verdicts(&ended));
        assert_eq!(device(&ended).connections, 3);
        assert!(
            device(&ended)
                .signals
                .contains_key(&pubsub_hunt_core::SignalId::DedicatedDevice)
        );
        assert_eq!(live.events(), flows.0.len() as u64);
    }

    /// A store that counts its loads.
    struct Counted(std::sync::atomic::AtomicUsize);

    impl PriorSource for Counted {
        fn load_for(&self, _keys: &HistoryKeys) -> Result<History, String> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(History::default())
        }
    }

    /// The store is read again only when a report has groups the last load did not cover.
    #[test]
    fn the_history_is_loaded_again_only_for_groups_it_has_not_seen() {
        let store = Counted(Default::default());
        let mut cache = HistoryCache::new(&store);
        let keys = |ids: &[&str]| HistoryKeys {
            channels: ids.iter().map(|s| s.to_string()).collect(),
            ..HistoryKeys::default()
        };
        let loads = || store.0.load(std::sync::atomic::Ordering::Relaxed);
        cache.for_keys(keys(&["a", "b"])).unwrap();
        cache.for_keys(keys(&["a", "b"])).unwrap();
        cache.for_keys(keys(&["b"])).unwrap();
        assert_eq!(loads(), 1);
        cache.for_keys(keys(&["a", "b", "c"])).unwrap();
        assert_eq!(loads(), 2);
        cache.for_keys(keys(&["a", "c"])).unwrap();
        assert_eq!(loads(), 2);
    }
}
