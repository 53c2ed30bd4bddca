//! The `aludel` binary end to end: each test writes its own project into a fresh temporary
//! directory, runs the binary there and checks the exit code, stdout and stderr exactly.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use common::{revision, snapshot, Env, Project, Run};

mod common;

/// What every run removes: no backtraces.
const ENV: Env = &[("RUST_BACKTRACE", None)];

impl Project {
    fn new(name: &str) -> Project {
        Project::temp(&format!("aludel-cli-{name}"), ENV)
    }
}

impl Run {
    /// Success with exactly this stdout (after one leading newline, so that snapshots can
    /// start on their own line) and nothing on stderr.
    #[track_caller]
    fn ok(&self, stdout: &str) {
        assert_eq!(self.stderr, "", "unexpected stderr");
        assert_eq!(self.stdout, snapshot(stdout));
        assert_eq!(self.code, Some(0));
    }

    /// Failure (exit 1) with exactly this stderr (after one leading newline) and nothing on
    /// stdout.
    #[track_caller]
    fn fails(&self, stderr: &str) {
        assert_eq!(self.stdout, "", "unexpected stdout");
        assert_eq!(self.stderr, snapshot(stderr));
        assert_eq!(self.code, Some(1));
    }
}

/// `a1 <- b2; b2 <- c2; b2 <- c1 [feat1] <- d1`: two heads, the second declared with a
/// branch label. `a1` has a create date; `c2` is irreversible and not transactional.
fn branched(name: &str) -> Project {
    let p = Project::new(name);
    p.write(
        "migrations/versions/01_a1.sql",
        &revision(
            "a1",
            "",
            &[("create_date", "2026-11-22T10:30:00Z")],
            "first",
            true,
        ),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "second", true),
    )
    .write(
        "migrations/versions/03_c2.sql",
        &revision(
            "c2",
            "b2",
            &[("transactional", "false")],
            "main line",
            false,
        ),
    )
    .write(
        "migrations/versions/04_c1.sql",
        &revision("c1", "b2", &[("branch_labels", "feat1")], "feature", true),
    )
    .write(
        "migrations/versions/05_d1.sql",
        &revision("d1", "c1", &[], "feature more", true),
    );
    p
}

/// [`branched`] plus the merge `(c2, d1) <- e5`.
fn merged(name: &str) -> Project {
    let p = branched(name);
    p.write(
        "migrations/versions/06_e5.sql",
        &revision("e5", "c2, d1", &[], "merge", true),
    );
    p
}

// ----- a history with a branch -----

