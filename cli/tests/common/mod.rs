//! What the command-line tests share: running the `aludel` binary.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses some of it; tests fail by panicking

use std::path::Path;
use std::process::{Command, Stdio};

thread_local! {
    /// The processes this test's `aludel` runs were (each test runs on a thread of its own).
    static PIDS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `aludel args...` in `dir`, with `DATABASE_URL` set to `url` where given (else unset), no
/// colours: exit code, stdout, stderr.
pub fn aludel(dir: &Path, args: &[&str], url: Option<&str>) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aludel"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    PIDS.with(|pids| pids.borrow_mut().push(child.id()));
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The scratch databases among `names` that this test's `aludel` runs created: those
/// `aludel_scratch_<pid>_...` of their processes (other tests' runs may be under way).
pub fn own_scratch(names: Vec<String>) -> Vec<String> {
    PIDS.with(|pids| {
        let pids = pids.borrow();
        names
            .into_iter()
            .filter(|n| {
                pids.iter()
                    .any(|p| n.starts_with(&format!("aludel_scratch_{p}_")))
            })
            .collect()
    })
}
