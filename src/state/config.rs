//! Runtime configuration (`dist/config.json`): read at start-up, never compiled
//! in, so one build serves any cloud.

use leptos::prelude::*;
use nephele_model::identity::Family;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// The portal's name in the header and the window title.
    #[serde(default = "default_title")]
    pub title: String,
    /// Identity (Astakos) URL pre-filled on the login page; relative URLs are
    /// resolved against the portal's own origin.
    #[serde(default)]
    pub identity_url: Option<String>,
    /// What `identity_url` is: `"synnefo"` or `"openstack"`. When absent the
    /// URL's shape or its version document tells.
    #[serde(default)]
    pub family: Option<Family>,
    /// Clouds to choose from at login (name + identity URL).
    #[serde(default)]
    pub clouds: Vec<CloudChoice>,
    #[serde(default)]
    pub poll: PollConfig,
    /// Origins of the cloud's APIs besides the identity URL's (e.g. the hosts the
    /// service catalog names), when the portal is served from another origin and
    /// the cloud allows it by CORS. Not used by the portal itself: the server reads
    /// it to build the Content-Security-Policy's `connect-src`
    /// (`nephele-cloud print-csp`).
    #[serde(default)]
    pub api_origins: Vec<String>,
    /// Fetch the other pages' code while the browser is idle after the first page
    /// has shown (the split release build; see `split::prefetch`). `false` leaves
    /// each page's code to its first open: less data for users who open one page.
    #[serde(default = "default_prefetch")]
    pub prefetch: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudChoice {
    pub name: String,
    pub identity_url: String,
    #[serde(default)]
    pub family: Option<Family>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Time between two polls of pending ports.
    pub interval_ms: u32,
    /// After this long a port that is still pending is reported as stuck.
    pub give_up_ms: u32,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig { interval_ms: 1000, give_up_ms: 120_000 }
    }
}

fn default_prefetch() -> bool {
    true
}

fn default_title() -> String {
    "Nephele".to_owned()
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            title: default_title(),
            identity_url: None,
            family: None,
            clouds: Vec::new(),
            poll: PollConfig::default(),
            api_origins: Vec::new(),
            prefetch: true,
        }
    }
}

impl RuntimeConfig {
    /// Parse and check `config.json`; the error says what to fix.
    pub fn parse(text: &str) -> Result<RuntimeConfig, String> {
        let config: RuntimeConfig =
            serde_json::from_str(text).map_err(|e| format!("config.json is not valid: {e}."))?;
        if config.poll.interval_ms < 100 {
            return Err("config.json is not valid: poll.interval_ms must be at least 100.".into());
        }
        if config.clouds.iter().any(|c| c.identity_url.trim().is_empty()) {
            return Err("config.json is not valid: every cloud needs an identity_url.".into());
        }
        Ok(config)
    }
}

/// Where the configuration stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigState {
    Loading,
    Ready(RuntimeConfig),
    Failed(String),
}

/// The configuration, provided by `App`.
#[derive(Clone, Copy)]
pub struct Config(pub RwSignal<ConfigState>);

impl Config {
    /// The configuration in force: defaults until `config.json` is read, and if it
    /// could not be.
    pub fn current(&self) -> RuntimeConfig {
        match self.0.get() {
            ConfigState::Ready(c) => c,
            _ => RuntimeConfig::default(),
        }
    }

    /// The polling settings in force, read in place (the poller's timer
    /// follows them; [`Config::current`] would clone the whole configuration).
    pub fn poll(&self) -> PollConfig {
        self.0.with(|state| match state {
            ConfigState::Ready(c) => c.poll,
            _ => PollConfig::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shipped_config() {
        let c = RuntimeConfig::parse(include_str!("../../public/config.json")).unwrap();
        assert_eq!(c.identity_url.as_deref(), Some("/identity/v2.0"));
        assert_eq!(c.poll.interval_ms, 1000);
    }

    #[test]
    fn defaults_and_errors() {
        assert_eq!(RuntimeConfig::parse("{}").unwrap(), RuntimeConfig::default());
        let err = RuntimeConfig::parse(r#"{"identity": "x"}"#).unwrap_err();
        assert!(err.contains("unknown field `identity`"), "{err}");
        assert!(RuntimeConfig::parse("not json")
            .unwrap_err()
            .starts_with("config.json is not valid"));
        assert!(RuntimeConfig::parse(r#"{"poll": {"interval_ms": 5}}"#).is_err());
        assert!(
            RuntimeConfig::parse(r#"{"clouds": [{"name": "a", "identity_url": " "}]}"#).is_err()
        );
        let c =
            RuntimeConfig::parse(r#"{"api_origins": ["https://cyclades.example.org"]}"#).unwrap();
        assert_eq!(c.api_origins, ["https://cyclades.example.org"]);
        assert!(c.prefetch);
        assert!(!RuntimeConfig::parse(r#"{"prefetch": false}"#).unwrap().prefetch);
        assert!(RuntimeConfig::parse(r#"{"prefetch": "no"}"#).is_err());
        let c = RuntimeConfig::parse(
            r#"{"identity_url": "https://k:5000/v3", "family": "openstack",
                "clouds": [{"name": "a", "identity_url": "https://a/identity/v2.0", "family": "synnefo"}]}"#,
        )
        .unwrap();
        assert_eq!(c.family, Some(Family::OpenStack));
        assert_eq!(c.clouds[0].family, Some(Family::Synnefo));
        assert!(RuntimeConfig::parse(r#"{"family": "aws"}"#).is_err());
    }
}
