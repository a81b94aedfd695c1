//! Live capture on Linux: reads frames from an `AF_PACKET` raw socket (no libpcap, so the
//! default build needs no system library; it needs root or `CAP_NET_RAW` at run time), runs
//! them through the same [`FlowTable`] as capture files, and hands each flow to the caller as it
//! ends (closed, idle) and every remaining flow when `stop` is set. On request it also hands over
//! what every flow still open holds so far ([`LiveEvent::Open`]), leaving them open, so a caller
//! can rate a session that lasts while it lasts. The socket has a receive timeout so `stop`
//! (and a request) is polled at least every [`POLL_INTERVAL`].
//!
//! Filter (applied in user space to each decoded packet, since no BPF compiler is linked): a
//! whitespace-separated list of terms, all of which must match (`and` between terms is
//! accepted and ignored): `N` or `port N` (either port is N), `host ADDR` (either address is
//! ADDR), `tcp`, `udp`. Packets whose addresses or ports cannot be read without reassembly
//! (IP fragments after the first, IPv6 with extension headers) are passed to the flow table.
//!
//! Process attribution: when a flow starts, the kernel's socket tables (`/proc/net/{tcp,udp}{,6}`)
//! are searched for a socket whose local endpoint is the flow's initiator (else, for flows from
//! another host, its responder: an inbound connection to a local server);
//! its inode is looked up among `/proc/<pid>/fd/*` to find the process, whose `exe` link becomes
//! `process`, and the socket's uid is named from `/etc/passwd` as `user`. `host` is the host name.
//! Flows of other hosts (or sockets already gone) stay unattributed.

use crate::capture::Frame;
use crate::flow::{EndedFlow, FlowConfig, FlowTable, NewFlow};
use crate::link::{self, Network};
use pubsub_hunt_core::{ConnEvent, Transport};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// How often `stop` is checked when no packet arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Largest frame read (jumbo frames and GRO-merged loopback segments fit).
const FRAME_BUFFER: usize = 256 << 10;

/// Why live capture could not run.
#[derive(Debug, Error)]
pub enum LiveError {
    #[error("cannot open a packet socket (needs root or CAP_NET_RAW): {0}")]
    Socket(std::io::Error),
    #[error("no interface named {0:?}")]
    NoInterface(String),
    #[error("cannot bind to interface {0:?}: {1}")]
    Bind(String, std::io::Error),
    #[error("receive failed: {0}")]
    Receive(std::io::Error),
    #[error("bad filter: {0}")]
    Filter(String),
}

/// The user-space packet filter (see the module docs for its syntax).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    ports: Vec<u16>,
    hosts: Vec<IpAddr>,
    protocol: Option<u8>,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut f = Filter::default();
        let mut words = text.split_whitespace();
        while let Some(w) = words.next() {
            match w.to_ascii_lowercase().as_str() {
                "and" | "&&" => {}
                "tcp" => f.protocol = Some(6),
                "udp" => f.protocol = Some(17),
                "port" => {
                    let p = words.next().ok_or("`port` needs a number")?;
                    f.ports
                        .push(p.parse().map_err(|_| format!("bad port {p:?}"))?);
                }
                "host" => {
                    let h = words.next().ok_or("`host` needs an address")?;
                    f.hosts
                        .push(h.parse().map_err(|_| format!("bad address {h:?}"))?);
                }
                other => match other.parse::<u16>() {
                    Ok(p) => f.ports.push(p),
                    Err(_) => return Err(format!("unknown filter term {w:?}")),
                },
            }
        }
        Ok(f)
    }

    /// Whether a packet with these fields passes.
    pub fn matches(&self, protocol: u8, src: SocketAddr, dst: SocketAddr) -> bool {
        self.protocol.is_none_or(|p| p == protocol)
            && self
                .ports
                .iter()
                .all(|p| src.port() == *p || dst.port() == *p)
            && self.hosts.iter().all(|h| src.ip() == *h || dst.ip() == *h)
    }

    fn is_empty(&self) -> bool {
        self.ports.is_empty() && self.hosts.is_empty() && self.protocol.is_none()
    }
}

