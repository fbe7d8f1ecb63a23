//! Personal data apart from the facts: a key per person, kept outside the event log, and
//! the sealing of names and free texts with it.
//!
//! The log is append-only and hash-chained, so nothing in it can be erased by rewriting it.
//! What can be erased is a key: every field of an event that holds personal data
//! ([`okr_core::Event::personal_data_mut`]: people's names and the free texts people write)
//! is stored *sealed* with the key of the person it belongs to (a name: that person; a text:
//! its author, the event's actor). Destroying that key (`forget_person`) leaves the sealed
//! bytes in the log and the chain intact, and makes them unreadable for good.
//!
//! # Sealed values
//!
//! A sealed field keeps its place and its JSON type (a string) in the payload, so the
//! payload still has the event's schema:
//!
//! ```text
//! "okr:sealed:1:" base64url-no-pad( owner [16] | nonce [24] | ciphertext and tag )
//! ```
//!
//! The cipher is XChaCha20-Poly1305 with a random 24-byte nonce per value and the owner's id
//! (prefixed by `"okr personal data v1"`) as associated data, so a value cannot be moved to
//! another owner unnoticed. An empty text is stored as it is: it holds nothing. A value
//! without the prefix is plaintext from a store written before sealing existed; it is read
//! as it is, and shown as [`ERASED_TEXT`] once its owner was forgotten (see the README on
//! what that means for older stores).
//!
//! # The key store
//!
//! Part of the store seam ([`crate::EventStore::load_keys`], [`crate::EventStore::put_keys`]):
//! the sled store keeps a file `keys` beside sled's files and rewrites it whole on every
//! change (written to `keys.tmp`, synced, renamed, so a destroyed key is not kept in an old
//! segment the way sled keeps old values); the PostgreSQL store a table `okr_keys`; the
//! memory store a map. An entry is a live key or a tombstone ([`KeyEntry::Destroyed`]);
//! a tombstone is never replaced by a key.
//!
//! Snapshots hold the folded state, names and texts included, so they are sealed whole with
//! a key of their own ([`KeyOwner::Snapshots`]), which is replaced (and every snapshot
//! deleted) whenever a person is forgotten.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use okr_core::{Event, ERASED_TEXT};
use std::collections::HashMap;
use std::fmt;
use uuid::Uuid;

use crate::error::StoreError;

/// What every sealed value starts with.
pub const SEALED_PREFIX: &str = "okr:sealed:1:";
const AAD_CONTEXT: &[u8] = b"okr personal data v1";
const SNAPSHOT_AAD: &[u8] = b"okr snapshot v1";
const NONCE_LEN: usize = 24;

/// Whose key an entry of the key store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyOwner {
    /// A person's: seals their name and the texts they wrote.
    Person(Uuid),
    /// The engine's snapshots'.
    Snapshots,
}

impl fmt::Display for KeyOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOwner::Person(id) => write!(f, "person:{id}"),
            KeyOwner::Snapshots => f.write_str("snapshots"),
        }
    }
}

impl std::str::FromStr for KeyOwner {
    type Err = String;

    fn from_str(s: &str) -> Result<KeyOwner, String> {
        if s == "snapshots" {
            return Ok(KeyOwner::Snapshots);
        }
        let id = s
            .strip_prefix("person:")
            .ok_or_else(|| format!("{s:?} is neither \"snapshots\" nor \"person:<uuid>\""))?;
        Uuid::parse_str(id)
            .map(KeyOwner::Person)
            .map_err(|e| format!("{s:?}: {e}"))
    }
}

/// A 256-bit key. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub [u8; 32]);

