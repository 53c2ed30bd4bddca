//! The commands that write files, end to end: `init`, `revision`, `merge` and `edit`. Each test
//! works in its own temporary directory, runs the binary there and checks the exit code,
//! stdout (data: the new file's path) and stderr (messages) exactly, and the files written.
//!
//! The clock is fixed with `SOURCE_DATE_EPOCH` (2026-11-22T10:30:00Z) so that file names and
//! `create_date` are reproducible; ids are given with `--rev-id` where a snapshot needs them.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_graph::{load_dir, GraphOptions};
use common::{snapshot, Env, Project, Run};

mod common;

/// 2026-11-22T10:30:00Z.
const NOW: &str = "1795343400";

/// What every run sets or removes: the clock fixed, no editor, no database URL.
const ENV: Env = &[
    ("RUST_BACKTRACE", None),
    ("VISUAL", None),
    ("EDITOR", None),
    ("DATABASE_URL", None),
    ("SOURCE_DATE_EPOCH", Some(NOW)),
];

impl Project {
    fn new(name: &str) -> Project {
        Project::temp(&format!("aludel-authoring-{name}"), ENV)
    }

    /// The history loads and validates as the macro would read it.
    #[track_caller]
    fn assert_loads(&self) -> aludel_graph::Graph {
        let versions = self.root.join("migrations/versions");
        match load_dir(&versions, &self.root, &GraphOptions::default()) {
            Ok(history) => history.graph,
            Err(d) => panic!("the history does not load:\n{d}"),
        }
    }
}

impl Run {
    /// Success with exactly this stdout and stderr (each after one leading newline, so that
    /// snapshots can start on their own line).
    #[track_caller]
    fn ok(&self, stdout: &str, stderr: &str) {
        assert_eq!(self.stderr, snapshot(stderr), "stderr");
        assert_eq!(self.stdout, snapshot(stdout), "stdout");
        assert_eq!(self.code, Some(0));
    }

    /// Failure (exit 1) with exactly this stderr and nothing on stdout.
    #[track_caller]
    fn fails(&self, stderr: &str) {
        assert_eq!(self.stderr, snapshot(stderr), "stderr");
        assert_eq!(self.stdout, "", "unexpected stdout");
        assert_eq!(self.code, Some(1));
    }

    /// Success; returns the one path printed on stdout.
    #[track_caller]
    fn path(&self) -> String {
        assert_eq!(self.code, Some(0), "{}", self.stderr);
        let path = self.stdout.strip_suffix('\n').unwrap();
        assert!(!path.contains('\n'), "{}", self.stdout);
        assert_eq!(self.stderr, format!("  Generating {path} ...  done\n"));
        path.to_string()
    }
}

/// A revision file written by hand, with a downgrade section. `headers` are extra
/// `-- key: value` lines.
fn revision(id: &str, down: &str, headers: &[(&str, &str)], message: &str) -> String {
    common::revision(id, down, headers, message, true)
}

/// `a1 <- b2 <- c2; b2 <- c1 [feat1] <- d1`: two heads, the second declared with a label.
fn branched(name: &str) -> Project {
    let p = Project::new(name);
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1", "", &[], "first"),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "second"),
    )
    .write(
        "migrations/versions/03_c2.sql",
        &revision("c2", "b2", &[], "main line"),
    )
    .write(
        "migrations/versions/04_c1.sql",
        &revision("c1", "b2", &[("branch_labels", "feat1")], "feature"),
    )
    .write(
        "migrations/versions/05_d1.sql",
        &revision("d1", "c1", &[], "feature more"),
    );
    p
}

/// `a1 <- b2 <- c3`.
fn linear(name: &str) -> Project {
    let p = Project::new(name);
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1", "", &[], "first"),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "second"),
    )
    .write(
        "migrations/versions/03_c3.sql",
        &revision("c3", "b2", &[], "third"),
    );
    p
}

const BUILD_RS: &str = r#"// Cargo reruns this script, and rebuilds the crate with the migrations it embeds,
// when a file below migrations/ is added, removed or changed (written by `aludel init`).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
"#;

// ----- init -----

