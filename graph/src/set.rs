//! A dense bit set over revision indices: set algebra on 20,000 revisions costs a few hundred
//! machine words.

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Set {
    words: Vec<u64>,
}

impl Set {
    pub(crate) fn new(len: usize) -> Self {
        Set {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// Inserts `i`; returns true when it was not present.
    pub(crate) fn insert(&mut self, i: u32) -> bool {
        let (w, b) = (i as usize / 64, i % 64);
        let was = self.words[w] & (1 << b) != 0;
        self.words[w] |= 1 << b;
        !was
    }

    pub(crate) fn remove(&mut self, i: u32) {
        self.words[i as usize / 64] &= !(1 << (i % 64));
    }

    pub(crate) fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub(crate) fn union_with(&mut self, other: &Set) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub(crate) fn intersect_with(&mut self, other: &Set) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub(crate) fn difference_with(&mut self, other: &Set) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// The members in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros();
                word &= word - 1;
                Some(u32::try_from(w * 64).unwrap_or(u32::MAX) + bit)
            })
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Set;

    #[test]
    fn set_algebra() {
        let mut a = Set::new(130);
        assert!(a.insert(1));
        assert!(!a.insert(1));
        a.insert(64);
        a.insert(129);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![1, 64, 129]);
        let mut b = Set::new(130);
        b.insert(64);
        let mut c = a.clone();
        c.difference_with(&b);
        assert_eq!(c.iter().collect::<Vec<_>>(), vec![1, 129]);
        c.intersect_with(&a);
        assert_eq!(c.len(), 2);
        c.union_with(&b);
        assert_eq!(c, a);
        a.remove(1);
        assert!(!a.contains(1) && a.contains(64) && !a.contains(500));
        assert!(Set::new(0).is_empty());
    }
}
