//! Fuzzes recognition on the MQTT port, where a shorter mid-stream chain is enough and cut
//! messages are held between scans: no opening, the inspector of a session to port 1883. See
//! `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::{SessionInspector, Side};

fuzz_target!(|data: &[u8]| session::drive_with(
    SessionInspector::with_server_port(1883),
    Side::Client,
    b"",
    data
));
