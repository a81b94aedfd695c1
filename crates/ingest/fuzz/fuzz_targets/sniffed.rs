//! Fuzzes format choice by sniffing, then the chosen reader: see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::sniffed(data));
