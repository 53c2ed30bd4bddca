//! aludel-graph: revision files and the revision graph of [aludel](https://docs.rs/aludel).
//!
//! Pure Rust, shared by the compile-time macro, the runtime and the command line so that every
//! rule means the same everywhere. The pipeline:
//!
//! 1. [`scan_dir`] lists a versions directory strictly (documented ignore rules, nothing
//!    skipped silently);
//! 2. [`parse_revision`] reads each revision file, SQL or Rust (the header of a Rust revision
//!    and the functions it declares, without compiling it); [`parse_revision_file`] also
//!    returns an SQL file's sections, which the graph does not hold (they are what the
//!    runtime runs);
//! 3. [`Graph::build`] validates the graph with Alembic's semantics, collecting every problem;
//! 4. [`Graph::plan_upgrade`], [`Graph::plan_downgrade`], [`Graph::plan_stamp`] and
//!    [`Graph::history`] resolve targets in Alembic's grammar and order the steps.
//!
//! [`load_dir`] runs steps 1 to 3. Queries without a target string: [`Graph::below`] (a
//! revision and everything below it, as `history base:<id>` lists them) and
//! [`Graph::branches_of`] (the branch labels covering a revision, Alembic's rule: see
//! [`branches`]).
//!
//! ```
//! use aludel_graph::{Graph, GraphOptions, Revision, VersionOp};
//!
//! let graph = Graph::build(
//!     vec![Revision::new("a", &[]), Revision::new("b", &["a"])],
//!     &GraphOptions::default(),
//! )
//! .unwrap();
//! let plan = graph.plan_upgrade(&[], "head").unwrap();
//! assert_eq!(plan.steps[0].ops, vec![VersionOp::Insert("a".into())]);
//! assert_eq!(plan.heads_after, vec!["b"]);
//! ```

mod authoring;
pub mod branches;
pub mod checksum;
pub mod config;
mod diagnostic;
mod error;
mod graph;
pub mod import;
mod load;
mod plan;
pub mod revision;
pub mod scan;
mod set;
pub mod sql;
mod target;

pub use config::{find_project_root, Config, DatabaseConfig};
pub use diagnostic::{list_some, nearest, Diagnostic, Diagnostics, Location};
pub use error::Error;
pub use graph::{Graph, GraphOptions};
pub use import::{read_diesel_dir, revision_id_for_version, DieselImport, ImportError};
pub use load::{load_dir, load_files, load_files_with_sections, History};
pub use plan::{Direction, Plan, Step, VersionOp};
pub use revision::{
    parse_revision, parse_revision_file, DatabaseSql, NamedSection, Revision, RevisionKind,
    Sections, Source,
};
pub use scan::{scan_dir, ScannedFile};
