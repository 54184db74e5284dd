//! The bytes a JSON string cannot hold as they are, found eight at a time.
//!
//! A quote ends a JSON string, a backslash starts an escape, and a control character (below
//! 0x20) must be escaped. The adapters' scanner of local forms looks for them to find where a
//! plain text ends; the gateway's canonical JSON writer looks for them to know what to escape.
//! Both go over every byte of every form, so both test a word of eight bytes at once.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Where the first quote, backslash or control character of `word` is, if any.
///
/// The "has zero byte" and "has byte less than" tricks: a byte is flagged only when it is one of
/// those, or when a lower byte already was (a borrow from it). So with nothing to find nothing is
/// flagged, and the lowest flagged byte is always a true one.
pub fn first_to_escape(word: [u8; 8]) -> Option<usize> {
    let w = u64::from_le_bytes(word);
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let flagged = ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (w.wrapping_sub(ONES * 0x20) & !w))
        & HIGH;
    (flagged != 0).then(|| flagged.trailing_zeros() as usize / 8)
}

/// Whether `word` holds the byte `byte`: the "has zero byte" test on the word XORed with it.
pub fn has_byte(word: [u8; 8], byte: u8) -> bool {
    let w = u64::from_le_bytes(word) ^ (ONES * u64::from(byte));
    w.wrapping_sub(ONES) & !w & HIGH != 0
}

/// Whether `word` holds a control character (a byte below 0x20): the same "has byte less than"
/// test, alone.
pub fn has_control(word: [u8; 8]) -> bool {
    let w = u64::from_le_bytes(word);
    w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_byte(word: [u8; 8]) -> Option<usize> {
        word.iter()
            .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    }

    #[test]
    fn finds_the_first_byte_to_escape_as_a_byte_by_byte_search_does() {
        for fill in [b'a', 0x20, 0x7f, 0x80, 0xe6, 0xff, b'"' + 1, b'\\' + 1] {
            for place in 0..8 {
                for b in 0..=255u8 {
                    let mut word = [fill; 8];
                    word[place] = b;
                    assert_eq!(first_to_escape(word), by_byte(word), "{word:?}");
                }
            }
        }
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let word = rng.next_u64().to_le_bytes();
            assert_eq!(first_to_escape(word), by_byte(word), "{word:?}");
        }
    }
}
