//! Stacked bar charts (bytes per delivery by record kind): each part in
//! its fixed colour, each bar's total written above it, and a log scale
//! with a note when the bars span more than [`LOG_BARS_RATIO`], so that
//! one strategy 30 times the others does not flatten them.
//!
//! Imports: its parent `plot` module and `output::error`.

use super::{legend_and_present, style, tick, StackedBars, GREY_TEXT};
use crate::output::error::{drawing, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Bars spanning more than this ratio (largest total over smallest
/// non-zero one) are drawn on a log scale.
const LOG_BARS_RATIO: f64 = 10.0;

pub(super) fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &StackedBars,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(drawing)?;
    let n = c.categories.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| c.parts.iter().map(|p| p.1[i].max(0.0)).sum())
        .collect();
    let top = totals.iter().copied().fold(0.0, f64::max);
    let low = totals
        .iter()
        .copied()
        .filter(|&t| t > 0.0)
        .fold(f64::INFINITY, f64::min);
    let mut area = ChartBuilder::on(root);
    area.caption(&c.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80);
    if top > 0.0 && top / low > LOG_BARS_RATIO {
        // A bar 30 times the others would flatten them: log scale, from
        // a decade below the smallest bar's.
        let floor = 10f64.powf(low.log10().floor() - 1.0);
        let mut chart = area
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (floor..top * 8.0).log_scale())
            .map_err(drawing)?;
        bar_mesh(&mut chart, c, &format!("{} (log scale)", c.y_label))?;
        stack(&mut chart, c, floor)?;
        totals_above(&mut chart, &totals, |t| t * 1.2)?;
        let note = format!(
            "bars span {:.0}×: log scale, so layers are not to scale; totals above the bars",
            top / low
        );
        let (px, py) = chart.backend_coord(&(n as f64 - 0.5, top * 8.0));
        let style = TextStyle::from(("sans-serif", 14).into_font())
            .pos(Pos::new(HPos::Right, VPos::Top))
            .color(&GREY_TEXT);
        root.draw(&Text::new(note, (px - 8, py + 6), style))
            .map_err(drawing)?;
        legend_and_present(&mut chart, root, SeriesLabelPosition::UpperLeft)
    } else {
        // Nothing at all: an axis of 0..1 under the note.
        let y_top = if top > 0.0 { top * 1.15 } else { 1.0 };
        let mut chart = area
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_top)
            .map_err(drawing)?;
        bar_mesh(&mut chart, c, &c.y_label)?;
        stack(&mut chart, c, 0.0)?;
        totals_above(&mut chart, &totals, |t| t + top * 0.01)?;
        if top <= 0.0 {
            let (px, py) = chart.backend_coord(&((n as f64 - 1.0) / 2.0, 0.5));
            let style = TextStyle::from(("sans-serif", 22).into_font())
                .pos(Pos::new(HPos::Center, VPos::Center))
                .color(&GREY_TEXT);
            root.draw(&Text::new(
                "no data: nothing was delivered",
                (px, py),
                style,
            ))
            .map_err(drawing)?;
        }
        legend_and_present(&mut chart, root, SeriesLabelPosition::UpperRight)
    }
}

/// The bar chart's axes: a category name under each bar.
fn bar_mesh<DB: DrawingBackend, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    c: &StackedBars,
    y_label: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = c.categories.len();
    let cats = c.categories.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1))
        .y_label_formatter(&|v| tick(*v))
        .x_label_formatter(&move |x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()
        .map_err(drawing)
}

/// The stacked layers, each part in its fixed colour, from `floor` up.
fn stack<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    c: &StackedBars,
    floor: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = c.categories.len();
    let mut base = vec![floor; n];
    for (k, (name, values)) in c.parts.iter().enumerate() {
        let color = style::part_color(name, k);
        let rects: Vec<_> = (0..n)
            .filter(|&i| values[i] > 0.0)
            .map(|i| {
                let (lo, hi) = (base[i], base[i] + values[i]);
                base[i] = hi;
                Rectangle::new([(i as f64 - 0.3, lo), (i as f64 + 0.3, hi)], color.filled())
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(drawing)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    Ok(())
}

/// Each bar's total written above it (at `above(total)`).
fn totals_above<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    totals: &[f64],
    above: impl Fn(f64) -> f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from(("sans-serif", 15).into_font())
        .pos(Pos::new(HPos::Center, VPos::Bottom))
        .color(&BLACK);
    chart
        .draw_series(
            totals
                .iter()
                .enumerate()
                .filter(|(_, &t)| t > 0.0)
                .map(|(i, &t)| Text::new(format!("{t:.0}"), (i as f64, above(t)), style.clone())),
        )
        .map_err(drawing)?;
    Ok(())
}
