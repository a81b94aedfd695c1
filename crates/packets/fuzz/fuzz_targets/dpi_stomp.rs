//! Fuzzes STOMP (after a CONNECT frame): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"CONNECT\naccept-version:1.2\nhost:/\n\n\0";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