impl Key {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Key {
        Key(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

/// An entry of the key store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEntry {
    /// A live key.
    Key(Key),
    /// The tombstone of a destroyed key: what was sealed with it stays unreadable.
    Destroyed,
}

/// The keys an engine holds in memory, loaded from the store's key store.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    entries: HashMap<KeyOwner, KeyEntry>,
}

impl Keyring {
    /// A keyring of the given entries (a later entry for the same owner wins, except that a
    /// tombstone is never replaced by a key).
    pub fn from_entries(entries: impl IntoIterator<Item = (KeyOwner, KeyEntry)>) -> Keyring {
        let mut ring = Keyring::default();
        for (owner, entry) in entries {
            ring.insert(owner, entry);
        }
        ring
    }

    /// Records an entry; a tombstone stays a tombstone.
    pub fn insert(&mut self, owner: KeyOwner, entry: KeyEntry) {
        if self.entries.get(&owner) != Some(&KeyEntry::Destroyed) {
            self.entries.insert(owner, entry);
        }
    }

    /// The entry of `owner`.
    pub fn get(&self, owner: KeyOwner) -> Option<&KeyEntry> {
        self.entries.get(&owner)
    }

    /// Whether `owner`'s key was destroyed.
    pub fn is_destroyed(&self, owner: KeyOwner) -> bool {
        self.entries.get(&owner) == Some(&KeyEntry::Destroyed)
    }

    /// Every entry, in the owners' order.
    pub fn entries(&self) -> Vec<(KeyOwner, KeyEntry)> {
        let mut all: Vec<(KeyOwner, KeyEntry)> =
            self.entries.iter().map(|(o, e)| (*o, e.clone())).collect();
        all.sort_by_key(|(o, _)| *o);
        all
    }

    /// Opens the personal data of an event read from the log, in place: sealed values are
    /// decrypted with their owner's key; anything of an owner whose key was destroyed (sealed
    /// or, from an older store, plaintext) reads as [`ERASED_TEXT`]. A sealed value whose
    /// key the keyring does not hold, or that does not decrypt, is an error naming the field.
    pub fn open_event(&self, event: &mut Event) -> Result<(), String> {
        for field in event.personal_data_mut() {
            let owner = field.owner;
            let opened = match field.value.strip_prefix(SEALED_PREFIX) {
                Some(sealed) => {
                    let plain = self.unseal(sealed).map_err(|e| {
                        format!("the personal data in field {:?}: {e}", field.field)
                    })?;
                    Some(plain.unwrap_or_else(|| ERASED_TEXT.to_owned()))
                }
                None if self.is_destroyed(KeyOwner::Person(owner.0)) => {
                    Some(ERASED_TEXT.to_owned())
                }
                None => None,
            };
            if let Some(opened) = opened {
                *field.value = opened;
            }
        }
        Ok(())
    }

    /// The plaintext of a sealed value (`None` when the owner it states was forgotten, so
    /// their key destroyed).
    fn unseal(&self, sealed: &str) -> Result<Option<String>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|e| format!("the sealed value is not base64: {e}"))?;
        if bytes.len() < 16 + NONCE_LEN {
            return Err("the sealed value is cut short".to_owned());
        }
        let owner = Uuid::from_slice(&bytes[..16]).map_err(|e| e.to_string())?;
        let key = match self.get(KeyOwner::Person(owner)) {
            Some(KeyEntry::Key(key)) => key,
            Some(KeyEntry::Destroyed) => return Ok(None),
            None => {
                return Err(format!(
                "it is sealed with the key of person {owner}, which the key store does not hold \
                     (was the store's key store lost or replaced?)"
            ))
            }
        };
        let nonce = XNonce::from_slice(&bytes[16..16 + NONCE_LEN]);
        let aad = person_aad(owner);
        let plain = key
            .cipher()
            .decrypt(
                nonce,
                Payload {
                    msg: &bytes[16 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| {
                format!("the sealed value does not decrypt with the key of person {owner}: it was altered")
            })?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| "the sealed value is not UTF-8 text".to_owned())
    }

    /// Seals a snapshot's body with the snapshots' key; `None` without one.
    pub(crate) fn seal_snapshot(&self, header: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        let Some(KeyEntry::Key(key)) = self.get(KeyOwner::Snapshots) else {
            return None;
        };
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = [SNAPSHOT_AAD, header].concat();
        let sealed = key
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Some(out)
    }

