//! Turns `[mqtt]` and `[kiosk]` into rumqttc options: persistent session, credentials,
//! TLS and the retained `offline` last will.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::tokio_rustls::rustls::pki_types::pem::PemObject;
use rumqttc::tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rumqttc::tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};

use super::PublishError;
use super::status_payload;
use super::topics::Topics;
use crate::config::{KioskConfig, MqttConfig};

/// Commands are small; anything bigger from the broker is refused.
pub(crate) const MAX_INCOMING_PACKET_BYTES: usize = 64 * 1024;
/// Above the outbox's payload limit (plus topic and header), so any item it accepts fits.
const MAX_OUTGOING_PACKET_BYTES: usize = 2 * crate::store::MAX_PAYLOAD_BYTES;

pub(crate) fn client_id(cfg: &MqttConfig, kiosk: &KioskConfig) -> String {
    if cfg.client_id.is_empty() {
        format!("proctord-{}-{}", kiosk.site, kiosk.kiosk_id)
    } else {
        cfg.client_id.clone()
    }
}

pub(crate) fn mqtt_options(
    cfg: &MqttConfig,
    kiosk: &KioskConfig,
    topics: &Topics,
    max_in_flight: u16,
) -> Result<MqttOptions, PublishError> {
    let mut options = MqttOptions::new(client_id(cfg, kiosk), &cfg.host, cfg.port);
    options
        .set_keep_alive(Duration::from_secs(cfg.keep_alive_s.max(1)))
        // The broker keeps our subscriptions and queued commands while we are away.
        .set_clean_session(false)
        .set_inflight(max_in_flight)
        .set_max_packet_size(MAX_INCOMING_PACKET_BYTES, MAX_OUTGOING_PACKET_BYTES)
        .set_last_will(LastWill::new(
            topics.status(),
            status_payload::offline_will(kiosk),
            QoS::AtLeastOnce,
            true,
        ));
    if !cfg.username.is_empty() {
        options.set_credentials(&cfg.username, &cfg.password);
    }
    if cfg.tls {
        options.set_transport(Transport::tls_with_config(tls_configuration(cfg)?));
    }
    Ok(options)
}

/// Reads the CA (and optional client certificate) once, at start, so that a bad file is
/// reported as a configuration error instead of on every reconnect.
fn tls_configuration(cfg: &MqttConfig) -> Result<TlsConfiguration, PublishError> {
    let mut roots = RootCertStore::empty();
    let ca = certificates(&cfg.ca_file, "CA certificate (ca_file)")?;
    let (added, _ignored) = roots.add_parsable_certificates(ca);
    if added == 0 {
        return Err(invalid(
            &cfg.ca_file,
            "CA certificate (ca_file)",
            "no certificate in it could be parsed",
        ));
    }
    // The provider is named explicitly, so that another crate enabling a second rustls
    // provider cannot make the default ambiguous.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PublishError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    let config = if cfg.client_cert_file.as_os_str().is_empty() {
        builder.with_no_client_auth()
    } else {
        let chain = certificates(
            &cfg.client_cert_file,
            "client certificate (client_cert_file)",
        )?;
        let what = "client key (client_key_file)";
        let key = PrivateKeyDer::from_pem_slice(&read(&cfg.client_key_file, what)?)
            .map_err(|e| invalid(&cfg.client_key_file, what, e))?;
        builder.with_client_auth_cert(chain, key).map_err(|e| {
            PublishError::Tls(format!(
                "the client certificate and key do not go together: {e}"
            ))
        })?
    };
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}

fn certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, PublishError> {
    let certs = CertificateDer::pem_slice_iter(&read(path, what)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(path, what, e))?;
    if certs.is_empty() {
        return Err(invalid(path, what, "it holds no PEM certificate"));
    }
    Ok(certs)
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, PublishError> {
    std::fs::read(path).map_err(|source| PublishError::ReadTlsFile {
        what,
        path: path.to_owned(),
        source,
    })
}

fn invalid(path: &Path, what: &'static str, detail: impl std::fmt::Display) -> PublishError {
    PublishError::InvalidTlsFile {
        what,
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kiosk() -> KioskConfig {
        KioskConfig {
            site: "hall-b".into(),
            kiosk_id: "k7".into(),
            ..KioskConfig::default()
        }
    }

    #[test]
    fn the_session_is_persistent_and_the_last_will_is_a_retained_offline_status() {
        let cfg = MqttConfig {
            username: "kiosk".into(),
            password: "secret".into(),
            ..MqttConfig::default()
        };
        let options = mqtt_options(&cfg, &kiosk(), &Topics::new(&kiosk()), 16).unwrap();

        assert!(!options.clean_session());
        assert_eq!(options.client_id(), "proctord-hall-b-k7");
        let will = options.last_will().unwrap();
        assert_eq!(
            (will.topic.as_str(), will.retain, will.qos),
            ("proctord/hall-b/k7/status", true, QoS::AtLeastOnce)
        );
        assert!(String::from_utf8_lossy(&will.message).contains("offline"));
        let login = options.credentials().unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("kiosk", "secret")
        );
    }

    #[test]
    fn a_missing_ca_file_is_a_setup_error_that_names_the_file() {
        let cfg = MqttConfig {
            tls: true,
            ca_file: "/nonexistent/ca.pem".into(),
            ..MqttConfig::default()
        };
        let error = mqtt_options(&cfg, &kiosk(), &Topics::new(&kiosk()), 16).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate").unwrap();
        let cfg = MqttConfig {
            tls: true,
            ca_file: file.path().into(),
            ..MqttConfig::default()
        };
        let error = mqtt_options(&cfg, &kiosk(), &Topics::new(&kiosk()), 16).unwrap_err();
        assert!(
            matches!(error, PublishError::InvalidTlsFile { .. }),
            "{error:?}"
        );
    }
}
