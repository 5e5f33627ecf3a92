//! Arbitrary directory contents: open never panics, and what it opens is
//! consistent. The checks live in `mini_kvstore::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mini_kvstore::fuzzing::open_directory(data);
});
