//! `proctord hash-password`: prints the argon2id hash of a password for a
//! `[[web.users]] password_hash`. The password is asked twice on a terminal (not shown),
//! or read as the first line of standard input (`echo "$PW" | proctord hash-password`).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};

use crate::password;

pub fn run() -> anyhow::Result<()> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .context("cannot read the password from the terminal")?;
        let again = rpassword::prompt_password("Same password again: ")
            .context("cannot read the password from the terminal")?;
        if first != again {
            bail!("the two passwords differ; nothing was printed, run it again");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    let hash = password::hash(&password)?;
    println!("{hash}");
    eprintln!(
        "Put it in proctord.toml as an account, e.g.:\n\n[[web.users]]\nname = \"proctor1\"\nrole = \"proctor\"      # or \"reviewer\"\npassword_hash = \"{hash}\""
    );
    Ok(())
}
