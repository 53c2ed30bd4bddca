aludel::migrations!("../../../../tests/ui/typed/broken_history");

fn main() {
    // Only the history's own error is reported, not follow-on errors for these names.
    let a = &migrations::rev_aaaa0001;
    let b = &migrations::rev_bbbb0002;
    println!("{} {} {}", a.id(), b.id(), migrations::MIGRATIONS.len());
}
