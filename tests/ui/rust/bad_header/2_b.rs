//! revison: b
//! down_revision: a

use aludel::op::Op;

pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
    op.execute("DELETE FROM a")
}
