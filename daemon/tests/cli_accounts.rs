//! Accounts and transport security from the command line, through the real binary:
//! `proctord hash-password` and what `check-config` says about `[web]` and `[mqtt]`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn proctord(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn check_config(dir: &Path, toml: &str) -> Output {
    let path = dir.join("proctord.toml");
    std::fs::write(&path, toml).unwrap();
    proctord(&["check-config", "--config", path.to_str().unwrap()], "")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn hash_password_prints_an_argon2id_hash_that_check_config_accepts_and_that_verifies() {
    let out = proctord(&["hash-password"], "a long exam passphrase\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hash = text(&out.stdout).trim().to_string();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert!(proctord::password::verify("a long exam passphrase", &hash));
    assert!(!proctord::password::verify("a long exam passphrasE", &hash));
    assert!(
        text(&out.stderr).contains("[[web.users]]"),
        "no hint where it goes"
    );

    let dir = tempfile::tempdir().unwrap();
    let config =
        format!("[[web.users]]\nname = \"ana\"\nrole = \"reviewer\"\npassword_hash = \"{hash}\"\n");
    let checked = check_config(dir.path(), &config);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
}

#[test]
fn hash_password_refuses_a_short_password_and_prints_no_hash() {
    let out = proctord(&["hash-password"], "short\n");
    assert!(!out.status.success());
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).contains("at least 8"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_plain_password_in_place_of_a_hash_and_an_unknown_role_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_config(
        dir.path(),
        "[[web.users]]\nname = \"ana\"\nrole = \"proctor\"\npassword_hash = \"hunter22\"\n",
    );
    assert_eq!(out.status.code(), Some(78));
    let err = text(&out.stderr);
    assert!(
        err.contains("web.users[0].password_hash") && err.contains("hash-password"),
        "{err}"
    );
    let out = check_config(
        dir.path(),
        "[[web.tokens]]\nname = \"x\"\nrole = \"admin\"\ntoken = \"abc\"\n",
    );
    assert_eq!(out.status.code(), Some(78));
    assert!(text(&out.stderr).contains("admin"), "{}", text(&out.stderr));
}

#[test]
fn check_config_warns_about_clear_text_on_the_network_but_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_config(
        dir.path(),
        "[web]\nlisten = \"0.0.0.0:8080\"\napi_token = \"t0ken-for-the-office\"\n\
         [mqtt]\nenabled = true\nhost = \"broker.example\"\nusername = \"kiosk\"\npassword = \"pw\"\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("web.listen") && err.contains("TLS is off"),
        "{err}"
    );
    assert!(
        err.contains("mqtt.password") && err.contains("clear text"),
        "{err}"
    );
    assert!(text(&out.stdout).contains("2 warning(s)"));

    // On loopback, with accounts, and MQTT over TLS: nothing to warn about.
    let quiet = check_config(
        dir.path(),
        "[web]\napi_token = \"t0ken-for-the-office\"\n[mqtt]\nenabled = true\npassword = \"pw\"\ntls = true\nca_file = \"/etc/ssl/ca.pem\"\n",
    );
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        !text(&quiet.stderr).contains("warning"),
        "{}",
        text(&quiet.stderr)
    );
}

#[test]
fn check_config_warns_that_a_kiosk_without_accounts_serves_no_candidate_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_config(dir.path(), "[web]\nenabled = true\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("no account or token"),
        "{}",
        text(&out.stderr)
    );
}
