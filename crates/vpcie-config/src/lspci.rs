//! The text that `lspci -x`, `-xxx` and `-xxxx` print, read and written.
//!
//! A dump is a list of functions. Each starts with a header line
//! `BB:DD.F title` or `DDDD:BB:DD.F title` (hex), may carry the
//! `-v`/`-vv`/`-vvv` text on the following (tab-indented) lines, and then has
//! hex rows `OO: xx xx ... xx` (16 bytes a row, offset `00:` … `ff0:`). A
//! blank line ends a function. Bytes the dump does not give read as `0xff`,
//! as pciutils reads them.
//!
//! # What `parse` accepts, next to pciutils
//!
//! pciutils' own reader is `lib/dump.c` (`lspci -F FILE`). `parse` accepts
//! everything it accepts, except the rows marked *stricter*:
//!
//! | input | pciutils 3.9 | `parse` |
//! |---|---|---|
//! | CRLF line ends | one CR stripped | all trailing CRs stripped |
//! | last line without a newline | error "unterminated" | accepted |
//! | line longer than 253 bytes | error "line too long" | accepted up to [`MAX_LINE_LEN`], then [`DumpError::LineTooLong`] |
//! | leading UTF-8 byte order mark | header not recognised | stripped |
//! | header without title, or without the space after the address | not a header (ignored) | header with an empty title |
//! | uppercase hex | accepted | accepted (written lowercase) |
//! | 5-digit domain | accepted | accepted up to `ffff` (written with 4 digits); *stricter*: above that [`DumpError::BadAddress`], since [`DumpAddress::domain`] is a `u16` |
//! | device above `1f`, function `8`/`9` | accepted | *stricter*: [`DumpError::BadAddress`] — not a PCI address |
//! | function `a`–`f` | line ignored | [`DumpError::BadAddress`] |
//! | one trailing space after a row | accepted | accepted, and any trailing spaces or tabs |
//! | several spaces or tabs between bytes | error "Malformed line" | accepted |
//! | a byte that is not two hex digits | error "Malformed line" | [`DumpError::MalformedRow`] |
//! | rows of any length, offsets not a multiple of 16 | accepted | accepted; each row a byte falls in is present, its other bytes read `0xff` |
//! | a byte past `0xfff` | error "At most 4096 bytes" | [`DumpError::RowOutOfRange`] |
//! | the same byte given twice | the last one wins | *stricter*: [`DumpError::DuplicateRow`] — one of them is wrong, and we cannot tell which |
//! | hex row before any header, or after the blank line that ended a function | silently dropped | *stricter*: [`DumpError::RowBeforeHeader`] / [`DumpError::RowAfterBlankLine`] when it is a well-formed row with bytes; other such lines are ignored as pciutils ignores them |
//! | other lines between a header and its first row (the `-v` text) | ignored | kept verbatim in [`DumpFunction::detail`] |
//! | other lines after a function's first row, or outside any function | ignored | ignored |
//! | row offset of 1 or more than 8 digits | not a row | not a row (an "other line") |
//! | the same address twice | two devices | two functions, in input order |
//! | more than [`MAX_FUNCTIONS`] functions | accepted | *stricter*: [`DumpError::TooManyFunctions`] |
//!
//! # What `write` produces
//!
//! For each function: the header `address title`, the `detail` lines, then
//! the present rows in ascending order (lowercase, offset as `%02x:`),
//! with one blank line between functions and none after the last (lspci
//! prints one after every function; the fixtures we keep do not). So
//! `write(&parse(text)?) == text` for every text already in that form: LF
//! line ends, lowercase hex, 16-byte rows in ascending order, no stray lines,
//! no blank line at the end. For other accepted texts, `parse` of the
//! written text gives back the same functions.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Longest line `parse` accepts, in bytes; pciutils' own limit is 253.
pub const MAX_LINE_LEN: usize = 4096;

/// Most functions one dump may hold: a whole PCI segment (256 buses × 32 devices × 8 functions).
pub const MAX_FUNCTIONS: usize = 256 * 32 * 8;

/// Bytes in one function's configuration space, extended space included.
const CONFIG_LEN: usize = 4096;
/// Bytes a dump row holds, as lspci prints them.
const ROW_LEN: usize = 16;
/// Rows in a 4 KiB configuration space.
const ROWS: usize = CONFIG_LEN / ROW_LEN;
/// What a function without any row reads as; shared so that a header-only function allocates no 4 KiB.
static ALL_FF: [u8; CONFIG_LEN] = [0xff; CONFIG_LEN];

