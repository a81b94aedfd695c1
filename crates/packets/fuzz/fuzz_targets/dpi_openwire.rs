//! Fuzzes OpenWire (after a WireFormatInfo header): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"\x00\x00\x00\x0d\x01ActiveMQ\x00\x00\x00\x0c";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
