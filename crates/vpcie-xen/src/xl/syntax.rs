//! The lexical and grammatical layer of xl.cfg(5), as libxlutil 4.17 reads it.
//!
//! ```text
//! file    := { stmt }
//! stmt    := NEWLINE | ';' | IDENT ('=' | '+=') value (NEWLINE | ';' | end of file)
//! value   := STRING | NUMBER | '[' { NEWLINE } [ item { ',' { NEWLINE } item } [ ',' { NEWLINE } ] ] ']'
//! item    := value { NEWLINE }
//! IDENT   := [a-z][a-z0-9_.]*          NUMBER := [0-9][0-9a-fx]*  (its value is checked when used)
//! STRING  := "..." | '...'  (one line; escapes \a \b \f \n \r \t \v \\ \' \")
//! comment := '#' to the end of the line
//! ```
//!
//! These rules were checked against libxlutil 4.17 itself (the harness's
//! dom0 image has it): upper-case names, `\r`, `64M` unquoted and `0x1F`
//! are lexical errors there too. xl's numeric escapes (`\x41`, `\101`)
//! are broken in 4.17 (the first is refused, the second yields an empty
//! string), so vpcie refuses both and asks for the character itself.
//!
//! Everything is bounded: the input size, the nesting depth of lists and
//! the number of settings, so hostile files cost linear time and no stack.

use super::{ConfigError, ErrorKind, Pos};

/// Largest config file accepted, in bytes (xl's own files are a few KiB).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Deepest list nesting accepted (xl uses two levels, for `vnuma`).
pub const MAX_DEPTH: usize = 8;

/// One value as written: an atom (string or number) or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A quoted string or a bare number, as text (xl keeps both as strings).
    Atom {
        /// The text after unquoting.
        text: String,
        /// Whether it was written in quotes.
        quoted: bool,
        /// Where it starts.
        pos: Pos,
    },
    /// `[ a, b, ... ]`.
    List {
        /// The elements, in order.
        items: Vec<Value>,
        /// Where the `[` is.
        pos: Pos,
    },
}

impl Value {
    /// Where the value starts in the file.
    pub fn pos(&self) -> Pos {
        match self {
            Value::Atom { pos, .. } | Value::List { pos, .. } => *pos,
        }
    }

    /// A short description for messages: `string "abc"`, `number 12`, `a list`.
    pub fn describe(&self) -> String {
        match self {
            Value::Atom {
                text, quoted: true, ..
            } => format!("string {text:?}"),
            Value::Atom {
                text,
                quoted: false,
                ..
            } => format!("number {text}"),
            Value::List { .. } => "a list".to_string(),
        }
    }
}

/// How a setting combines with an earlier one of the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `key = value`: replaces.
    Assign,
    /// `key += value`: appends to the earlier list or string.
    Append,
}

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// `=` or `+=`.
    pub op: Op,
    /// The value.
    pub value: Value,
    /// Where the key starts.
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Number(String),
    Str(String),
    LBracket,
    RBracket,
    Comma,
    Assign,
    Append,
    Semi,
    Newline,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("name `{s}`"),
            Tok::Number(s) => format!("number `{s}`"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Assign => "`=`".into(),
            Tok::Append => "`+=`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Newline => "end of line".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
}