    /// Opens a snapshot's body; `None` when the key is gone or the bytes do not decrypt.
    pub(crate) fn open_snapshot(&self, header: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let Some(KeyEntry::Key(key)) = self.get(KeyOwner::Snapshots) else {
            return None;
        };
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let aad = [SNAPSHOT_AAD, header].concat();
        key.cipher()
            .decrypt(
                XNonce::from_slice(&sealed[..NONCE_LEN]),
                Payload {
                    msg: &sealed[NONCE_LEN..],
                    aad: &aad,
                },
            )
            .ok()
    }
}

fn person_aad(owner: Uuid) -> Vec<u8> {
    [AAD_CONTEXT, owner.as_bytes()].concat()
}

/// Seals the personal data of events about to be appended, making a key for every owner
/// who has none yet; the new keys must be in the key store before the events are.
#[derive(Debug)]
pub struct Sealer<'a> {
    ring: &'a Keyring,
    fresh: HashMap<KeyOwner, Key>,
}

impl<'a> Sealer<'a> {
    /// A sealer over the keys an engine holds.
    pub fn new(ring: &'a Keyring) -> Sealer<'a> {
        Sealer {
            ring,
            fresh: HashMap::new(),
        }
    }

    /// Seals every non-empty personal field of `event` in place. A value already sealed is
    /// left as it is. A field of an owner whose key was destroyed cannot be kept: it is stored
    /// as [`ERASED_TEXT`].
    pub fn seal_event(&mut self, event: &mut Event) {
        for field in event.personal_data_mut() {
            if field.value.is_empty() || field.value.starts_with(SEALED_PREFIX) {
                continue;
            }
            let owner = field.owner.0;
            let key = match self.ring.get(KeyOwner::Person(owner)) {
                Some(KeyEntry::Key(key)) => key,
                Some(KeyEntry::Destroyed) => {
                    *field.value = ERASED_TEXT.to_owned();
                    continue;
                }
                None => self
                    .fresh
                    .entry(KeyOwner::Person(owner))
                    .or_insert_with(Key::generate),
            };
            let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
            let aad = person_aad(owner);
            // Encrypting a message of any length that fits in memory cannot fail.
            let Ok(sealed) = key.cipher().encrypt(
                &nonce,
                Payload {
                    msg: field.value.as_bytes(),
                    aad: &aad,
                },
            ) else {
                *field.value = ERASED_TEXT.to_owned();
                continue;
            };
            let mut bytes = Vec::with_capacity(16 + NONCE_LEN + sealed.len());
            bytes.extend_from_slice(owner.as_bytes());
            bytes.extend_from_slice(&nonce);
            bytes.extend(sealed);
            *field.value = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        }
    }

    /// The keys made while sealing, to put into the key store before the append.
    pub fn into_fresh(self) -> Vec<(KeyOwner, KeyEntry)> {
        let mut fresh: Vec<(KeyOwner, KeyEntry)> = self
            .fresh
            .into_iter()
            .map(|(o, k)| (o, KeyEntry::Key(k)))
            .collect();
        fresh.sort_by_key(|(o, _)| *o);
        fresh
    }
}

// --- the key file of a sled store ---

const FILE_MAGIC: &[u8; 8] = b"OKRKEYS1";
const ENTRY_LEN: usize = 1 + 16 + 32;

/// Encodes a key file: magic, entry count (`u32` LE), entries of 49 bytes (tag: 1 a
/// person's key, 2 a person's tombstone, 3 the snapshots' key; the person's id, zeros for
/// the snapshots; the key, zeros for a tombstone), and a BLAKE3 hash of all before it.
pub(crate) fn encode_key_file(entries: &[(KeyOwner, KeyEntry)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + entries.len() * ENTRY_LEN + 32);
    out.extend_from_slice(FILE_MAGIC);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (owner, entry) in entries {
        let (tag, id, key) = match (owner, entry) {
            (KeyOwner::Person(id), KeyEntry::Key(k)) => (1u8, *id, k.0),
            (KeyOwner::Person(id), KeyEntry::Destroyed) => (2, *id, [0; 32]),
            (KeyOwner::Snapshots, KeyEntry::Key(k)) => (3, Uuid::nil(), k.0),
            // The snapshots' key is replaced, never kept as a tombstone.
            (KeyOwner::Snapshots, KeyEntry::Destroyed) => continue,
        };
        out.push(tag);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&key);
    }
    let count = ((out.len() - 12) / ENTRY_LEN) as u32;
    out[8..12].copy_from_slice(&count.to_le_bytes());
    let hash = blake3::hash(&out);
    out.extend_from_slice(hash.as_bytes());
    out
}

