//! Operating-system randomness for ids, tokens and keys.

/// Fills `buf` from the OS. Without randomness no id or key is safe to hand out, so failure is fatal.
pub fn fill(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // The OS random source failing is unrecoverable for a security gateway.
        panic!("operating system random source failed: {e}");
    }
}

/// `n` random bytes as lowercase hex.
pub fn hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    fill(&mut b);
    crate::hex::encode(&b)
}
