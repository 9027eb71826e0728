//! How each line looks: one colour, one dash pattern and one marker per
//! strategy, the same in every plot meshsync draws (run, comparison,
//! sweep), so a reader learns them once.
//!
//! A line's label is a strategy name, optionally followed by `, key=value…`
//! (a sweep's other grid parameters). The strategy takes its slot in the
//! registry's order (handed in by the caller: this layer does not know the
//! strategies); a strategy not in it takes the next free slot in order of
//! first appearance. When several lines share a strategy (sweep
//! variants), they keep its colour and marker and the dash pattern tells
//! them apart.
//!
//! Imports: nothing from this crate.

use plotters::style::RGBColor;

/// Colours (Tableau 10, colour-blind-friendlier than primaries), by slot.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A line's dash pattern: `None` solid, else (dash, gap) in pixels.
pub type Dash = Option<(u32, u32)>;

const DASHES: [Dash; 4] = [None, Some((14, 6)), Some((5, 4)), Some((2, 4))];

/// A point marker's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled triangle, point up.
    Triangle,
    /// A filled square.
    Square,
    /// An ×.
    Cross,
    /// A filled diamond.
    Diamond,
    /// A hollow circle.
    Ring,
}

const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
    Marker::Diamond,
    Marker::Ring,
];

/// How one line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineStyle {
    /// Its colour.
    pub color: RGBColor,
    /// Its dash pattern.
    pub dash: Dash,
    /// Its marker.
    pub marker: Marker,
}

/// The strategy a line label names (the part before `, `).
pub fn strategy_of(label: &str) -> &str {
    label.split(", ").next().unwrap_or(label)
}

/// The slot of each label's strategy: its place in `order` (the
/// registry's), or for others (plug-ins, variants) the next free slot in
/// order of first appearance, skipping slots whose colour another line of
/// the chart already has.
pub fn slots(labels: &[&str], order: &[String]) -> Vec<usize> {
    let mut taken: Vec<usize> = labels
        .iter()
        .filter_map(|l| order.iter().position(|k| k == strategy_of(l)))
        .map(|i| i % PALETTE.len())
        .collect();
    let mut extra: Vec<(&str, usize)> = Vec::new();
    let mut next = order.len();
    labels
        .iter()
        .map(|l| {
            let s = strategy_of(l);
            order.iter().position(|k| k == s).unwrap_or_else(|| {
                if let Some(&(_, slot)) = extra.iter().find(|(e, _)| *e == s) {
                    return slot;
                }
                let start = next;
                while taken.contains(&(next % PALETTE.len())) && next < start + PALETTE.len() {
                    next += 1;
                }
                let slot = next;
                next += 1;
                taken.push(slot % PALETTE.len());
                extra.push((s, slot));
                slot
            })
        })
        .collect()
}

/// The style of each line, by label (see the module doc).
pub fn styles(labels: &[&str], order: &[String]) -> Vec<LineStyle> {
    let slots = slots(labels, order);
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let slot = slots[i];
            let same = labels[..i]
                .iter()
                .filter(|o| strategy_of(o) == strategy_of(l))
                .count();
            let shared = labels
                .iter()
                .filter(|o| strategy_of(o) == strategy_of(l))
                .count()
                > 1;
            let dash = if shared { same } else { slot };
            LineStyle {
                color: PALETTE[slot % PALETTE.len()],
                dash: DASHES[dash % DASHES.len()],
                marker: MARKERS[slot % MARKERS.len()],
            }
        })
        .collect()
}

/// The colour of bar `k` of a chart's `parts` (record kinds): a fixed
/// colour per record name where the name is common, so `message` is the
/// same blue in every bytes plot.
pub fn part_color(name: &str, k: usize) -> RGBColor {
    const NAMED: [(&str, usize); 8] = [
        ("message", 0),
        ("ack", 1),
        ("offer", 2),
        ("request", 3),
        ("btp", 4),
        ("overhead", 7),
        ("summary", 6),
        ("mailserver", 5),
    ];
    NAMED
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(PALETTE[(k + 8) % PALETTE.len()], |&(_, i)| PALETTE[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry order, as the caller hands it in.
    fn order() -> Vec<String> {
        ["a", "b", "mvds", "c", "epidemic", "d"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_strategy_looks_the_same_whatever_else_is_plotted() {
        let order = order();
        let alone = styles(&["mvds"], &order);
        let names: Vec<&str> = order.iter().map(|s| s.as_str()).collect();
        let all = styles(&names, &order);
        assert_eq!(alone[0], all[2]);
        let distinct: std::collections::BTreeSet<_> = all
            .iter()
            .map(|s| (s.color.0, s.color.1, s.color.2))
            .collect();
        assert_eq!(distinct.len(), all.len());
        let few = styles(&["epidemic", "a"], &order);
        assert_eq!((few[0], few[1]), (all[4], all[0]));
    }

    #[test]
    fn plug_ins_and_sweep_variants_get_their_own_slots() {
        let order = order();
        let s = styles(&["mine", "a, x=1", "a, x=2", "other"], &order);
        assert_eq!(slots(&["mine", "other", "mine"], &order), vec![6, 7, 6]);
        assert_eq!(s[1].color, s[2].color);
        assert_eq!(s[1].marker, s[2].marker);
        assert_ne!(s[1].dash, s[2].dash);
        assert_ne!(s[0].color, s[3].color);
    }
}
