//! The application facts an alert carries into the SOC formats' own object (ECS's custom
//! `pubsub_hunt` fields, OCSF's `unmapped`): who the clients said they were (client ids, how many
//! sessions left the id to the broker, user names, an XMPP client's peers) and the topics, by
//! name. One place, so the two formats carry the same facts; the JSON lines carry the whole
//! `app` object.

use pubsub_hunt_core::AppInfo;
use serde_json::{Value, json};

/// Adds `app`'s facts to `m` (an object): client ids and topic names always, the rest when
/// there is any.
pub(crate) fn add_app_facts(m: &mut Value, app: &AppInfo) {
    m["client_ids"] = json!(app.client_ids);
    if app.unnamed_clients > 0 {
        m["unnamed_clients"] = json!(app.unnamed_clients);
    }
    if !app.usernames.is_empty() {
        m["usernames"] = json!(app.usernames);
    }
    if !app.peers.is_empty() {
        m["peers"] = json!(app.peers);
    }
    m["topics"] = json!(
        app.topics
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_carried_when_there_are_any() {
        let mut bare = json!({});
        add_app_facts(&mut bare, &AppInfo::default());
        assert_eq!(bare, json!({"client_ids": [], "topics": []}));

        let mut app = AppInfo::default();
        app.client_ids.insert("bot-7".into());
        app.unnamed_clients = 2;
        app.usernames.insert("ops".into());
        app.peers.insert("relay58@conversations.im".into());
        let mut m = json!({});
        add_app_facts(&mut m, &app);
        assert_eq!(m["client_ids"], json!(["bot-7"]));
        assert_eq!(m["unnamed_clients"], 2);
        assert_eq!(m["usernames"], json!(["ops"]));
        assert_eq!(m["peers"], json!(["relay58@conversations.im"]));
    }
}
