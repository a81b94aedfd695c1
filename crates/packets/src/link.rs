//! Link layers: strips the frame header of every link type the readers accept (Ethernet with
//! 802.1Q/802.1ad VLAN tags, raw IP, Linux cooked capture v1 and v2, BSD NULL/loopback) and
//! says which network protocol the rest carries. Only IPv4 and IPv6 are passed on; ARP, LLDP and
//! the like are recognised as "not IP" so they are counted, not reported as damage.

use thiserror::Error;

/// LINKTYPE values (tcpdump.org/linktypes.html) the decoder knows.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// DLT_RAW as some BSDs write it into files.
    pub const RAW_BSD_12: u32 = 12;
    /// DLT_RAW as OpenBSD writes it.
    pub const RAW_BSD_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// More stacked VLAN tags than any real network uses: a frame with more is treated as damaged
/// rather than walked for ever.
const MAX_VLAN_TAGS: usize = 8;

/// What a frame carries once its link header is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network<'a> {
    Ipv4(&'a [u8]),
    Ipv6(&'a [u8]),
    /// A valid frame of another protocol (ARP, LLDP, IPX, …).
    NotIp,
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    #[error("frame of {len} bytes is shorter than its {needed}-byte link header")]
    Truncated { len: usize, needed: usize },
    #[error("more than {MAX_VLAN_TAGS} stacked VLAN tags")]
    TooManyVlanTags,
    #[error("link type {0} is not supported")]
    UnsupportedLinkType(u32),
}

/// Whether [`decode`] understands `linktype`.
pub fn is_supported(linktype: u32) -> bool {
    use linktype::*;
    matches!(
        linktype,
        NULL | ETHERNET
            | RAW_BSD_12
            | RAW_BSD_14
            | RAW
            | LOOP
            | LINUX_SLL
            | IPV4
            | IPV6
            | LINUX_SLL2
    )
}

/// Removes the link header of a frame of type `linktype`.
pub fn decode(linktype: u32, frame: &[u8]) -> Result<Network<'_>, LinkError> {
    match linktype {
        linktype::ETHERNET => {
            let (ethertype, rest) = split_header(frame, 14, 12)?;
            by_ethertype(ethertype, rest)
        }
        linktype::RAW | linktype::RAW_BSD_12 | linktype::RAW_BSD_14 => Ok(by_version(frame)),
        linktype::IPV4 => Ok(Network::Ipv4(frame)),
        linktype::IPV6 => Ok(Network::Ipv6(frame)),
        linktype::LINUX_SLL => {
            // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2).
            let (protocol, rest) = split_header(frame, 16, 14)?;
            by_ethertype(protocol, rest)
        }
        linktype::LINUX_SLL2 => {
            // protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
            // address length (1), address (8).
            let (protocol, rest) = split_header(frame, 20, 0)?;
            by_ethertype(protocol, rest)
        }
        linktype::NULL | linktype::LOOP => {
            let Some((family, rest)) = frame.split_first_chunk::<4>() else {
                return Err(LinkError::Truncated {
                    len: frame.len(),
                    needed: 4,
                });
            };
            Ok(by_address_family(*family, rest))
        }
        other => Err(LinkError::UnsupportedLinkType(other)),
    }
}

/// Splits a fixed-size header off `frame` and reads the big-endian protocol field at `at`.
fn split_header(frame: &[u8], len: usize, at: usize) -> Result<(u16, &[u8]), LinkError> {
    let truncated = LinkError::Truncated {
        len: frame.len(),
        needed: len,
    };
    let header = frame.get(..len).ok_or(truncated.clone())?;
    let rest = frame.get(len..).ok_or(truncated.clone())?;
    let field = header.get(at..at + 2).ok_or(truncated)?;
    Ok((u16::from_be_bytes([field[0], field[1]]), rest))
}

/// Follows an EtherType through any VLAN tags.
fn by_ethertype(mut ethertype: u16, mut rest: &[u8]) -> Result<Network<'_>, LinkError> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ethertype {
            ETHERTYPE_IPV4 => return Ok(Network::Ipv4(rest)),
            ETHERTYPE_IPV6 => return Ok(Network::Ipv6(rest)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                // A tag is the 2-byte TCI followed by the inner EtherType.
                let Some(([_, _, hi, lo], inner)) =
                    rest.split_first_chunk::<4>().map(|(a, b)| (*a, b))
                else {
                    return Err(LinkError::Truncated {
                        len: rest.len(),
                        needed: 4,
                    });
                };
                ethertype = u16::from_be_bytes([hi, lo]);
                rest = inner;
            }
            _ => return Ok(Network::NotIp),
        }
    }
    Err(LinkError::TooManyVlanTags)
}

