//! The table of intended differences (`intended-differences.tsv`): every
//! place where vpcie deliberately differs from QEMU, with the reason. A
//! difference the oracle observes that no row names fails its check; a row
//! no difference matches any more fails too (the table must stay true).
//!
//! Format: one row per line, tab-separated, `#` starts a comment line:
//!
//! ```text
//! aspect  model  register  vpcie  qemu  reason
//! ```
//!
//! `model` is a function's name in the topology (`rp1`, `usp1`, …), its
//! kind (`mch`, `lpc`, `root-port`, `switch-upstream`, `switch-downstream`,
//! `pcie-pci-bridge`, `endpoint`), a comma-separated list of those, or `*`. `vpcie` and `qemu` are the values
//! exactly as the oracle prints them. A reason starting with `BUG:` marks a
//! known defect of vpcie that the oracle found: it does not fail the check
//! (the table names it) but the summary lists it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

/// One observed difference between vpcie and QEMU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// What was compared: `reset`, `writable`, `firmware`, `layout`, …
    pub aspect: String,
    /// The function's name (or the subject of a firmware/ACPI check).
    pub model: String,
    /// The function's kind.
    pub kind: String,
    /// The register or property.
    pub register: String,
    /// vpcie's value.
    pub vpcie: String,
    /// QEMU's value.
    pub qemu: String,
}

impl Diff {
    /// A difference of `aspect` for `model` (of `kind`).
    pub fn new(
        aspect: &str,
        model: &str,
        kind: &str,
        register: impl Into<String>,
        vpcie: impl Into<String>,
        qemu: impl Into<String>,
    ) -> Diff {
        Diff {
            aspect: aspect.into(),
            model: model.into(),
            kind: kind.into(),
            register: register.into(),
            vpcie: vpcie.into(),
            qemu: qemu.into(),
        }
    }

    /// The row that would list this difference (reason left to write).
    pub fn row(&self, reason: &str) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.aspect, self.model, self.register, self.vpcie, self.qemu, reason
        )
    }
}

/// A row of the table.
#[derive(Debug)]
pub struct Row {
    /// Line in the file (1-based).
    pub line: usize,
    /// Aspect.
    pub aspect: String,
    /// Function name, kind or `*`.
    pub model: String,
    /// Register or property.
    pub register: String,
    /// vpcie's value.
    pub vpcie: String,
    /// QEMU's value.
    pub qemu: String,
    /// Why.
    pub reason: String,
    used: Cell<u32>,
    /// The entries of `model` some difference matched.
    matched: RefCell<BTreeSet<String>>,
}

impl Row {
    /// The entry of `model` that names `d`, if the row names it.
    pub fn matching_model(&self, d: &Diff) -> Option<&str> {
        if self.aspect != d.aspect
            || self.register != d.register
            || self.vpcie != d.vpcie
            || self.qemu != d.qemu
        {
            return None;
        }
        self.model
            .split(',')
            .find(|m| *m == d.model || *m == d.kind || *m == "*")
    }

    /// Whether the row names `d`.
    pub fn matches(&self, d: &Diff) -> bool {
        self.matching_model(d).is_some()
    }

    /// Entries of `model` no difference matched (a list row must stay true
    /// for every entry).
    pub fn unmatched_models(&self) -> Vec<String> {
        let matched = self.matched.borrow();
        self.model
            .split(',')
            .filter(|m| !matched.contains(*m))
            .map(str::to_string)
            .collect()
    }

    /// A known vpcie defect rather than a choice.
    pub fn is_bug(&self) -> bool {
        self.reason.starts_with("BUG:")
    }

    /// How many observed differences the row named.
    pub fn uses(&self) -> u32 {
        self.used.get()
    }
}

/// The whole table.
#[derive(Debug, Default)]
pub struct Table {
    /// Rows in file order.
    pub rows: Vec<Row>,
}

impl Table {
    /// Parses the TSV text; every row needs six fields and a reason.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() != 6 {
                return Err(format!(
                    "line {n}: {} tab-separated fields, want 6 (aspect model register vpcie qemu reason)",
                    fields.len()
                ));
            }
            if fields[5].trim().is_empty() {
                return Err(format!(
                    "line {n}: the reason is empty; say why vpcie differs"
                ));
            }
            rows.push(Row {
                line: n,
                aspect: fields[0].to_string(),
                model: fields[1].to_string(),
                register: fields[2].to_string(),
                vpcie: fields[3].to_string(),
                qemu: fields[4].to_string(),
                reason: fields[5].to_string(),
                used: Cell::new(0),
                matched: RefCell::new(BTreeSet::new()),
            });
        }
        for (i, a) in rows.iter().enumerate() {
            if let Some(b) = rows[..i].iter().find(|b| {
                (
                    b.aspect.as_str(),
                    b.model.as_str(),
                    b.register.as_str(),
                    b.vpcie.as_str(),
                    b.qemu.as_str(),
                ) == (
                    a.aspect.as_str(),
                    a.model.as_str(),
                    a.register.as_str(),
                    a.vpcie.as_str(),
                    a.qemu.as_str(),
                )
            }) {
                return Err(format!("line {}: repeats line {}", a.line, b.line));
            }
        }
        Ok(Table { rows })
    }

    /// The row that names `d` (and counts the use).
    pub fn lookup(&self, d: &Diff) -> Option<&Row> {
        let (row, model) = self
            .rows
            .iter()
            .find_map(|r| Some((r, r.matching_model(d)?)))?;
        row.used.set(row.used.get() + 1);
        row.matched.borrow_mut().insert(model.to_string());
        Some(row)
    }

    /// Rows (or entries of a row's model list) no difference matched.
    pub fn unused(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| r.used.get() == 0 || !r.unmatched_models().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_by_name_kind_or_star() {
        let t = Table::parse(
            "# comment\nreset\troot-port\tDEVICE_ID\t2940\t3420\tICH9 identity\n\
             reset\t*\tX\t1\t2\tany\n",
        )
        .unwrap();
        let d = Diff::new("reset", "rp1", "root-port", "DEVICE_ID", "2940", "3420");
        assert_eq!(t.lookup(&d).unwrap().line, 2);
        let t2 = Table::parse("w\tmch,switch-upstream\tR\t1\t2\tlist\n").unwrap();
        assert!(
            t2.lookup(&Diff::new("w", "usp1", "switch-upstream", "R", "1", "2"))
                .is_some()
        );
        assert!(
            t2.lookup(&Diff::new("w", "rp1", "root-port", "R", "1", "2"))
                .is_none()
        );
        // Half of the list was observed: the row is not true any more.
        assert_eq!(t2.rows[0].unmatched_models(), vec!["mch".to_string()]);
        assert_eq!(t2.unused().count(), 1);
        let e = Diff::new("reset", "rp1", "root-port", "DEVICE_ID", "2942", "3420");
        assert!(t.lookup(&e).is_none());
        assert_eq!(t.unused().count(), 1);
    }

    #[test]
    fn bad_rows_are_refused() {
        assert!(Table::parse("reset\tx\ty\t1\t2\n").is_err());
        assert!(Table::parse("reset\tx\ty\t1\t2\t \n").is_err());
        assert!(Table::parse("a\tb\tc\td\te\tf\na\tb\tc\td\te\tg\n").is_err());
    }
}
