//! QEMU's Q35 as the oracle for vpcie: the same topology on both machines,
//! compared register by register, firmware result by firmware result, table
//! by table. `scripts/qemu-oracle.sh` drives it; see
//! `scripts/qemu-oracle/README.md`.
//!
//! | module | role |
//! |---|---|
//! | [`machine`] | the two machines as a guest sees them: QEMU under qtest, a vpcie `Platform` |
//! | [`guest`] | CF8/CFC + ECAM config access, enumeration, snapshots, the write probe |
//! | [`regs`] | registers by name (header, capabilities, MCH/LPC) so different layouts compare |
//! | [`hierarchy`] | a firmware result as a tree; nesting/overlap/coverage rules |
//! | [`oracle`] | the stages and their named checks |
//! | [`table`] | the table of intended differences |
//! | [`report`] | verdicts and the `N passed, M failed` line |

pub mod guest;
pub mod hierarchy;
pub mod machine;
pub mod oracle;
pub mod regs;
pub mod report;
pub mod table;