/// Address of a function as the dump printed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DumpAddress {
    /// PCI segment, when the dump printed one (`DDDD:` prefix).
    pub domain: Option<u16>,
    /// Bus number.
    pub bus: u8,
    /// Device number (0–0x1f).
    pub device: u8,
    /// Function number (0–7).
    pub function: u8,
}

impl fmt::Display for DumpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(domain) = self.domain {
            write!(f, "{domain:04x}:")?;
        }
        write!(
            f,
            "{:02x}:{:02x}.{:x}",
            self.bus, self.device, self.function
        )
    }
}

/// Why a text is not a function address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Not of the form `BB:DD.F` or `DDDD:BB:DD.F` (hex).
    #[error("`{0}` is not a PCI address (expected BB:DD.F or DDDD:BB:DD.F, in hex)")]
    Syntax(String),
    /// The domain does not fit in 16 bits.
    #[error("domain {0:#x} is above 0xffff, which vpcie does not support")]
    DomainOutOfRange(u32),
    /// The device number is above 0x1f.
    #[error("device {0:#04x} is out of range (0x00-0x1f)")]
    DeviceOutOfRange(u32),
    /// The function number is above 7.
    #[error("function {0} is out of range (0-7)")]
    FunctionOutOfRange(u32),
}

impl FromStr for DumpAddress {
    type Err = AddressError;

    /// Reads `BB:DD.F` or `DDDD:BB:DD.F` in hex; shorter fields (`1:0.0`) are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Echo at most a short prefix: the text may be hostile and huge.
        let syntax = || AddressError::Syntax(s.chars().take(32).collect());
        let (head, function) = s.rsplit_once('.').ok_or_else(syntax)?;
        let mut fields = head.split(':');
        let (domain, bus, device) =
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some(bus), Some(device), None, None) => (None, bus, device),
                (Some(domain), Some(bus), Some(device), None) => (Some(domain), bus, device),
                _ => return Err(syntax()),
            };
        let domain = match domain {
            None => None,
            Some(text) => {
                let value = hex_field(text, 8).ok_or_else(syntax)?;
                Some(u16::try_from(value).map_err(|_| AddressError::DomainOutOfRange(value))?)
            }
        };
        let bus = hex_field(bus, 2).ok_or_else(syntax)?;
        let device = hex_field(device, 2).ok_or_else(syntax)?;
        let function = hex_field(function, 1).ok_or_else(syntax)?;
        if device > 0x1f {
            return Err(AddressError::DeviceOutOfRange(device));
        }
        if function > 7 {
            return Err(AddressError::FunctionOutOfRange(function));
        }
        // The range checks above make these conversions lossless.
        Ok(DumpAddress {
            domain,
            bus: bus as u8,
            device: device as u8,
            function: function as u8,
        })
    }
}

/// Value of 1 to `max_digits` hex digits, nothing else (no sign, no `0x`).
fn hex_field(text: &str, max_digits: usize) -> Option<u32> {
    let ok =
        !text.is_empty() && text.len() <= max_digits && text.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        u32::from_str_radix(text, 16).ok()
    } else {
        None
    }
}

/// Why a dump text could not be read; every variant names the line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// A line is longer than [`MAX_LINE_LEN`] bytes.
    #[error("line {line}: {len} bytes long, more than the {MAX_LINE_LEN} a dump line may have")]
    LineTooLong {
        /// Line number.
        line: usize,
        /// Length of the line in bytes.
        len: usize,
    },
    /// A header line's address is out of range or malformed.
    #[error("line {line}: bad function address in header: {source}")]
    BadAddress {
        /// Line number.
        line: usize,
        /// What is wrong with the address.
        source: AddressError,
    },
    /// A hex row holds something that is not a byte as two hex digits.
    #[error("line {line}, column {column}: expected a byte as two hex digits, found `{found}`")]
    MalformedRow {
        /// Line number.
        line: usize,
        /// Byte column (1-based) where the bad text starts.
        column: usize,
        /// The bad text (at most 16 characters of it).
        found: String,
    },
    /// A hex row puts a byte past offset 0xfff.
    #[error("line {line}: byte at offset {offset:#x} is past the 4096-byte configuration space")]
    RowOutOfRange {
        /// Line number.
        line: usize,
        /// Offset of the first byte past the end.
        offset: u64,
    },
    /// A byte of a function is given a second time.
    #[error("line {line}: byte {offset:#05x} of {address} was already given on line {first_line}")]
    DuplicateRow {
        /// Line number of the second occurrence.
        line: usize,
        /// The function.
        address: DumpAddress,
        /// Offset of the first byte given twice.
        offset: usize,
        /// Line number of the first occurrence.
        first_line: usize,
    },
    /// A hex row comes before the first header line.
    #[error("line {line}: hex row before the first header line (`BB:DD.F title`)")]
    RowBeforeHeader {
        /// Line number.
        line: usize,
    },
    /// A hex row follows the blank line that ended a function.
    #[error("line {line}: hex row after the blank line {blank_line} that ended function {address}")]
    RowAfterBlankLine {
        /// Line number.
        line: usize,
        /// Line number of the blank line.
        blank_line: usize,
        /// The function the blank line ended.
        address: DumpAddress,
    },
    /// The dump holds more than [`MAX_FUNCTIONS`] functions.
    #[error("line {line}: more than {MAX_FUNCTIONS} functions in one dump")]
    TooManyFunctions {
        /// Line number of the first header over the limit.
        line: usize,
    },
}

