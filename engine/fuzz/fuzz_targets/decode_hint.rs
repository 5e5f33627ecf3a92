//! Arbitrary bytes as a hint file: never a panic, and a decoded hint
//! re-encodes to the same bytes. The checks live in `mini_kvstore::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mini_kvstore::fuzzing::decode_hint(data);
});
