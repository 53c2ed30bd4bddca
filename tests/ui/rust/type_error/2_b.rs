//! revision: b
//! down_revision: a

use aludel::op::Op;

pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
    let rows: i32 = "not a number";
    op.execute(&format!("INSERT INTO a VALUES ({rows})"))
}