/// Decodes a key file; an error says what is wrong with it.
pub(crate) fn decode_key_file(bytes: &[u8]) -> Result<Vec<(KeyOwner, KeyEntry)>, String> {
    if bytes.len() < 12 + 32 || &bytes[..8] != FILE_MAGIC {
        return Err("it does not start with the key file's header".to_owned());
    }
    let (body, hash) = bytes.split_at(bytes.len() - 32);
    if blake3::hash(body).as_bytes() != hash {
        return Err("its checksum does not match: it was altered or cut short".to_owned());
    }
    let count = u32::from_le_bytes([body[8], body[9], body[10], body[11]]) as usize;
    if body.len() != 12 + count * ENTRY_LEN {
        return Err(format!("it says {count} entries but holds another length"));
    }
    let mut entries = Vec::with_capacity(count);
    for chunk in body[12..].chunks_exact(ENTRY_LEN) {
        let id = Uuid::from_slice(&chunk[1..17]).map_err(|e| e.to_string())?;
        let mut key = [0; 32];
        key.copy_from_slice(&chunk[17..]);
        entries.push(match chunk[0] {
            1 => (KeyOwner::Person(id), KeyEntry::Key(Key(key))),
            2 => (KeyOwner::Person(id), KeyEntry::Destroyed),
            3 => (KeyOwner::Snapshots, KeyEntry::Key(Key(key))),
            other => return Err(format!("an entry has the unknown tag {other}")),
        });
    }
    Ok(entries)
}

/// The key store of a store kept in files: `keys` in the store's directory, rewritten
/// whole through `keys.tmp` on every change.
#[derive(Debug)]
pub(crate) struct KeyFile {
    path: std::path::PathBuf,
    lock: std::sync::Mutex<()>,
}

/// The key file's name in a sled store's directory.
pub(crate) const KEY_FILE: &str = "keys";
/// The name a new key file is written under before it replaces the old one.
pub(crate) const KEY_FILE_TEMP: &str = "keys.tmp";

impl KeyFile {
    pub(crate) fn new(dir: &std::path::Path) -> KeyFile {
        KeyFile {
            path: dir.join(KEY_FILE),
            lock: std::sync::Mutex::new(()),
        }
    }

