//! Fuzz target `host_image`: see `vpcie_security::fuzz::host_image` for the input format
//! and what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vpcie_security::fuzz::host_image(data));
