//! A dedicated device: benign evidence from what a host does besides the channel. When a log
//! records every connection of a host (the census, `analytics::census`), and the host's only
//! traffic in it, through at least a day, was name lookups and other housekeeping and its held
//! sessions with the channel's one service, the host is a device doing its one job — a meter, a
//! thermostat, a building gateway reporting to its vendor's cloud. An implant sits on a host that
//! has another purpose (a workstation that browses and updates, a server, a camera streaming to
//! its own vendor) and adds its channel beside that traffic.
//!
//! What it cannot tell: a box an attacker planted to do nothing but talk to its controller looks
//! exactly like such a device, and so does an implant that replaced a device's firmware and
//! dropped the vendor's traffic. The credit is therefore given only to held sessions (a check-in
//! timer on short connections keeps its weight), shrinks by any content or process evidence the
//! channel has, and never exceeds the weight a person's chat client earns (`interactive_use`).
//!
//! A fleet (`device_fleet`) is what one planted box is not: several devices, and no other host,
//! reaching the same service and doing nothing else, as a product's meters report to their
//! vendor on the firmware's timer. It credits check-ins too, and the fleet's shared timer
//! weighs nothing; a device on a timer of its own keeps it.

use super::presence::{Span, stretches};
use super::prevalence::{PeerView, similar};
use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::time::Micros;

const HOUR: Micros = 3_600_000_000;

/// Least span of the inputs that hold the channel: a night and the working day around it.
/// Over less, a workstation may show nothing but one session and its lookups (a quiet night). Not
/// a full 24 hours: a day's log, midnight to midnight, starts with its first connection and ends
/// with its last, and spans a little less.
pub const MIN_DATA_SPAN: Micros = 20 * HOUR;
/// Least median connection length: a device holds its session (or renews it on its platform's
/// timer); a check-in is over in seconds.
pub const MIN_MEDIAN_SESSION: Micros = 10 * 60 * 1_000_000;

/// What the census and the group say about the channel's host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceView {
    /// The host's connections to the service in the inputs that hold the channel.
    pub connections: u64,
    /// Its housekeeping connections there (lookups, time, discovery).
    pub housekeeping: u64,
    /// Span of those inputs.
    pub data_span: Micros,
    /// Median length of the channel's connections whose end is known.
    pub median_session: Option<Micros>,
}

/// `dedicated_device` when the host did nothing but housekeeping and this service through at
/// least [`MIN_DATA_SPAN`] of data, holding sessions of at least [`MIN_MEDIAN_SESSION`].
pub fn score_dedicated_device(v: &DeviceView, port: u16, w: &Weights) -> Option<Signal> {
    let median = v.median_session?;
    if v.data_span < MIN_DATA_SPAN || median < MIN_MEDIAN_SESSION {
        return None;
    }
    Some(Signal::new(
        SignalId::DedicatedDevice,
        w.dedicated_device,
        format!(
            "the host's only traffic in {:.1} days of a log that records all of it is {} \
             connections to this service (port {port}, one network) and {} name lookups or \
             other housekeeping, holding sessions of {:.0} min (median): a device doing its one \
             job, such as a meter or thermostat reporting to its vendor, not a workstation or \
             server where an implant would sit beside other traffic",
            v.data_span as f64 / (24 * HOUR) as f64,
            v.connections,
            v.housekeeping,
            median as f64 / 60e6
        ),
    ))
}

/// Fewest other hosts that make a fleet with the channel's host: two devices of one product
/// reporting to one service are already not one box planted to talk to its controller.
pub const FLEET_MIN_OTHERS: usize = 1;

/// A fleet's credit, and whether the channel's timer is one the fleet keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    pub signal: Signal,
    /// The channel keeps a timer and other devices of the fleet keep a similar one: the
    /// firmware's check-in, not an operator's choice.
    pub fleet_timer: bool,
}

