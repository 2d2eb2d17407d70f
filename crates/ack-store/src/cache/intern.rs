//! Interned values: the status cache holds a few hundred distinct names, versions, configs and
//! messages across 100,000 clusters, so each field is a 4-byte symbol instead of a `String`; and
//! few add-ons of a fleet differ in all of them at once (name, installed version and config,
//! latest task's status and message), so a cached add-on is one symbol of those and its times.

use ack_domain::task::UpgradeStatus;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

/// An interned string; `Option<Sym>` is 4 bytes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(NonZeroU32);

/// An interned `AddonKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct KeySym(NonZeroU32);

/// What a status call shows of an add-on besides its latest task's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AddonKey {
    pub name: Sym,
    pub version: Option<Sym>,
    pub config: Option<Sym>,
    pub status: Option<UpgradeStatus>,
    pub is_canceled: bool,
    pub message: Option<Sym>,
}

/// One kind of interned value: its values by symbol, and symbols by value.
struct Symbols<T> {
    items: Vec<T>,
    index: HashMap<T, NonZeroU32>,
}

impl<T> Default for Symbols<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> Symbols<T> {
    fn find<Q: Hash + Eq + ?Sized>(&self, q: &Q) -> Option<NonZeroU32>
    where
        T: Borrow<Q>,
    {
        self.index.get(q).copied()
    }

    fn add(&mut self, v: T) -> NonZeroU32 {
        if let Some(&n) = self.index.get(&v) {
            return n;
        }
        let n = u32::try_from(self.items.len() + 1).unwrap_or(u32::MAX);
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        self.items.push(v.clone());
        self.index.insert(v, n);
        n
    }

    fn get(&self, n: NonZeroU32) -> Option<&T> {
        self.items.get(n.get() as usize - 1)
    }
}

#[derive(Default)]
struct Table {
    strings: Symbols<Arc<str>>,
    addons: Symbols<AddonKey>,
}

/// Append-only: a symbol stays valid for the life of the process. Growth is bounded by the
/// distinct values written (configs and failure messages are the only open-ended strings).
#[derive(Default)]
pub(crate) struct Interner(RwLock<Table>);

impl Interner {
    pub(crate) fn intern(&self, s: &str) -> Sym {
        if let Some(n) = self.read().strings.find(s) {
            return Sym(n);
        }
        let mut t = self.0.write().unwrap_or_else(PoisonError::into_inner);
        Sym(t.strings.add(Arc::from(s)))
    }

    pub(crate) fn intern_key(&self, k: AddonKey) -> KeySym {
        if let Some(n) = self.read().addons.find(&k) {
            return KeySym(n);
        }
        let mut t = self.0.write().unwrap_or_else(PoisonError::into_inner);
        KeySym(t.addons.add(k))
    }

    /// Resolves symbols while it is held; held for the length of one response.
    pub(crate) fn reader(&self) -> Reader<'_> {
        Reader(self.read())
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct Reader<'a>(RwLockReadGuard<'a, Table>);

impl Reader<'_> {
    pub(crate) fn get(&self, sym: Sym) -> &str {
        self.0.strings.get(sym.0).map_or("", |s| s)
    }

    /// The key of `sym`; every `KeySym` came from `intern_key`, so it is there.
    pub(crate) fn key(&self, sym: KeySym) -> Option<&AddonKey> {
        self.0.addons.get(sym.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{AddonKey, Interner};
    use ack_domain::task::UpgradeStatus;

    #[test]
    fn the_same_value_is_one_symbol_and_resolves_back() {
        let i = Interner::default();
        let a = i.intern("v1.2.3");
        let b = i.intern("metrics-server");
        assert_eq!(i.intern("v1.2.3"), a);
        assert_ne!(a, b);
        let key = |status| AddonKey {
            name: b,
            version: Some(a),
            config: None,
            status,
            is_canceled: false,
            message: None,
        };
        let (k1, k2) = (
            i.intern_key(key(None)),
            i.intern_key(key(Some(UpgradeStatus::Running))),
        );
        assert_eq!(i.intern_key(key(None)), k1);
        assert_ne!(k1, k2);
        let r = i.reader();
        assert_eq!((r.get(a), r.get(b)), ("v1.2.3", "metrics-server"));
        assert_eq!(r.key(k2), Some(&key(Some(UpgradeStatus::Running))));
    }
}
