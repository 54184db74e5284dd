//! A region's feed window: which of [`WINDOW`] consecutive log positions concern the region.
//!
//! Stored as a bitmap, one bit per position: a tag byte then `WINDOW / 8` bytes, bit `i % 8` of byte
//! `i / 8` for position `window × WINDOW + i`. Every projection batch rewrites the window of each
//! region it touches, and fjall's journal takes each rewrite whole, so the window's size is paid on
//! every batch. Until round 14 a window was the list of its positions, 8 bytes each (up to 2 KiB,
//! about 450 bytes on average in the bench's workload); the bitmap is 33 bytes however full.
//!
//! Windows written as lists are still read (a list is a multiple of 8 bytes long, the bitmap is
//! not), and become bitmaps when next rewritten, so an existing store needs no rebuild.

/// Log positions per window.
pub const WINDOW: u64 = 256;

/// The first byte of a bitmap window.
const TAG: u8 = 0xB1;

const BITMAP_BYTES: usize = WINDOW as usize / 8;

/// Why a stored window could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub len: usize,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes is neither a window bitmap ({} bytes) nor a list of positions",
            self.len,
            BITMAP_BYTES + 1
        )
    }
}

/// The positions a stored window holds, ascending. `window` is the window's number (its key).
pub fn decode(window: u64, bytes: &[u8]) -> Result<Vec<u64>, Unreadable> {
    let unreadable = Unreadable { len: bytes.len() };
    match bytes.split_first() {
        Some((&TAG, bits)) if bits.len() == BITMAP_BYTES => {
            let base = window * WINDOW;
            let mut out = Vec::new();
            for (i, byte) in bits.iter().enumerate() {
                let mut rest = *byte;
                while rest != 0 {
                    let bit = rest.trailing_zeros();
                    out.push(base + (i as u64) * 8 + u64::from(bit));
                    rest &= rest - 1;
                }
            }
            Ok(out)
        }
        _ if bytes.len().is_multiple_of(8) => Ok(bytes
            .chunks_exact(8)
            .filter_map(|c| <[u8; 8]>::try_from(c).ok())
            .map(u64::from_be_bytes)
            .collect()),
        _ => Err(unreadable),
    }
}

/// The bitmap of `window` holding `positions` (each in that window; others are left out).
pub fn encode(window: u64, positions: impl IntoIterator<Item = u64>) -> Vec<u8> {
    let mut out = vec![0u8; BITMAP_BYTES + 1];
    out[0] = TAG;
    for p in positions {
        if p / WINDOW == window {
            let i = (p % WINDOW) as usize;
            out[1 + i / 8] |= 1 << (i % 8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_reads_back_the_positions_it_was_given() {
        let window = 7;
        let base = window * WINDOW;
        let positions = vec![base, base + 1, base + 9, base + 128, base + WINDOW - 1];
        let bytes = encode(window, positions.iter().copied());
        assert_eq!(bytes.len(), 33);
        assert_eq!(decode(window, &bytes), Ok(positions.clone()));
        // Every position of a full window, and none of an empty one.
        let full: Vec<u64> = (base..base + WINDOW).collect();
        assert_eq!(decode(window, &encode(window, full.clone())), Ok(full));
        assert_eq!(decode(window, &encode(window, [])), Ok(vec![]));
        // Positions of other windows do not slip in.
        assert_eq!(
            decode(window, &encode(window, [base - 1, base + 3, base + WINDOW])),
            Ok(vec![base + 3])
        );
    }

    #[test]
    fn a_window_written_as_a_list_of_positions_is_still_read() {
        let list: Vec<u8> = [513u64, 700, 767]
            .iter()
            .flat_map(|p| p.to_be_bytes())
            .collect();
        assert_eq!(decode(2, &list), Ok(vec![513, 700, 767]));
        assert_eq!(decode(2, &[]), Ok(vec![]));
    }

    #[test]
    fn bytes_of_neither_form_are_refused() {
        assert_eq!(decode(0, &[1, 2, 3]), Err(Unreadable { len: 3 }));
        // The right length with the wrong first byte, and the tag with a short bitmap.
        let mut wrong = encode(0, [1]);
        wrong[0] = 0;
        assert_eq!(decode(0, &wrong), Err(Unreadable { len: 33 }));
        assert_eq!(decode(0, &[TAG; 9]), Err(Unreadable { len: 9 }));
    }
}
