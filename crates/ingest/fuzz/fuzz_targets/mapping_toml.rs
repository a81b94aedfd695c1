//! Fuzzes SIEM mapping files (TOML): see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::mapping(data));
