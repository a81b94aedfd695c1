//! Unit tests of the XMPP dissector on hand-written streams.

use super::*;
use crate::dpi::Side::*;
use crate::dpi::testutil::run;
use pubsub_hunt_core::TopicDirection;

#[test]
fn c2s_starttls_from_zeek_sample() {
    let client = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='jabber.ccc.de' version='1.0'>";
    let server = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='3449578488' from='jabber.ccc.de' version='1.0' xml:lang='en'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
    let mut inspector = crate::dpi::SessionInspector::new();
    inspector.feed(Client, 0, 0, client);
    inspector.feed(Server, 1, 1, server);
    inspector.feed(
        Client,
        2,
        2,
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert!(!inspector.wants_more());
    let app = inspector.finish();
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert!(app.tls);
    assert!(app.server_names.contains("jabber.ccc.de"));
    assert_eq!(app.protocol_version.as_deref(), Some("1.0"));
}

#[test]
fn messages_pings_plain_auth_and_bound_jid() {
    let app = run(&[
        (Client, b"<?xml version='1.0' ?>"),
        (Client, b"<stream:stream to=\"example.org\" xmlns=\"jabber:client\" xmlns:stream=\"http://etherx.jabber.org/streams\" version=\"1.0\">"),
        (Client, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJvdABzM2NyM3Q=</auth>"),
        (Client, b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>7f3a</resource></bind></iq>"),
        (Server, b"<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>bot@example.org/7f3a</jid></bind></iq>"),
        (Client, b"<message to='master@evil.example/c2' type='chat'><body>aGVsbG8=</body></message>"),
        (Client, b" "),
        (Server, b"<message from='master@evil.example/c2' to='bot@example.org'><body>run whoami</body></message>"),
        (Client, b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"),
    ]);
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert!(app.usernames.contains("bot"));
    assert!(app.server_names.contains("example.org"));
    assert_eq!(app.pings, 2);
    // The client's own address is its id; the correspondent is no topic.
    assert_eq!(
        app.client_ids.iter().collect::<Vec<_>>(),
        ["bot@example.org/7f3a"]
    );
    assert!(app.topics.is_empty(), "{:?}", app.topics);
    // The bind request and result, and both chat messages, are counted.
    assert_eq!(app.messages.len(), 4);
    assert_eq!(app.messages[2].direction, TopicDirection::Publish);
    assert_eq!(app.messages[3].direction, TopicDirection::Subscribe);
}

/// The mid-stream flows of `ndpi/jabber.pcap` (Pidgin on ejabberd) never show the binding:
/// the server's stanzas address the client's full JID.
#[test]
fn mid_stream_jid_from_what_the_server_routes_to_the_client() {
    let app = run(&[
        (Client, b"<presence to='chat-with-tom@conference.cs-xmpp.lan/tom@cs-xmpp.lan'><c xmlns='http://jabber.org/protocol/caps' node='http://pidgin.im/' hash='sha-1' ver='x'/><x xmlns='http://jabber.org/protocol/muc'/></presence>"),
        (Server, b"<presence xml:lang='en' to='tom@cs-xmpp.lan/darkstar' from='chat-with-tom@conference.cs-xmpp.lan/tom@cs-xmpp.lan'><x xmlns='http://jabber.org/protocol/muc#user'><item jid='tom@cs-xmpp.lan/darkstar' role='moderator' affiliation='owner'/></x></presence>"),
        (Server, b"<message to='tom@cs-xmpp.lan/darkstar' from='chat-with-tom@conference.cs-xmpp.lan' type='groupchat'><subject/></message>"),
        (Client, b"<message type='groupchat' id='g1' to='chat-with-tom@conference.cs-xmpp.lan'><body>hi room</body></message>"),
        (Server, b"<message to='tom@cs-xmpp.lan/darkstar' from='chat-with-tom@conference.cs-xmpp.lan/alice' type='groupchat'><body>hi tom</body></message>"),
        (Client, b"<message type='chat' id='purplebea68aeb' to='chatback@cs-xmpp.lan'><active xmlns='http://jabber.org/protocol/chatstates'/><body>hey</body></message>"),
        (Server, b"<message xml:lang='en' to='tom@cs-xmpp.lan/darkstar' from='chatback@cs-xmpp.lan/104588072251790900698' type='chat' id='purplebea68aeb'><body>hey</body></message>"),
    ]);
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert_eq!(
        app.client_ids.iter().collect::<Vec<_>>(),
        ["tom@cs-xmpp.lan/darkstar"]
    );
    // The room (bare, whatever the occupant) is the one topic: joined, written, read.
    let topics: Vec<_> = app
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.direction, t.messages))
        .collect();
    assert_eq!(
        topics,
        [
            (
                "chat-with-tom@conference.cs-xmpp.lan",
                TopicDirection::Subscribe,
                2
            ),
            (
                "chat-with-tom@conference.cs-xmpp.lan",
                TopicDirection::Publish,
                1
            ),
        ]
    );
    assert_eq!(app.messages.len(), 7);
}

#[test]
fn client_from_attribute_is_its_jid_but_not_between_servers() {
    let app = run(&[(
        Client,
        b"<message from='agent@xmpp.example/3f2504e0' to='ops@xmpp.example' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/><body>x</body></message>",
    )]);
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert!(app.client_ids.contains("agent@xmpp.example/3f2504e0"));
    // Bare or malformed addresses are not a connection's identity.
    for from in [
        &b"agent@xmpp.example"[..],
        b"xmpp.example/res",
        b"a b@xmpp.example/r",
    ] {
        let mut stanza = b"<message from='".to_vec();
        stanza.extend_from_slice(from);
        stanza.extend_from_slice(
            b"' to='ops@xmpp.example'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
        );
        let app = run(&[(Client, &stanza)]);
        assert_eq!(app.protocol, Some(Protocol::Xmpp));
        assert!(app.client_ids.is_empty(), "{from:?}: {:?}", app.client_ids);
    }
    // Server-to-server: the addresses are users of either server.
    let s2s = run(&[
        (Client, b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' to='b.example' version='1.0'>"),
        (Client, b"<message from='alice@a.example/home' to='bob@b.example/work' type='chat'><body>x</body></message>"),
        (Server, b"<message from='bob@b.example/work' to='alice@a.example/home' type='chat'><body>y</body></message>"),
    ]);
    assert!(s2s.client_ids.is_empty(), "{:?}", s2s.client_ids);
    assert!(s2s.server_names.contains("b.example"));
    // The originating server names itself in `from`, and the answer names it back in `to`: its
    // own domain is not where the link goes.
    let federation = run(&[
        (Client, b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' from='corp.example' to='yax.example' version='1.0'>"),
        (Server, b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' from='yax.example' to='corp.example' id='x1' version='1.0'>"),
    ]);
    assert_eq!(
        federation.server_names.iter().collect::<Vec<_>>(),
        ["yax.example"]
    );
    // Mid-stream, dialback gives a server-to-server stream away.
    let chat = b"<message from='alice@a.example/home' to='bob@b.example/work'><active xmlns='http://jabber.org/protocol/chatstates'/></message>";
    let dialback = run(&[
        (
            Client,
            b"<db:result from='a.example' to='b.example'>abc</db:result>",
        ),
        (Client, chat),
    ]);
    assert_eq!(dialback.protocol, Some(Protocol::Xmpp));
    assert!(dialback.client_ids.is_empty(), "{:?}", dialback.client_ids);
    // Without it, the same stanza names the client.
    let c2s = run(&[(Client, chat)]);
    assert!(c2s.client_ids.contains("alice@a.example/home"));
}

#[test]
fn pubsub_nodes_are_topics() {
    let app = run(&[
        (Client, b"<iq type='set' id='s1' to='pubsub.example.org'><pubsub xmlns='http://jabber.org/protocol/pubsub'><subscribe node='bots/7f3a/cmd' jid='bot@example.org/7f3a'/></pubsub></iq>"),
        (Server, b"<iq type='result' id='s1' to='bot@example.org/7f3a' from='pubsub.example.org'><pubsub xmlns='http://jabber.org/protocol/pubsub'><subscription node='bots/7f3a/cmd' subscription='subscribed'/></pubsub></iq>"),
        (Server, b"<message to='bot@example.org/7f3a' from='pubsub.example.org'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='bots/7f3a/cmd'><item id='1'><entry>whoami</entry></item></items></event></message>"),
        (Client, b"<iq type='set' id='p1' to='pubsub.example.org'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish-options/><publish node='bots/7f3a/out'><item><entry>root</entry></item></publish></pubsub></iq>"),
        (Server, b"<iq type='result' id='p1' to='bot@example.org/7f3a' from='pubsub.example.org'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='bots/7f3a/out'><item id='2'/></publish></pubsub></iq>"),
        (Client, b"<iq type='get' id='i1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='http://jabber.org/protocol/nick' max_items='1'/></pubsub></iq>"),
    ]);
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert!(app.client_ids.contains("bot@example.org/7f3a"));
    let mut topics: Vec<_> = app
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.direction, t.messages))
        .collect();
    topics.sort();
    assert_eq!(
        topics,
        [
            ("bots/7f3a/cmd", TopicDirection::Subscribe, 1),
            ("bots/7f3a/out", TopicDirection::Publish, 1),
            (
                "http://jabber.org/protocol/nick",
                TopicDirection::Subscribe,
                0
            ),
        ]
    );
}

#[test]
fn mid_stream_presence() {
    let app = run(&[(
        Client,
        b"ing'/></iq><presence><c xmlns='http://jabber.org/protocol/caps' node='x' ver='y'/></presence>",
    )]);
    assert_eq!(app.protocol, Some(Protocol::Xmpp));
    assert_eq!(app.messages.len(), 1);
}

#[test]
fn html_is_not_xmpp() {
    let page = b"<html><body><message to='x'>hi</message><iq>no</iq></body></html>";
    assert_eq!(run(&[(Server, page)]).protocol, None);
}

/// Delivery receipts, chat states and the empty answers to requests are the protocol's
/// acknowledgements, not messages: a bot's 10-minute check-ins stay a timer when the server
/// answers its pings and relays receipts in between.
#[test]
fn acknowledgements_are_not_messages() {
    let app = run(&[
        (Client, b"<stream:stream to='corp.example' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
        (Client, b"<message to='ops@chat.example' type='chat' id='a1'><body>3jXs4MhNsyFg325v</body><request xmlns='urn:xmpp:receipts'/></message>"),
        (Server, b"<message from='ops@chat.example/x' to='u@corp.example/r' id='r1'><received xmlns='urn:xmpp:receipts' id='a1'/></message>"),
        (Client, b"<message to='ops@chat.example' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"),
        (Server, b"<iq from='corp.example' to='u@corp.example/r' id='s1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
        (Client, b"<iq to='corp.example' id='s1' type='result'/>"),
        (Server, b"<iq from='corp.example' id='p2' type='result'></iq>"),
        (Server, b"<iq type='result' id='r2'><query xmlns='jabber:iq:roster'><item jid='a@corp.example'/></query></iq>"),
        (Server, b"<message from='ops@chat.example/x' type='chat'><body>run</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"),
    ]);
    assert_eq!(app.pings, 1);
    // The check-in, the roster result and the command; not the receipt, the chat state or the
    // two empty answers.
    assert_eq!(app.messages.len(), 3, "{:?}", app.messages);
    assert_eq!(app.messages[0].direction, TopicDirection::Publish);
    assert_eq!(app.peers.iter().collect::<Vec<_>>(), ["ops@chat.example"]);
}
