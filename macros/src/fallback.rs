//! What the macros emit after an error: a skeleton of the generated items, so that one bad
//! file gives its own errors and not a hundred follow-on ones in the code that uses them.

use std::path::Path;

use aludel_graph::{parse_revision, scan_dir};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::expand::Form;

/// Ids of the revision files that parse, for the skeleton.
pub(crate) fn readable_ids(dir: &Path, root: &Path) -> Vec<String> {
    let Ok(files) = scan_dir(dir, root) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read(&f.path).ok().map(|bytes| (f, bytes)))
        .filter_map(|(f, bytes)| parse_revision(&f.display, &bytes).ok())
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub(crate) fn skeleton(form: Form, known_ids: &[String]) -> TokenStream {
    let empty = quote! {
        ::aludel::__private::Migrations::__new(&[], &[], &[], false, "alembic_version", ::core::option::Option::None, &[])
    };
    match form {
        Form::Expression => empty,
        Form::Module => {
            let names = known_ids.iter().map(|id| format_ident!("rev_{}", id));
            let names2 = names.clone();
            let names3 = names.clone();
            let ids = known_ids.iter();
            let ids2 = known_ids.iter();
            // Every field but the id is empty: each ends where the id does.
            let ends = known_ids
                .iter()
                .map(|id| u32::try_from(id.len()).unwrap_or(0));
            quote! {
                /// The revision history (not embedded: it has errors).
                pub mod migrations {
                    #(
                        #[allow(non_upper_case_globals)]
                        pub static #names: ::aludel::__private::Revision = ::aludel::__private::revision(
                            #ids, [#ends; ::aludel::__private::FIELDS], ::aludel::__private::TRANSACTIONAL, [0; 6],
                            ::core::option::Option::None,
                        );
                    )*
                    /// Every revision of the history (empty: the history has errors).
                    pub static MIGRATIONS: ::aludel::__private::Migrations = #empty;
                    /// The heads (none: the history has errors).
                    pub static HEADS: [&::aludel::Revision; 0] = [];
                    /// Each revision's id.
                    pub mod ids {
                        #(
                            #[allow(non_upper_case_globals)]
                            pub const #names2: &str = #ids2;
                        )*
                    }
                    /// Each revision's parents (none: the history has errors).
                    pub mod parents {
                        #(
                            #[allow(non_upper_case_globals)]
                            pub static #names3: &[&::aludel::Revision] = &[];
                        )*
                    }
                    /// The revision of each branch label (none: the history has errors).
                    pub mod labels {}
                }
            }
        }
    }
}
