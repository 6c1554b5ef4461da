//! Topic names: everything a kiosk publishes lives under `proctord/<site>/<kiosk_id>/`.

use crate::config::KioskConfig;
use crate::store::OutboxTopic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    /// `site` and `kiosk_id` are single topic levels (checked by the config).
    pub fn new(kiosk: &KioskConfig) -> Topics {
        Topics {
            prefix: format!("proctord/{}/{}/", kiosk.site, kiosk.kiosk_id),
        }
    }

    /// `…/status`: retained `online` / `offline` (the latter also as last will).
    pub fn status(&self) -> String {
        self.under("status")
    }

    /// `…/health`: periodic snapshots.
    pub fn health(&self) -> String {
        self.under("health")
    }

    /// `…/events`, `…/sessions`, `…/reports` or `…/cmd/result`: what the outbox holds.
    pub fn outbox(&self, topic: OutboxTopic) -> String {
        self.under(topic.suffix())
    }

    /// `…/cmd/#`: the subscription for session commands.
    pub fn command_filter(&self) -> String {
        self.under("cmd/#")
    }

    /// Whether a received topic is one of ours under `…/cmd/`, other than `cmd/result`
    /// (where proctord itself answers, and which the `cmd/#` subscription echoes back).
    pub fn is_command(&self, topic: &str) -> bool {
        topic.strip_prefix(&self.prefix).is_some_and(|rest| {
            (rest.starts_with("cmd/") || rest == "cmd")
                && rest != OutboxTopic::CommandResults.suffix()
        })
    }

    /// `…/cmd/result`: proctord's own answers to commands.
    pub fn is_command_result(&self, topic: &str) -> bool {
        topic.strip_prefix(&self.prefix) == Some(OutboxTopic::CommandResults.suffix())
    }

    fn under(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::new(&KioskConfig {
            site: "hall-b".into(),
            kiosk_id: "k7".into(),
            ..KioskConfig::default()
        })
    }

    #[test]
    fn topics_are_built_from_the_site_and_the_kiosk_id() {
        let t = topics();
        assert_eq!(t.status(), "proctord/hall-b/k7/status");
        assert_eq!(t.outbox(OutboxTopic::Events), "proctord/hall-b/k7/events");
        assert_eq!(
            t.outbox(OutboxTopic::CommandResults),
            "proctord/hall-b/k7/cmd/result"
        );
        assert_eq!(t.command_filter(), "proctord/hall-b/k7/cmd/#");
    }

    #[test]
    fn only_this_kiosks_command_topics_count_as_commands() {
        let t = topics();
        assert!(t.is_command("proctord/hall-b/k7/cmd/session"));
        assert!(t.is_command("proctord/hall-b/k7/cmd"));
        assert!(!t.is_command("proctord/hall-b/k7/cmdx"));
        assert!(!t.is_command("proctord/hall-b/k8/cmd/session"));
        assert!(!t.is_command("proctord/hall-b/k7/cmd/result"));
        assert!(t.is_command_result("proctord/hall-b/k7/cmd/result"));
    }
}
