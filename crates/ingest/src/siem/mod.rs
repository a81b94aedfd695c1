//! SIEM and EDR exports: Microsoft Defender XDR `DeviceNetworkEvents` (CSV and JSON), Splunk
//! search exports in CIM Network_Traffic fields, and the generic CSV/JSON mapping that lets a
//! hunter load any export from a mapping file.

use crate::source::Registry;

/// The SIEM formats, in sniffing priority order.
pub fn formats() -> Registry {
    Vec::new()
}
