//! `proctord verify`: recomputes the evidence hash chain of every session (or one) and
//! every segment file's SHA-256; exit 0 when all match, 1 otherwise.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use uuid::Uuid;

use crate::config::Config;
use crate::store::Store;

pub fn run(config: &Path, session: Option<Uuid>) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(config).context("the configuration is not usable")?;
    let dir = cfg.kiosk.state_dir.join("store");
    let store = Store::open(&dir).with_context(|| {
        format!(
            "cannot open the store in {} (stop proctord first: the store is open by one process at a time)",
            dir.display()
        )
    })?;
    let owners = match session {
        Some(id) => {
            if store.session(id)?.is_none() {
                // Deleted on request: its records are gone by design; the deletion
                // record is verified with the kiosk's own chain.
                if let Some(deleted) = store.deletion_of(id)? {
                    println!(
                        "DELETED   session {id}: deleted on request at {} by {} from {} ({}); its {} record(s) left with it, the chain ended at {}. The deletion record is part of the kiosk's chain: `proctord verify` checks it.",
                        deleted.deleted_at,
                        deleted.by,
                        deleted.from,
                        deleted.reason,
                        deleted.session_chain.records,
                        deleted.session_chain.sha256
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                anyhow::bail!("there is no session {id} in {}", dir.display());
            }
            vec![Some(id)]
        }
        None => store.chain_owners()?,
    };
    let mut all_ok = true;
    for owner in owners {
        let verdict = store.verify_chain(owner)?;
        let name = owner.map_or("kiosk records (outside sessions)".to_owned(), |id| {
            format!("session {id}")
        });
        let mut counts = format!(
            "{} record(s), {} segment file(s) matched",
            verdict.head.records, verdict.files_matched
        );
        if verdict.retired > 0 {
            counts += &format!(", {} retired by retention", verdict.retired);
        }
        if verdict.unchained > 0 {
            counts += &format!(
                ", {} stored before the chain existed (not verifiable)",
                verdict.unchained
            );
        }
        if verdict.ok() {
            println!(
                "OK        {name}: {counts}; chain head {}",
                verdict.head.sha256
            );
        } else {
            all_ok = false;
            println!("MISMATCH  {name}: {counts}");
            for problem in &verdict.problems {
                println!("          {problem}");
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
