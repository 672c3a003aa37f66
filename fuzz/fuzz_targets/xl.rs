//! Fuzz target `xl`: see `vpcie_security::fuzz::xl` for the input format
//! and what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vpcie_security::fuzz::xl(data));
