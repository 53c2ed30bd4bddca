aludel::migrations!("../../../../migrations/versions");

fn main() {
    // Exists:
    let kept = &migrations::rev_3f2a9c1b7d4e;
    // Removed from the history:
    let gone = &migrations::rev_0123456789ab;
    println!("{} {}", kept.id(), gone.id());
}