#[test]
fn init_in_a_crate_writes_everything_and_is_safe_twice() {
    let p = Project::new("init-crate");
    p.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory migrations/versions ...  done
  Generating aludel.toml ...  done
  Generating build.rs ...  done
"#,
    );
    assert_eq!(
        p.read("aludel.toml"),
        aludel_cli::commands::init::CONFIG_TEMPLATE
    );
    assert_eq!(p.read("build.rs"), BUILD_RS);
    assert_eq!(p.list("migrations/versions"), [".gitkeep"]);
    // The configuration parses to the defaults and names every key.
    let config = aludel_graph::Config::parse("aludel.toml", &p.read("aludel.toml")).unwrap();
    assert_eq!(config, aludel_graph::Config::default());
    for key in aludel_graph::config::CONFIG_KEYS {
        assert!(
            p.read("aludel.toml").contains(&format!("# {key} = ")),
            "{key}"
        );
    }

    // Twice, three times: nothing changes, and the output says so, the same each time.
    for _ in 0..2 {
        p.run(&["init"]).ok(
            "",
            r#"
  migrations/versions exists, kept
  aludel.toml exists, kept
  build.rs reruns on changes to migrations, kept
"#,
        );
    }
    assert_eq!(p.read("build.rs"), BUILD_RS);
    assert_eq!(
        p.read("aludel.toml"),
        aludel_cli::commands::init::CONFIG_TEMPLATE
    );

    // The project is usable: the first revision is a base.
    let first = p
        .run(&["revision", "-m", "create users", "--rev-id", "a1"])
        .path();
    assert_eq!(
        first,
        "migrations/versions/20261122_1030_a1_create_users.sql"
    );
    p.run(&["heads"]).ok("a1 (head)\n", "");
}

#[test]
fn init_without_cargo_toml_says_how_to_rebuild() {
    let p = Project::new("init-no-crate");
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory migrations/versions ...  done
  Generating aludel.toml ...  done
  No Cargo.toml, so no build.rs was written; so that Cargo rebuilds the crate that embeds these migrations when a revision file is added or removed, give that crate a build.rs whose `fn main` prints (with the path relative to the crate):
      println!("cargo:rerun-if-changed=migrations");
"#,
    );
    assert!(!p.exists("build.rs"));
    // A workspace manifest is not a package either.
    let w = Project::new("init-workspace");
    w.write("Cargo.toml", "[workspace]\nmembers = [\"app\"]\n");
    let run = w.run(&["init"]);
    assert_eq!(run.code, Some(0));
    assert!(
        run.stderr.contains(
            "  Cargo.toml has no [package] (a workspace manifest), so no build.rs was written; "
        ),
        "{}",
        run.stderr
    );
    assert!(!w.exists("build.rs"));
}

#[test]
fn init_in_a_new_directory() {
    let p = Project::new("init-dir");
    p.run(&["init", "app"]).ok(
        "",
        r#"
  Creating directory app ...  done
  Creating directory app/migrations/versions ...  done
  Generating app/aludel.toml ...  done
  No app/Cargo.toml, so no build.rs was written; so that Cargo rebuilds the crate that embeds these migrations when a revision file is added or removed, give that crate a build.rs whose `fn main` prints (with the path relative to the crate):
      println!("cargo:rerun-if-changed=migrations");
"#,
    );
    assert!(p.exists("app/aludel.toml") && p.exists("app/migrations/versions/.gitkeep"));
    let run = p.run_in("app", &["revision", "-m", "x", "--rev-id", "x1"]);
    assert_eq!(run.stdout, "migrations/versions/20261122_1030_x1_x.sql\n");
}

#[test]
fn init_adds_the_line_to_an_existing_build_script() {
    let p = Project::new("init-build-rs");
    p.write("Cargo.toml", "[package]\nname = \"app\"\n");
    p.write(
        "build.rs",
        "use std::env;\n\nfn main() {\n    println!(\"cargo:rerun-if-changed=proto\");\n    let _ = env::var(\"OUT_DIR\");\n}\n",
    );
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory migrations/versions ...  done
  Generating aludel.toml ...  done
  Updating build.rs ...  done (println!("cargo:rerun-if-changed=migrations"); is the first statement of its `fn main`)
"#,
    );
    assert_eq!(
        p.read("build.rs"),
        "use std::env;\n\nfn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n    println!(\"cargo:rerun-if-changed=proto\");\n    let _ = env::var(\"OUT_DIR\");\n}\n"
    );
    let again = p.run(&["init"]);
    assert_eq!(
        again.stderr,
        "  migrations/versions exists, kept\n  aludel.toml exists, kept\n  build.rs reruns on changes to migrations, kept\n"
    );
}

#[test]
fn init_warns_when_the_build_script_had_no_rerun_lines() {
    let p = Project::new("init-build-rs-plain");
    p.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nbuild = \"tools/build.rs\"\n",
    );
    p.write(
        "tools/build.rs",
        "fn main() -> Result<(), String> {\n    Ok(())\n}\n",
    );
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory migrations/versions ...  done
  Generating aludel.toml ...  done
  Updating tools/build.rs ...  done (println!("cargo:rerun-if-changed=migrations"); is the first statement of its `fn main`)
  Note: tools/build.rs printed no rerun-if-changed line before, so Cargo reran it after any change to the package; now it reruns only when migrations changes. If it reads other files, print a cargo:rerun-if-changed line for each.
