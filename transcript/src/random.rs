//! Python's `random.Random`, bit for bit: the MT19937 generator seeded the way CPython seeds
//! it from an integer, and the few methods the generator uses (`getrandbits`, `randint`,
//! `choice`, `random`). Matching CPython keeps a seed's transcript identical to the one the
//! original Python script (`gen_transcript.py`) wrote.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A Mersenne Twister with CPython's seeding and sampling rules.
#[derive(Clone)]
pub(crate) struct PyRandom {
    mt: [u32; N],
    index: usize,
}

impl PyRandom {
    /// `random.Random(seed)` for a non-negative integer seed (CPython seeds with `abs(seed)`
    /// split into 32-bit words, least significant first).
    pub(crate) fn new(seed: u64) -> Self {
        let mut key = vec![seed as u32];
        if seed >> 32 != 0 {
            key.push((seed >> 32) as u32);
        }
        let mut r = PyRandom {
            mt: [0; N],
            index: N,
        };
        r.init_by_array(&key);
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let prev = self.mt[i - 1];
            self.mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let mt = &mut self.mt;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
    }

    fn twist(&mut self) {
        let mt = &mut self.mt;
        for kk in 0..N {
            let y = (mt[kk] & UPPER_MASK) | (mt[(kk + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            mt[kk] = mt[(kk + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// The next tempered 32-bit output (CPython's `genrand_uint32`).
    pub(crate) fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for `0 < k <= 128`: 32-bit words filled least significant first, the
    /// last one shifted down to the bits that remain.
    pub(crate) fn getrandbits(&mut self, k: u32) -> u128 {
        debug_assert!(k > 0 && k <= 128);
        let mut out = 0u128;
        let mut left = k;
        let mut shift = 0;
        while left > 0 {
            let mut r = self.next_u32();
            if left < 32 {
                r >>= 32 - left;
            }
            out |= u128::from(r) << shift;
            shift += 32;
            left = left.saturating_sub(32);
        }
        out
    }

    /// `_randbelow(n)` for `n > 0`: rejection sampling over `n.bit_length()` bits.
    fn randbelow(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k) as u64;
            if r < n {
                return r;
            }
        }
    }

    /// `randint(a, b)`: uniform in `a..=b`.
    pub(crate) fn randint(&mut self, a: u64, b: u64) -> u64 {
        a + self.randbelow(b - a + 1)
    }

    /// `choice(seq)` for a non-empty slice.
    pub(crate) fn choice<T: Copy>(&mut self, seq: &[T]) -> T {
        seq[self.randbelow(seq.len() as u64) as usize]
    }

    /// `random()`: a float in `[0, 1)` with 53 random bits.
    pub(crate) fn random(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PyRandom;

    // Values printed by CPython 3.11: `r = random.Random(1); [r.getrandbits(32) for _ in range(3)]`,
    // `random.Random(7).random()`, and the lines below.
    #[test]
    fn matches_cpython() {
        let mut r = PyRandom::new(1);
        let got: Vec<u128> = (0..3).map(|_| r.getrandbits(32)).collect();
        assert_eq!(got, PY_SEED1_U32);
        let mut r = PyRandom::new(7);
        assert_eq!(r.random().to_bits(), PY_SEED7_RANDOM.to_bits());
        // `r = random.Random(2**40 + 5); r.getrandbits(96), r.randint(10, 80), r.choice(range(16))`
        let mut r = PyRandom::new((1 << 40) + 5);
        assert_eq!(r.getrandbits(96), 21_281_036_005_899_453_366_137_721_124);
        assert_eq!(r.randint(10, 80), 13);
        assert_eq!(r.choice(&(0..16).collect::<Vec<u32>>()), 1);
    }

    const PY_SEED1_U32: [u128; 3] = [577_090_037, 2_444_712_010, 3_639_700_191];
    const PY_SEED7_RANDOM: f64 = 0.323_832_764_833_162_37;
}