/// Addresses, ports and protocol of a frame when they can be read from its first fragment
/// without reassembly; `None` when they cannot (the frame is then not filtered out).
fn peek(linktype: u32, frame: &[u8]) -> Option<(u8, SocketAddr, SocketAddr)> {
    let (protocol, src, dst, l4) = match link::decode(linktype, frame).ok()? {
        Network::Ipv4(p) => {
            let h: &[u8; 20] = p.first_chunk()?;
            let ihl = usize::from(h[0] & 0x0f) * 4;
            if u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
                return None;
            }
            let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
            let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
            (h[9], src, dst, p.get(ihl..)?)
        }
        Network::Ipv6(p) => {
            let h: &[u8; 40] = p.first_chunk()?;
            let src = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&h[8..24]).ok()?));
            let dst = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&h[24..40]).ok()?));
            (h[6], src, dst, p.get(40..)?)
        }
        Network::NotIp => return None,
    };
    let ports: &[u8; 4] = match protocol {
        6 | 17 => l4.first_chunk()?,
        _ => &[0; 4],
    };
    Some((
        protocol,
        SocketAddr::new(src, u16::from_be_bytes([ports[0], ports[1]])),
        SocketAddr::new(dst, u16::from_be_bytes([ports[2], ports[3]])),
    ))
}

/// A raw `AF_PACKET` socket, closed on drop.
struct PacketSocket {
    fd: libc::c_int,
}

impl Drop for PacketSocket {
    fn drop(&mut self) {
        // SAFETY: `fd` was returned by socket() and is closed only here.
        unsafe {
            libc::close(self.fd);
        }
    }
}

const ETH_P_ALL: u16 = 0x0003;
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;