"#,
    );
    assert_eq!(
        p.read("tools/build.rs"),
        "fn main() -> Result<(), String> {\n    println!(\"cargo:rerun-if-changed=migrations\");\n    Ok(())\n}\n"
    );
    assert!(!p.exists("build.rs"));
}

#[test]
fn init_leaves_a_build_script_without_main_alone() {
    let p = Project::new("init-build-rs-no-main");
    p.write("Cargo.toml", "[package]\nname = \"app\"\n");
    let odd = "// generated\ninclude!(\"gen/build_main.rs\");\n";
    p.write("build.rs", odd);
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory migrations/versions ...  done
  Generating aludel.toml ...  done
  build.rs has no `fn main`, so it was left as it is; add this line to the function that Cargo runs, so that new revision files rebuild the crate:
      println!("cargo:rerun-if-changed=migrations");
"#,
    );
    assert_eq!(p.read("build.rs"), odd);
}

#[test]
fn init_follows_an_existing_configuration() {
    let p = Project::new("init-config");
    p.write("Cargo.toml", "[package]\nname = \"app\"\n");
    p.write("aludel.toml", "script_location = \"db\"\n");
    p.run(&["init"]).ok(
        "",
        r#"
  Creating directory db/versions ...  done
  aludel.toml exists, kept
  Generating build.rs ...  done
"#,
    );
    assert_eq!(p.read("aludel.toml"), "script_location = \"db\"\n");
    assert!(p
        .read("build.rs")
        .contains("println!(\"cargo:rerun-if-changed=db\");"));
    let new = p.run(&["revision", "-m", "first", "--rev-id", "f1"]).path();
    assert_eq!(new, "db/versions/20261122_1030_f1_first.sql");

    // A broken configuration is an error, and nothing is written.
    let q = Project::new("init-bad-config");
    q.write("aludel.toml", "script_locaton = \"db\"\n");
    q.run(&["init"]).fails(
        r#"
error: aludel.toml:1:1: unknown configuration key `script_locaton`
  = help: did you mean `script_location`?
"#,
    );
    assert_eq!(q.list(""), ["aludel.toml"]);
}

// ----- revision -----

#[test]
fn newcomer_flow_two_revisions_in_a_row() {
    let p = Project::new("newcomer");
    p.write("Cargo.toml", "[package]\nname = \"app\"\n");
    assert_eq!(p.run(&["init"]).code, Some(0));
    let first = p.run(&["revision", "-m", "Create users table"]).path();
    let second = p.run(&["revision", "-m", "Add e-mail to users"]).path();

    // Random ids: 12 lowercase hex digits, in the default file template.
    let id_of = |path: &str| -> String {
        let name = path
            .strip_prefix("migrations/versions/20261122_1030_")
            .unwrap();
        let (id, _) = name.split_once('_').unwrap();
        assert_eq!(id.len(), 12, "{path}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{path}"
        );
        id.to_string()
    };
    let (a, b) = (id_of(&first), id_of(&second));
    assert_ne!(a, b);
    assert_eq!(
        first,
        format!("migrations/versions/20261122_1030_{a}_create_users_table.sql")
    );
    assert_eq!(
        second,
        format!("migrations/versions/20261122_1030_{b}_add_e_mail_to_users.sql")
    );
    assert_eq!(
        p.read(&first),
        format!("-- revision: {a}\n-- down_revision:\n-- message: Create users table\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n")
    );
    assert_eq!(
        p.read(&second),
        format!("-- revision: {b}\n-- down_revision: {a}\n-- message: Add e-mail to users\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n")
    );
    let graph = p.assert_loads();
    assert_eq!(graph.heads(), [b.as_str()]);
    assert_eq!(graph.bases(), [a.as_str()]);
    p.run(&["history"]).ok(
        &format!("{a} -> {b} (head), Add e-mail to users\n<base> -> {a}, Create users table\n"),
        "",
    );
}

#[test]
fn first_revision_in_a_project_without_versions_directory() {
    let p = Project::new("no-versions-dir");
    p.write("aludel.toml", "");
    let path = p.run(&["revision", "-m", "first", "--rev-id", "f1"]).path();
    assert_eq!(path, "migrations/versions/20261122_1030_f1_first.sql");
    p.assert_loads();
    // No project at all: the usual error.
    let q = Project::new("no-project");
    q.run(&["revision", "-m", "first"]).fails(
        r#"
error: no aludel.toml or migrations/versions directory was found in the current directory or any directory above it; run aludel inside a project, or name one with `--config <path/to/aludel.toml>` or `--versions <path/to/versions>`
"#,
    );
}

