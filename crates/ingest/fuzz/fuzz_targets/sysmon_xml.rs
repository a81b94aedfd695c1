//! Fuzzes the `sysmon-xml` reader: see `driver.rs`.
#![no_main]

mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::format("sysmon-xml", data));
