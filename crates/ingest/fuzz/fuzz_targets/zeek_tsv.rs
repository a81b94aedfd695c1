//! Fuzzes the `zeek-tsv` reader: see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::format("zeek-tsv", data));
