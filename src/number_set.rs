//! A set of short numbers in little memory whatever they are: each run of 65,536
//! numbers keeps those it holds as a sorted list while they are few, and as one bit a
//! number once they are many (as Roaring bitmaps do). Numbers given one after another
//! cost an eighth of a byte each, so an import can know every number a store of a
//! million records holds.

use foldhash::HashMap;

/// Numbers held in a run as a list, at most; past that, a bit each takes less room.
const LISTED: usize = 4096;
const WORDS: usize = 1024;

#[derive(Debug, Default, Clone)]
pub struct NumberSet {
    runs: HashMap<u64, Run>,
}

#[derive(Debug, Clone)]
enum Run {
    Listed(Vec<u16>),
    Bits(Box<[u64; WORDS]>),
}

impl NumberSet {
    pub fn contains(&self, num: u64) -> bool {
        let low = num as u16;
        match self.runs.get(&(num >> 16)) {
            None => false,
            Some(Run::Listed(list)) => list.binary_search(&low).is_ok(),
            Some(Run::Bits(bits)) => bits[usize::from(low) / 64] & 1 << (low % 64) != 0,
        }
    }

    /// Adds `num`; whether it was not there.
    pub fn insert(&mut self, num: u64) -> bool {
        let low = num as u16;
        let run = self
            .runs
            .entry(num >> 16)
            .or_insert_with(|| Run::Listed(Vec::new()));
        match run {
            Run::Listed(list) => {
                let Err(at) = list.binary_search(&low) else {
                    return false;
                };
                if list.len() < LISTED {
                    list.insert(at, low);
                    return true;
                }
                let mut bits = Box::new([0u64; WORDS]);
                for &held in list.iter().chain([&low]) {
                    bits[usize::from(held) / 64] |= 1 << (held % 64);
                }
                *run = Run::Bits(bits);
                true
            }
            Run::Bits(bits) => {
                let (word, bit) = (usize::from(low) / 64, 1 << (low % 64));
                let new = bits[word] & bit == 0;
                bits[word] |= bit;
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn holds_what_was_inserted_as_a_hash_set_does(
            nums in proptest::collection::vec(
                prop_oneof![0u64..10_000, 60_000u64..70_000, any::<u64>()],
                0..2_000,
            ),
            probes in proptest::collection::vec(0u64..80_000, 0..200),
        ) {
            let (mut set, mut expected) = (NumberSet::default(), std::collections::HashSet::new());
            for &num in &nums {
                prop_assert_eq!(set.insert(num), expected.insert(num));
            }
            for num in nums.iter().chain(&probes) {
                prop_assert_eq!(set.contains(*num), expected.contains(num), "{}", num);
            }
        }
    }

    #[test]
    fn a_run_turns_to_bits_once_it_holds_many() {
        let mut set = NumberSet::default();
        for num in (0..10_000).map(|n| n * 3) {
            assert!(set.insert(num), "{num}");
        }
        assert!(matches!(set.runs[&0], Run::Bits(_)));
        for num in 0..40_000 {
            assert_eq!(set.contains(num), num % 3 == 0 && num < 30_000, "{num}");
        }
        assert!(!set.insert(3) && set.insert(65_536));
    }
}
