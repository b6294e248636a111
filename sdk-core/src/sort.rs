//! One sort for the whole core. Every `sort*` call on a new element type or comparator
//! monomorphises the standard library's sort again (quicksort, small-sort networks, heapsort
//! fallback: 2–4 KB of wasm each). Sorting `u32` positions with a comparator behind `&dyn`
//! keeps one copy in the wasm builds, whatever is being sorted. The one exception is the
//! policy digest's key sort, which bundle loading runs for every object (`policy::digest`).

use std::cmp::Ordering;

/// Sorts `order` by `compare`, not stably: a caller whose elements can compare equal and whose
/// result depends on their order breaks ties itself (see [`sorted_positions`]).
#[inline(never)]
pub(crate) fn sort_u32(order: &mut [u32], compare: &dyn Fn(u32, u32) -> Ordering) {
    order.sort_unstable_by(|&a, &b| compare(a, b));
}

/// The positions `0..len` sorted by `compare`, ties in position order (a stable sort's
/// result). Positions past `u32::MAX` are left out, as no caller sorts that many.
pub(crate) fn sorted_positions(len: usize, compare: &dyn Fn(u32, u32) -> Ordering) -> Vec<u32> {
    let mut order: Vec<u32> = (0..len).filter_map(|i| u32::try_from(i).ok()).collect();
    sort_u32(&mut order, &|a, b| compare(a, b).then(a.cmp(&b)));
    order
}

/// `items` sorted by `compare` on the items, stably (ties keep their order).
pub(crate) fn sort_by<T>(items: Vec<T>, compare: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    let order = sorted_positions(items.len(), &|a, b| match (
        items.get(a as usize),
        items.get(b as usize),
    ) {
        (Some(a), Some(b)) => compare(a, b),
        _ => Ordering::Equal,
    });
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&i| slots.get_mut(i as usize).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        let sorted = sort_by(items, |a, b| a.0.cmp(&b.0));
        assert_eq!(sorted, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let long: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1000 / 3).collect();
        let mut expected = long.clone();
        expected.sort();
        assert_eq!(sort_by(long, u32::cmp), expected);
    }

    #[test]
    fn sorts_positions() {
        let names = ["b", "c", "a"];
        let order = sorted_positions(names.len(), &|a, b| {
            names[a as usize].cmp(names[b as usize])
        });
        assert_eq!(order, [2, 0, 1]);
    }
}
