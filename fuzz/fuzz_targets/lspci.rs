//! Fuzz target `lspci`: see `vpcie_security::fuzz::lspci` for the input format
//! and what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vpcie_security::fuzz::lspci(data));
