//! Fuzzes the line chunker and the candidate prefilter: see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::chunks(data));
