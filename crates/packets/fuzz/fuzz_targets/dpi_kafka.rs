//! Fuzzes Kafka (after an ApiVersions request): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"\x00\x00\x00\x12\x00\x12\x00\x03\x00\x00\x00\x01\x00\x07fuzzcli\x00";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
