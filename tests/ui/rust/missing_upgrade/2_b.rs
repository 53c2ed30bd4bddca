//! revision: b
//! down_revision: a

use aludel::op::Op;

pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
    op.execute("DELETE FROM a")
}
