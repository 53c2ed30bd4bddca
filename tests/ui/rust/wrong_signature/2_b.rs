//! revision: b
//! down_revision: a

pub fn upgrade() -> i32 {
    1
}
