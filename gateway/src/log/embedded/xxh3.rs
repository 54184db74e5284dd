//! XXH3, 64 bits, seed 0: the checksum fjall writes at the end of each journal batch, computed
//! here so that a checksum that fails can be located ([`super::journal::bad_checksum`]). fjall
//! reports a failing batch without saying where it is, and the crate it hashes with is not one
//! of the gateway's dependencies; the algorithm is short, and written out here from its
//! specification (the xxHash project's `doc/xxhash_spec.md`) with the default secret.
//!
//! Used only to name where fjall's own check failed: were this ever to disagree with fjall, the
//! refusal would fall back to fjall's words, never refuse a journal fjall accepts.

/// The default secret (`kSecret`) of the specification.
const SECRET: [u8; 192] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
];

const P32_1: u64 = 0x9E37_79B1;
const P32_2: u64 = 0x85EB_CA77;
const P32_3: u64 = 0xC2B2_AE3D;
const P64_1: u64 = 0x9E37_79B1_85EB_CA87;
const P64_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P64_3: u64 = 0x1656_67B1_9E37_79F9;
const P64_4: u64 = 0x85EB_CA77_C2B2_AE63;
const P64_5: u64 = 0x27D4_EB2F_1656_67C5;

/// Bytes per stripe of the long loop, and accumulators.
const STRIPE: usize = 64;
const LANES: usize = 8;

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(a)
}

/// The 128-bit product of `a` and `b`, its halves xored.
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

fn xxh64_avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(P64_2);
    h ^= h >> 29;
    h = h.wrapping_mul(P64_3);
    h ^ (h >> 32)
}

fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 37;
    h = h.wrapping_mul(0x1656_6791_9E37_79F9);
    h ^ (h >> 32)
}

fn mix16(input: &[u8], i: usize, s: usize) -> u64 {
    fold(
        u64_at(input, i) ^ u64_at(&SECRET, s),
        u64_at(input, i + 8) ^ u64_at(&SECRET, s + 8),
    )
}

/// XXH3's 64-bit hash of `input` with seed 0 and the default secret.
pub fn xxh3_64(input: &[u8]) -> u64 {
    let len = input.len();
    let n = len as u64;
    match len {
        0 => xxh64_avalanche(u64_at(&SECRET, 56) ^ u64_at(&SECRET, 64)),
        1..=3 => {
            let combo = (u32::from(input[0]) << 16)
                | (u32::from(input[len >> 1]) << 24)
                | u32::from(input[len - 1])
                | ((len as u32) << 8);
            let flip = u64::from(u32_at(&SECRET, 0) ^ u32_at(&SECRET, 4));
            xxh64_avalanche(u64::from(combo) ^ flip)
        }
        4..=8 => {
            let low = u64::from(u32_at(input, len - 4));
            let high = u64::from(u32_at(input, 0));
            let flip = u64_at(&SECRET, 8) ^ u64_at(&SECRET, 16);
            let mut h = (low.wrapping_add(high << 32)) ^ flip;
            h ^= h.rotate_left(49) ^ h.rotate_left(24);
            h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
            h ^= (h >> 35).wrapping_add(n);
            h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
            h ^ (h >> 28)
        }
        9..=16 => {
            let low = u64_at(input, 0) ^ (u64_at(&SECRET, 24) ^ u64_at(&SECRET, 32));
            let high = u64_at(input, len - 8) ^ (u64_at(&SECRET, 40) ^ u64_at(&SECRET, 48));
            avalanche(
                n.wrapping_add(low.swap_bytes())
                    .wrapping_add(high)
                    .wrapping_add(fold(low, high)),
            )
        }
        17..=128 => {
            let mut acc = n.wrapping_mul(P64_1);
            // Pairs from both ends inwards, as far as the length reaches.
            let pairs = (len - 1) / 32 + 1;
            for k in (0..pairs).rev() {
                acc = acc
                    .wrapping_add(mix16(input, 16 * k, 32 * k))
                    .wrapping_add(mix16(input, len - 16 * (k + 1), 32 * k + 16));
            }
            avalanche(acc)
        }
        129..=240 => {
            let mut acc = n.wrapping_mul(P64_1);
            for k in 0..8 {
                acc = acc.wrapping_add(mix16(input, 16 * k, 16 * k));
            }
            acc = avalanche(acc);
            for k in 8..len / 16 {
                acc = acc.wrapping_add(mix16(input, 16 * k, 16 * (k - 8) + 3));
            }
            acc = acc.wrapping_add(mix16(input, len - 16, 136 - 17));
            avalanche(acc)
        }
        _ => long(input),
    }
}

/// Inputs of more than 240 bytes: stripes of 64 bytes into eight accumulators, scrambled after
/// each block of 16 stripes.
fn long(input: &[u8]) -> u64 {
    let len = input.len();
    let mut acc = [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1];
    let per_block = (SECRET.len() - STRIPE) / 8;
    let block = STRIPE * per_block;
    let blocks = (len - 1) / block;
    let stripe = |acc: &mut [u64; LANES], at: usize, s: usize| {
        for lane in 0..LANES {
            let data = u64_at(input, at + 8 * lane);
            let key = data ^ u64_at(&SECRET, s + 8 * lane);
            acc[lane ^ 1] = acc[lane ^ 1].wrapping_add(data);
            acc[lane] = acc[lane].wrapping_add((key & 0xFFFF_FFFF).wrapping_mul(key >> 32));
        }
    };
    for b in 0..blocks {
        for k in 0..per_block {
            stripe(&mut acc, b * block + k * STRIPE, k * 8);
        }
        for (lane, a) in acc.iter_mut().enumerate() {
            let key = u64_at(&SECRET, SECRET.len() - STRIPE + 8 * lane);
            *a = ((*a ^ (*a >> 47)) ^ key).wrapping_mul(P32_1);
        }
    }
    let last = ((len - 1) - block * blocks) / STRIPE;
    for k in 0..last {
        stripe(&mut acc, blocks * block + k * STRIPE, k * 8);
    }
    stripe(&mut acc, len - STRIPE, SECRET.len() - STRIPE - 7);
    let mut h = (len as u64).wrapping_mul(P64_1);
    for k in 0..4 {
        h = h.wrapping_add(fold(
            acc[2 * k] ^ u64_at(&SECRET, 11 + 16 * k),
            acc[2 * k + 1] ^ u64_at(&SECRET, 11 + 16 * k + 8),
        ));
    }
    avalanche(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty input's value, as the specification's reference implementation gives it. The
    /// lengths a journal batch has (17 bytes and more) are checked against journals fjall wrote
    /// (`journal::tests`).
    #[test]
    fn the_empty_input_hashes_as_the_reference_does() {
        assert_eq!(xxh3_64(b""), 0x2D06_8005_38D3_94C2);
    }
}
