// Rebuild when a revision file is added to or removed from the embedded history.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