impl<'a> Lexer<'a> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    fn peek2(&self) -> Option<u8> {
        self.src.get(self.i + 1).copied()
    }

    /// Advances one byte; columns count characters (UTF-8 continuation bytes do not).
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if c & 0xc0 != 0x80 {
            self.col += 1;
        }
        Some(c)
    }

    fn err(pos: Pos, kind: ErrorKind) -> ConfigError {
        ConfigError { pos, kind }
    }

    fn next(&mut self) -> Result<(Tok, Pos), ConfigError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => {
                    self.bump();
                }
                Some(b'#') => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let pos = self.pos();
        let Some(c) = self.peek() else {
            return Ok((Tok::Eof, pos));
        };
        let tok = match c {
            b'\n' => {
                self.bump();
                Tok::Newline
            }
            b'[' => {
                self.bump();
                Tok::LBracket
            }
            b']' => {
                self.bump();
                Tok::RBracket
            }
            b',' => {
                self.bump();
                Tok::Comma
            }
            b';' => {
                self.bump();
                Tok::Semi
            }
            b'=' => {
                self.bump();
                Tok::Assign
            }
            b'+' if self.peek2() == Some(b'=') => {
                self.bump();
                self.bump();
                Tok::Append
            }
            b'"' | b'\'' => Tok::Str(self.string(c, pos)?),
            b'a'..=b'z' => {
                let s = self.take_while(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.'
                });
                Tok::Ident(s)
            }
            b'0'..=b'9' => {
                let s = self
                    .take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c) || c == b'x');
                Tok::Number(s)
            }
            _ => {
                let found = self.char_at_cursor();
                let hint = if c == b'(' || c == b'{' {
                    "this looks like the old Python syntax; xl.cfg uses `key = value` and `[ ... ]` lists"
                } else if c.is_ascii_uppercase() || c == b'_' {
                    "xl names are lower case: a letter a-z, then a-z, 0-9, `_` or `.`; hex numbers are lower case too"
                } else if c == b'\r' {
                    "a carriage return: xl reads only Unix line ends; convert the file (dos2unix)"
                } else {
                    "a setting is `name = \"string\"`, `name = 123` or `name = [ ... ]`"
                };
                return Err(Self::err(pos, ErrorKind::UnexpectedChar { found, hint }));
            }
        };
        Ok((tok, pos))
    }

    fn char_at_cursor(&self) -> char {
        std::str::from_utf8(&self.src[self.i..])
            .ok()
            .and_then(|s| s.chars().next())
            .or_else(|| {
                // Not valid UTF-8 from here: show the byte.
                self.peek().map(char::from)
            })
            .unwrap_or('\u{fffd}')
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while matches!(self.peek(), Some(c) if f(c)) {
            self.bump();
        }
        String::from_utf8_lossy(&self.src[start..self.i]).into_owned()
    }

    fn string(&mut self, quote: u8, start: Pos) -> Result<String, ConfigError> {
        self.bump();
        let mut out: Vec<u8> = Vec::new();
        loop {
            let here = self.pos();
            match self.bump() {
                None | Some(b'\n') => {
                    return Err(Self::err(
                        start,
                        ErrorKind::UnterminatedString {
                            quote: quote as char,
                        },
                    ));
                }
                Some(c) if c == quote => break,
                Some(b'\\') => {
                    let e = self.peek();
                    let simple = match e {
                        Some(b'a') => Some(0x07),
                        Some(b'b') => Some(0x08),
                        Some(b'f') => Some(0x0c),
                        Some(b'n') => Some(b'\n'),
                        Some(b'r') => Some(b'\r'),
                        Some(b't') => Some(b'\t'),
                        Some(b'v') => Some(0x0b),
                        Some(b'\\') => Some(b'\\'),
                        Some(b'\'') => Some(b'\''),
                        Some(b'"') => Some(b'"'),
                        _ => None,
                    };
                    if let Some(b) = simple {
                        self.bump();
                        out.push(b);
                    } else {
                        return Err(Self::err(here, ErrorKind::BadEscape));
                    }
                }
                Some(c) => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| Self::err(start, ErrorKind::NotUtf8))
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    pos: Pos,
}

impl Parser<'_> {
    fn advance(&mut self) -> Result<(), ConfigError> {
        let (t, p) = self.lex.next()?;
        self.tok = t;
        self.pos = p;
        Ok(())
    }

    fn unexpected(&self, expected: &'static str) -> ConfigError {
        ConfigError {
            pos: self.pos,
            kind: ErrorKind::Unexpected {
                found: self.tok.describe(),
                expected,
            },
        }
    }

    fn skip_newlines(&mut self) -> Result<(), ConfigError> {
        while self.tok == Tok::Newline {
            self.advance()?;
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Value, ConfigError> {
        let pos = self.pos;
        match std::mem::replace(&mut self.tok, Tok::Eof) {
            Tok::Str(text) => {
                self.advance()?;
                Ok(Value::Atom {
                    text,
                    quoted: true,
                    pos,
                })
            }
            Tok::Number(text) => {
                self.advance()?;
                Ok(Value::Atom {
                    text,
                    quoted: false,
                    pos,
                })
            }
            Tok::LBracket => {
                if depth >= MAX_DEPTH {
                    return Err(ConfigError {
                        pos,
                        kind: ErrorKind::TooDeep { max: MAX_DEPTH },
                    });
                }
                self.advance()?;
                self.skip_newlines()?;
                let mut items = Vec::new();
                loop {
                    if self.tok == Tok::RBracket {
                        self.advance()?;
                        break;
                    }
                    if self.tok == Tok::Eof {
                        return Err(ConfigError {
                            pos,
                            kind: ErrorKind::UnclosedList,
                        });
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_newlines()?;
                    match self.tok {
                        Tok::Comma => {
                            self.advance()?;
                            self.skip_newlines()?;
                        }
                        Tok::RBracket => {}
                        Tok::Eof => {
                            return Err(ConfigError {
                                pos,
                                kind: ErrorKind::UnclosedList,
                            });
                        }
                        _ => {
                            return Err(self
                                .unexpected("`,` between list elements or `]` to close the list"));
                        }
                    }
                }
                Ok(Value::List { items, pos })
            }
            other => {
                self.tok = other;
                Err(self.unexpected("a value: \"string\", 'string', a number or [ list ]"))
            }
        }
    }
}

/// Parses the text of an xl config file into its settings, in file order.
pub fn parse_settings(src: &str) -> Result<Vec<Setting>, ConfigError> {
    if src.len() > MAX_FILE_BYTES {
        return Err(ConfigError {
            pos: Pos { line: 1, column: 1 },
            kind: ErrorKind::TooLarge {
                bytes: src.len(),
                max: MAX_FILE_BYTES,
            },
        });
    }
    let mut p = Parser {
        lex: Lexer {
            src: src.as_bytes(),
            i: 0,
            line: 1,
            col: 1,
        },
        tok: Tok::Eof,
        pos: Pos { line: 1, column: 1 },
    };
    p.advance()?;
    let mut out = Vec::new();
    loop {
        match std::mem::replace(&mut p.tok, Tok::Eof) {
            Tok::Eof => break,
            Tok::Newline | Tok::Semi => p.advance()?,
            Tok::Ident(key) => {
                let pos = p.pos;
                p.advance()?;
                let op = match p.tok {
                    Tok::Assign => Op::Assign,
                    Tok::Append => Op::Append,
                    _ => return Err(p.unexpected("`=` or `+=` after the setting's name")),
                };
                p.advance()?;
                let value = p.value(0)?;
                match p.tok {
                    Tok::Newline | Tok::Semi | Tok::Eof => {}
                    _ => return Err(p.unexpected("the end of the line (or `;`) after the value")),
                }
                out.push(Setting {
                    key,
                    op,
                    value,
                    pos,
                });
            }
            other => {
                p.tok = other;
                return Err(p.unexpected("a setting: `name = value`"));
            }
        }
    }
    Ok(out)
}
