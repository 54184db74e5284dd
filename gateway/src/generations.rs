//! A bounded map of what was used lately: two generations of at most a fixed number of entries.
//!
//! Entries are added to the young generation; when it is full the old one is dropped and the
//! young one becomes old, and an old entry used again moves back to the young one. So what was
//! used lately stays, memory does not grow with the number of keys (at most twice the
//! generation's size), and no clock or list is kept per entry. What it holds are hints checked
//! against the log before they are trusted: the states of applications acted on lately
//! ([`crate::service::states`]) and where each subject's last message is on a JetStream stream.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Generations<V> {
    size: usize,
    maps: Mutex<Maps<V>>,
}

struct Maps<V> {
    young: HashMap<String, V>,
    old: HashMap<String, V>,
}

impl<V: Clone> Generations<V> {
    /// At most `size` entries per generation.
    pub fn new(size: usize) -> Generations<V> {
        Generations {
            size,
            maps: Mutex::new(Maps {
                young: HashMap::new(),
                old: HashMap::new(),
            }),
        }
    }

    /// The value of `key` if `fits` accepts it. One accepted from the old generation moves back
    /// to the young one; one refused is left as it is.
    pub fn get(&self, key: &str, fits: impl Fn(&V) -> bool) -> Option<V> {
        let mut m = self.lock();
        if let Some(v) = m.young.get(key) {
            return fits(v).then(|| v.clone());
        }
        let v = m.old.get(key).filter(|v| fits(v))?.clone();
        if let Some((k, v)) = m.old.remove_entry(key) {
            m.insert(self.size, k, v);
        }
        Some(v)
    }

    /// Sets `key` to `value`.
    pub fn put(&self, key: &str, value: V) {
        let mut m = self.lock();
        match m.young.get_mut(key) {
            Some(v) => *v = value,
            None => {
                m.old.remove(key);
                m.insert(self.size, key.to_string(), value);
            }
        }
    }

    /// Whether `key` has a value `fits` accepts; nothing is moved or copied.
    pub fn holds(&self, key: &str, fits: impl Fn(&V) -> bool) -> bool {
        let m = self.lock();
        m.young
            .get(key)
            .or_else(|| m.old.get(key))
            .is_some_and(fits)
    }

    /// Changes the value of `key`, if it has one, in place (in whichever generation it is: a
    /// change is not a use).
    pub fn update(&self, key: &str, change: impl FnOnce(&mut V)) {
        let mut m = self.lock();
        let Maps { young, old } = &mut *m;
        if let Some(v) = young.get_mut(key).or_else(|| old.get_mut(key)) {
            change(v);
        }
    }

    /// Drops every entry.
    #[cfg(test)]
    pub fn clear(&self) {
        let mut m = self.lock();
        m.young.clear();
        m.old.clear();
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        let m = self.lock();
        m.young.len() + m.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps<V>> {
        // A panic elsewhere while holding it leaves nothing half-done: every change is one
        // map operation.
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<V> Maps<V> {
    fn insert(&mut self, size: usize, key: String, value: V) {
        if self.young.len() >= size && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_given_only_when_it_fits() {
        let g = Generations::new(4);
        g.put("a", 3);
        assert_eq!(g.get("a", |v| *v == 3), Some(3));
        assert_eq!(g.get("a", |v| *v == 4), None);
        assert!(g.get("b", |_| true).is_none());
        g.put("a", 4);
        assert_eq!(g.get("a", |_| true), Some(4));
        assert_eq!(g.len(), 1);
        assert!(!g.is_empty());
    }

    #[test]
    fn memory_is_bounded_and_what_is_used_again_stays() {
        const SIZE: usize = 64;
        let g = Generations::new(SIZE);
        let key = |i: usize| format!("k{i}");
        for i in 0..SIZE {
            g.put(&key(i), i);
        }
        // The first one is used again while the next generation fills: it moves along.
        for i in SIZE..3 * SIZE {
            g.put(&key(i), i);
            if i % 10 == 0 {
                assert_eq!(g.get(&key(0), |_| true), Some(0), "lost at {i}");
            }
            assert!(g.len() <= 2 * SIZE);
        }
        assert_eq!(g.get(&key(0), |_| true), Some(0));
        // One not used since two generations ago is gone.
        assert!(g.get(&key(1), |_| true).is_none());
        assert!(g.get(&key(3 * SIZE - 1), |_| true).is_some());
    }
}