    pub(crate) fn load(&self) -> Result<Vec<(KeyOwner, KeyEntry)>, StoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => decode_key_file(&bytes).map_err(|detail| StoreError::Corrupt {
                location: self.path.display().to_string(),
                detail: format!("the key store is damaged: {detail}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(StoreError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    pub(crate) fn put(&self, entries: &[(KeyOwner, KeyEntry)]) -> Result<(), StoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut ring = Keyring::from_entries(self.load()?);
        for (owner, entry) in entries {
            ring.insert(*owner, entry.clone());
        }
        let bytes = encode_key_file(&ring.entries());
        let dir = self.path.parent().unwrap_or(std::path::Path::new("."));
        let temp = dir.join(KEY_FILE_TEMP);
        let io = |path: &std::path::Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temp).map_err(io(&temp))?;
            file.write_all(&bytes).map_err(io(&temp))?;
            file.sync_all().map_err(io(&temp))?;
        }
        std::fs::rename(&temp, &self.path).map_err(io(&self.path))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okr_core::{CycleId, EventBody, PersonId};

    fn note(by: u128, text: &str) -> Event {
        Event {
            at: "2025-01-06T09:00:00Z".parse().unwrap(),
            by: PersonId::from_u128(by),
            body: EventBody::ReviewNoteAdded {
                cycle: CycleId::from_u128(1),
                text: text.into(),
            },
        }
    }

    fn text_of(e: &Event) -> &str {
        match &e.body {
            EventBody::ReviewNoteAdded { text, .. } => text,
            _ => unreachable!(),
        }
    }

    #[test]
    fn sealed_texts_open_with_the_key_and_read_as_erased_without_it() {
        let mut ring = Keyring::default();
        let mut e = note(7, "Quokka-Notiz");
        let mut sealer = Sealer::new(&ring);
        sealer.seal_event(&mut e);
        let fresh = sealer.into_fresh();
        assert_eq!(fresh.len(), 1);
        assert!(text_of(&e).starts_with(SEALED_PREFIX));
        assert!(!text_of(&e).contains("Quokka"));
        let sealed = e.clone();
        for (o, k) in fresh {
            ring.insert(o, k);
        }
        let mut opened = sealed.clone();
        ring.open_event(&mut opened).unwrap();
        assert_eq!(text_of(&opened), "Quokka-Notiz");
        ring.insert(KeyOwner::Person(Uuid::from_u128(7)), KeyEntry::Destroyed);
        ring.insert(
            KeyOwner::Person(Uuid::from_u128(7)),
            KeyEntry::Key(Key::generate()),
        );
        let mut erased = sealed.clone();
        ring.open_event(&mut erased).unwrap();
        assert_eq!(
            text_of(&erased),
            ERASED_TEXT,
            "a tombstone stays a tombstone"
        );
        let mut legacy = note(7, "plain from an old store");
        ring.open_event(&mut legacy).unwrap();
        assert_eq!(text_of(&legacy), ERASED_TEXT);
        let mut missing = sealed;
        assert!(Keyring::default()
            .open_event(&mut missing)
            .unwrap_err()
            .contains("does not hold"));
    }

    #[test]
    fn an_altered_sealed_value_is_refused() {
        let mut ring = Keyring::default();
        let mut e = note(7, "Text");
        let mut sealer = Sealer::new(&ring);
        sealer.seal_event(&mut e);
        for (o, k) in sealer.into_fresh() {
            ring.insert(o, k);
        }
        if let EventBody::ReviewNoteAdded { text, .. } = &mut e.body {
            let mut bytes = URL_SAFE_NO_PAD
                .decode(text.strip_prefix(SEALED_PREFIX).unwrap())
                .unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            *text = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        }
        assert!(ring.open_event(&mut e).unwrap_err().contains("altered"));
    }

    #[test]
    fn key_files_read_back_and_damage_is_found() {
        let entries = vec![
            (
                KeyOwner::Person(Uuid::from_u128(1)),
                KeyEntry::Key(Key::generate()),
            ),
            (KeyOwner::Person(Uuid::from_u128(2)), KeyEntry::Destroyed),
            (KeyOwner::Snapshots, KeyEntry::Key(Key::generate())),
        ];
        let bytes = encode_key_file(&entries);
        assert_eq!(decode_key_file(&bytes).unwrap(), entries);
        for i in [0, 9, 20, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode_key_file(&bad).is_err(), "flip at {i}");
        }
        assert!(decode_key_file(&bytes[..bytes.len() - 1]).is_err());
        assert_eq!(
            "person:00000000-0000-0000-0000-000000000001".parse::<KeyOwner>(),
            Ok(KeyOwner::Person(Uuid::from_u128(1)))
        );
        assert_eq!("snapshots".parse::<KeyOwner>(), Ok(KeyOwner::Snapshots));
    }
}
