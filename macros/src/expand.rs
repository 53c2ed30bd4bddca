//! scan the directory -> parse revisions -> validate the graph -> generate tokens.

use std::path::{Path, PathBuf};

use aludel_graph::{load_dir, Config, History, Revision, RevisionKind, Sections};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

use crate::fallback;

/// What a macro expands to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `embed_migrations!`: an expression of type `Migrations`.
    Expression,
    /// `migrations!`: a module with a static per revision.
    Module,
}

pub(crate) fn expand(input: TokenStream, form: Form) -> TokenStream {
    match try_expand(input, form) {
        Ok(tokens) => tokens,
        Err(failure) => {
            let errors = failure.error.to_compile_error();
            let skeleton = fallback::skeleton(form, &failure.known_ids);
            match form {
                Form::Expression => quote! {{ #errors #skeleton }},
                Form::Module => quote! { #errors #skeleton },
            }
        }
    }
}

pub(crate) struct Failure {
    pub(crate) error: syn::Error,
    /// Ids of the revisions that could be read, so that the skeleton still defines them.
    pub(crate) known_ids: Vec<String>,
}

impl From<syn::Error> for Failure {
    fn from(error: syn::Error) -> Self {
        Failure {
            error,
            known_ids: Vec::new(),
        }
    }
}

fn try_expand(input: TokenStream, form: Form) -> Result<TokenStream, Failure> {
    let path: Option<LitStr> = if input.is_empty() {
        None
    } else {
        Some(syn::parse2(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected nothing or a string literal: the versions directory relative to the crate root",
            )
        })?)
    };
    let span = path.as_ref().map_or_else(Span::call_site, LitStr::span);
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        syn::Error::new(
            span,
            "CARGO_MANIFEST_DIR is not set; build the crate with cargo",
        )
    })?);
    let config = Config::load(&root).map_err(|d| syn::Error::new(span, d.to_string()))?;
    let dir = match &path {
        Some(lit) => root.join(lit.value()),
        None => {
            if let Some(reason) = config.script_location_escapes() {
                let versions = config.versions_dir(std::path::Path::new(""));
                return Err(syn::Error::new(
                    span,
                    format!(
                        "aludel: script_location `{}` in aludel.toml points outside the crate: {reason}; keep the migrations inside the crate, or name the directory on purpose: `embed_migrations!(\"{}\")`",
                        config.script_location.display(),
                        versions.display()
                    ),
                )
                .into());
            }
            config.versions_dir(&root)
        }
    };
    let options = config.graph_options();
    let history = load_dir(&dir, &root, &options).map_err(|diagnostics| {
        let mut errors = diagnostics
            .iter()
            .map(|d| syn::Error::new(span, format!("aludel: {d}")));
        let mut combined = errors
            .next()
            .unwrap_or_else(|| syn::Error::new(span, "aludel: invalid revision history"));
        for e in errors {
            combined.combine(e);
        }
        Failure {
            error: combined,
            known_ids: fallback::readable_ids(&dir, &root),
        }
    })?;
    let mut tokens = generate(&history, form, span, &config)?;
    // Edits of aludel.toml (which may move the history or allow several heads) rebuild too.
    let config_file = root.join(aludel_graph::config::CONFIG_FILE);
    if let (true, Some(path)) = (config_file.is_file(), config_file.to_str()) {
        let track = quote! { const _: &[u8] = include_bytes!(#path); };
        tokens = match form {
            Form::Expression => quote! {{ #track #tokens }},
            Form::Module => quote! { #track #tokens },
        };
    }
    Ok(tokens)
}

fn revision_tokens(
    revision: &Revision,
    sections: &Sections,
    digest: &str,
    file: &Path,
    span: Span,
) -> Result<(TokenStream, String), Failure> {
    let s = &revision.source;
    let lines = [
        s.revision_line,
        s.down_revision_line,
        s.branch_labels_line,
        s.depends_on_line,
        s.upgrade_line,
        s.downgrade_line,
    ];
    let path = s.path.as_str();
    let absolute = file.to_str().ok_or_else(|| {
        syn::Error::new(
            span,
            format!("aludel: the path of {path} is not valid UTF-8"),
        )
    })?;
    // Every text field in one string, with where each ends (the runtime's `Field` order): one
    // pointer per revision in the binary, and no slice literal for the compiler to promote.
    // Lists are separated by spaces (ids and labels hold none).
    let fields = [
        revision.id.clone(),
        revision.down_revisions.join(" "),
        revision.branch_labels.join(" "),
        revision.depends_on.join(" "),
        revision.message.clone(),
        revision.create_date.clone().unwrap_or_default(),
        sections.upgrade.clone(),
        sections.downgrade.clone().unwrap_or_default(),
        revision.checksum.clone(),
        digest.to_string(),
        path.to_string(),
        aludel_graph::revision::encode_named(&sections.named),
    ];
    let mut text = String::new();
    let mut ends = Vec::with_capacity(fields.len());
    for field in &fields {
        text.push_str(field);
        let end = u32::try_from(text.len()).map_err(|_| {
            syn::Error::new(
                span,
                format!("aludel: {path} is larger than 4 GiB, which cannot be embedded"),
            )
        })?;
        ends.push(end);
    }
    let mut flags = vec![quote!(0)];
    if revision.transactional {
        flags.push(quote!(::aludel::__private::TRANSACTIONAL));
    }
    if revision.create_date.is_some() {
        flags.push(quote!(::aludel::__private::HAS_CREATE_DATE));
    }
    if revision.is_reversible() {
        flags.push(quote!(::aludel::__private::HAS_DOWNGRADE));
    }
    let rust = match revision.kind {
        RevisionKind::Sql => quote!(::core::option::Option::None),
        RevisionKind::Rust => {
            let module = rust_module(revision);
            let downgrade = if revision.is_reversible() {
                quote!(::core::option::Option::Some(#module::downgrade))
            } else {
                quote!(::core::option::Option::None)
            };
            quote! {
                ::core::option::Option::Some(::aludel::__private::RustBody {
                    upgrade: #module::upgrade,
                    downgrade: #downgrade,
                })
            }
        }
    };
    let value = quote! {
        ::aludel::__private::revision(#text, [#(#ends),*], #(#flags)|*, [#(#lines),*], #rust)
    };
    Ok((value, absolute.to_string()))
}

/// The typed items of `migrations!` beside the static of each revision: its id as a
/// constant (`ids::rev_<id>`), its parents as references to the other statics
/// (`parents::rev_<id>`), the heads (`HEADS`) and each branch label's revision
/// (`labels::<label>`, `-` and `.` written `_`).
fn typed_items(graph: &aludel_graph::Graph) -> TokenStream {
    let revisions = graph.revisions();
    let names: Vec<_> = revisions
        .iter()
        .map(|r| format_ident!("rev_{}", r.id))
        .collect();
    let ids = revisions.iter().map(|r| r.id.as_str());
    let id_docs = revisions
        .iter()
        .map(|r| format!("The id of revision `{}`, for const contexts.", r.id));
    let parents = revisions.iter().map(|r| {
        let refs = r.down_revisions.iter().map(|d| format_ident!("rev_{}", d));
        quote! { &[#(&super::#refs),*] }
    });
    let parent_docs = revisions
        .iter()
        .map(|r| format!("The parents (`down_revision`) of revision `{}`.", r.id));
    let heads: Vec<_> = graph
        .heads()
        .iter()
        .map(|h| format_ident!("rev_{}", h))
        .collect();
    let head_count = heads.len();
    let mut labels = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for revision in revisions {
        for label in &revision.branch_labels {
            let name = label.replace(['-', '.'], "_");
            // A label that is not an identifier once written so (`1.x`, `type`), or that two
            // labels share, stays reachable by its name as a target string.
            let Ok(ident) = syn::parse_str::<syn::Ident>(&name) else {
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            let target = format_ident!("rev_{}", revision.id);
            let doc = format!("The revision that carries the branch label `{label}`.");
            labels.push(quote! {
                #[doc = #doc]
                #[allow(non_upper_case_globals)]
                pub static #ident: &::aludel::Revision = &super::#target;
            });
        }
    }
    quote! {
        /// The heads of the history, in load order.
        pub static HEADS: [&::aludel::Revision; #head_count] = [#(&#heads),*];
        /// Each revision's id, usable in const contexts.
        pub mod ids {
            #(
                #[doc = #id_docs]
                #[allow(non_upper_case_globals)]
                pub const #names: &str = #ids;
            )*
        }
        /// Each revision's parents, as references to the revisions' statics.
        pub mod parents {
            #(
                #[doc = #parent_docs]
                #[allow(non_upper_case_globals)]
                pub static #names: &[&::aludel::Revision] = #parents;
            )*
        }
        /// The revision of each branch label.
        pub mod labels {
            #(#labels)*
        }
    }
}

/// The module a Rust revision's file is compiled as.
fn rust_module(revision: &Revision) -> proc_macro2::Ident {
    format_ident!("__aludel_rust_{}", revision.id)
}

/// The module items of the Rust revisions: each file compiled as a module of the embedding
/// crate, so that its errors are the compiler's, at the file's lines.
fn rust_modules(history: &History) -> Vec<TokenStream> {
    history
        .graph
        .revisions()
        .iter()
        .zip(&history.files)
        .filter(|(revision, _)| revision.kind == RevisionKind::Rust)
        .filter_map(|(revision, file)| {
            let module = rust_module(revision);
            // A clean absolute path: the compiler shows it in the file's errors.
            let path = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
            let path = path.to_str()?.to_string();
            // A crate may embed one history twice (`embed_migrations!` and `migrations!`).
            Some(quote! {
                #[path = #path]
                #[allow(clippy::duplicate_mod)]
                mod #module;
            })
        })
        .collect()
}

/// The layout of the generated code: the arguments of `Migrations::__new`,
/// `Migrations::__from_array` and `__revision`. Equal to `aludel::__private::Migrations::__LAYOUT`
/// of the runtime these macros were written with; change both together.
const LAYOUT: u32 = 4;

/// The compile-time check that the runtime reads the layout these macros generate.
fn layout_assertion() -> TokenStream {
    let message = format!(
        "aludel-macros {} generated an embedded history in layout {LAYOUT}, which this version of aludel does not read: aludel and aludel-macros must be the same version (aludel pins aludel-macros exactly; look for a `[patch]` or a second copy of either crate in Cargo.lock)",
        env!("CARGO_PKG_VERSION")
    );
    quote! {
        const _: () = ::core::assert!(
            ::aludel::__private::Migrations::__LAYOUT == #LAYOUT,
            #message
        );
    }
}

fn generate(
    history: &History,
    form: Form,
    span: Span,
    config: &Config,
) -> Result<TokenStream, Failure> {
    let graph = &history.graph;
    let heads = graph.heads();
    let allow_multiple_heads = config.allow_multiple_heads;
    let version_table = config.version_table.as_str();
    let version_table_schema = match &config.version_table_schema {
        Some(schema) => quote!(::core::option::Option::Some(#schema)),
        None => quote!(::core::option::Option::None),
    };
    let databases: Vec<&str> = config.databases.iter().map(|d| d.name.as_str()).collect();
    let layout = layout_assertion();
    let modules = rust_modules(history);
    let digests = graph.lineage_digests();
    let mut values = Vec::with_capacity(graph.len());
    let mut files = Vec::with_capacity(graph.len());
    for (((revision, file), sections), digest) in graph
        .revisions()
        .iter()
        .zip(&history.files)
        .zip(&history.sections)
        .zip(&digests)
    {
        let (value, absolute) = revision_tokens(revision, sections, digest, &file.path, span)?;
        values.push(value);
        files.push(absolute);
    }
    let count = values.len();
    // Makes the crate rebuild when a file changes: one item for the whole history (an item
    // per file costs the compiler more than the files' bytes do).
    let track = quote! { const _: [&str; #count] = [#(include_str!(#files)),*]; };
    // The rows of the version table after `upgrade heads` (by the graph crate's planning
    // rule), whose lineage digests the runtime's one-query no-op check compares: not the
    // heads, when a head is only another revision's dependency.
    let version_heads: Vec<usize> = graph
        .heads_after_upgrade()
        .iter()
        .filter_map(|h| graph.index_of(h))
        .collect();
    Ok(match form {
        // One static array, handed over whole: an item per revision, or a slice of references
        // into the array, costs the compiler a body (or a promoted constant) per revision,
        // which was most of the cost of embedding a long history.
        Form::Expression => quote! {{
            #layout
            #track
            #(#modules)*
            static __ALUDEL_REVISIONS: [::aludel::__private::Revision; #count] = [#(#values),*];
            ::aludel::__private::Migrations::__from_array(
                &__ALUDEL_REVISIONS,
                &[#(#heads),*],
                &[#(#version_heads),*],
                #allow_multiple_heads,
                #version_table,
                #version_table_schema,
                &[#(#databases),*],
            )
        }},
        Form::Module => {
            let mut statics = Vec::with_capacity(count);
            let mut names = Vec::with_capacity(count);
            for (revision, value) in graph.revisions().iter().zip(values) {
                let name = format_ident!("rev_{}", revision.id);
                let doc = format!(
                    "Revision `{}`{}{} ({}).",
                    revision.id,
                    if revision.message.is_empty() {
                        ""
                    } else {
                        ": "
                    },
                    revision.message,
                    revision.source.path
                );
                statics.push(quote! {
                    #[doc = #doc]
                    #[allow(non_upper_case_globals)]
                    pub static #name: ::aludel::__private::Revision = #value;
                });
                names.push(name);
            }
            let typed = typed_items(graph);
            quote! {
                /// The revision history, embedded and validated at compile time by `aludel::migrations!`.
                pub mod migrations {
                    #layout
                    #track
                    #(#modules)*
                    #(#statics)*
                    #typed
                    /// Every revision of the history.
                    pub static MIGRATIONS: ::aludel::__private::Migrations =
                        ::aludel::__private::Migrations::__new(
                            &[#(&#names),*],
                            &[#(#heads),*],
                            &[#(#version_heads),*],
                            #allow_multiple_heads,
                            #version_table,
                            #version_table_schema,
                &[#(#databases),*],
                        );
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_items_where_they_are_identifiers() {
        let graph = aludel_graph::Graph::build(
            vec![
                Revision::new("a", &[]).labels(&["feature-x"]),
                Revision::new("b", &["a"]).labels(&["type"]),
                Revision::new("c", &["b"]).labels(&["v1.2"]),
            ],
            &aludel_graph::GraphOptions::default(),
        )
        .unwrap();
        let tokens = typed_items(&graph).to_string();
        assert!(tokens.contains("pub static feature_x"), "{tokens}");
        assert!(tokens.contains("pub static v1_2"), "{tokens}");
        // A keyword stays a target string (`type@head`), never an item that cannot compile.
        assert!(!tokens.contains("pub static type"), "{tokens}");
        assert!(
            tokens.contains("pub const rev_b : & str = \"b\""),
            "{tokens}"
        );
    }

    #[test]
    fn the_layout_assertion_names_the_layout_and_the_fix() {
        let tokens = layout_assertion().to_string();
        assert!(
            tokens.contains(":: aludel :: __private :: Migrations :: __LAYOUT == 4u32"),
            "{tokens}"
        );
        assert!(tokens.contains("aludel and aludel-macros must be the same version"));
    }
}