#[test]
fn revision_from_a_subdirectory_prints_the_path_from_there() {
    let p = linear("subdir");
    p.write("src/main.rs", "fn main() {}\n");
    let run = p.run_in("src", &["revision", "-m", "fourth", "--rev-id", "d4"]);
    run.ok(
        "\n../migrations/versions/20261122_1030_d4_fourth.sql\n",
        "\n  Generating ../migrations/versions/20261122_1030_d4_fourth.sql ...  done\n",
    );
    assert!(p
        .read("migrations/versions/20261122_1030_d4_fourth.sql")
        .contains("-- down_revision: c3\n"));
}

#[test]
fn several_heads_need_a_head_or_a_merge() {
    let p = branched("several-heads");
    p.run(&["revision", "-m", "x"]).fails(
        r#"
error: Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge. (heads: c2, d1)
"#,
    );
    assert_eq!(p.list("migrations/versions").len(), 5);
    // GRAPH-CASES 13: `--head feat1@head` builds on d1 and stays in the feat1 branch.
    let path = p
        .run(&[
            "revision",
            "-m",
            "more feature",
            "--head",
            "feat1@head",
            "--rev-id",
            "e1",
        ])
        .path();
    assert_eq!(
        p.read(&path),
        "-- revision: e1\n-- down_revision: d1\n-- message: more feature\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    p.run(&["heads"]).ok("c2 (head)\ne1 (feat1) (head)\n", "");
    // A head by id works too.
    p.run(&["revision", "-m", "main", "--head", "c2", "--rev-id", "c3"])
        .path();
    p.assert_loads();
}

#[test]
fn a_new_branch_needs_splice_and_a_label() {
    let p = linear("splice");
    p.run(&["revision", "-m", "side", "--head", "b2"]).fails(
        r#"
error: Revision b2 is not a head revision; please specify --splice to create a new branch from this revision
"#,
    );
    // Without a label the second head would not compile: refused, nothing written.
    p.run(&["revision", "-m", "side", "--head", "b2", "--splice", "--rev-id", "s1"]).fails(
        r#"
error: the new revision would make the revision history invalid, so migrations/versions/20261122_1030_s1_side.sql was not written:
error: migrations/versions/20261122_1030_s1_side.sql:1: multiple heads are present: c3, s1
  --> migrations/versions/03_c3.sql:1: c3 is a head
  = help: join them with `aludel merge heads -m "merge"`, or declare the branch on purpose with a branch label (`-- branch_labels: name`) on its first revision
"#,
    );
    assert!(!p.exists("migrations/versions/20261122_1030_s1_side.sql"));
    let path = p
        .run(&[
            "revision",
            "-m",
            "side",
            "--head",
            "b2",
            "--splice",
            "--branch-label",
            "side",
            "--rev-id",
            "s1",
        ])
        .path();
    assert_eq!(
        p.read(&path),
        "-- revision: s1\n-- down_revision: b2\n-- branch_labels: side\n-- message: side\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    p.run(&["heads"]).ok("c3 (head)\ns1 (side) (head)\n", "");
    // The label is taken now; a label that is an id is refused too.
    p.run(&[
        "revision",
        "-m",
        "x",
        "--head",
        "side@head",
        "--branch-label",
        "side",
    ])
    .fails("\nerror: Branch name 'side' is already used by revision s1\n");
    p.run(&[
        "revision",
        "-m",
        "x",
        "--head",
        "side@head",
        "--branch-label",
        "a1",
    ])
    .fails("\nerror: Branch name 'a1' is already used by revision a1\n");
    p.run(&["revision", "-m", "x", "--head", "side@head", "--branch-label", "no way"]).fails(
        "\nerror: invalid branch label `no way`: a label is letters, digits, `_`, `.` and `-`, and not `head`, `heads` or `base`\n",
    );
    p.assert_loads();
}

#[test]
fn a_second_base_needs_a_label() {
    let p = linear("second-base");
    p.run(&["revision", "-m", "other root", "--head", "base", "--rev-id", "z9"]).fails(
        r#"
error: the new revision would make the revision history invalid, so migrations/versions/20261122_1030_z9_other_root.sql was not written:
error: migrations/versions/20261122_1030_z9_other_root.sql:1: multiple heads are present: c3, z9
  --> migrations/versions/03_c3.sql:1: c3 is a head
  = help: join them with `aludel merge heads -m "merge"`, or declare the branch on purpose with a branch label (`-- branch_labels: name`) on its first revision
error: migrations/versions/20261122_1030_z9_other_root.sql:2: multiple bases without a branch label: a1, z9
  --> migrations/versions/01_a1.sql:2: a1 is a base
  = help: a history has one unlabelled base; give each further base a branch label (`-- branch_labels: name`), set its down_revision, or set `allow_multiple_heads`
"#,
    );
    assert_eq!(p.list("migrations/versions").len(), 3);
    let path = p
        .run(&[
            "revision",
            "-m",
            "other root",
            "--head",
            "base",
            "--branch-label",
            "other",
            "--rev-id",
            "z9",
        ])
        .path();
    assert!(p
        .read(&path)
        .starts_with("-- revision: z9\n-- down_revision:\n-- branch_labels: other\n"));
    let graph = p.assert_loads();
    assert_eq!(graph.bases(), ["a1", "z9"]);
}

#[test]
fn depends_on_names_revisions_and_labels() {
    let p = branched("depends-on");
    p.write(
        "migrations/versions/06_lib.sql",
        &revision("lib00001", "", &[("branch_labels", "lib")], "library"),
    );
    let path = p
        .run(&[
            "revision",
            "-m",
            "uses both",
            "--head",
            "c2",
            "--depends-on",
            "lib0,feat1",
            "--depends-on",
            "d1",
            "--rev-id",
            "u1",
        ])
        .path();
    assert_eq!(
        p.read(&path),
        "-- revision: u1\n-- down_revision: c2\n-- depends_on: lib00001, feat1, d1\n-- message: uses both\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    let graph = p.assert_loads();
    assert_eq!(
        graph.get("u1").unwrap().depends_on,
        ["lib00001", "feat1", "d1"]
    );
    p.run(&[
        "revision",
        "-m",
        "x",
        "--head",
        "u1",
        "--depends-on",
        "zzzz",
    ])
    .fails("\nerror: Can't locate revision identified by 'zzzz'\n");
    p.run(&["revision", "-m", "x", "--head", "u1", "--depends-on", "base"]).fails(
        "\nerror: 'base' names no revision (it is the empty state before the first revision); `revision --depends-on` takes one revision\n",
    );
}

#[test]
fn rev_id_must_be_valid_and_unused() {
    let p = linear("rev-id");
    p.run(&["revision", "-m", "x", "--rev-id", "b2"]).fails(
        "\nerror: revision id `b2` is already used by migrations/versions/02_b2.sql; give another --rev-id, or leave it out for a random one\n",
    );
    for bad in ["bad-id", "head", "0123456789abcdef0123456789abcdef0"] {
        p.run(&["revision", "-m", "x", "--rev-id", bad]).fails(&format!(
            "\nerror: invalid revision id `{bad}` given with --rev-id: an id is 1 to 32 characters of letters, digits and `_`, and not `head`, `heads` or `base`\n"
        ));
    }
    assert_eq!(p.list("migrations/versions").len(), 3);
}

#[test]
fn file_template_and_slug() {
    let p = linear("template");
    p.write(
        "aludel.toml",
        "file_template = \"{epoch}/{rev}-{slug}\"\ntruncate_slug_length = 12\n",
    );
    let path = p
        .run(&[
            "revision",
            "-m",
            "  Add users table, with e-mail!\nSecond line",
            "--rev-id",
            "d4",
        ])
        .path();
    assert_eq!(path, "migrations/versions/1795343400/d4-add_users.sql");
    assert!(p
        .read(&path)
        .contains("\n-- message: Add users table, with e-mail! Second line\n"));
    // Without a message: no slug, no message line.
    let path = p.run(&["revision", "--rev-id", "e5"]).path();
    assert_eq!(path, "migrations/versions/1795343400/e5.sql");
    assert_eq!(
        p.read(&path),
        "-- revision: e5\n-- down_revision: d4\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    p.assert_loads();

    p.write("aludel.toml", "file_template = \"{date}_{rev}\"\n");
    p.run(&["revision", "-m", "x"]).fails(
        "\nerror: file_template \"{date}_{rev}\" uses the unknown placeholder {date}; the placeholders are {rev}, {slug}, {epoch}, {year}, {month}, {day}, {hour}, {minute}, {second}\n",
    );
    p.write("aludel.toml", "timezone = \"local\"\n");
    p.run(&["revision", "-m", "x"]).fails(
        "\nerror: timezone = \"local\" in aludel.toml: the local time zone is not supported yet (the Rust standard library has no time zone data); aludel writes file names and create_date in UTC: set timezone = \"UTC\" or remove the line\n",
    );
    // The same name twice: never overwritten.
    p.write("aludel.toml", "file_template = \"fixed\"\n");
    p.run(&["revision", "-m", "x", "--rev-id", "f6"]).path();
    p.run(&["revision", "-m", "x", "--rev-id", "g7"]).fails(
        "\nerror: `migrations/versions/fixed.sql` already exists, and aludel never overwrites a file: give another --rev-id or message, or change file_template\n",
    );
    assert!(p
        .read("migrations/versions/fixed.sql")
        .starts_with("-- revision: f6\n"));
}

#[test]
fn version_path_writes_into_a_subdirectory_of_versions() {
    let p = linear("version-path");
    let path = p
        .run(&[
            "revision",
            "-m",
            "x",
            "--rev-id",
            "d4",
            "--version-path",
            "migrations/versions/2026",
        ])
        .path();
    assert_eq!(path, "migrations/versions/2026/20261122_1030_d4_x.sql");
    p.assert_loads();
    p.run(&["revision", "-m", "x", "--version-path", "elsewhere"]).fails(
        "\nerror: --version-path `elsewhere` is outside the versions directory `migrations/versions`: aludel reads revisions only from that directory and its subdirectories; name one of them (relative to the project root), e.g. `--version-path migrations/versions/feature`\n",
    );
}

// ----- merge -----

#[test]
fn merge_heads_then_a_single_head_is_refused() {
    let p = branched("merge");
    // GRAPH-CASES 14.
    let path = p
        .run(&["merge", "heads", "-m", "mergeit", "--rev-id", "e5"])
        .path();
    assert_eq!(path, "migrations/versions/20261122_1030_e5_mergeit.sql");
    assert_eq!(
        p.read(&path),
        "-- revision: e5\n-- down_revision: c2, d1\n-- message: mergeit\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    p.run(&["heads"]).ok("e5 (feat1) (head)\n", "");
    p.assert_loads();
    // GRAPH-CASES 37 / sharp edge 7: one head is nothing to merge.
    p.run(&["merge", "heads", "-m", "again"])
        .fails("\nerror: nothing to merge: e5 is the only head\n");
    p.run(&["merge", "b2", "e5", "-m", "again"])
        .fails("\nerror: Requested revision b2 overlaps with other requested revisions e5\n");
    let run = p.run(&["merge", "-m", "nothing"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert!(run.stderr.contains("<REVS>..."), "{}", run.stderr);
}

#[test]
fn merge_mends_two_undeclared_heads() {
    // Two developers branched from a1 without labels: the history does not compile, and
    // `merge` is the way out.
    let p = Project::new("merge-undeclared");
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1", "", &[], "first"),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "alice"),
    )
    .write(
        "migrations/versions/03_c3.sql",
        &revision("c3", "a1", &[], "bob"),
    );
    assert_eq!(p.run(&["heads"]).code, Some(1));
    p.run(&["revision", "-m", "x"]).fails(
        "\nerror: Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge. (heads: b2, c3)\n",
    );
    let path = p.run(&["merge", "b2", "c3", "--rev-id", "m4"]).path();
    assert_eq!(path, "migrations/versions/20261122_1030_m4.sql");
    assert_eq!(
        p.read(&path),
        "-- revision: m4\n-- down_revision: b2, c3\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
    );
    p.run(&["heads"]).ok("m4 (head)\n", "");
}

// ----- edit -----

#[test]
#[cfg(unix)] // `sh`, `true` and `false`
fn edit_opens_the_file_in_the_editor() {
    let p = branched("edit");
    p.write(
        "append.sh",
        "printf -- '-- edited by %s\\n' \"$0\" >> \"$1\"\n",
    );
    p.run_with("", &[("EDITOR", "sh append.sh")], &["edit", "feat1@head"])
        .ok("", "");
    assert!(p
        .read("migrations/versions/05_d1.sql")
        .ends_with("DROP TABLE t_d1;\n-- edited by append.sh\n"));
    // $VISUAL comes first; `true` changes nothing.
    p.run_with(
        "",
        &[("VISUAL", "true"), ("EDITOR", "false")],
        &["edit", "c2"],
    )
    .ok("", "");
    p.run_with("", &[("EDITOR", "false")], &["edit", "c2"]).fails(
        "\nerror: the editor `false` ($EDITOR) failed on migrations/versions/03_c2.sql (exit status 1)\n",
    );
    p.run_with("", &[("EDITOR", "no-such-editor-anywhere")], &["edit", "c2"]).fails(
        "\nerror: cannot start the editor `no-such-editor-anywhere` ($EDITOR): No such file or directory (os error 2); set $EDITOR to an editor on your PATH, or open migrations/versions/03_c2.sql yourself\n",
    );
    p.run(&["edit", "c2"]).fails(
        "\nerror: no editor is set: set $VISUAL or $EDITOR (e.g. `EDITOR=vi aludel edit c2`), or open migrations/versions/03_c2.sql yourself\n",
    );
    p.run_with("", &[("EDITOR", "true")], &["edit", "head"]).fails(
        "\nerror: Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads (heads: c2, d1)\n",
    );
    p.run_with("", &[("EDITOR", "true")], &["edit", "zz"])
        .fails("\nerror: Can't locate revision identified by 'zz'\n");
}

#[test]
#[cfg(unix)] // `sh`, `true` and `false`
fn edit_finds_a_file_in_a_broken_history() {
    let p = Project::new("edit-broken");
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1000000", "", &[], "first"),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2000000", "a1000001", &[], "typo"),
    );
    assert_eq!(p.run(&["heads"]).code, Some(1));
    p.run_with("", &[("EDITOR", "true")], &["edit", "b200"]).ok(
        "",
        "\n  The revision history is invalid (`aludel heads` shows why); opening migrations/versions/02_b2.sql, the file of revision b200\n",
    );
    let run = p.run_with("", &[("EDITOR", "true")], &["edit", "c3"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("down_revision `a1000001` of revision `b2000000` does not exist"),
        "{}",
        run.stderr
    );
}

// ----- post-write hook -----

#[test]
#[cfg(unix)] // `sh`, `true` and `false`
fn post_write_hook_runs_on_the_new_file() {
    let p = linear("hook");
    p.write(
        "format.sh",
        "printf 'SELECT 1;\\n' >> \"$1\"\necho \"formatted $1\"\necho 'a warning' >&2\n",
    );
    p.write("aludel.toml", "post_write_hook = \"sh format.sh {path}\"\n");
    p.run(&["revision", "-m", "hooked", "--rev-id", "d4"]).ok(
        "\nmigrations/versions/20261122_1030_d4_hooked.sql\n",
        r#"
  Generating migrations/versions/20261122_1030_d4_hooked.sql ...  done
  Running post_write_hook `sh format.sh migrations/versions/20261122_1030_d4_hooked.sql` ...  done
formatted migrations/versions/20261122_1030_d4_hooked.sql
a warning
"#,
    );
    assert!(p
        .read("migrations/versions/20261122_1030_d4_hooked.sql")
        .ends_with("-- downgrade\nSELECT 1;\n"));
    // Without {path}, the path is the last argument.
    p.write("aludel.toml", "post_write_hook = \"sh format.sh\"\n");
    let run = p.run(&["revision", "-m", "again", "--rev-id", "e5"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("  Running post_write_hook `sh format.sh migrations/versions/20261122_1030_e5_again.sql` ...  done\n"), "{}", run.stderr);
    assert!(p
        .read("migrations/versions/20261122_1030_e5_again.sql")
        .ends_with("SELECT 1;\n"));
}

#[test]
#[cfg(unix)] // `sh`, `true` and `false`
fn a_failing_post_write_hook_fails_and_keeps_the_file() {
    let p = linear("hook-fails");
    p.write("fail.sh", "echo \"cannot format $1\" >&2\nexit 3\n");
    p.write("aludel.toml", "post_write_hook = \"sh fail.sh\"\n");
    let run = p.run(&["revision", "-m", "x", "--rev-id", "d4"]);
    assert_eq!(
        run.stderr,
        "  Generating migrations/versions/20261122_1030_d4_x.sql ...  done\nerror: post_write_hook `sh fail.sh migrations/versions/20261122_1030_d4_x.sql` failed (exit status 3); migrations/versions/20261122_1030_d4_x.sql was written and stays: fix the hook and run it yourself, or delete the file and try again\n  | cannot format migrations/versions/20261122_1030_d4_x.sql\n"
    );
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert!(p.exists("migrations/versions/20261122_1030_d4_x.sql"));
    p.assert_loads();

    p.write(
        "aludel.toml",
        "post_write_hook = \"no-such-formatter --fix\"\n",
    );
    let run = p.run(&["revision", "-m", "y", "--rev-id", "e5"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.ends_with("error: cannot run post_write_hook `no-such-formatter --fix migrations/versions/20261122_1030_e5_y.sql`: No such file or directory (os error 2); migrations/versions/20261122_1030_e5_y.sql was written and stays: fix the hook and run it yourself, or delete the file and try again\n"), "{}", run.stderr);
}

// ----- the command line -----

#[test]
fn help_lists_the_authoring_commands() {
    let p = Project::new("help");
    let help = p.run(&["--help"]);
    assert_eq!((help.code, help.stderr.as_str()), (Some(0), ""));
    for command in ["init", "revision", "merge", "edit"] {
        assert!(
            help.stdout.contains(&format!("  {command} ")),
            "{command} missing from\n{}",
            help.stdout
        );
    }
    let help = p.run(&["revision", "--help"]);
    for flag in [
        "--message <MSG>",
        "--rev-id <ID>",
        "--head <REV>",
        "--splice",
        "--branch-label <LABEL>",
        "--depends-on <REV>",
        "--version-path <DIR>",
    ] {
        assert!(
            help.stdout.contains(flag),
            "{flag} missing from\n{}",
            help.stdout
        );
    }
}

#[test]
fn every_new_file_parses_and_every_history_loads() {
    let p = Project::new("all-load");
    p.write("Cargo.toml", "[package]\nname = \"app\"\n");
    assert_eq!(p.run(&["init"]).code, Some(0));
    let mut paths = Vec::new();
    paths.push(p.run(&["revision", "-m", "a"]).path());
    paths.push(
        p.run(&["revision", "-m", "b", "--branch-label", "main"])
            .path(),
    );
    paths.push(
        p.run(&["revision", "-m", "c", "--head", "main@head"])
            .path(),
    );
    let graph = p.assert_loads();
    let b = graph.by_label("main").unwrap().id.clone();
    paths.push(
        p.run(&[
            "revision",
            "-m",
            "d",
            "--head",
            &b,
            "--splice",
            "--branch-label",
            "side",
        ])
        .path(),
    );
    paths.push(p.run(&["merge", "heads", "-m", "join"]).path());
    paths.push(
        p.run(&["revision", "-m", "after", "--depends-on", "side"])
            .path(),
    );
    for path in &paths {
        let bytes = std::fs::read(p.root.join(path)).unwrap();
        aludel_graph::parse_revision(path, &bytes).unwrap();
    }
    let graph = p.assert_loads();
    assert_eq!(graph.len(), 6);
    assert_eq!(graph.heads().len(), 1);
}

#[test]
fn revision_rust_writes_a_rust_revision_that_the_standalone_cli_lists_and_refuses_to_apply() {
    let p = linear("rust");
    let path = p
        .run(&[
            "revision",
            "--rust",
            "-m",
            "backfill emails",
            "--rev-id",
            "d4",
        ])
        .path();
    assert_eq!(
        path,
        "migrations/versions/20261122_1030_d4_backfill_emails.rs"
    );
    let text = p.read(&path);
    assert!(
        text.starts_with("//! revision: d4\n//! down_revision: c3\n//! message: backfill emails\n//! create_date: 2026-11-22T10:30:00Z\n\nuse aludel::op::Op;\n"),
        "{text}"
    );
    assert!(
        text.contains("pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {"),
        "{text}"
    );
    assert!(
        text.contains("pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {"),
        "{text}"
    );
    let graph = p.assert_loads();
    let d4 = graph.get("d4").unwrap();
    assert_eq!(d4.kind, aludel_graph::RevisionKind::Rust);
    assert!(d4.is_reversible());

    // Listed and planned like any revision ...
    let heads = p.run(&["heads", "--format", "json"]);
    assert_eq!(heads.code, Some(0), "{}", heads.stderr);
    assert!(
        heads.stdout.contains("\"revision\": \"d4\"")
            && heads.stdout.contains("\"kind\": \"rust\""),
        "{}",
        heads.stdout
    );
    let history = p.run(&["history"]);
    assert!(
        history.stdout.contains("c3 -> d4 (head), backfill emails"),
        "{}",
        history.stdout
    );

    // ... but applied only by a binary that embeds it: nothing runs, nothing is created.
    let db = p.root.join("app.db");
    let url = db.to_str().unwrap();
    let run = p.run(&["upgrade", "heads", "--database-url", url]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stderr,
        "error: this history has Rust revisions (d4 in migrations/versions/20261122_1030_d4_backfill_emails.rs), which only a binary that embeds the history runs: apply it from the service (`aludel::embed_migrations!`) or from its command line (`aludel_cli::run_embedded`); nothing was changed\n"
    );
    assert!(!db.exists(), "no database file was created");
    let offline = p.run(&["upgrade", "heads", "--sql", "--dialect", "postgresql"]);
    assert_eq!(offline.code, Some(1), "{offline:?}");
    assert!(
        offline
            .stderr
            .contains("this history has Rust revisions (d4 in"),
        "{}",
        offline.stderr
    );
    let down = p.run(&["downgrade", "base", "--database-url", url]);
    assert_eq!(down.code, Some(1), "{down:?}");
    assert!(!db.exists(), "no database file was created");

    // A plan runs nothing: it lists the Rust revision among the steps.
    let sqlite = p.root.join("planned.db");
    std::fs::write(&sqlite, b"").unwrap();
    let plan = p.run(&[
        "upgrade",
        "heads",
        "--dry-run",
        "--database-url",
        sqlite.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert!(
        plan.stdout.contains("c3 -> d4, backfill emails"),
        "{}",
        plan.stdout
    );
}