/// `device_fleet` when the channel's host is a device (the caller has the census's word: it did
/// nothing but housekeeping and this service through `data_span`, at least [`MIN_DATA_SPAN`])
/// and so is every other host of this run reaching the destination over the protocol, at least
/// [`FLEET_MIN_OTHERS`] of them (or, without any, every other host reaching its network). A
/// timer the channel keeps must be one the fleet's other devices keep too (`similar_period`): a
/// device on a timer of its own stands apart from its fleet.
///
/// Hosts that do other work may be among them when they keep the timer the fleet's devices keep
/// there and are fewer than the devices: a member whose firmware runs beside other work, or was
/// joined by an implant, still checks in as the others do, and does not make the service its
/// controller. When the channel's own host is such a member (`own_busy`), the channel is the
/// fleet's check-in and earns the credit too, on those terms (a timer, the devices', at the
/// same destination; the busy hosts, itself counted, fewer than the devices): what else the
/// host does is judged on its own channels (`fleet_outlier` there).
///
/// What it cannot tell: a fleet whose firmware was replaced as a whole, keeping no traffic of
/// its vendor's. An implant on a device beside the device's own job makes it no device here.
pub fn score_device_fleet(
    view: &PeerView,
    own_timer: Option<f64>,
    own_busy: bool,
    data_span: Micros,
    similar_period: f64,
    w: &Weights,
) -> Option<Fleet> {
    if data_span < MIN_DATA_SPAN || (own_busy && own_timer.is_none()) {
        return None;
    }
    let others_in_run = view
        .hosts
        .saturating_sub(view.hosts_from_history)
        .saturating_sub(1);
    let devices = view.other_device_timers.len();
    let busy = &view.other_busy_timers;
    let device_timers = || view.other_device_timers.iter().flatten();
    // Hosts doing other work, each on the timer the devices keep, and fewer than the devices
    // (the channel's own host counted on its side).
    let busy_members = busy.len() + usize::from(own_busy) < devices + usize::from(!own_busy)
        && busy
            .iter()
            .all(|t| t.is_some_and(|t| device_timers().any(|&d| similar(d, t, similar_period))));
    let by_destination =
        devices >= FLEET_MIN_OTHERS && devices + busy.len() == others_in_run && busy_members;
    let by_network = !own_busy
        && others_in_run == 0
        && view.pool_others >= FLEET_MIN_OTHERS
        && view.pool_devices == view.pool_others;
    let (fleet, whom) = if by_destination {
        (devices, view.destination.clone())
    } else if by_network {
        (
            view.pool_others,
            format!("the network of {}", view.destination),
        )
    } else {
        return None;
    };
    let fleet_timer = match own_timer {
        None => false,
        Some(own) if by_destination => {
            let alike = view
                .other_device_timers
                .iter()
                .flatten()
                .filter(|&&p| similar(p, own, similar_period))
                .count();
            if alike == 0 {
                return None;
            }
            true
        }
        Some(_) => return None,
    };
    let timer = if fleet_timer {
        ", on the timer the others keep (the firmware's check-in)"
    } else {
        ""
    };
    let members = match busy.len() {
        _ if own_busy => String::new(),
        0 => String::new(),
        n => format!(
            " ({n} more host{} reaching it that do{} other work keep{} the devices' timer \
             there: a member whose firmware runs beside other work)",
            if n == 1 { "" } else { "s" },
            if n == 1 { "es" } else { "" },
            if n == 1 { "s" } else { "" },
        ),
    };
    Some(Fleet {
        signal: Signal::new(
            SignalId::DeviceFleet,
            w.device_fleet,
            format!(
                "{} {fleet} other host{} reaching {whom} in this data do nothing but name lookups \
                 or other housekeeping and that service through {:.1} days of a log that records \
                 all of their traffic{timer}{members}{}: a product's fleet reporting to its \
                 service, where an implant sits on one host beside that host's own traffic",
                if own_busy { "the" } else { "the host and the" },
                if fleet == 1 { "" } else { "s" },
                data_span as f64 / (24 * HOUR) as f64,
                if own_busy {
                    "; this host does other work too, but checks in there as they do: the \
                     fleet's member, its other channels judged on their own"
                } else {
                    ""
                },
            ),
        ),
        fleet_timer,
    })
}

