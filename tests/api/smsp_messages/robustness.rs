//! The parsers never panic: truncated, mangled and random input.

use super::support::*;
use smsp_bridge::smsp::parse;

/// A small deterministic generator (no proptest): xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    assert!(v.len() >= 16, "fixtures missing");
    v
}

#[test]
fn never_panics_on_truncated_or_mangled_input() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (name, bytes) in all_fixtures() {
        // Every truncated prefix: each must return Ok or Err — reaching the end is the assertion.
        for end in 0..bytes.len() {
            let _ = parse::reply(&bytes[..end]);
            let _ = parse::request(&bytes[..end]);
        }
        // Random byte substitutions with XML-significant and arbitrary bytes.
        let specials = b"<>&;\"'/=:!?[]-\x00\xff\xc3";
        for _ in 0..300 {
            let mut m = bytes.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % m.len();
                m[at] = if rng.next() % 2 == 0 {
                    specials[(rng.next() as usize) % specials.len()]
                } else {
                    rng.next() as u8
                };
            }
            let _ = parse::reply(&m);
            let _ = parse::request(&m);
        }
        let _ = name;
    }
    // Pure garbage.
    for _ in 0..2000 {
        let len = (rng.next() % 256) as usize;
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse::reply(&junk);
        let _ = parse::request(&junk);
    }
}