impl DumpError {
    /// The (1-based) line the error is about.
    pub fn line(&self) -> usize {
        match *self {
            DumpError::LineTooLong { line, .. }
            | DumpError::BadAddress { line, .. }
            | DumpError::MalformedRow { line, .. }
            | DumpError::RowOutOfRange { line, .. }
            | DumpError::DuplicateRow { line, .. }
            | DumpError::RowBeforeHeader { line }
            | DumpError::RowAfterBlankLine { line, .. }
            | DumpError::TooManyFunctions { line } => line,
        }
    }
}

/// One function of a dump: its header, its `-v` text and its configuration bytes.
#[derive(Clone)]
pub struct DumpFunction {
    /// Address as the header printed it.
    pub address: DumpAddress,
    /// Header text after the address (without the separating space), verbatim.
    pub title: String,
    /// The `-v`..`-vvv` lines between the header and the hex rows, verbatim.
    pub detail: Vec<String>,
    /// `None` until a byte is set, so that header-only functions stay small.
    config: Option<Box<[u8; CONFIG_LEN]>>,
    /// Bit `r` set when row `r` (offset `16 * r`) is in the dump.
    present: [u64; ROWS / 64],
}

impl DumpFunction {
    /// A function whose rows `0..ceil(config.len() / 16)` are present (a short last row is padded with 0xff; bytes past 4096 are dropped).
    pub fn new(address: DumpAddress, title: impl Into<String>, config: &[u8]) -> Self {
        let mut function = DumpFunction {
            address,
            title: title.into(),
            detail: Vec::new(),
            config: None,
            present: [0; ROWS / 64],
        };
        let len = config.len().min(CONFIG_LEN);
        if len > 0 {
            function.config_mut()[..len].copy_from_slice(&config[..len]);
            for row in 0..len.div_ceil(ROW_LEN) {
                function.present[row / 64] |= 1 << (row % 64);
            }
        }
        function
    }

    /// The 4 KiB configuration space, 0xff where rows are missing.
    pub fn config(&self) -> &[u8; CONFIG_LEN] {
        self.config.as_deref().unwrap_or(&ALL_FF)
    }

    /// Whether row `row` (offset `16 * row`) was in the dump; false past row 255.
    pub fn row_present(&self, row: usize) -> bool {
        row < ROWS && self.present[row / 64] & (1 << (row % 64)) != 0
    }

    /// Rows present in the dump, ascending.
    pub fn present_rows(&self) -> impl Iterator<Item = usize> + '_ {
        (0..ROWS).filter(|&row| self.row_present(row))
    }

    /// 4096 if any row at or past 0x100 is present, else 256 if any past 0x3f is, else 64.
    pub fn config_size(&self) -> usize {
        // Rows 0x10.. are the extended space, rows 0x4..0xf the device-specific part of 256 bytes.
        if self.present[0] >> 16 != 0 || self.present[1..].iter().any(|&bits| bits != 0) {
            4096
        } else if self.present[0] & 0xfff0 != 0 {
            256
        } else {
            64
        }
    }

    fn config_mut(&mut self) -> &mut [u8; CONFIG_LEN] {
        self.config
            .get_or_insert_with(|| Box::new([0xff; CONFIG_LEN]))
    }

    /// Writes one row as lspci prints it: `OO: xx xx ... xx`.
    fn write_row(&self, row: usize, out: &mut impl fmt::Write) -> fmt::Result {
        let start = row * ROW_LEN;
        write!(out, "{start:02x}:")?;
        for byte in &self.config()[start..start + ROW_LEN] {
            write!(out, " {byte:02x}")?;
        }
        Ok(())
    }
}

