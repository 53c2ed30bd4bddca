//! The bytes as a small set of revision files, loaded, validated and planned: see
//! `aludel_fuzz::graph_build`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| aludel_fuzz::graph_build(data));
