//! One module per subcommand.

pub mod acpi;
pub mod caps;
#[cfg(unix)]
pub mod ctl;
pub mod dump;
pub mod inspect;
pub mod plan;
pub mod platform;
pub mod serve;

/// An error a subcommand reports to the user: a complete sentence saying
/// what went wrong, where, and what to do.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// What a subcommand returns.
pub type CmdResult = Result<std::process::ExitCode, UserError>;

/// Reads a text file named on the command line, with a message that names it.
pub fn read_text(path: &std::path::Path, what: &str) -> Result<String, UserError> {
    std::fs::read_to_string(path)
        .map_err(|e| UserError(format!("cannot read {what} {}: {e}", path.display())))
}
