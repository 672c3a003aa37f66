//! Fuzz target `platform`: see `vpcie_security::fuzz::platform` for the input format
//! and what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vpcie_security::fuzz::platform(data));
