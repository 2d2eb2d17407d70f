//! Version ordering is a total order, consistent with equality, for strings of the characters
//! versions are made of (so that a sort, a "newer than" and a "same version" never disagree).

use ack_domain::version::compare;
use proptest::prelude::*;
use std::cmp::Ordering;

fn version() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec!['0', '1', '2', '9', '.', '-', '_', '+', 'v', 'a', 'z']);
    prop::collection::vec(chars, 0..14).prop_map(String::from_iter)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    #[test]
    fn equal_only_when_the_same_and_antisymmetric(a in version(), b in version()) {
        prop_assert_eq!(compare(&a, &a), Ordering::Equal);
        prop_assert_eq!(compare(&a, &b) == Ordering::Equal, a == b);
        prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
    }

    #[test]
    fn transitive(a in version(), b in version(), c in version()) {
        let mut v = [a, b, c];
        v.sort_by(|x, y| compare(x, y));
        prop_assert!(compare(&v[0], &v[1]) != Ordering::Greater);
        prop_assert!(compare(&v[1], &v[2]) != Ordering::Greater);
        prop_assert!(compare(&v[0], &v[2]) != Ordering::Greater, "{:?}", v);
    }
}