/// Raw IP: the version nibble says which.
fn by_version(packet: &[u8]) -> Network<'_> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => Network::Ipv4(packet),
        Some(6) => Network::Ipv6(packet),
        _ => Network::NotIp,
    }
}

/// BSD NULL (host byte order of the capturing machine) and LOOP (network byte order) carry the
/// socket address family. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28
/// (FreeBSD), 30 (macOS) or 10 (Linux). Both byte orders are tried because the file does not
/// say which the capturing machine used.
fn by_address_family(family: [u8; 4], rest: &[u8]) -> Network<'_> {
    let le = u32::from_le_bytes(family);
    let be = u32::from_be_bytes(family);
    let is = |v: u32| le == v || be == v;
    if is(2) {
        Network::Ipv4(rest)
    } else if is(24) || is(28) || is(30) || is(10) {
        Network::Ipv6(rest)
    } else {
        Network::NotIp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ether(ethertype: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(ethertype);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ethernet_ipv4_and_ipv6() {
        let f = ether(&[0x08, 0x00], b"\x45abc");
        assert_eq!(
            decode(linktype::ETHERNET, &f),
            Ok(Network::Ipv4(b"\x45abc"))
        );
        let f = ether(&[0x86, 0xdd], b"\x60x");
        assert_eq!(decode(linktype::ETHERNET, &f), Ok(Network::Ipv6(b"\x60x")));
        let f = ether(&[0x08, 0x06], b"arp");
        assert_eq!(decode(linktype::ETHERNET, &f), Ok(Network::NotIp));
    }

    #[test]
    fn vlan_and_qinq() {
        let f = ether(
            &[0x88, 0xa8],
            &[0x00, 0x0a, 0x81, 0x00, 0x03, 0xf0, 0x08, 0x00, 0x45],
        );
        assert_eq!(decode(linktype::ETHERNET, &f), Ok(Network::Ipv4(&[0x45])));
        let f = ether(&[0x81, 0x00], &[0x00]);
        assert!(matches!(
            decode(linktype::ETHERNET, &f),
            Err(LinkError::Truncated { .. })
        ));
        let tags: Vec<u8> = [0x00, 0x01, 0x81, 0x00].repeat(20);
        let f = ether(&[0x81, 0x00], &tags);
        assert_eq!(
            decode(linktype::ETHERNET, &f),
            Err(LinkError::TooManyVlanTags)
        );
    }

    #[test]
    fn cooked_v1_and_v2() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(
            decode(linktype::LINUX_SLL, &sll),
            Ok(Network::Ipv6(&[0x60]))
        );
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.push(0x45);
        assert_eq!(
            decode(linktype::LINUX_SLL2, &sll2),
            Ok(Network::Ipv4(&[0x45]))
        );
        assert!(decode(linktype::LINUX_SLL2, &sll2[..10]).is_err());
    }

    #[test]
    fn null_loopback_both_orders() {
        assert_eq!(
            decode(linktype::NULL, &[2, 0, 0, 0, 0x45]),
            Ok(Network::Ipv4(&[0x45]))
        );
        assert_eq!(
            decode(linktype::LOOP, &[0, 0, 0, 30, 0x60]),
            Ok(Network::Ipv6(&[0x60]))
        );
        assert_eq!(
            decode(linktype::NULL, &[2, 0]),
            Err(LinkError::Truncated { len: 2, needed: 4 })
        );
    }

    #[test]
    fn raw_ip_and_unknown() {
        assert_eq!(
            decode(linktype::RAW, &[0x45, 1]),
            Ok(Network::Ipv4(&[0x45, 1]))
        );
        assert_eq!(decode(linktype::RAW, &[]), Ok(Network::NotIp));
        assert_eq!(
            decode(9999, &[1]),
            Err(LinkError::UnsupportedLinkType(9999))
        );
    }
}