/// `fleet_outlier` for a channel whose host belongs to a fleet of devices elsewhere (it checks
/// in to a service on the timer at least two devices keep there, the census's devices, and the
/// hosts doing other work there are fewer than they) when none of those devices reaches this
/// channel's destination (the analytics judged it: [`PeerView::fleet_outlier`]). Devices of one
/// product do the same things; a member that talks where its fleet does not was changed, most
/// often by someone who took it over (an implant beside the device's own job).
pub fn score_fleet_outlier(view: &PeerView, w: &Weights) -> Option<Signal> {
    let f = view.fleet_outlier.as_ref()?;
    Some(Signal::new(
        SignalId::FleetOutlier,
        w.fleet_outlier,
        format!(
            "the host checks in to {} every {} as {} devices there do (a fleet's member), and \
             none of them reaches {}: a device doing what its fleet does not",
            f.fleet_service,
            super::prevalence::human_period(f.period),
            f.devices,
            view.destination
        ),
    ))
}

/// Longest gap between one session's end and the next one's start that still counts as one
/// stretch of use: a client reconnecting (to the same address or the next of its service's pool).
pub const RECONNECT_GAP: Micros = 5 * 60 * 1_000_000;

/// The longest stretch of time the sessions `(start, end)` kept open without a gap longer than
/// [`RECONNECT_GAP`], whatever their order.
pub fn longest_stretch(sessions: &[(Micros, Micros)]) -> Micros {
    stretches(sessions, RECONNECT_GAP)
        .iter()
        .map(Span::duration)
        .max()
        .unwrap_or(0)
}

/// Least stretch a host that does other work must keep a service open for it to be kept
/// around the clock: through a night and the working day around it, longer than people keep a
/// session they opened at work.
pub const ROUND_THE_CLOCK: Micros = 20 * HOUR;

/// `kept_around_the_clock` when a host the census shows doing other work (a workstation, a
/// server) kept the channel's service open for `stretch` without a break longer than a
/// reconnection, at least [`ROUND_THE_CLOCK`]: as an implant keeps its channel, where people
/// close what they opened at work and a device keeping a session is doing its job.
pub fn score_kept_around_the_clock(stretch: Micros, port: u16, w: &Weights) -> Option<Signal> {
    if stretch < ROUND_THE_CLOCK {
        return None;
    }
    Some(Signal::new(
        SignalId::KeptAroundTheClock,
        w.kept_around_the_clock,
        format!(
            "the host, whose other traffic in the same input shows other work (a workstation or \
             server, not a device doing one job), kept this service (port {port}) open {:.1} h \
             without a break longer than a reconnection: around the clock, as an implant keeps \
             its channel, where people close what they opened at work",
            stretch as f64 / HOUR as f64
        ),
    ))
}

