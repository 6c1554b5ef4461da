//! Password hashes of the status page's accounts: argon2id in PHC form
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), the form `proctord hash-password`
//! prints and `[[web.users]] password_hash` holds. The config never holds a password.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{ARGON2ID_IDENT, Argon2};
use password_hash::rand_core::OsRng;

/// The shortest password `hash-password` accepts: an account guards candidates' data.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "the password has {0} characters; use at least {MIN_PASSWORD_CHARS} (a passphrase of a few words is easiest)"
    )]
    TooShort(usize),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// A new argon2id hash of `password` with a random salt and the crate's recommended
/// parameters (19 MiB, 2 passes).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `phc`; a malformed hash never matches (config validation
/// refuses those before the daemon starts).
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends as long as `verify` does on a real hash, for a login naming no account, so
/// that the answer's timing does not tell which account names exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        hash("not any account's password").expect("hashing a fixed password cannot fail")
    });
    let _ = verify(password, &DUMMY);
}

/// Checks that `phc` is an argon2id hash in PHC form; the message says how to get one.
pub fn check_hash(phc: &str) -> Result<(), String> {
    const HOW: &str = "run `proctord hash-password` and paste what it prints";
    if phc.is_empty() {
        return Err(format!("must be an argon2id hash: {HOW}"));
    }
    let parsed = PasswordHash::new(phc)
        .map_err(|e| format!("is not a hash in PHC form ({e}), perhaps a plain password: {HOW}"))?;
    if parsed.algorithm != ARGON2ID_IDENT {
        return Err(format!(
            "uses {}, not argon2id: {HOW}",
            parsed.algorithm.as_str()
        ));
    }
    argon2::Params::try_from(&parsed)
        .map(|_| ())
        .map_err(|e| format!("has parameters argon2 refuses ({e}): {HOW}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(check_hash(&phc).is_ok());
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        assert_ne!(
            hash("same password").unwrap(),
            hash("same password").unwrap()
        );
    }

    #[test]
    fn a_short_password_is_refused_saying_how_long_it_must_be() {
        let e = hash("short").unwrap_err().to_string();
        assert!(e.contains("at least 8"), "{e}");
    }

    #[test]
    fn a_plain_password_or_another_algorithm_is_not_accepted_as_a_hash() {
        assert!(check_hash("hunter2").unwrap_err().contains("hash-password"));
        let argon2i = "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$Ugh5i7W3y3TgWzqP7m0GUA";
        assert!(check_hash(argon2i).unwrap_err().contains("not argon2id"));
        assert!(!verify("anything", "hunter2"));
    }
}
