//! Editing, adding and removing revision files each make the next `cargo build` of the
//! embedding crate see the change, with the one-line `build.rs` the README prescribes.
//!
//! The test builds a scratch crate that depends on aludel by path, changes its versions
//! directory and builds again. It shares one target directory across runs, so only the first
//! run compiles aludel's dependencies.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn revision(id: &str, down: &str, message: &str) -> String {
    format!("-- revision: {id}\n-- down_revision: {down}\n-- message: {message}\n\n-- upgrade\nCREATE TABLE t_{id} (id INTEGER);\n\n-- downgrade\nDROP TABLE t_{id};\n")
}

fn cargo_run(crate_dir: &Path, target: &Path) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    Command::new(cargo)
        .args(["run", "--quiet", "--offline"])
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

fn run(crate_dir: &Path, target: &Path) -> String {
    let output = cargo_run(crate_dir, target);
    assert!(
        output.status.success(),
        "cargo run failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Waits so that the next write gets a newer modification time than the last build.
fn tick() {
    std::thread::sleep(Duration::from_millis(1100));
}

#[test]
fn edits_additions_and_removals_rebuild_the_crate() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().unwrap();
    let scratch = std::env::temp_dir().join(format!("aludel-rebuild-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let versions = scratch.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::create_dir_all(scratch.join("src")).unwrap();
    std::fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rebuild-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\naludel = {{ path = \"{}\" }}\n\n[workspace]\n",
            workspace.join("runtime").display()
        ),
    )
    .unwrap();
    // The lock file of the workspace pins the same dependency versions, offline.
    std::fs::copy(workspace.join("Cargo.lock"), scratch.join("Cargo.lock")).unwrap();
    std::fs::write(
        scratch.join("build.rs"),
        "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n",
    )
    .unwrap();
    std::fs::write(
        scratch.join("src/main.rs"),
        "static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!();\n\nfn main() {\n    for r in MIGRATIONS.revisions() {\n        println!(\"{} {}\", r.id(), r.message());\n    }\n}\n",
    )
    .unwrap();
    let target = workspace.join("target/rebuild-probe");

    std::fs::write(versions.join("1_a.sql"), revision("aaaa0001", "", "first")).unwrap();
    assert_eq!(run(&scratch, &target), "aaaa0001 first\n");

    tick();
    std::fs::write(
        versions.join("1_a.sql"),
        revision("aaaa0001", "", "first, edited"),
    )
    .unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\n",
        "an edited file is seen"
    );

    tick();
    std::fs::write(
        versions.join("2_b.sql"),
        revision("bbbb0002", "aaaa0001", "second"),
    )
    .unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\nbbbb0002 second\n",
        "an added file is seen"
    );

    tick();
    std::fs::remove_file(versions.join("2_b.sql")).unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\n",
        "a removed file is seen"
    );

    // Rust revisions likewise: added, edited (header and code), removed.
    let rust = |message: &str, sql: &str| {
        format!("//! revision: rrrr0002\n//! down_revision: aaaa0001\n//! message: {message}\n\nuse aludel::op::Op;\n\npub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {{\n    op.execute(\"{sql}\")\n}}\n")
    };
    tick();
    std::fs::write(versions.join("2_r.rs"), rust("in rust", "SELECT 1")).unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\nrrrr0002 in rust\n",
        "an added Rust revision is seen"
    );
    tick();
    std::fs::write(versions.join("2_r.rs"), rust("in rust, edited", "SELECT 2")).unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\nrrrr0002 in rust, edited\n",
        "an edited Rust revision is seen"
    );
    tick();
    std::fs::write(
        versions.join("2_r.rs"),
        rust("in rust, edited", "SELECT 2").replace("op.execute", "let n: i32 = \"x\"; op.execute"),
    )
    .unwrap();
    let output = cargo_run(&scratch, &target);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("migrations/versions/2_r.rs:8:")
            && stderr.contains("expected `i32`, found `&str`"),
        "a type error in a Rust revision is reported at its file and line: {stderr}"
    );
    tick();
    std::fs::remove_file(versions.join("2_r.rs")).unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\n",
        "a removed Rust revision is seen"
    );

    // A newcomer breaks a down_revision: the build fails naming the file, the line and the
    // missing id, with the nearest id suggested.
    tick();
    std::fs::write(
        versions.join("2_b.sql"),
        revision("bbbb0002", "aaaa0009", "second"),
    )
    .unwrap();
    let output = cargo_run(&scratch, &target);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("migrations/versions/2_b.sql:2: down_revision `aaaa0009` of revision `bbbb0002` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `aaaa0001`?"), "{stderr}");

    // Two heads are refused until the project opts in (or labels the branch).
    tick();
    std::fs::write(
        versions.join("2_b.sql"),
        revision("bbbb0002", "aaaa0001", "second"),
    )
    .unwrap();
    std::fs::write(
        versions.join("3_c.sql"),
        revision("cccc0003", "aaaa0001", "third"),
    )
    .unwrap();
    let output = cargo_run(&scratch, &target);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("multiple heads are present: bbbb0002, cccc0003"),
        "{stderr}"
    );
    tick();
    std::fs::write(scratch.join("aludel.toml"), "allow_multiple_heads = true\n").unwrap();
    std::fs::write(scratch.join("build.rs"), "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); println!(\"cargo:rerun-if-changed=aludel.toml\"); }\n").unwrap();
    assert_eq!(
        run(&scratch, &target),
        "aaaa0001 first, edited\nbbbb0002 second\ncccc0003 third\n"
    );

    // A script_location outside the crate is refused; the directory must be named in the
    // macro call instead.
    tick();
    std::fs::write(
        scratch.join("aludel.toml"),
        "allow_multiple_heads = true\nscript_location = \"../elsewhere\"\n",
    )
    .unwrap();
    let output = cargo_run(&scratch, &target);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("aludel: script_location `../elsewhere` in aludel.toml points outside the crate: it climbs out of the project with `..`; keep the migrations inside the crate, or name the directory on purpose: `embed_migrations!(\"../elsewhere/versions\")`"),
        "{stderr}"
    );

    let _ = std::fs::remove_dir_all(&scratch);
}