impl PartialEq for DumpFunction {
    fn eq(&self, other: &Self) -> bool {
        // Compare what is visible, not whether the 4 KiB buffer was allocated.
        self.address == other.address
            && self.title == other.title
            && self.detail == other.detail
            && self.present == other.present
            && self.config() == other.config()
    }
}

impl Eq for DumpFunction {}

impl fmt::Debug for DumpFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The present rows as lspci text, so that test failures show the differing bytes.
        struct Rows<'a>(&'a DumpFunction);
        impl fmt::Debug for Rows<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for row in self.0.present_rows() {
                    let mut text = String::new();
                    self.0.write_row(row, &mut text)?;
                    list.entry(&format_args!("{text}"));
                }
                list.finish()
            }
        }
        f.debug_struct("DumpFunction")
            .field("address", &format_args!("{}", self.address))
            .field("title", &self.title)
            .field("detail", &self.detail)
            .field("rows", &Rows(self))
            .finish()
    }
}

impl fmt::Display for DumpFunction {
    /// The function's block of `write` output: header, detail lines, present rows; every line ends in `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The space is written even for an empty title: pciutils needs it to see a header.
        writeln!(f, "{} {}", self.address, self.title)?;
        for line in &self.detail {
            writeln!(f, "{line}")?;
        }
        for row in self.present_rows() {
            self.write_row(row, f)?;
            f.write_char('\n')?;
        }
        Ok(())
    }
}

/// Writes the `-x`/`-xxx`/`-xxxx` text of `functions`: missing rows omitted, detail lines kept, a blank line between functions.
pub fn write(functions: &[DumpFunction]) -> String {
    let mut out = String::new();
    for (index, function) in functions.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        // Formatting into a String cannot fail.
        let _ = write!(out, "{function}");
    }
    out
}

/// Reads a dump text; see the module documentation for what is accepted.
pub fn parse(text: &str) -> Result<Vec<DumpFunction>, DumpError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser {
        functions: Vec::new(),
        open: None,
        closed: None,
        first_line: vec![0; CONFIG_LEN].into_boxed_slice(),
    };
    for (index, raw) in text.split('\n').enumerate() {
        parser.line(index + 1, raw)?;
    }
    parser.close(0);
    Ok(parser.functions)
}

/// The function whose lines are being read.
struct Open {
    function: DumpFunction,
    /// Bit `i` set when byte `i` was given, to catch duplicates byte by byte.
    written: [u64; CONFIG_LEN / 64],
    /// Set by the first hex row: later non-row lines are no longer `detail`.
    in_rows: bool,
}

/// State of `parse` between lines.
struct Parser {
    functions: Vec<DumpFunction>,
    open: Option<Open>,
    /// The function the last blank line ended, and that line, for the error message.
    closed: Option<(DumpAddress, usize)>,
    /// Line on which each byte of the open function was given (valid where `written` is set).
    first_line: Box<[usize]>,
}

impl Parser {
    fn line(&mut self, line: usize, raw: &str) -> Result<(), DumpError> {
        if raw.len() > MAX_LINE_LEN {
            return Err(DumpError::LineTooLong {
                line,
                len: raw.len(),
            });
        }
        let text = raw.trim_end_matches('\r');
        if text.is_empty() {
            // Only a truly empty line ends a function: pciutils does not count one with spaces.
            self.close(line);
            return Ok(());
        }
        if let Some(header) = split_header(text) {
            let (address, title) =
                header.map_err(|source| DumpError::BadAddress { line, source })?;
            self.close(0);
            if self.functions.len() >= MAX_FUNCTIONS {
                return Err(DumpError::TooManyFunctions { line });
            }
            self.open = Some(Open {
                function: DumpFunction::new(address, title, &[]),
                written: [0; CONFIG_LEN / 64],
                in_rows: false,
            });
            return Ok(());
        }
        let Some((offset, bytes_text, column)) = split_row(text) else {
            // Text, such as the -v lines: kept only between a header and its rows.
            if let Some(open) = &mut self.open {
                if !open.in_rows {
                    open.function.detail.push(text.to_owned());
                }
            }
            return Ok(());
        };
        match &mut self.open {
            Some(open) => {
                open.in_rows = true;
                store_row(open, &mut self.first_line, line, offset, bytes_text, column)
            }
            None => {
                // pciutils drops such a row silently; a well-formed one is data we would lose.
                let well_formed = matches!(for_each_byte(line, bytes_text, column, |_, _| Ok(())), Ok(n) if n > 0);
                match (well_formed, self.closed) {
                    (false, _) => Ok(()),
                    (true, None) => Err(DumpError::RowBeforeHeader { line }),
                    (true, Some((address, blank_line))) => Err(DumpError::RowAfterBlankLine {
                        line,
                        blank_line,
                        address,
                    }),
                }
            }
        }
    }

