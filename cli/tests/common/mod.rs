//! What the command-line tests share: running the `aludel` binary, in a directory or in a
//! temporary [`Project`], and what a run printed ([`Run`]).

#![allow(dead_code, clippy::panic, clippy::unwrap_used)] // each test file uses some of it; tests fail by panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aludel_tests::TempDir;

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

/// Environment settings for a run of `aludel`, applied in order: `(name, Some(value))` sets a
/// variable, `(name, None)` removes it. Each test file gives the ones its runs start from.
pub type Env = &'static [(&'static str, Option<&'static str>)];

/// What a run printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// `aludel args...` in `dir`: the variables of `base` set or removed, then those of `extra`
/// set; the rest of the environment inherited.
pub fn run(
    dir: &Path,
    base: &[(&str, Option<&str>)],
    extra: &[(&str, &str)],
    args: &[&str],
) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aludel"));
    command.args(args).current_dir(dir);
    for (key, value) in base {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    for (key, value) in extra {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A snapshot without its one leading newline, if any (so that a snapshot can start on its own
/// line).
pub fn snapshot(text: &str) -> &str {
    text.strip_prefix('\n').unwrap_or(text)
}

/// A temporary project directory, removed when the test ends, where `aludel` runs with the
/// environment settings the project was made with. Each test file adds its own constructors
/// and checks (`impl Project` / `impl Run` blocks of its own).
pub struct Project {
    /// Removes the directory when the test ends.
    _dir: TempDir,
    /// The directory, canonical, so that the binary's working directory matches what it
    /// reports.
    pub root: PathBuf,
    /// What every run sets or removes in the environment (see [`Env`]).
    env: Env,
}

impl Project {
    /// A new empty project in a temporary directory named after `prefix`, whose runs start
    /// from the environment settings `env`.
    pub fn temp(prefix: &str, env: Env) -> Project {
        let dir = TempDir::new(prefix);
        let root = dir.0.canonicalize().unwrap();
        Project {
            _dir: dir,
            root,
            env,
        }
    }

    /// Writes a file below the root (its directories created).
    pub fn write(&self, relative: &str, contents: &str) -> &Self {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Creates a directory below the root.
    pub fn mkdir(&self, relative: &str) -> &Self {
        std::fs::create_dir_all(self.root.join(relative)).unwrap();
        self
    }

    /// The text of a file below the root.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative))
            .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
    }

    /// Whether a path below the root exists.
    pub fn exists(&self, relative: &str) -> bool {
        self.root.join(relative).exists()
    }

    /// The names in a directory below the root, sorted (dotfiles included).
    pub fn list(&self, relative: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(relative))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// Runs `aludel args...` in the project root.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with("", &[], args)
    }

    /// Runs `aludel args...` in a subdirectory of the project (`""`: the root).
    pub fn run_in(&self, dir: &str, args: &[&str]) -> Run {
        self.run_with(dir, &[], args)
    }

    /// Runs `aludel args...` in a subdirectory of the project with extra environment
    /// variables, set after the project's own settings.
    pub fn run_with(&self, dir: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
        run(&self.root.join(dir), self.env, env, args)
    }
}

/// A revision file. `headers` are extra `-- key: value` lines after `down_revision`;
/// `downgrade: false` leaves out the downgrade section.
pub fn revision(
    id: &str,
    down: &str,
    headers: &[(&str, &str)],
    message: &str,
    downgrade: bool,
) -> String {
    let mut text = format!("-- revision: {id}\n-- down_revision:");
    if !down.is_empty() {
        text.push_str(&format!(" {down}"));
    }
    text.push('\n');
    for (key, value) in headers {
        text.push_str(&format!("-- {key}: {value}\n"));
    }
    text.push_str(&format!(
        "-- message: {message}\n\n-- upgrade\nCREATE TABLE t_{id} (id INTEGER);\n"
    ));
    if downgrade {
        text.push_str(&format!("\n-- downgrade\nDROP TABLE t_{id};\n"));
    }
    text
}
