//! Deep packet inspection: recognises publish/subscribe protocols in the reassembled bytes of a
//! TCP session, on any port and from the middle of a stream, and extracts what they say into an
//! [`AppInfo`]. One module per protocol.

use pubsub_hunt_core::AppInfo;
use pubsub_hunt_core::time::Micros;

/// Which end of the connection sent the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

/// Inspects one TCP session.
#[derive(Debug, Default)]
pub struct SessionInspector {
    app: AppInfo,
}

impl SessionInspector {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn feed(&mut self, _side: Side, _ts: Micros, _packet: u64, _data: &[u8]) {}
    pub fn gap(&mut self, _side: Side) {}
    pub fn wants_more(&self) -> bool {
        true
    }
    pub fn finish(self) -> AppInfo {
        self.app
    }
}
