//! Fuzzes the hunt configuration (TOML): see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::config(data));
