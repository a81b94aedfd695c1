//! Fuzzes the whole inspector, any protocol, on raw input: see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
