//! Named checks and their verdicts; the last line is `N passed, M failed`.

use crate::table::{Diff, Table};

/// One named comparison.
#[derive(Clone, Debug)]
pub struct Check {
    /// Name, e.g. `reset 00:1c.0 rp1`.
    pub name: String,
    /// Verdict.
    pub passed: bool,
    /// One line: what was compared, what was found.
    pub summary: String,
    /// Why it failed (or, verbose, the intended differences).
    pub details: Vec<String>,
}

/// All checks of a run, plus every difference observed.
#[derive(Debug, Default)]
pub struct Report {
    /// Checks in the order run.
    pub checks: Vec<Check>,
    /// Every difference seen, with the table line that names it.
    pub observed: Vec<(Diff, Option<usize>)>,
    /// Known vpcie defects the table lists (`BUG:` rows) that were seen.
    pub bugs: Vec<String>,
    /// Print intended differences under each check too.
    pub verbose: bool,
}

impl Report {
    /// Records a passing check.
    pub fn pass(&mut self, name: impl Into<String>, summary: impl Into<String>) {
        self.push(name.into(), true, summary.into(), Vec::new());
    }

    /// Records a failing check.
    pub fn fail(
        &mut self,
        name: impl Into<String>,
        summary: impl Into<String>,
        details: Vec<String>,
    ) {
        self.push(name.into(), false, summary.into(), details);
    }

    /// Passes when `problems` is empty.
    pub fn expect_none(
        &mut self,
        name: impl Into<String>,
        ok: impl Into<String>,
        problems: Vec<String>,
    ) {
        if problems.is_empty() {
            self.pass(name, ok);
        } else {
            let n = problems.len();
            self.fail(name, format!("{n} problem(s)"), problems);
        }
    }

    /// A comparison of `compared` items that found `diffs`: passes when the
    /// table names every difference.
    pub fn diffs(
        &mut self,
        name: impl Into<String>,
        compared: usize,
        diffs: Vec<Diff>,
        table: &Table,
    ) {
        let name = name.into();
        let mut unexpected = Vec::new();
        let mut intended = Vec::new();
        for d in diffs {
            let what = format!(
                "{} {}: vpcie {}, QEMU {}",
                d.aspect, d.register, d.vpcie, d.qemu
            );
            match table.lookup(&d) {
                Some(row) => {
                    if row.is_bug() {
                        self.bugs.push(format!(
                            "{} {} ({}): {}",
                            d.model, what, row.line, row.reason
                        ));
                    }
                    intended.push(format!("{what} [table line {}]", row.line));
                    self.observed.push((d, Some(row.line)));
                }
                None => {
                    unexpected.push(format!(
                        "{what} — not in intended-differences.tsv: {}",
                        d.row("<reason>")
                    ));
                    self.observed.push((d, None));
                }
            }
        }
        let summary = format!(
            "{compared} compared, {} intended difference(s){}",
            intended.len(),
            if unexpected.is_empty() {
                String::new()
            } else {
                format!(", {} NOT in the table", unexpected.len())
            }
        );
        let passed = unexpected.is_empty();
        let mut details = unexpected;
        if self.verbose {
            details.extend(intended);
        }
        self.push(name, passed, summary, details);
    }

    fn push(&mut self, name: String, passed: bool, summary: String, details: Vec<String>) {
        let verdict = if passed { "PASS" } else { "FAIL" };
        println!("{verdict}  {name}: {summary}");
        for d in &details {
            println!("        {d}");
        }
        self.checks.push(Check {
            name,
            passed,
            summary,
            details,
        });
    }

    /// (passed, failed).
    pub fn counts(&self) -> (usize, usize) {
        let passed = self.checks.iter().filter(|c| c.passed).count();
        (passed, self.checks.len() - passed)
    }
}
