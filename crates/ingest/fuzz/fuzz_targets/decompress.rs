//! Fuzzes decompression (gzip, zstd, zip in memory): see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::decompress(data));