    /// Ends the open function, if any; `blank_line` is the blank line that ended it (0 for none).
    fn close(&mut self, blank_line: usize) {
        if let Some(open) = self.open.take() {
            if blank_line != 0 {
                self.closed = Some((open.function.address, blank_line));
            }
            self.functions.push(open.function);
        }
    }
}

/// Stores the bytes of one hex row into the open function.
fn store_row(
    open: &mut Open,
    first_line: &mut [usize],
    line: usize,
    offset: u32,
    bytes_text: &str,
    column: usize,
) -> Result<(), DumpError> {
    let Open {
        function, written, ..
    } = open;
    for_each_byte(line, bytes_text, column, |index, byte| {
        let at = u64::from(offset) + index as u64;
        let at = usize::try_from(at)
            .ok()
            .filter(|&at| at < CONFIG_LEN)
            .ok_or(DumpError::RowOutOfRange { line, offset: at })?;
        let bit = 1u64 << (at % 64);
        if written[at / 64] & bit != 0 {
            return Err(DumpError::DuplicateRow {
                line,
                address: function.address,
                offset: at,
                first_line: first_line[at],
            });
        }
        written[at / 64] |= bit;
        first_line[at] = line;
        function.config_mut()[at] = byte;
        let row = at / ROW_LEN;
        function.present[row / 64] |= 1 << (row % 64);
        Ok(())
    })
    .map(|_| ())
}

/// Recognises a header line: `BB:DD.F`, `DDDD:BB:DD.F` or `DDDDD:BB:DD.F`, then a space (or the end) and the title.
///
/// `None` when the line does not have that shape; an error when it has it but the address is out of range.
fn split_header(text: &str) -> Option<Result<(DumpAddress, &str), AddressError>> {
    // The shapes pciutils' dump_validate() checks, '#' standing for a hex digit.
    const SHAPES: [&[u8]; 3] = [b"##:##.#", b"####:##:##.#", b"#####:##:##.#"];
    let bytes = text.as_bytes();
    let len = SHAPES.iter().find(|shape| has_shape(bytes, shape))?.len();
    let title = match bytes.get(len) {
        None => "",
        // The shape is ASCII, so `len + 1` is a character boundary.
        Some(b' ') => &text[len + 1..],
        Some(_) => return None,
    };
    Some(text[..len].parse().map(|address| (address, title)))
}

/// Whether `bytes` starts with `shape`, where `#` in the shape matches any hex digit.
fn has_shape(bytes: &[u8], shape: &[u8]) -> bool {
    bytes.len() >= shape.len()
        && shape.iter().zip(bytes).all(|(&want, &have)| {
            if want == b'#' {
                have.is_ascii_hexdigit()
            } else {
                want == have
            }
        })
}

/// Recognises a hex row `OO: ...` (2 to 8 offset digits, as pciutils): its offset, the text after the colon and that text's column.
fn split_row(text: &str) -> Option<(u32, &str, usize)> {
    // Trailing spaces are tolerated on rows only; headers and detail keep theirs.
    let text = text.trim_end_matches([' ', '\t']);
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if !(2..=8).contains(&digits) || bytes.get(digits) != Some(&b':') {
        return None;
    }
    if !matches!(bytes.get(digits + 1), None | Some(b' ' | b'\t')) {
        return None;
    }
    let offset = u32::from_str_radix(&text[..digits], 16).ok()?;
    Some((offset, &text[digits + 1..], digits + 2))
}

