//! Interned strings: the status cache holds a few hundred distinct names, versions, configs and
//! messages across 100,000 clusters, so each field is a 4-byte symbol instead of a `String`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

/// An interned string; `Option<Sym>` is 4 bytes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(NonZeroU32);

#[derive(Default)]
struct Table {
    strings: Vec<Arc<str>>,
    index: HashMap<Arc<str>, Sym>,
}

/// Append-only: a symbol stays valid for the life of the process. Growth is bounded by the
/// distinct strings written (configs and failure messages are the only open-ended ones).
#[derive(Default)]
pub(crate) struct Interner(RwLock<Table>);

impl Interner {
    pub(crate) fn intern(&self, s: &str) -> Sym {
        if let Some(&sym) = self.read().index.get(s) {
            return sym;
        }
        let mut t = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&sym) = t.index.get(s) {
            return sym;
        }
        let n = u32::try_from(t.strings.len() + 1).unwrap_or(u32::MAX);
        let sym = Sym(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        let s: Arc<str> = s.into();
        t.strings.push(Arc::clone(&s));
        t.index.insert(s, sym);
        sym
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
        let i = sym.0.get() as usize - 1;
        self.0.strings.get(i).map_or("", |s| s)
    }
}

#[cfg(test)]
mod tests {
    use super::Interner;

    #[test]
    fn the_same_text_is_one_symbol_and_resolves_back() {
        let i = Interner::default();
        let a = i.intern("v1.2.3");
        let b = i.intern("metrics-server");
        assert_eq!(i.intern("v1.2.3"), a);
        assert_ne!(a, b);
        let r = i.reader();
        assert_eq!((r.get(a), r.get(b)), ("v1.2.3", "metrics-server"));
    }
}
