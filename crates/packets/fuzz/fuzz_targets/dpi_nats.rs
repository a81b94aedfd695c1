//! Fuzzes NATS (after the server's INFO line): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"INFO {\"server_id\":\"NDFUZZ\",\"version\":\"2.10.0\",\"max_payload\":1048576}\r\n";

fuzz_target!(|data: &[u8]| session::drive(Side::Server, OPENING, data));
