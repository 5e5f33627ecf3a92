//! Arbitrary bytes as a record: never a panic, and a decoded record encodes
//! back to the same bytes. The checks live in `mini_kvstore::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mini_kvstore::fuzzing::decode_record(data);
});