impl PacketSocket {
    fn open(interface: &str) -> Result<PacketSocket, LiveError> {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_ALL.to_be()),
            )
        };
        if fd < 0 {
            return Err(LiveError::Socket(std::io::Error::last_os_error()));
        }
        let socket = PacketSocket { fd };
        if !interface.is_empty() && interface != "any" {
            let name = std::ffi::CString::new(interface)
                .map_err(|_| LiveError::NoInterface(interface.to_string()))?;
            // SAFETY: `name` is a valid NUL-terminated string.
            let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
            if index == 0 {
                return Err(LiveError::NoInterface(interface.to_string()));
            }
            // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
            let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            addr.sll_family = libc::AF_PACKET as u16;
            addr.sll_protocol = ETH_P_ALL.to_be();
            addr.sll_ifindex = index as i32;
            // SAFETY: `addr` is a valid sockaddr_ll and the length matches it.
            let rc = unsafe {
                libc::bind(
                    fd,
                    (&addr as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                )
            };
            if rc != 0 {
                return Err(LiveError::Bind(
                    interface.to_string(),
                    std::io::Error::last_os_error(),
                ));
            }
        }
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: POLL_INTERVAL.as_micros() as libc::suseconds_t,
        };
        // SAFETY: `timeout` is a valid timeval and the length matches it.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(LiveError::Socket(std::io::Error::last_os_error()));
        }
        Ok(socket)
    }

    /// Receives one frame; `Ok(None)` on timeout.
    fn recv(&self, buf: &mut [u8]) -> Result<Option<(usize, libc::sockaddr_ll)>, std::io::Error> {
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf` is valid for writes of its length; `addr`/`len` describe a valid
        // sockaddr_ll buffer.
        let n = unsafe {
            libc::recvfrom(
                self.fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut addr as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.kind() {
                std::io::ErrorKind::WouldBlock
                | std::io::ErrorKind::TimedOut
                | std::io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        Ok(Some((n as usize, addr)))
    }
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What a live capture hands its caller.
// Ended flows are the stream (one per flow, as before there were open ones): boxing each would
// cost an allocation per flow to shrink the rare `Open`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum LiveEvent {
    /// A flow that ended: closed, idle, or still open when the capture stopped.
    Ended(ConnEvent),
    /// Every flow still open, as it would end now ([`FlowTable::open_flows`]), in answer to
    /// `open_wanted` being set: a session that lasts (a subscriber waiting for commands, an
    /// implant holding its channel) is rated while it lasts, not only once it ends.
    Open(Vec<ConnEvent>),
}

/// Captures on `interface` (`any` or empty for all) until `stop` is set, giving every flow to
/// `on_event` as it ends; the flows still open are flushed when `stop` is set.
pub fn capture(
    interface: &str,
    filter: Option<&str>,
    stop: &AtomicBool,
    mut on_event: impl FnMut(ConnEvent),
) -> Result<(), LiveError> {
    let filter = match filter {
        Some(f) => Filter::parse(f).map_err(LiveError::Filter)?,
        None => Filter::default(),
    };
    let never = AtomicBool::new(false);
    capture_filtered(interface, &filter, stop, &never, |e| {
        if let LiveEvent::Ended(ev) = e {
            on_event(ev);
        }
    })
}

/// [`capture`] with a filter already parsed by [`Filter::parse`], so a caller can reject a bad
/// filter before it starts anything (`Filter::default()` passes every packet). Whenever
/// `open_wanted` is set, the capture clears it and hands over the open flows
/// ([`LiveEvent::Open`]) after the flows that ended before.
pub fn capture_filtered(
    interface: &str,
    filter: &Filter,
    stop: &AtomicBool,
    open_wanted: &AtomicBool,
    mut on_event: impl FnMut(LiveEvent),
) -> Result<(), LiveError> {
    let socket = PacketSocket::open(interface)?;
    let config = FlowConfig {
        source_format: "live",
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut attributor = Attributor::new();
    let mut buf = vec![0u8; FRAME_BUFFER];
    let mut number = 0u64;
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        if open_wanted.swap(false, Ordering::Relaxed) {
            // Flows idle past their timeout end first, as a packet now would end them.
            table.sweep(now_micros(), &mut ended(&mut on_event));
            let open = table.open_flows();
            on_event(LiveEvent::Open(open));
        }
        let (len, addr) = match socket.recv(&mut buf) {
            Ok(Some(r)) => r,
            Ok(None) => {
                table.sweep(now_micros(), &mut ended(&mut on_event));
                continue;
            }
            Err(e) => break Err(LiveError::Receive(e)),
        };
        // On loopback every packet is seen twice (leaving and arriving): keep the arrival.
        if addr.sll_hatype == ARPHRD_LOOPBACK && addr.sll_pkttype == libc::PACKET_OUTGOING {
            continue;
        }
        let linktype = match addr.sll_hatype {
            ARPHRD_ETHER | ARPHRD_LOOPBACK => link::linktype::ETHERNET,
            _ => link::linktype::RAW,
        };
        let data = buf.get(..len).unwrap_or_default();
        if !filter.is_empty()
            && let Some((protocol, src, dst)) = peek(linktype, data)
            && !filter.matches(protocol, src, dst)
        {
            continue;
        }
        number += 1;
        let frame = Frame {
            number,
            ts: now_micros(),
            linktype,
            data,
            orig_len: len as u32,
        };
        // A bad packet on a live interface is not worth stopping for.
        if let Ok(Some(new)) = table.packet(&frame, &mut ended(&mut on_event)) {
            let owner = attributor.attribute(&new);
            if owner.process.is_some() || owner.user.is_some() {
                table.annotate(&new.key, attributor.host.clone(), owner.process, owner.user);
            }
        }
    };
    table.finish(&mut ended(&mut on_event));
    result
}

/// Hands an ended flow to the caller as [`LiveEvent::Ended`].
fn ended(on_event: &mut impl FnMut(LiveEvent)) -> impl FnMut(EndedFlow) + '_ {
    |f| on_event(LiveEvent::Ended(f.event))
}

/// Who owns a local socket.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Owner {
    pub process: Option<String>,
    pub user: Option<String>,
}

/// Finds the process behind a flow's local endpoint through /proc.
struct Attributor {
    host: Option<String>,
}

/// The state /proc/net/tcp prints for a socket in TIME_WAIT (no owner left).
const TCP_TIME_WAIT: &str = "06";

/// Most /proc/<pid>/fd entries looked at per lookup, so a host with a huge number of open
/// files does not stall capture.
const MAX_FDS_SCANNED: usize = 200_000;

impl Attributor {
    fn new() -> Attributor {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        Attributor { host }
    }

    fn attribute(&mut self, flow: &NewFlow) -> Owner {
        let tables: &[&str] = match flow.transport {
            Transport::Tcp => &["/proc/net/tcp", "/proc/net/tcp6"],
            Transport::Udp => &["/proc/net/udp", "/proc/net/udp6"],
            _ => return Owner::default(),
        };
        // The initiator's socket first. When it is found but already closing (TIME_WAIT has no
        // inode) or the initiator is on this host (loopback), the flow is not the responder's:
        // falling back to the listening side would blame the server (a broker) for a client
        // that has just exited.
        match find_socket(tables, flow.client, flow.server) {
            Some((inode, uid)) => {
                return Owner {
                    process: (inode != 0).then(|| process_of_inode(inode)).flatten(),
                    user: uid.and_then(user_name),
                };
            }
            None if flow.client.ip().is_loopback() => return Owner::default(),
            None => {}
        }
        // An inbound flow: the local side is the responder.
        match find_socket(tables, flow.server, flow.client) {
            Some((inode, uid)) if inode != 0 => Owner {
                process: process_of_inode(inode),
                user: uid.and_then(user_name),
            },
            _ => Owner::default(),
        }
    }
}

/// Looks up a socket whose local endpoint is `local` (and remote `remote`, or unconnected) in
/// the kernel's socket tables; returns its inode and uid. A socket in TIME_WAIT has neither: the
/// kernel prints 0 for both, and 0 would name root as the owner of whatever just exited.
fn find_socket(
    tables: &[&str],
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<(u64, Option<u32>)> {
    let texts = tables
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok());
    socket_in_tables(texts, local, remote)
}

/// [`find_socket`] over the tables' text, read lazily (the second only when the first has no
/// connected match).
fn socket_in_tables(
    texts: impl IntoIterator<Item = impl AsRef<str>>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<(u64, Option<u32>)> {
    let mut unconnected = None;
    for text in texts {
        for line in text.as_ref().lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(l), Some(r), Some(state), Some(uid), Some(inode)) = (
                fields.get(1),
                fields.get(2),
                fields.get(3),
                fields.get(7),
                fields.get(9),
            ) else {
                continue;
            };
            let (Some(l), Some(r)) = (parse_proc_addr(l), parse_proc_addr(r)) else {
                continue;
            };
            if l != local && !(l.port() == local.port() && l.ip().is_unspecified()) {
                continue;
            }
            let (Ok(uid), Ok(inode)) = (uid.parse::<u32>(), inode.parse::<u64>()) else {
                continue;
            };
            let uid = (*state != TCP_TIME_WAIT).then_some(uid);
            if r == remote {
                return Some((inode, uid));
            }
            if r.port() == 0 && unconnected.is_none() {
                unconnected = Some((inode, uid));
            }
        }
    }
    unconnected
}

/// Parses `0100007F:1F90` (IPv4) or 32 hex digits + port (IPv6) as /proc/net prints them: each
/// 32-bit word in host byte order. IPv4-mapped IPv6 addresses are returned as IPv4.
pub fn parse_proc_addr(s: &str) -> Option<SocketAddr> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = addr.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            let v6 = Ipv6Addr::from(bytes);
            match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            }
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The executable of the process holding socket `inode`.
fn process_of_inode(inode: u64) -> Option<String> {
    let wanted = format!("socket:[{inode}]");
    let mut scanned = 0usize;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            scanned += 1;
            if scanned > MAX_FDS_SCANNED {
                return None;
            }
            if std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == wanted.as_str()) {
                return std::fs::read_link(format!("/proc/{pid}/exe"))
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned());
            }
        }
    }
    None
}

/// The account name of `uid` from /etc/passwd, else the number.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let id = f.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| uid.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_terms() {
        let f = Filter::parse("tcp and port 1883").unwrap();
        let a: SocketAddr = "10.0.0.1:50000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:1883".parse().unwrap();
        assert!(f.matches(6, a, b));
        assert!(f.matches(6, b, a));
        assert!(!f.matches(17, a, b));
        let f = Filter::parse("5222").unwrap();
        assert!(!f.matches(6, a, b));
        let f = Filter::parse("host 10.0.0.2 udp").unwrap();
        assert!(f.matches(17, a, b));
        assert!(!f.matches(6, a, b));
        assert!(Filter::parse("port").is_err());
        assert!(Filter::parse("host nothing").is_err());
        assert!(Filter::parse("icmp").is_err());
    }

    #[test]
    fn socket_owners_in_tables() {
        let hex = |a: [u8; 4], port: u16| format!("{:08X}:{port:04X}", u32::from_ne_bytes(a));
        let line = |local: &str, remote: &str, state: &str, uid: u32, inode: u64| {
            format!(
                "   0: {local} {remote} {state} 00000000:00000000 00:00000000 00000000 {uid:5} \
                 0 {inode} 1 0000000000000000 20 4 30 10 -1"
            )
        };
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let broker: SocketAddr = "127.0.0.2:1883".parse().unwrap();
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        let open = format!(
            "{header}\n{}\n",
            line(
                &hex([127, 0, 0, 1], 40000),
                &hex([127, 0, 0, 2], 1883),
                "01",
                1000,
                4242
            )
        );
        assert_eq!(
            socket_in_tables([open.as_str()], client, broker),
            Some((4242, Some(1000)))
        );
        // A client that has exited leaves its socket in TIME_WAIT: no inode, and its uid 0 is
        // not root's.
        let gone = format!(
            "{header}\n{}\n",
            line(
                &hex([127, 0, 0, 1], 40000),
                &hex([127, 0, 0, 2], 1883),
                "06",
                0,
                0
            )
        );
        assert_eq!(
            socket_in_tables([gone.as_str()], client, broker),
            Some((0, None))
        );
        // A listener on any address answers for its port when nothing is connected.
        let listening = format!(
            "{header}\n{}\n",
            line(&hex([0, 0, 0, 0], 1883), &hex([0, 0, 0, 0], 0), "0A", 0, 77)
        );
        assert_eq!(
            socket_in_tables([gone.as_str(), listening.as_str()], broker, client),
            Some((77, Some(0)))
        );
        assert_eq!(socket_in_tables([gone.as_str()], broker, client), None);
    }

    #[test]
    fn proc_addresses() {
        let v4 = u32::from_ne_bytes([127, 0, 0, 1]);
        let text = format!("{v4:08X}:075B");
        assert_eq!(
            parse_proc_addr(&text),
            Some("127.0.0.1:1883".parse().unwrap())
        );
        let mapped: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3];
        let hex: String = mapped
            .chunks_exact(4)
            .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
            .collect();
        assert_eq!(
            parse_proc_addr(&format!("{hex}:0050")),
            Some("10.1.2.3:80".parse().unwrap())
        );
        assert_eq!(parse_proc_addr("zz:1"), None);
    }

    #[test]
    fn peeks_ports() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]);
        frame.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 2]);
        frame.extend_from_slice(&[0xc3, 0x50, 0x07, 0x5b]);
        frame.extend_from_slice(&[0u8; 16]);
        let (p, s, d) = peek(link::linktype::ETHERNET, &frame).unwrap();
        assert_eq!((p, s.port(), d.port()), (6, 50000, 1883));
    }
}
