//! Fuzzes the `panos` reader: see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::format("panos", data));
