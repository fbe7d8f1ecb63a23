//! [`IdMap`]: the shape of a cycle's objectives and key results.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

/// A value that carries its own id, so that an [`IdMap`] need not store the id twice.
pub trait Keyed {
    /// The id type.
    type Key: Copy + Eq + Hash;
    /// The value's id.
    fn key(&self) -> &Self::Key;
}

/// A map by id that keeps insertion order and finds an id in constant time: the shape of a
/// cycle's objectives and key results, which a million-key-result cycle folds into at
/// millions of events per second. Iteration order is the order of the log, so it is the same
/// on every replay.
///
/// The values sit in one vector in insertion order and carry their ids ([`Keyed`]); a hash
/// table of positions (4 bytes a slot) finds them. Nothing is ever removed (a removed key
/// result is marked, not dropped), so positions stay valid. Serialized as a JSON object from
/// id to value, in insertion order; equality ignores order, as for a map.
///
/// ```
/// use okr_core::{IdMap, Keyed};
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Item { id: u32, name: &'static str }
/// impl Keyed for Item {
///     type Key = u32;
///     fn key(&self) -> &u32 { &self.id }
/// }
///
/// let mut m = IdMap::new();
/// assert!(m.insert(Item { id: 7, name: "a" }).is_none());
/// m.insert(Item { id: 3, name: "b" });
/// let old = m.insert(Item { id: 7, name: "c" }).unwrap();
/// assert_eq!(old.name, "a");
/// assert_eq!(m.keys().copied().collect::<Vec<_>>(), [7, 3], "insertion order");
/// assert_eq!(m[&7].name, "c");
/// assert!(m.get(&4).is_none());
/// ```
pub struct IdMap<K, V> {
    entries: Vec<V>,
    table: HashTable<u32>,
    _key: PhantomData<K>,
}

fn hash<K: Hash>(k: &K) -> u64 {
    FxBuildHasher.hash_one(k)
}

impl<K, V> IdMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        IdMap {
            entries: Vec::new(),
            table: HashTable::new(),
            _key: PhantomData,
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The values, in insertion order.
    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.entries.iter()
    }

    /// The values, mutably, in insertion order. Changing a value's id breaks the map.
    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, V> {
        self.entries.iter_mut()
    }
}

impl<K: Copy + Eq + Hash, V: Keyed<Key = K>> IdMap<K, V> {
    fn find(&self, key: &K) -> Option<usize> {
        let entries = &self.entries;
        self.table
            .find(hash(key), |&i| entries[i as usize].key() == key)
            .map(|&i| i as usize)
    }

    /// The value with this id.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).map(|i| &self.entries[i])
    }

    /// The value with this id, mutably. Changing its id breaks the map.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).map(|i| &mut self.entries[i])
    }

    /// Whether a value has this id.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// Inserts a value under its id. A value with the same id is replaced in place (its
    /// position kept) and returned.
    ///
    /// # Panics
    ///
    /// When the map would hold more than `u32::MAX` values.
    pub fn insert(&mut self, value: V) -> Option<V> {
        let key = *value.key();
        if let Some(i) = self.find(&key) {
            return Some(std::mem::replace(&mut self.entries[i], value));
        }
        let i = u32::try_from(self.entries.len()).expect("an IdMap holds at most u32::MAX values");
        let entries = &self.entries;
        self.table
            .insert_unique(hash(&key), i, |&j| hash(entries[j as usize].key()));
        self.entries.push(value);
        None
    }

    /// The ids, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(Keyed::key)
    }

    /// Ids and values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|v| (v.key(), v))
    }

    /// Gives back room the map grew into and holds no value.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        let entries = &self.entries;
        self.table
            .shrink_to_fit(|&j| hash(entries[j as usize].key()));
    }
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V: Clone> Clone for IdMap<K, V> {
    fn clone(&self) -> Self {
        IdMap {
            entries: self.entries.clone(),
            table: self.table.clone(),
            _key: PhantomData,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug + Keyed<Key = K>> fmt::Debug for IdMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|v| (v.key(), v)))
            .finish()
    }
}

impl<K: Copy + Eq + Hash, V: PartialEq + Keyed<Key = K>> PartialEq for IdMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .all(|v| other.get(v.key()).is_some_and(|w| v == w))
    }
}

