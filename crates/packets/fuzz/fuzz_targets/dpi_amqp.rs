//! Fuzzes AMQP (after a 0-9-1 header; the input may carry other headers): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"AMQP\x00\x00\x09\x01";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