/// Calls `store(index, byte)` for each byte of a row's text; returns how many there were.
fn for_each_byte(
    line: usize,
    text: &str,
    column: usize,
    mut store: impl FnMut(usize, u8) -> Result<(), DumpError>,
) -> Result<usize, DumpError> {
    let mut count = 0;
    let mut rest = text;
    loop {
        let token_start = rest.trim_start_matches([' ', '\t']);
        if token_start.is_empty() {
            return Ok(count);
        }
        let end = token_start.find([' ', '\t']).unwrap_or(token_start.len());
        let (token, after) = token_start.split_at(end);
        let byte = (token.len() == 2 && token.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u8::from_str_radix(token, 16).ok())
            .flatten()
            .ok_or_else(|| DumpError::MalformedRow {
                line,
                column: column + (text.len() - token_start.len()),
                found: token.chars().take(16).collect(),
            })?;
        store(count, byte)?;
        count += 1;
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(bus: u8, device: u8, function: u8) -> DumpAddress {
        DumpAddress {
            domain: None,
            bus,
            device,
            function,
        }
    }

    /// A 64-byte dump of one function at `header`, bytes 0..64 counting up.
    fn small(header: &str) -> String {
        let mut text = format!("{header}\n");
        for row in 0..4 {
            text.push_str(&format!("{:02x}:", row * 16));
            for i in 0..16 {
                text.push_str(&format!(" {:02x}", row * 16 + i));
            }
            text.push('\n');
        }
        text
    }

    #[test]
    fn address_displays_with_and_without_domain() {
        assert_eq!(addr(1, 0, 0).to_string(), "01:00.0");
        let with = DumpAddress {
            domain: Some(0x1a),
            bus: 0xff,
            device: 0x1f,
            function: 7,
        };
        assert_eq!(with.to_string(), "001a:ff:1f.7");
    }

    #[test]
    fn address_from_str_reads_what_display_writes() {
        for text in ["01:00.0", "0000:01:00.0", "ffff:ff:1f.7", "00:1c.4"] {
            assert_eq!(text.parse::<DumpAddress>().unwrap().to_string(), text);
        }
        assert_eq!("1:2.3".parse::<DumpAddress>(), Ok(addr(1, 2, 3)));
    }

    #[test]
    fn address_from_str_rejects_non_pci_addresses() {
        assert_eq!(
            "00:20.0".parse::<DumpAddress>(),
            Err(AddressError::DeviceOutOfRange(0x20))
        );
        assert_eq!(
            "00:00.8".parse::<DumpAddress>(),
            Err(AddressError::FunctionOutOfRange(8))
        );
        assert_eq!(
            "10000:00:00.0".parse::<DumpAddress>(),
            Err(AddressError::DomainOutOfRange(0x10000))
        );
        for bad in [
            "",
            ".",
            "00:00",
            "00.0",
            "0:0:0:0.0",
            "+1:00.0",
            "00:00.00",
            "g0:00.0",
            "00:00.0 ",
        ] {
            assert!(
                matches!(bad.parse::<DumpAddress>(), Err(AddressError::Syntax(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn header_title_is_kept_verbatim_with_trailing_space() {
        let functions = parse(&small("00:1c.4 PCI bridge: Intel Corporation C610 ")).unwrap();
        assert_eq!(functions[0].title, "PCI bridge: Intel Corporation C610 ");
        assert_eq!(functions[0].address, addr(0, 0x1c, 4));
    }

    #[test]
    fn header_without_title_reads_as_empty_title_and_writes_the_space() {
        let functions = parse(&small("00:01.0")).unwrap();
        assert_eq!(functions[0].title, "");
        assert!(write(&functions).starts_with("00:01.0 \n00: 00 01"));
    }

    #[test]
    fn five_digit_domain_in_range_is_read_and_written_with_four() {
        let functions = parse(&small("0000a:01:00.0 x")).unwrap();
        assert_eq!(functions[0].address.domain, Some(0xa));
        assert!(write(&functions).starts_with("000a:01:00.0 x\n"));
    }

    #[test]
    fn missing_rows_read_ff_and_are_not_written() {
        let text = "01:00.0 x\n00: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n\
                    20: 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f\n";
        let functions = parse(text).unwrap();
        let f = &functions[0];
        assert!(f.row_present(0) && !f.row_present(1) && f.row_present(2));
        assert!(f.config()[0x10..0x20].iter().all(|&b| b == 0xff));
        assert_eq!(f.config()[0x21], 0x21);
        assert_eq!(write(&functions), text);
    }

    #[test]
    fn config_size_follows_the_highest_present_row() {
        let a = addr(0, 0, 0);
        assert_eq!(DumpFunction::new(a, "", &[0; 64]).config_size(), 64);
        assert_eq!(DumpFunction::new(a, "", &[0; 256]).config_size(), 256);
        assert_eq!(DumpFunction::new(a, "", &[0; 4096]).config_size(), 4096);
        assert_eq!(DumpFunction::new(a, "", &[]).config_size(), 64);
        let mut only_ext = parse("00:00.0 x\nff0: 01\n").unwrap();
        assert_eq!(only_ext[0].config_size(), 4096);
        only_ext = parse("00:00.0 x\n40: 01\n").unwrap();
        assert_eq!(only_ext[0].config_size(), 256);
    }

    #[test]
    fn new_with_odd_lengths_pads_or_truncates_without_panic() {
        let a = addr(0, 0, 0);
        let f = DumpFunction::new(a, "t", &[0x11; 20]);
        assert!(f.row_present(0) && f.row_present(1) && !f.row_present(2));
        assert_eq!(f.config()[19], 0x11);
        assert_eq!(f.config()[20], 0xff);
        let big = DumpFunction::new(a, "t", &[0; 5000]);
        assert_eq!(big.present_rows().count(), 256);
        assert!(!big.row_present(256) && !big.row_present(usize::MAX));
    }

    #[test]
    fn crlf_and_trailing_spaces_are_accepted() {
        let lf = small("01:00.0 x");
        let crlf = lf.replace('\n', "\r\n").replace(" 0f\r", " 0f \t \r");
        assert_eq!(parse(&crlf).unwrap(), parse(&lf).unwrap());
        assert_eq!(write(&parse(&crlf).unwrap()), lf);
    }

    #[test]
    fn verbose_lines_are_detail_and_lines_after_rows_are_ignored() {
        let text = "01:00.0 x\n\tControl: I/O+ Mem+\n\tCapabilities: [40] PM\n\t\tFlags: D1-\n\
                    00: 01 02\n\tafter rows\n";
        let functions = parse(text).unwrap();
        assert_eq!(
            functions[0].detail,
            [
                "\tControl: I/O+ Mem+",
                "\tCapabilities: [40] PM",
                "\t\tFlags: D1-"
            ]
        );
        assert_eq!(functions[0].config()[..3], [1, 2, 0xff]);
    }

    #[test]
    fn blank_lines_separate_functions_and_write_puts_one_between() {
        let text = format!("{}\n{}", small("00:00.0 a"), small("0000:00:01.0 b"));
        let functions = parse(&text).unwrap();
        assert_eq!(functions.len(), 2);
        assert_eq!(functions[1].address.domain, Some(0));
        assert_eq!(write(&functions), text);
        let loose = format!(
            "junk before\n\n{}\n\n\n{}\n\n",
            small("00:00.0 a"),
            small("0000:00:01.0 b")
        );
        assert_eq!(write(&parse(&loose).unwrap()), text);
    }

    #[test]
    fn unaligned_and_long_rows_fill_the_bytes_they_name() {
        let functions = parse(
            "00:00.0 x\n08: 01 02\n10: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11\n",
        )
        .unwrap();
        let f = &functions[0];
        assert_eq!(f.config()[7..10], [0xff, 1, 2]);
        assert_eq!(f.config()[0x21], 0x11);
        assert_eq!(f.present_rows().collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn uppercase_hex_is_read_and_written_lowercase() {
        let functions = parse("0A:1F.7 x\nF0: AB cd\n").unwrap();
        assert_eq!(functions[0].address, addr(0x0a, 0x1f, 7));
        assert_eq!(functions[0].config()[0xf0..0xf2], [0xab, 0xcd]);
    }

    #[test]
    fn wrong_hex_is_malformed_row_with_line_and_column() {
        let err = parse("00:00.0 x\n00: 01 0g 03\n").unwrap_err();
        assert_eq!(
            err,
            DumpError::MalformedRow {
                line: 2,
                column: 8,
                found: "0g".into()
            }
        );
        for bad in ["00: 1 02", "00: 012", "00:  01,02", "00: 01 02 X"] {
            let err = parse(&format!("00:00.0 x\n{bad}\n")).unwrap_err();
            assert!(
                matches!(err, DumpError::MalformedRow { line: 2, .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bytes_past_0xfff_are_row_out_of_range() {
        let err = parse("00:00.0 x\nff0: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10\n")
            .unwrap_err();
        assert_eq!(
            err,
            DumpError::RowOutOfRange {
                line: 2,
                offset: 0x1000
            }
        );
        let err = parse("00:00.0 x\n\nff:00.0 y\nffffffff: 00\n").unwrap_err();
        assert_eq!(
            err,
            DumpError::RowOutOfRange {
                line: 4,
                offset: 0xffff_ffff
            }
        );
        // No bytes, nothing stored: pciutils accepts this too.
        assert!(parse("00:00.0 x\n1000:\n").is_ok());
    }

    #[test]
    fn a_byte_given_twice_is_duplicate_row_naming_both_lines() {
        let err = parse("00:00.0 x\n00: 01\n10: 02\n00: 03\n").unwrap_err();
        assert_eq!(
            err,
            DumpError::DuplicateRow {
                line: 4,
                address: addr(0, 0, 0),
                offset: 0,
                first_line: 2
            }
        );
        // Overlap of an unaligned row with an earlier one is caught byte by byte.
        let err = parse("00:00.0 x\n00: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n0c: 00\n")
            .unwrap_err();
        assert!(matches!(
            err,
            DumpError::DuplicateRow {
                line: 3,
                offset: 0x0c,
                first_line: 2,
                ..
            }
        ));
        // The same bytes in another function are not duplicates.
        assert!(parse("00:00.0 x\n00: 01\n\n00:00.1 y\n00: 01\n").is_ok());
    }

    #[test]
    fn a_row_before_any_header_is_an_error_but_other_text_is_ignored() {
        assert_eq!(
            parse("00: 01 02\n00:00.0 x\n"),
            Err(DumpError::RowBeforeHeader { line: 1 })
        );
        // Text that only looks like a row's start is skipped, as pciutils skips it.
        let functions = parse("Bad: device\nab: not hex\n00:00.0 x\n00: 01\n").unwrap();
        assert_eq!(functions.len(), 1);
        assert!(functions[0].detail.is_empty());
    }

    #[test]
    fn a_row_after_the_blank_line_is_an_error_naming_the_function() {
        let err = parse("00:00.0 x\n00: 01\n\n10: 02\n").unwrap_err();
        assert_eq!(
            err,
            DumpError::RowAfterBlankLine {
                line: 4,
                blank_line: 3,
                address: addr(0, 0, 0)
            }
        );
        assert!(err.to_string().contains("00:00.0"));
    }

    #[test]
    fn header_with_out_of_range_address_is_bad_address() {
        for (header, source) in [
            ("00:20.0 x", AddressError::DeviceOutOfRange(0x20)),
            ("00:00.8 x", AddressError::FunctionOutOfRange(8)),
            ("00:00.a x", AddressError::FunctionOutOfRange(0xa)),
            ("10000:00:00.0 x", AddressError::DomainOutOfRange(0x10000)),
        ] {
            let err = parse(&format!("junk\n{header}\n")).unwrap_err();
            assert_eq!(err, DumpError::BadAddress { line: 2, source }, "{header}");
        }
    }

    #[test]
    fn an_absurdly_long_line_is_line_too_long() {
        let text = format!("00:00.0 x\n\t{}\n", "v".repeat(MAX_LINE_LEN));
        assert_eq!(
            parse(&text),
            Err(DumpError::LineTooLong {
                line: 2,
                len: MAX_LINE_LEN + 1
            })
        );
        let fits = format!("00:00.0 {}\n", "v".repeat(MAX_LINE_LEN - 8));
        assert!(parse(&fits).is_ok());
    }

    #[test]
    fn more_than_a_segment_of_functions_is_too_many() {
        let text = "00:00.0 x\n".repeat(MAX_FUNCTIONS);
        assert_eq!(parse(&text).map(|f| f.len()), Ok(MAX_FUNCTIONS));
        let over = format!("{text}00:00.0 x\n");
        assert_eq!(
            parse(&over).map(|f| f.len()),
            Err(DumpError::TooManyFunctions {
                line: MAX_FUNCTIONS + 1
            })
        );
    }

    #[test]
    fn byte_order_mark_and_missing_final_newline_are_accepted() {
        let text = small("00:00.0 x");
        let odd = format!("\u{feff}{}", text.trim_end_matches('\n'));
        assert_eq!(write(&parse(&odd).unwrap()), text);
    }

    #[test]
    fn same_address_twice_gives_two_functions_in_order() {
        let functions = parse("00:00.0 a\n00: 01\n\n00:00.0 b\n00: 02\n").unwrap();
        assert_eq!(
            functions
                .iter()
                .map(|f| f.title.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn errors_report_their_line() {
        assert_eq!(parse("00:00.0 x\n00: zz\n").unwrap_err().line(), 2);
        assert_eq!(parse("\n\n00: 01\n").unwrap_err().line(), 3);
    }

    #[test]
    fn equality_ignores_whether_the_buffer_was_allocated() {
        let a = addr(0, 0, 0);
        let mut touched = DumpFunction::new(a, "", &[0xff; 16]);
        touched.present = [0; 4];
        assert_eq!(touched, DumpFunction::new(a, "", &[]));
    }
}