#[test]
fn branched_text() {
    let p = branched("branched-text");
    p.run(&["heads"]).ok(r#"
c2 (head)
d1 (feat1) (head)
"#);
    p.run(&["heads", "--verbose"]).ok(r#"
Rev: c2 (head)
Parent: b2
Transactional: false
Downgrade: none (irreversible)
Path: migrations/versions/03_c2.sql

    main line

Rev: d1 (head)
Parent: c1
Branch names: feat1
Path: migrations/versions/05_d1.sql

    feature more

"#);
    p.run(&["branches"]).ok(r#"
b2 (branchpoint)
   -> c2 (head)
   -> c1 (feat1)

"#);
    p.run(&["branches", "-v"]).ok(r#"
Rev: b2 (branchpoint)
Parent: a1
Branches into: c2, c1
Path: migrations/versions/02_b2.sql

    second

   -> c2 (head), main line
   -> c1 (feat1), feature

"#);
    p.run(&["history"]).ok(r#"
b2 -> c2 (head), main line
c1 -> d1 (feat1) (head), feature more
b2 -> c1 (feat1), feature
a1 -> b2 (branchpoint), second
<base> -> a1, first
"#);
    p.run(&["history", "-v"]).ok(r#"
Rev: c2 (head)
Parent: b2
Transactional: false
Downgrade: none (irreversible)
Path: migrations/versions/03_c2.sql

    main line

Rev: d1 (head)
Parent: c1
Branch names: feat1
Path: migrations/versions/05_d1.sql

    feature more

Rev: c1
Parent: b2
Branch names: feat1
Path: migrations/versions/04_c1.sql

    feature

Rev: b2 (branchpoint)
Parent: a1
Branches into: c2, c1
Path: migrations/versions/02_b2.sql

    second

Rev: a1
Parent: <base>
Create Date: 2026-11-22T10:30:00Z
Path: migrations/versions/01_a1.sql

    first

"#);
    p.run(&["show", "c2"]).ok(r#"
Rev: c2 (head)
Parent: b2
Transactional: false
Downgrade: none (irreversible)
Path: migrations/versions/03_c2.sql

    main line

"#);
    p.run(&["show", "feat1@head"]).ok(r#"
Rev: d1 (head)
Parent: c1
Branch names: feat1
Path: migrations/versions/05_d1.sql

    feature more

"#);
}

#[test]
fn branched_history_ranges() {
    let p = branched("branched-ranges");
    p.run(&["history", "-r", "b2:heads"]).ok(r#"
b2 -> c2 (head), main line
c1 -> d1 (feat1) (head), feature more
b2 -> c1 (feat1), feature
a1 -> b2 (branchpoint), second
"#);
    p.run(&["history", "-r", ":b2"]).ok(r#"
a1 -> b2 (branchpoint), second
<base> -> a1, first
"#);
    p.run(&["history", "--rev-range", "c1:"]).ok(r#"
c1 -> d1 (feat1) (head), feature more
b2 -> c1 (feat1), feature
"#);
    p.run(&["history", "-r", "feat1@head:"]).ok(r#"
c1 -> d1 (feat1) (head), feature more
"#);
    p.run(&["history", "-r", "c2:d1"]).fails(
        r#"
error: Revision c2 is not an ancestor of revision d1
"#,
    );
    p.run(&["history", "-r", "b2"]).fails(
        r#"
error: History range requires [start]:[end], [start]:, or :[end] (got 'b2')
"#,
    );
}

#[test]
fn branched_json() {
    let p = branched("branched-json");
    p.run(&["heads", "--format", "json"]).ok(r#"
[
  {
    "revision": "c2",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "main line",
    "create_date": null,
    "path": "migrations/versions/03_c2.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": false,
    "kind": "sql",
    "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730"
  },
  {
    "revision": "d1",
    "down_revisions": [
      "c1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature more",
    "create_date": null,
    "path": "migrations/versions/05_d1.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:95781a47c57054a578d009b8b2389e521a1bd77b25551660bf87387f6e0b2b08"
  }
]
"#);
    // --verbose makes no difference to JSON.
    p.run(&["heads", "-v", "--format", "json"]).ok(r#"
[
  {
    "revision": "c2",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "main line",
    "create_date": null,
    "path": "migrations/versions/03_c2.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": false,
    "kind": "sql",
    "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730"
  },
  {
    "revision": "d1",
    "down_revisions": [
      "c1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature more",
    "create_date": null,
    "path": "migrations/versions/05_d1.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:95781a47c57054a578d009b8b2389e521a1bd77b25551660bf87387f6e0b2b08"
  }
]
"#);
    p.run(&["branches", "--format", "json"]).ok(r#"
[
  {
    "revision": "b2",
    "down_revisions": [
      "a1"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "second",
    "create_date": null,
    "path": "migrations/versions/02_b2.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": true,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:6559a676f7d00b56034e0f3964f9903d29f641b9eed31d0860100280d4fc0af7",
    "children": [
      {
        "revision": "c2",
        "down_revisions": [
          "b2"
        ],
        "branch_labels": [],
        "branches": [],
        "depends_on": [],
        "message": "main line",
        "create_date": null,
        "path": "migrations/versions/03_c2.sql",
        "is_head": true,
        "is_base": false,
        "is_merge": false,
        "is_branch_point": false,
        "transactional": false,
        "kind": "sql",
        "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730"
      },
      {
        "revision": "c1",
        "down_revisions": [
          "b2"
        ],
        "branch_labels": [
          "feat1"
        ],
        "branches": [
          "feat1"
        ],
        "depends_on": [],
        "message": "feature",
        "create_date": null,
        "path": "migrations/versions/04_c1.sql",
        "is_head": false,
        "is_base": false,
        "is_merge": false,
        "is_branch_point": false,
        "transactional": true,
        "kind": "sql",
        "checksum": "v1:sha256:03d47c13371fae882f612fb6fa174ad590e8b413a482205a059857ea50477e33"
      }
    ]
  }
]
"#);
    p.run(&["history", "--format", "json"]).ok(r#"
[
  {
    "revision": "c2",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "main line",
    "create_date": null,
    "path": "migrations/versions/03_c2.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": false,
    "kind": "sql",
    "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730"
  },
  {
    "revision": "d1",
    "down_revisions": [
      "c1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature more",
    "create_date": null,
    "path": "migrations/versions/05_d1.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:95781a47c57054a578d009b8b2389e521a1bd77b25551660bf87387f6e0b2b08"
  },
  {
    "revision": "c1",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [
      "feat1"
    ],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature",
    "create_date": null,
    "path": "migrations/versions/04_c1.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:03d47c13371fae882f612fb6fa174ad590e8b413a482205a059857ea50477e33"
  },
  {
    "revision": "b2",
    "down_revisions": [
      "a1"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "second",
    "create_date": null,
    "path": "migrations/versions/02_b2.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": true,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:6559a676f7d00b56034e0f3964f9903d29f641b9eed31d0860100280d4fc0af7"
  },
  {
    "revision": "a1",
    "down_revisions": [],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "first",
    "create_date": "2026-11-22T10:30:00Z",
    "path": "migrations/versions/01_a1.sql",
    "is_head": false,
    "is_base": true,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:9b6d8d32495068a03d63911c8af9a138361b01a1a198d60181627b37c36b4b91"
  }
]
"#);
    p.run(&["show", "c2", "--format", "json"]).ok(r#"
{
  "revision": "c2",
  "down_revisions": [
    "b2"
  ],
  "branch_labels": [],
  "branches": [],
  "depends_on": [],
  "message": "main line",
  "create_date": null,
  "path": "migrations/versions/03_c2.sql",
  "is_head": true,
  "is_base": false,
  "is_merge": false,
  "is_branch_point": false,
  "transactional": false,
  "kind": "sql",
  "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730",
  "upgrade": "CREATE TABLE t_c2 (id INTEGER);\n",
  "downgrade": null
}
"#);
    p.run(&["show", "feat1@head", "--format", "json"]).ok(r#"
{
  "revision": "d1",
  "down_revisions": [
    "c1"
  ],
  "branch_labels": [],
  "branches": [
    "feat1"
  ],
  "depends_on": [],
  "message": "feature more",
  "create_date": null,
  "path": "migrations/versions/05_d1.sql",
  "is_head": true,
  "is_base": false,
  "is_merge": false,
  "is_branch_point": false,
  "transactional": true,
  "kind": "sql",
  "checksum": "v1:sha256:95781a47c57054a578d009b8b2389e521a1bd77b25551660bf87387f6e0b2b08",
  "upgrade": "CREATE TABLE t_d1 (id INTEGER);\n",
  "downgrade": "DROP TABLE t_d1;\n"
}
"#);
}

// ----- a history with a merge -----

#[test]
fn merged_text() {
    let p = merged("merged-text");
    p.run(&["heads"]).ok(r#"
e5 (feat1) (head)
"#);
    p.run(&["heads", "-v"]).ok(r#"
Rev: e5 (head) (mergepoint)
Merges: c2, d1
Branch names: feat1
Path: migrations/versions/06_e5.sql

    merge

"#);
    p.run(&["branches"]).ok(r#"
b2 (branchpoint)
   -> c2
   -> c1 (feat1)

"#);
    p.run(&["history"]).ok(r#"
c2, d1 -> e5 (feat1) (head) (mergepoint), merge
b2 -> c2, main line
c1 -> d1 (feat1), feature more
b2 -> c1 (feat1), feature
a1 -> b2 (branchpoint), second
<base> -> a1, first
"#);
    p.run(&["history", "-v"]).ok(r#"
Rev: e5 (head) (mergepoint)
Merges: c2, d1
Branch names: feat1
Path: migrations/versions/06_e5.sql

    merge

Rev: c2
Parent: b2
Transactional: false
Downgrade: none (irreversible)
Path: migrations/versions/03_c2.sql

    main line

Rev: d1
Parent: c1
Branch names: feat1
Path: migrations/versions/05_d1.sql

    feature more

Rev: c1
Parent: b2
Branch names: feat1
Path: migrations/versions/04_c1.sql

    feature

Rev: b2 (branchpoint)
Parent: a1
Branches into: c2, c1
Path: migrations/versions/02_b2.sql

    second

Rev: a1
Parent: <base>
Create Date: 2026-11-22T10:30:00Z
Path: migrations/versions/01_a1.sql

    first

"#);
    p.run(&["show", "head"]).ok(r#"
Rev: e5 (head) (mergepoint)
Merges: c2, d1
Branch names: feat1
Path: migrations/versions/06_e5.sql

    merge

"#);
    p.run(&["show", "e5"]).ok(r#"
Rev: e5 (head) (mergepoint)
Merges: c2, d1
Branch names: feat1
Path: migrations/versions/06_e5.sql

    merge

"#);
}

#[test]
fn merged_json() {
    let p = merged("merged-json");
    p.run(&["heads", "--format", "json"]).ok(r#"
[
  {
    "revision": "e5",
    "down_revisions": [
      "c2",
      "d1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "merge",
    "create_date": null,
    "path": "migrations/versions/06_e5.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": true,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:614ff9524c117d30957dd98a662c26c821fa936f253fc9cd216107b5fecb5ac9"
  }
]
"#);
    p.run(&["history", "--format", "json"]).ok(r#"
[
  {
    "revision": "e5",
    "down_revisions": [
      "c2",
      "d1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "merge",
    "create_date": null,
    "path": "migrations/versions/06_e5.sql",
    "is_head": true,
    "is_base": false,
    "is_merge": true,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:614ff9524c117d30957dd98a662c26c821fa936f253fc9cd216107b5fecb5ac9"
  },
  {
    "revision": "c2",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "main line",
    "create_date": null,
    "path": "migrations/versions/03_c2.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": false,
    "kind": "sql",
    "checksum": "v1:sha256:2a9e93f70da906b97aaf230dba921ad576afd61b872dcfcf85a9c997437f8730"
  },
  {
    "revision": "d1",
    "down_revisions": [
      "c1"
    ],
    "branch_labels": [],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature more",
    "create_date": null,
    "path": "migrations/versions/05_d1.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:95781a47c57054a578d009b8b2389e521a1bd77b25551660bf87387f6e0b2b08"
  },
  {
    "revision": "c1",
    "down_revisions": [
      "b2"
    ],
    "branch_labels": [
      "feat1"
    ],
    "branches": [
      "feat1"
    ],
    "depends_on": [],
    "message": "feature",
    "create_date": null,
    "path": "migrations/versions/04_c1.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:03d47c13371fae882f612fb6fa174ad590e8b413a482205a059857ea50477e33"
  },
  {
    "revision": "b2",
    "down_revisions": [
      "a1"
    ],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "second",
    "create_date": null,
    "path": "migrations/versions/02_b2.sql",
    "is_head": false,
    "is_base": false,
    "is_merge": false,
    "is_branch_point": true,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:6559a676f7d00b56034e0f3964f9903d29f641b9eed31d0860100280d4fc0af7"
  },
  {
    "revision": "a1",
    "down_revisions": [],
    "branch_labels": [],
    "branches": [],
    "depends_on": [],
    "message": "first",
    "create_date": "2026-11-22T10:30:00Z",
    "path": "migrations/versions/01_a1.sql",
    "is_head": false,
    "is_base": true,
    "is_merge": false,
    "is_branch_point": false,
    "transactional": true,
    "kind": "sql",
    "checksum": "v1:sha256:9b6d8d32495068a03d63911c8af9a138361b01a1a198d60181627b37c36b4b91"
  }
]
"#);
    p.run(&["show", "e5", "--format", "json"]).ok(r#"
{
  "revision": "e5",
  "down_revisions": [
    "c2",
    "d1"
  ],
  "branch_labels": [],
  "branches": [
    "feat1"
  ],
  "depends_on": [],
  "message": "merge",
  "create_date": null,
  "path": "migrations/versions/06_e5.sql",
  "is_head": true,
  "is_base": false,
  "is_merge": true,
  "is_branch_point": false,
  "transactional": true,
  "kind": "sql",
  "checksum": "v1:sha256:614ff9524c117d30957dd98a662c26c821fa936f253fc9cd216107b5fecb5ac9",
  "upgrade": "CREATE TABLE t_e5 (id INTEGER);\n",
  "downgrade": "DROP TABLE t_e5;\n"
}
"#);
}

// ----- a broken history -----

#[test]
fn broken_history_fails_every_command_with_the_diagnostics() {
    let p = branched("broken");
    p.write(
        "migrations/versions/05_d1.sql",
        &revision("d1", "c11", &[], "feature more", true),
    );
    let expected = r#"
error: migrations/versions/05_d1.sql:2: down_revision `c11` of revision `d1` does not exist
  = help: did you mean `c1`?
"#;
    for args in [
        &["heads"][..],
        &["heads", "--format", "json"],
        &["branches"],
        &["branches", "--format", "json"],
        &["history"],
        &["history", "-v", "--format", "json"],
        &["show", "a1"],
        &["show", "a1", "--format", "json"],
    ] {
        p.run(args).fails(expected);
    }
    p.mkdir("src");
    p.run_in("src", &["history"]).fails(
        r#"
error: ../migrations/versions/05_d1.sql:2: down_revision `c11` of revision `d1` does not exist
  = help: did you mean `c1`?
"#,
    );
}

#[test]
fn every_problem_is_reported() {
    let p = branched("broken-twice");
    p.write(
        "migrations/versions/05_d1.sql",
        &revision("d1", "c11", &[], "feature more", true),
    )
    .write(
        "migrations/versions/06_e5.sql",
        "-- revision: e5\n-- down_revison: d1\n\n-- upgrade\n",
    );
    p.run(&["heads"]).fails(
        r#"
error: migrations/versions/06_e5.sql:2:4: unknown header key `down_revison`
  = help: did you mean `down_revision`? The header keys are: revision, down_revision, branch_labels, depends_on, message, create_date, transactional
error: migrations/versions/06_e5.sql:3: missing `-- down_revision:` header line
  = help: add `-- down_revision: <parent id>` to the header (empty for a base revision)
"#,
    );
}

// ----- finding the project -----

#[test]
fn runs_from_a_subdirectory_of_the_project() {
    let p = branched("subdir");
    p.mkdir("src/deep");
    p.run_in("src/deep", &["heads"]).ok(r#"
c2 (head)
d1 (feat1) (head)
"#);
    p.run_in("src/deep", &["show", "d1"]).ok(r#"
Rev: d1 (head)
Parent: c1
Branch names: feat1
Path: ../../migrations/versions/05_d1.sql

    feature more

"#);
    let json = p.run_in("src/deep", &["history", "-r", ":a1", "--format", "json"]);
    assert_eq!(json.code, Some(0));
    assert!(
        json.stdout
            .contains(r#""path": "../../migrations/versions/01_a1.sql","#),
        "{}",
        json.stdout
    );
}

#[test]
fn versions_option_names_the_directory() {
    let p = Project::new("versions-option");
    p.write(
        "db/versions/01_a1.sql",
        &revision("a1", "", &[], "first", true),
    )
    .write(
        "db/versions/02_b2.sql",
        &revision("b2", "a1", &[], "second", true),
    );
    let expected = r#"
a1 -> b2 (head), second
<base> -> a1, first
"#;
    p.run(&["--versions", "db/versions", "history"])
        .ok(expected);
    // A global option: also after the command.
    p.run(&["history", "--versions", "db/versions"])
        .ok(expected);
    // An absolute path inside the current directory is shown relative to it.
    let absolute = p.root.join("db/versions");
    p.run(&["--versions", absolute.to_str().unwrap(), "show", "a1"])
        .ok(r#"
Rev: a1
Parent: <base>
Path: db/versions/01_a1.sql

    first

"#);
    // It overrides the configuration's directory.
    p.write("aludel.toml", "script_location = \"elsewhere\"\n");
    p.run(&["--versions", "db/versions", "heads"])
        .ok("\nb2 (head)\n");
    p.run(&["heads"]).fails(
        r#"
error: migrations directory `elsewhere/versions` does not exist
  = help: create the directory, or point aludel at the directory that holds the revision files
"#,
    );
    p.run(&["--versions", "nowhere", "heads"]).fails(
        r#"
error: migrations directory `nowhere` does not exist
  = help: create the directory, or point aludel at the directory that holds the revision files
"#,
    );
}

#[test]
fn config_option_names_the_project() {
    let p = Project::new("config-option");
    p.write("conf/aludel.toml", "script_location = \"db\"\n")
        .write(
            "conf/db/versions/01_a1.sql",
            &revision("a1", "", &[], "first", true),
        );
    let expected = r#"
Rev: a1 (head)
Parent: <base>
Path: conf/db/versions/01_a1.sql

    first

"#;
    p.run(&["-c", "conf/aludel.toml", "show", "a1"])
        .ok(expected);
    p.run(&["show", "a1", "--config", "conf/aludel.toml"])
        .ok(expected);
    let absolute = p.root.join("conf/aludel.toml");
    p.run(&["--config", absolute.to_str().unwrap(), "show", "a1"])
        .ok(expected);
    // From below the project, the paths climb up.
    p.mkdir("conf/sub");
    p.run_in("conf/sub", &["--config", "../aludel.toml", "heads", "-v"])
        .ok(r#"
Rev: a1 (head)
Parent: <base>
Path: ../db/versions/01_a1.sql

    first

"#);
    let missing = p.run(&["-c", "missing.toml", "heads"]);
    assert_eq!(missing.code, Some(1));
    assert_eq!(missing.stdout, "");
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read configuration file `missing.toml`: "),
        "{}",
        missing.stderr
    );
}

#[test]
fn script_location_outside_the_project_is_refused() {
    // The project lives in `app/`; a history beside it, in `shared/`, is outside it.
    let p = Project::new("script-location");
    p.write(
        "shared/versions/01_a1.sql",
        &revision("a1", "", &[], "first", true),
    )
    .write("app/aludel.toml", "script_location = \"../shared\"\n");
    let refused = r#"
error: aludel.toml: script_location `../shared` points outside the project: it climbs out of the project with `..`
  = help: keep the migrations inside the project, or name the directory on purpose: `--versions ../shared/versions`
"#;
    p.run_in("app", &["heads"]).fails(refused);
    // Every command that finds the project refuses it, the writing ones before writing.
    p.run_in("app", &["revision", "-m", "second"])
        .fails(refused);
    p.run_in("app", &["history"]).fails(refused);
    p.run_in("app", &["init"]).fails(refused);
    assert!(!p.root.join("app/migrations").exists());
    assert_eq!(
        std::fs::read_dir(p.root.join("shared/versions"))
            .unwrap()
            .count(),
        1
    );
    // From below the project, through --config, the same.
    p.mkdir("app/src");
    p.run_in("app/src", &["heads"])
        .fails(&refused.replace("error: aludel.toml", "error: ../aludel.toml"));
    p.run(&["--config", "app/aludel.toml", "heads"])
        .fails(&refused.replace("error: aludel.toml", "error: app/aludel.toml"));
    // Named explicitly, the directory is used.
    p.run_in("app", &["--versions", "../shared/versions", "heads"])
        .ok("a1 (head)\n");
    // An absolute path is refused too, unless given with --versions.
    let absolute = p.root.join("shared");
    p.write(
        "app/aludel.toml",
        &format!("script_location = \"{}\"\n", absolute.display()),
    );
    let run = p.run_in("app", &["heads"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert!(
        run.stderr.starts_with(&format!(
            "error: aludel.toml: script_location `{}` points outside the project: it is an absolute path\n",
            absolute.display()
        )),
        "{}",
        run.stderr
    );
    let versions = absolute.join("versions");
    p.run_in("app", &["--versions", versions.to_str().unwrap(), "heads"])
        .ok("a1 (head)\n");
    // `..` that stays inside the project is fine.
    p.write(
        "app/db/versions/01_b1.sql",
        &revision("b1", "", &[], "inside", true),
    )
    .write("app/aludel.toml", "script_location = \"tools/../db\"\n")
    .mkdir("app/tools");
    p.run_in("app", &["heads"]).ok("b1 (head)\n");
}

#[test]
fn config_allow_multiple_heads_is_respected() {
    let p = Project::new("multiple-heads");
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1", "", &[], "first", true),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "one", true),
    )
    .write(
        "migrations/versions/03_b3.sql",
        &revision("b3", "a1", &[], "two", true),
    );
    p.run(&["heads"]).fails(
        r#"
error: migrations/versions/03_b3.sql:1: multiple heads are present: b2, b3
  --> migrations/versions/02_b2.sql:1: b2 is a head
  = help: join them with `aludel merge heads -m "merge"`, or declare the branch on purpose with a branch label (`-- branch_labels: name`) on its first revision
"#,
    );
    p.write("aludel.toml", "allow_multiple_heads = true\n");
    p.run(&["heads"]).ok("\nb2 (head)\nb3 (head)\n");
}

#[test]
fn invalid_config_is_an_error_with_its_line() {
    let p = branched("bad-config");
    p.write(
        "aludel.toml",
        "# settings\nscript_locaton = \"migrations\"\n",
    )
    .mkdir("src");
    p.run_in("src", &["heads"]).fails(
        r#"
error: ../aludel.toml:2:1: unknown configuration key `script_locaton`
  = help: did you mean `script_location`?
"#,
    );
}

#[test]
fn no_project_is_an_error_that_says_what_to_do() {
    let p = Project::new("no-project");
    p.run(&["heads"]).fails(
        r#"
error: no aludel.toml or migrations/versions directory was found in the current directory or any directory above it; run aludel inside a project, or name one with `--config <path/to/aludel.toml>` or `--versions <path/to/versions>`
"#,
    );
}

// ----- resolving revisions -----

#[test]
fn show_unknown_revision() {
    let p = branched("unknown");
    p.run(&["show", "zz9"])
        .fails("\nerror: Can't locate revision identified by 'zz9'\n");
    p.run(&["show", "b3"])
        .fails("\nerror: Can't locate revision identified by 'b3'; did you mean 'b2'?\n");
    p.run(&["show", "nope@head"])
        .fails("\nerror: No such branch: 'nope'\n");
    p.run(&["history", "-r", "zz9:"])
        .fails("\nerror: Can't locate revision identified by 'zz9'\n");
}

#[test]
fn ambiguous_prefix_lists_the_candidates() {
    let p = Project::new("ambiguous");
    p.write(
        "migrations/versions/01.sql",
        &revision("abcd1111", "", &[], "first", true),
    )
    .write(
        "migrations/versions/02.sql",
        &revision("abcd2222", "abcd1111", &[], "second", true),
    );
    p.run(&["show", "abcd"]).fails(
        "\nerror: Multiple revisions start with 'abcd': 'abcd1111', 'abcd2222'; give more characters\n",
    );
    p.run(&["history", "-r", "abcd:"]).fails(
        "\nerror: Multiple revisions start with 'abcd': 'abcd1111', 'abcd2222'; give more characters\n",
    );
    p.run(&["show", "abcd2"]).ok(r#"
Rev: abcd2222 (head)
Parent: abcd1111
Path: migrations/versions/02.sql

    second

"#);
}

#[test]
fn show_takes_exactly_one_revision() {
    let p = branched("one-revision");
    p.run(&["show", "head"]).fails(
        r#"
error: Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads (heads: c2, d1)
"#,
    );
    p.run(&["show", "heads"]).fails(
        "\nerror: 'heads' names 2 revisions (c2, d1); `show` takes one revision: name one of them\n",
    );
    p.run(&["show", "base"]).fails(
        "\nerror: 'base' names no revision (it is the empty state before the first revision); `show` takes one revision\n",
    );
    // Relative to a named revision is fine.
    let run = p.run(&["show", "c2-1"]);
    assert_eq!(
        (run.code, run.stdout.lines().next()),
        (Some(0), Some("Rev: b2 (branchpoint)"))
    );
    let run = p.run(&["show", "feat1@head-1"]);
    assert_eq!(
        (run.code, run.stdout.lines().next()),
        (Some(0), Some("Rev: c1"))
    );
}

#[test]
fn targets_relative_to_the_database_are_refused() {
    let p = branched("needs-database");
    p.run(&["history", "-r", "-1:"]).fails(
        "\nerror: '-1' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'head-1' or '<revision>-1')\n",
    );
    p.run(&["history", "-r", "current:"]).fails(
        "\nerror: 'current' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'heads')\n",
    );
    p.run(&["history", "-r", ":current"]).fails(
        "\nerror: 'current' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'heads')\n",
    );
    p.run(&["show", "current"]).fails(
        "\nerror: 'current' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'heads')\n",
    );
    p.run(&["show", "+2"]).fails(
        "\nerror: '+2' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'base+2' or '<revision>+2')\n",
    );
    p.run(&["show", "feat1@-1"]).fails(
        "\nerror: 'feat1@-1' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. 'feat1@head-1' or '<revision>-1')\n",
    );
}

#[test]
fn dependencies_and_effective_heads() {
    let p = Project::new("depends-on");
    p.write(
        "migrations/versions/01_a1.sql",
        &revision("a1", "", &[], "first", true),
    )
    .write(
        "migrations/versions/02_b2.sql",
        &revision("b2", "a1", &[], "second", true),
    )
    .write(
        "migrations/versions/03_x1.sql",
        &revision("x1", "", &[("branch_labels", "lib")], "lib base", true),
    )
    .write(
        "migrations/versions/04_y3.sql",
        &revision("y3", "b2", &[("depends_on", "x1")], "uses lib", true),
    );
    p.run(&["heads"])
        .ok("\nx1 (lib) (effective head)\ny3 (head)\n");
    p.run(&["heads", "--resolve-dependencies"])
        .ok("\ny3 (head)\n");
    // After a revision come its parents, then its dependencies (see aludel_graph::Graph).
    p.run(&["history"]).ok(r#"
b2 (x1) -> y3 (head), uses lib
a1 -> b2, second
<base> -> a1, first
<base> -> x1 (lib) (effective head), lib base
"#);
    p.run(&["show", "y3"]).ok(r#"
Rev: y3 (head)
Parent: b2
Also depends on: x1
Path: migrations/versions/04_y3.sql

    uses lib

"#);
    let json = p.run(&["show", "y3", "--format", "json"]);
    assert!(
        json.stdout.contains("\"depends_on\": [\n    \"x1\"\n  ],"),
        "{}",
        json.stdout
    );
}

// ----- the command line itself -----

#[test]
fn help_lists_only_implemented_commands() {
    let p = branched("help");
    let help = p.run(&["--help"]);
    assert_eq!((help.code, help.stderr.as_str()), (Some(0), ""));
    for command in [
        "heads",
        "branches",
        "history",
        "show",
        "init",
        "revision",
        "merge",
        "edit",
        "upgrade",
        "downgrade",
        "current",
        "stamp",
        "check",
        "--config",
        "--versions",
        "-x <KEY=VALUE>",
    ] {
        assert!(
            help.stdout.contains(command),
            "{command} missing from\n{}",
            help.stdout
        );
    }
    let help = p.run(&["history", "--help"]);
    assert_eq!(help.code, Some(0));
    assert!(
        help.stdout.contains("--rev-range <RANGE>") && help.stdout.contains("--format <FORMAT>")
    );
    let version = p.run(&["--version"]);
    assert_eq!(
        (version.code, version.stdout.as_str()),
        (Some(0), "aludel 0.1.0\n")
    );
}

#[test]
fn usage_errors_exit_1_on_stderr() {
    let p = branched("usage");
    // No command: the help, on stderr.
    let run = p.run(&[]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert!(
        run.stderr.contains("Usage: aludel [OPTIONS] <COMMAND>"),
        "{}",
        run.stderr
    );
    for args in [
        &["frobnicate", "head"][..],
        &["heads", "--format", "yaml"],
        &["show"],
        &["history", "-r"],
    ] {
        let run = p.run(args);
        assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{args:?}");
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("--help"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    let run = p.run(&["frobnicate", "head"]);
    assert!(
        run.stderr
            .starts_with("error: unrecognized subcommand 'frobnicate'"),
        "{}",
        run.stderr
    );
}