/// The median of the lengths of some sessions, `None` when there are none.
pub fn median_length(lengths: &mut [Micros]) -> Option<Micros> {
    if lengths.is_empty() {
        return None;
    }
    lengths.sort_unstable();
    Some(lengths[lengths.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(days: i64, median_min: i64) -> DeviceView {
        DeviceView {
            connections: 7,
            housekeeping: 12,
            data_span: days * 24 * HOUR,
            median_session: Some(median_min * 60 * 1_000_000),
        }
    }

    #[test]
    fn a_device_holding_its_session_through_days_is_credited() {
        let w = Weights::default();
        let s = score_dedicated_device(&view(7, 900), 8883, &w).expect("credited");
        assert_eq!(s.id, SignalId::DedicatedDevice);
        assert_eq!(s.weight, w.dedicated_device);
        assert!(s.weight < 0.0);
        assert!(s.reason.contains("7.0 days"), "{}", s.reason);
    }

    #[test]
    fn short_data_check_ins_and_unknown_ends_are_not() {
        let w = Weights::default();
        // Half a day: a workstation may show nothing else overnight.
        let mut short = view(1, 900);
        short.data_span = 12 * HOUR;
        assert!(score_dedicated_device(&short, 8883, &w).is_none());
        // A day's log, midnight to midnight, spans a little less than 24 hours.
        let mut day = view(1, 900);
        day.data_span = 24 * HOUR - 30 * 60 * 1_000_000;
        assert!(score_dedicated_device(&day, 8883, &w).is_some());
        // Check-ins over in seconds.
        assert!(score_dedicated_device(&view(7, 0), 8883, &w).is_none());
        assert!(score_dedicated_device(&view(7, 9), 8883, &w).is_none());
        let mut unknown = view(7, 900);
        unknown.median_session = None;
        assert!(score_dedicated_device(&unknown, 8883, &w).is_none());
    }

    #[test]
    fn stretches_join_reconnections_but_not_nights() {
        let h = HOUR;
        // Three sessions back to back (a reconnect two minutes after each end): 30 hours.
        let kept = [
            (0, 10 * h),
            (10 * h + 2 * 60_000_000, 20 * h),
            (20 * h + 60_000_000, 30 * h),
        ];
        assert_eq!(longest_stretch(&kept), 30 * h);
        // Working days: 9 hours each, closed at night.
        let days: Vec<(Micros, Micros)> = (0..5)
            .map(|d| (d * 24 * h + 8 * h, d * 24 * h + 17 * h))
            .collect();
        assert_eq!(longest_stretch(&days), 9 * h);
        // Overlapping sessions and an end before its start.
        assert_eq!(
            longest_stretch(&[(5 * h, 6 * h), (0, 8 * h), (9 * h, 8 * h)]),
            8 * h
        );
        assert_eq!(longest_stretch(&[]), 0);
    }

    #[test]
    fn a_day_and_a_night_is_around_the_clock_a_working_day_is_not() {
        let w = Weights::default();
        let s = score_kept_around_the_clock(43 * HOUR, 8883, &w).expect("kept");
        assert_eq!(s.id, SignalId::KeptAroundTheClock);
        assert!(s.weight > 0.0);
        assert!(s.reason.contains("43.0 h"), "{}", s.reason);
        assert!(score_kept_around_the_clock(10 * HOUR, 8883, &w).is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median_length(&mut []), None);
        assert_eq!(median_length(&mut [5, 1, 3]), Some(3));
        assert_eq!(median_length(&mut [4, 1, 3, 2]), Some(3));
    }

    /// `others` hosts besides the channel's reach the destination: `devices`, and the rest
    /// doing other work without a timer there.
    fn fleet_view(others: usize, devices: &[Option<f64>]) -> PeerView {
        PeerView {
            destination: "203.0.113.7".into(),
            hosts: others + 1,
            other_device_timers: devices.to_vec(),
            other_busy_timers: vec![None; others.saturating_sub(devices.len())],
            data_hosts: 60,
            external: true,
            ..PeerView::default()
        }
    }

    #[test]
    fn devices_that_alone_reach_a_service_are_a_fleet() {
        let w = Weights::default();
        let day = 23 * HOUR;
        let f = score_device_fleet(&fleet_view(2, &[None, None]), None, false, day, 0.25, &w)
            .expect("a fleet");
        assert_eq!(f.signal.id, SignalId::DeviceFleet);
        assert_eq!(f.signal.weight, w.device_fleet);
        assert!(!f.fleet_timer);
        assert!(
            f.signal.reason.contains("2 other hosts"),
            "{}",
            f.signal.reason
        );
        // Two devices are a fleet; one is a box.
        assert!(score_device_fleet(&fleet_view(1, &[None]), None, false, day, 0.25, &w).is_some());
        assert!(score_device_fleet(&fleet_view(0, &[]), None, false, day, 0.25, &w).is_none());
        // A workstation reaching it too: a service hosts use, not a fleet's.
        assert!(
            score_device_fleet(&fleet_view(3, &[None, None]), None, false, day, 0.25, &w).is_none()
        );
        // Half a day: a workstation may show nothing else overnight.
        assert!(
            score_device_fleet(
                &fleet_view(2, &[None, None]),
                None,
                false,
                12 * HOUR,
                0.25,
                &w
            )
            .is_none()
        );
        // Hosts only earlier runs saw are not judged: the fleet is this run's.
        let mut v = fleet_view(2, &[None, None]);
        v.hosts += 3;
        v.hosts_from_history = 3;
        assert!(score_device_fleet(&v, None, false, day, 0.25, &w).is_some());
    }

    #[test]
    fn a_fleets_timer_is_the_firmwares_and_a_timer_of_its_own_is_not() {
        let w = Weights::default();
        let day = 23 * HOUR;
        let v = fleet_view(2, &[Some(900.0), Some(880.0)]);
        let f =
            score_device_fleet(&v, Some(905.0), false, day, 0.25, &w).expect("the fleet's timer");
        assert!(f.fleet_timer);
        assert!(f.signal.reason.contains("firmware"), "{}", f.signal.reason);
        assert!(score_device_fleet(&v, Some(60.0), false, day, 0.25, &w).is_none());
        let quiet = fleet_view(2, &[None, None]);
        assert!(score_device_fleet(&quiet, Some(900.0), false, day, 0.25, &w).is_none());
    }

    #[test]
    fn a_busy_member_on_the_fleets_timer_leaves_the_fleet_its_credit() {
        let w = Weights::default();
        let day = 23 * HOUR;
        let with_busy = |devices: &[Option<f64>], busy: &[Option<f64>]| {
            let mut v = fleet_view(devices.len() + busy.len(), devices);
            v.other_busy_timers = busy.to_vec();
            v
        };
        let meters = [Some(900.0), Some(880.0)];
        // A meter that also runs something else, still checking in as the others do.
        let v = with_busy(&meters, &[Some(910.0)]);
        let f = score_device_fleet(&v, Some(905.0), false, day, 0.25, &w).expect("still a fleet");
        assert!(f.fleet_timer);
        assert!(
            f.signal
                .reason
                .contains("1 more host reaching it that does other work keeps"),
            "{}",
            f.signal.reason
        );
        // One device and the channel's own beside one busy host: still more devices.
        let v = with_busy(&meters[..1], &[Some(900.0)]);
        assert!(score_device_fleet(&v, Some(905.0), false, day, 0.25, &w).is_some());
        // On a timer of its own, or none, it is a host using the service.
        for busy in [Some(600.0), None] {
            let v = with_busy(&meters, &[busy]);
            assert!(score_device_fleet(&v, Some(905.0), false, day, 0.25, &w).is_none());
        }
        // As many busy hosts as devices: a service hosts use.
        let v = with_busy(&meters[..1], &[Some(900.0), Some(900.0)]);
        assert!(score_device_fleet(&v, Some(905.0), false, day, 0.25, &w).is_none());
        // The busy member's own channel on the devices' timer is the fleet's check-in; off it,
        // or beside as many busy hosts as devices, it is not.
        let v = with_busy(&meters, &[]);
        let own = score_device_fleet(&v, Some(905.0), true, day, 0.25, &w).expect("a member");
        assert!(own.fleet_timer);
        assert!(
            own.signal.reason.contains("does other work too"),
            "{}",
            own.signal.reason
        );
        assert!(score_device_fleet(&v, Some(600.0), true, day, 0.25, &w).is_none());
        assert!(score_device_fleet(&v, None, true, day, 0.25, &w).is_none());
        let v = with_busy(&meters, &[Some(900.0)]);
        assert!(score_device_fleet(&v, Some(905.0), true, day, 0.25, &w).is_none());
        // Devices without a timer give a busy host none to keep.
        let v = with_busy(&[None, None], &[Some(900.0)]);
        assert!(score_device_fleet(&v, None, false, day, 0.25, &w).is_none());
    }

    #[test]
    fn without_peers_at_the_address_a_network_of_devices_is_a_fleet() {
        let w = Weights::default();
        let mut v = fleet_view(0, &[]);
        (v.pool_others, v.pool_devices) = (3, 3);
        let f = score_device_fleet(&v, None, false, 23 * HOUR, 0.25, &w).expect("by network");
        assert!(
            f.signal.reason.contains("the network of 203.0.113.7"),
            "{}",
            f.signal.reason
        );
        (v.pool_others, v.pool_devices) = (3, 2);
        assert!(score_device_fleet(&v, None, false, 23 * HOUR, 0.25, &w).is_none());
        // Its timer cannot be compared with theirs there.
        (v.pool_others, v.pool_devices) = (3, 3);
        assert!(score_device_fleet(&v, Some(900.0), false, 23 * HOUR, 0.25, &w).is_none());
    }
}
