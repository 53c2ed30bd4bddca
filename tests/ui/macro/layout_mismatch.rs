// The assertion `embed_migrations!` and `migrations!` put first in their output, as an
// aludel-macros that generates another layout (here 1) would write it: the build stops with
// this message, before the calls into aludel's hidden constructors that would not line up.
const _: () = ::core::assert!(
    ::aludel::__private::Migrations::__LAYOUT == 1u32,
    "aludel-macros 0.0.0 generated an embedded history in layout 1, which this version of aludel does not read: aludel and aludel-macros must be the same version (aludel pins aludel-macros exactly; look for a `[patch]` or a second copy of either crate in Cargo.lock)"
);

fn main() {}