impl<K: Copy + Eq + Hash, V: Eq + Keyed<Key = K>> Eq for IdMap<K, V> {}

impl<K: Copy + Eq + Hash, V: Keyed<Key = K>> std::ops::Index<&K> for IdMap<K, V> {
    type Output = V;

    /// The value with this id.
    ///
    /// # Panics
    ///
    /// When no value has the id.
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("IdMap: no value with this id")
    }
}

impl<K: Copy + Eq + Hash, V: Keyed<Key = K>> FromIterator<V> for IdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Self {
        let mut m = IdMap::new();
        for v in iter {
            m.insert(v);
        }
        m
    }
}

impl<K: Serialize, V: Serialize + Keyed<Key = K>> Serialize for IdMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries.iter().map(|v| (v.key(), v)))
    }
}

impl<'de, K, V> Deserialize<'de> for IdMap<K, V>
where
    K: Deserialize<'de> + Copy + Eq + Hash + fmt::Debug,
    V: Deserialize<'de> + Keyed<Key = K>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<K, V>(PhantomData<(K, V)>);

        impl<'de, K, V> serde::de::Visitor<'de> for Visit<K, V>
        where
            K: Deserialize<'de> + Copy + Eq + Hash + fmt::Debug,
            V: Deserialize<'de> + Keyed<Key = K>,
        {
            type Value = IdMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from id to a value with that id")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<Self::Value, A::Error> {
                let mut m = IdMap::new();
                m.entries.reserve(access.size_hint().unwrap_or(0));
                while let Some((k, v)) = access.next_entry::<K, V>()? {
                    if *v.key() != k {
                        return Err(A::Error::custom(format!(
                            "the value under {k:?} has the id {:?}",
                            v.key()
                        )));
                    }
                    if m.insert(v).is_some() {
                        return Err(A::Error::custom(format!("duplicate id {k:?}")));
                    }
                }
                Ok(m)
            }
        }

        deserializer.deserialize_map(Visit(PhantomData))
    }
}

#[cfg(feature = "schema")]
impl<K, V: schemars::JsonSchema> schemars::JsonSchema for IdMap<K, V> {
    fn is_referenceable() -> bool {
        <std::collections::BTreeMap<K, V>>::is_referenceable()
    }

    fn schema_name() -> String {
        <std::collections::BTreeMap<K, V>>::schema_name()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        <std::collections::BTreeMap<K, V>>::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Item {
        id: u32,
        n: u32,
    }

    impl Keyed for Item {
        type Key = u32;
        fn key(&self) -> &u32 {
            &self.id
        }
    }

    fn item(id: u32, n: u32) -> Item {
        Item { id, n }
    }

    #[test]
    fn finds_every_value_after_growing_and_shrinking() {
        let mut m: IdMap<u32, Item> = (0..1000).map(|i| item(i * 7919 % 1009, i)).collect();
        assert_eq!(m.len(), 1000);
        m.shrink_to_fit();
        for (i, v) in m.values().enumerate() {
            assert_eq!(m.get(&v.id), Some(v));
            assert_eq!(v.n, i as u32, "insertion order");
        }
        assert!(!m.contains_key(&5000));
        m.get_mut(&7).unwrap().n = 42;
        assert_eq!(m[&7].n, 42);
    }

    #[test]
    fn json_is_an_object_in_insertion_order_and_ids_must_match() {
        let m: IdMap<u32, Item> = [item(3, 1), item(1, 2)].into_iter().collect();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"3":{"id":3,"n":1},"1":{"id":1,"n":2}}"#);
        let back: IdMap<u32, Item> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.keys().copied().collect::<Vec<_>>(), [3, 1]);
        let wrong = r#"{"3":{"id":4,"n":1}}"#;
        assert!(serde_json::from_str::<IdMap<u32, Item>>(wrong).is_err());
        let twice = r#"{"3":{"id":3,"n":1},"3":{"id":3,"n":2}}"#;
        assert!(serde_json::from_str::<IdMap<u32, Item>>(twice).is_err());
    }

    #[test]
    fn equality_ignores_order_like_a_map() {
        let a: IdMap<u32, Item> = [item(1, 1), item(2, 2)].into_iter().collect();
        let b: IdMap<u32, Item> = [item(2, 2), item(1, 1)].into_iter().collect();
        let c: IdMap<u32, Item> = [item(2, 2), item(1, 9)].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
