//! [`SmallMap`]: a few entries, sorted, in one exactly sized allocation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// A small map sorted by key, kept in one exactly sized allocation: the shape of an
/// objective's alignments and a unit's members, which hold a handful of entries and change
/// rarely. Inserting or removing a key copies the entries (O(n)); finding one is a binary
/// search. Serialized as a JSON object, like a `BTreeMap`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SmallMap<K, V>(Box<[(K, V)]>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Box::default())
    }
}

impl<K: Ord + Copy, V: Copy> SmallMap<K, V> {
    fn position(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|x| x.0.cmp(key))
    }

    /// Sets the value of `key`; returns the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                let mut v = Vec::with_capacity(self.0.len() + 1);
                v.extend_from_slice(&self.0[..i]);
                v.push((key, value));
                v.extend_from_slice(&self.0[i..]);
                self.0 = v.into_boxed_slice();
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.position(key).ok()?;
        let mut v = std::mem::take(&mut self.0).into_vec();
        let (_, value) = v.remove(i);
        self.0 = v.into_boxed_slice();
        Some(value)
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        let i = self.position(key).ok()?;
        Some(&self.0[i].1)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.position(key).ok()?;
        Some(&mut self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.position(key).is_ok()
    }
}

impl<K, V> SmallMap<K, V> {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keys and values, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values, by key.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<'a, K, V> IntoIterator for &'a SmallMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SmallMap<K, V> {
    /// Collects entries; a repeated key keeps its last value.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let m: BTreeMap<K, V> = iter.into_iter().collect();
        SmallMap(m.into_iter().collect())
    }
}

impl<K: Serialize, V: Serialize> Serialize for SmallMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for SmallMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<K, V>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(feature = "schema")]
impl<K, V: schemars::JsonSchema> schemars::JsonSchema for SmallMap<K, V> {
    fn is_referenceable() -> bool {
        <BTreeMap<K, V>>::is_referenceable()
    }

    fn schema_name() -> String {
        <BTreeMap<K, V>>::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        <BTreeMap<K, V>>::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_like_a_btree_map() {
        let m: SmallMap<u32, u32> = [(5, 1), (2, 7), (5, 3)].into_iter().collect();
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&2, &7), (&5, &3)]);
        let as_btree: BTreeMap<u32, u32> = m.iter().map(|(k, v)| (*k, *v)).collect();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, serde_json::to_string(&as_btree).unwrap());
        assert_eq!(
            serde_json::from_str::<SmallMap<u32, u32>>(&json).unwrap(),
            m
        );
    }
}
