//! Fuzzes WebSocket (after an upgrade request for the `mqtt` subprotocol): see `session.rs` for how the input is fed.
#![no_main]

mod session;

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::Side;

const OPENING: &[u8] = b"GET /mqtt HTTP/1.1\r\nHost: broker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";

fuzz_target!(|data: &[u8]| session::drive(Side::Client, OPENING, data));
