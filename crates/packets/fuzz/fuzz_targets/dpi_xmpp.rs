//! Fuzzes XMPP (after a stream header): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='x.example' version='1.0'>";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
