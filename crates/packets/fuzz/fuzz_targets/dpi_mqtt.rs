//! Fuzzes MQTT (after a valid CONNECT): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"\x10\x25\x00\x06MQIsdp\x03\x02\x00\x05\x00\x17paho/34AAE54A75D839566E";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
