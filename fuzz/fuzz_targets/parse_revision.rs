//! `parse_revision` on arbitrary bytes: see `aludel_fuzz::parse_revision`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| aludel_fuzz::parse_revision(data));
