//! Plots as PNG and SVG, with no system libraries: plotters' bitmap and SVG
//! backends and the DejaVu Sans font shipped in this folder (through
//! `ab_glyph`). Every chart is written twice, `<stem>.png` and `<stem>.svg`,
//! each drawn in memory (a drawing error is never an I/O error) and written
//! atomically. Lines look the same for a strategy in every plot
//! ([`style`]); time axes use minutes, hours or days when long ([`axis`]);
//! a plot with nothing to show says so; bars spanning more than 10× go on
//! a log scale, with each bar's total written above it.
//!
//! Imports: `output::atomic` and `output::error`. Bar charts are in [`bars`].

mod axis;
mod bars;
pub mod style;

use crate::output::error::{drawing, Error, Result};
use crate::output::write_atomic;
use image::ImageEncoder;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;
use style::{LineStyle, Marker};

/// The colour of notes written across a plot.
const GREY_TEXT: RGBColor = RGBColor(90, 90, 90);
const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");
const SIZE: (u32, u32) = (960, 600);

fn register_font() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "cannot load the bundled font".to_string())
    })
    .clone()
    .map_err(Error::Plot)
}

/// One line of a line chart, with an optional confidence band.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, sorted by x.
    pub points: Vec<(f64, f64)>,
    /// Band: (x, low, high).
    pub band: Vec<(f64, f64, f64)>,
}

/// A line chart.
#[derive(Clone, Debug, Default)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// X axis label (with unit).
    pub x_label: String,
    /// Y axis label (with unit).
    pub y_label: String,
    /// Lines.
    pub series: Vec<Series>,
    /// Draw lines as steps (for empirical CDFs).
    pub steps: bool,
    /// Logarithmic x axis (values <= 0 are dropped).
    pub log_x: bool,
    /// The x values are seconds: shown in minutes, hours or days when the
    /// range is long (the unit is added to `x_label`), or at round
    /// durations on a log axis.
    pub x_seconds: bool,
    /// The y values are seconds (as `x_seconds`, linear only).
    pub y_seconds: bool,
    /// Clip bands and points to this y range (ratios: `(0, 1)`).
    pub y_clip: Option<(f64, f64)>,
    /// Written across the plot when no series has a point (default "no
    /// data").
    pub empty_note: String,
    /// The strategies in registry order: each line takes its strategy's
    /// colour, dash and marker from its place here (see `style`).
    pub order: Vec<String>,
    /// Categorical x: a label at each of these x positions instead of
    /// numeric ticks (empty: numeric ticks).
    pub x_ticks: Vec<(f64, String)>,
    /// Logarithmic y axis, ticks at 1, 2 and 5 times powers of ten (values
    /// <= 0 are dropped; bands are cut at a tenth of the smallest value).
    pub log_y: bool,
    /// A dotted horizontal line at this y (1 on a multiplier plot, 0 on a
    /// difference plot).
    pub y_ref: Option<f64>,
}

/// True when the positive values span more than 10× (the smallest to the
/// largest): a log axis then shows every line instead of flattening the
/// small ones.
pub fn spans_tenfold(values: impl Iterator<Item = f64>) -> bool {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    lo.is_finite() && hi > 10.0 * lo
}

/// `s` with its y values as log10 (points <= 0 dropped, band ends cut at
/// `floor`).
fn log_y_series(s: &Series, floor: f64) -> Series {
    Series {
        label: s.label.clone(),
        points: s
            .points
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|&(x, y)| (x, y.log10()))
            .collect(),
        band: s
            .band
            .iter()
            .map(|&(x, l, h)| (x, l.max(floor).log10(), h.max(floor).log10()))
            .collect(),
    }
}

/// The corner whose box (30% wide, 35% high) covers the fewest points.
fn emptiest_corner(
    series: &[Series],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::LowerRight, 0.7, 1.0, 0.0, 0.35),
        (SeriesLabelPosition::UpperLeft, 0.0, 0.3, 0.65, 1.0),
        (SeriesLabelPosition::UpperRight, 0.7, 1.0, 0.65, 1.0),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.3, 0.0, 0.35),
    ];
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .copied()
                .chain(s.band.iter().flat_map(|b| [(b.0, b.1), (b.0, b.2)]))
        })
        .map(|(x, y)| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0)))
        .collect();
    let count = |&(_, xa, xb, ya, yb): &(SeriesLabelPosition, f64, f64, f64, f64)| {
        pts.iter()
            .filter(|(x, y)| (xa..=xb).contains(x) && (ya..=yb).contains(y))
            .count()
    };
    let best = corners
        .iter()
        .min_by_key(|c| count(c))
        .expect("four corners");
    best.0.clone()
}

/// A tick label: whole numbers without decimals, others with up to three
/// significant decimals.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

fn log_series(s: &Series) -> Series {
    let lx = |x: f64| x.log10();
    Series {
        label: s.label.clone(),
        points: s
            .points
            .iter()
            .filter(|p| p.0 > 0.0)
            .map(|&(x, y)| (lx(x), y))
            .collect(),
        band: s
            .band
            .iter()
            .filter(|b| b.0 > 0.0)
            .map(|&(x, l, h)| (lx(x), l, h))
            .collect(),
    }
}

/// A stacked bar chart: one bar per category, one stack layer per part.
#[derive(Clone, Debug, Default)]
pub struct StackedBars {
    /// Title.
    pub title: String,
    /// Y axis label (with unit).
    pub y_label: String,
    /// Bars.
    pub categories: Vec<String>,
    /// Layers: name and one value per category.
    pub parts: Vec<(String, Vec<f64>)>,
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (
            lo - 0.5_f64.max(lo.abs() * 0.1),
            hi + 0.5_f64.max(hi.abs() * 0.1),
        );
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

fn step_points(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// A line chart's series as drawn: x on a log scale if asked (values <= 0
/// dropped), seconds divided into the axes' units, bands (and, for
/// ratios, points) clipped to `y_clip`.
fn prepared(c: &LineChart, x_div: f64, y_div: f64) -> Vec<Series> {
    let clip = |v: f64| c.y_clip.map_or(v, |(lo, hi)| v.clamp(lo, hi));
    c.series
        .iter()
        .map(|s| {
            let s = if c.log_x { log_series(s) } else { s.clone() };
            let x = |v: f64| if c.log_x { v } else { v / x_div };
            Series {
                label: s.label,
                points: s
                    .points
                    .iter()
                    .map(|&(a, b)| (x(a), clip(b) / y_div))
                    .collect(),
                band: s
                    .band
                    .iter()
                    .map(|&(a, l, h)| (x(a), clip(l) / y_div, clip(h) / y_div))
                    .collect(),
            }
        })
        .collect()
}

/// The unit divisor and axis title of a seconds axis (`title (min)`).
fn seconds_axis(title: &str, is_seconds: bool, max: f64) -> (f64, String) {
    if !is_seconds {
        return (1.0, title.to_string());
    }
    let (div, unit) = axis::time_unit(max);
    (div, format!("{title} ({unit})"))
}

/// The largest finite value `f` gives over the chart's points and bands.
fn max_of(c: &LineChart, f: impl Fn(&(f64, f64)) -> f64) -> f64 {
    c.series
        .iter()
        .flat_map(|s| s.points.iter().map(&f))
        .chain(
            c.series
                .iter()
                .flat_map(|s| s.band.iter().map(|b| f(&(b.0, b.2)))),
        )
        .filter(|v| v.is_finite())
        .fold(0.0, |m: f64, v| m.max(v.abs()))
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(drawing)?;
    let (x_div, mut x_title) =
        seconds_axis(&c.x_label, c.x_seconds && !c.log_x, max_of(c, |p| p.0));
    if c.log_x {
        x_title = format!("{} (log scale)", c.x_label);
    }
    let (y_div, mut y_title) = seconds_axis(&c.y_label, c.y_seconds, max_of(c, |p| p.1));
    let mut series = prepared(c, x_div, y_div);
    if c.log_y {
        let floor = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min)
            / 10.0;
        let floor = if floor.is_finite() { floor } else { 1e-3 };
        series = series.iter().map(|s| log_y_series(s, floor)).collect();
        y_title = format!("{y_title} (log scale)");
    }
    let empty = series.iter().all(|s| s.points.is_empty());
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| {
        s.points
            .iter()
            .map(|p| p.1)
            .chain(s.band.iter().flat_map(|b| [b.1, b.2]))
    });
    let (mut x0, mut x1) = bounds(xs);
    if let (Some(first), Some(last)) = (c.x_ticks.first(), c.x_ticks.last()) {
        (x0, x1) = (first.0 - 0.4, last.0 + 0.4);
    }
    let y_ref = c.y_ref.map(|r| {
        if c.log_y {
            r.max(f64::MIN_POSITIVE).log10()
        } else {
            r / y_div
        }
    });
    let (mut y0, mut y1) = bounds(ys.chain(y_ref));
    if let Some((lo, hi)) = c.y_clip.filter(|_| !c.log_y) {
        let pad = (hi - lo) * 0.03;
        (y0, y1) = (y0.max(lo - pad), y1.min(hi + pad));
    }
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(drawing)?;
    let log_time = c.log_x && c.x_seconds;
    let log_x = c.log_x;
    let x_fmt = move |v: &f64| {
        if log_x {
            tick(10f64.powf(*v))
        } else {
            tick(*v)
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_label_formatter(&|v| tick(*v))
        .x_desc(&x_title)
        .y_desc(&y_title)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17));
    if log_time || !c.x_ticks.is_empty() {
        // Round durations instead of powers of ten of seconds, or the
        // categories' labels, drawn below.
        mesh.x_labels(0).disable_x_mesh();
    }
    if c.log_y {
        mesh.y_labels(0).disable_y_mesh();
    }
    mesh.draw().map_err(drawing)?;
    if log_time {
        duration_grid(&mut chart, root, (x0, x1), (y0, y1))?;
    }
    if !c.x_ticks.is_empty() {
        category_ticks(&mut chart, root, &c.x_ticks, (y0, y1))?;
    }
    if c.log_y {
        log_y_grid(&mut chart, root, (x0, x1), (y0, y1))?;
    }
    if let Some(r) = y_ref {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, r), (x1, r)],
                3,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    let looks = style::styles(&labels, &c.order);
    for (i, s) in series.iter().enumerate() {
        draw_one(&mut chart, s, looks[i], c.steps, (i, series.len()))?;
    }
    if empty {
        no_data(root, &chart, (x0, x1), (y0, y1), &c.empty_note)?;
    }
    let at = emptiest_corner(&series, (x0, x1), (y0, y1));
    legend_and_present(&mut chart, root, at)
}

/// Vertical grid lines and labels at round durations on a log-seconds x
/// axis (the values are log10 of seconds).
fn duration_grid<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    root: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let ticks = axis::duration_ticks(10f64.powf(x0), 10f64.powf(x1));
    for &(t, _) in &ticks {
        let x = t.log10();
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, y0), (x, y1)],
                BLACK.mix(0.15),
            )))
            .map_err(drawing)?;
    }
    let style = TextStyle::from(("sans-serif", 15).into_font())
        .pos(Pos::new(HPos::Center, VPos::Top))
        .color(&BLACK);
    for (t, label) in ticks {
        let (px, py) = chart.backend_coord(&(t.log10(), y0));
        root.draw(&Text::new(label, (px, py + 6), style.clone()))
            .map_err(drawing)?;
    }
    Ok(())
}

/// The categories' labels under the x axis, with a faint vertical line at
/// each.
fn category_ticks<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    root: &DrawingArea<DB, Shift>,
    ticks: &[(f64, String)],
    (y0, y1): (f64, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (x, _) in ticks {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*x, y0), (*x, y1)],
                BLACK.mix(0.1),
            )))
            .map_err(drawing)?;
    }
    let style = TextStyle::from(("sans-serif", 15).into_font())
        .pos(Pos::new(HPos::Center, VPos::Top))
        .color(&BLACK);
    for (x, label) in ticks {
        let (px, py) = chart.backend_coord(&(*x, y0));
        root.draw(&Text::new(label.clone(), (px, py + 6), style.clone()))
            .map_err(drawing)?;
    }
    Ok(())
}

/// Horizontal grid lines and labels at 1, 2 and 5 times powers of ten on
/// a log y axis (the values are log10).
fn log_y_grid<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    root: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let decades = (y1 - y0).max(0.0);
    // Over four decades, powers of ten only.
    let steps: &[f64] = if decades > 4.0 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut ticks = Vec::new();
    for e in (y0.floor() as i32)..=(y1.ceil() as i32) {
        for m in steps {
            let v = m * 10f64.powi(e);
            if (y0..=y1).contains(&v.log10()) {
                ticks.push(v);
            }
        }
    }
    for v in &ticks {
        let y = v.log10();
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, y), (x1, y)],
                BLACK.mix(0.15),
            )))
            .map_err(drawing)?;
    }
    let style = TextStyle::from(("sans-serif", 15).into_font())
        .pos(Pos::new(HPos::Right, VPos::Center))
        .color(&BLACK);
    for v in ticks {
        let (px, py) = chart.backend_coord(&(x0, v.log10()));
        root.draw(&Text::new(tick(v), (px - 6, py), style.clone()))
            .map_err(drawing)?;
    }
    Ok(())
}

/// Draws one series: its band, its line (dashed as its style says) and
/// its markers (every point of a short line; about eight on a long one,
/// staggered by the series' place so that overlapping lines show each
/// their own markers).
fn draw_one<'b, DB: DrawingBackend + 'b>(
    chart: &mut ChartContext<'b, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    s: &Series,
    look: LineStyle,
    steps: bool,
    (i, n): (usize, usize),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let color = look.color;
    if !s.band.is_empty() {
        let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
        poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                poly,
                color.mix(0.15).filled(),
            )))
            .map_err(drawing)?;
    }
    let pts = if steps {
        step_points(&s.points)
    } else {
        s.points.clone()
    };
    let line = color.stroke_width(2);
    let drawn = match look.dash {
        None => chart.draw_series(LineSeries::new(pts, line)),
        Some((dash, gap)) => chart.draw_series(DashedLineSeries::new(pts, dash, gap, line)),
    };
    drawn
        .map_err(drawing)?
        .label(s.label.clone())
        .legend(move |(x, y)| legend_mark((x, y), look));
    let marked: Vec<(f64, f64)> = if s.points.len() <= 30 {
        s.points.clone()
    } else {
        const MARKS: usize = 8;
        let stride = s.points.len() / MARKS;
        let offset = stride * i / n.max(1) + stride / (2 * n.max(1));
        s.points
            .iter()
            .skip(offset)
            .step_by(stride.max(1))
            .copied()
            .collect()
    };
    chart
        .draw_series(marked.into_iter().map(|p| {
            let (pts, fill, stroke) = marker_shape(look);
            let mut closed = pts.clone();
            closed.push(pts[0]);
            EmptyElement::at(p) + Polygon::new(pts, fill) + PathElement::new(closed, stroke)
        }))
        .map_err(drawing)?;
    Ok(())
}

/// The outline of `look`'s marker around (0, 0), in pixels, its fill
/// and its outline's style (a ring is filled white).
fn marker_shape(look: LineStyle) -> (Vec<(i32, i32)>, ShapeStyle, ShapeStyle) {
    let round = |r: f64| -> Vec<(i32, i32)> {
        (0..16)
            .map(|k| {
                let a = k as f64 * std::f64::consts::PI / 8.0;
                ((r * a.cos()).round() as i32, (r * a.sin()).round() as i32)
            })
            .collect()
    };
    let pts = match look.marker {
        Marker::Circle | Marker::Ring => round(4.5),
        Marker::Triangle => vec![(0, -6), (5, 4), (-5, 4)],
        Marker::Square => vec![(-4, -4), (4, -4), (4, 4), (-4, 4)],
        Marker::Diamond => vec![(0, -6), (5, 0), (0, 6), (-5, 0)],
        Marker::Cross => vec![
            (-5, -3),
            (-3, -5),
            (0, -2),
            (3, -5),
            (5, -3),
            (2, 0),
            (5, 3),
            (3, 5),
            (0, 2),
            (-3, 5),
            (-5, 3),
            (-2, 0),
        ],
    };
    let fill = if look.marker == Marker::Ring {
        WHITE.filled()
    } else {
        look.color.filled()
    };
    (pts, fill, look.color.stroke_width(2))
}

/// A legend entry: a short stretch of the line in its dash, with its marker.
fn legend_mark<'b, DB: DrawingBackend + 'b>(
    (x, y): (i32, i32),
    look: LineStyle,
) -> impl IntoDynElement<'b, DB, (i32, i32)> {
    let (pts, fill, stroke) = marker_shape(look);
    let mut closed: Vec<(i32, i32)> = pts.iter().map(|&(a, b)| (a + 12, b)).collect();
    closed.push(closed[0]);
    let shifted: Vec<(i32, i32)> = pts.iter().map(|&(a, b)| (a + 12, b)).collect();
    // Solid: one dash longer than the stretch.
    let (dash, gap) = look.dash.unwrap_or((30, 1));
    EmptyElement::at((x, y))
        + DashedPathElement::new(vec![(0, 0), (24, 0)], dash, gap, look.color.stroke_width(2))
        + Polygon::new(shifted, fill)
        + PathElement::new(closed, stroke)
}

/// Writes `note` (or "no data") in the middle of an empty plot.
fn no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    note: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let text = if note.is_empty() { "no data" } else { note };
    let at = chart.backend_coord(&((x0 + x1) / 2.0, (y0 + y1) / 2.0));
    let style = TextStyle::from(("sans-serif", 22).into_font())
        .pos(Pos::new(HPos::Center, VPos::Center))
        .color(&GREY_TEXT);
    root.draw(&Text::new(text.to_string(), at, style))
        .map_err(drawing)?;
    Ok(())
}

/// Draws the legend at `at` and writes the drawing out.
fn legend_and_present<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    root: &DrawingArea<DB, Shift>,
    at: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(at)
        .label_font(("sans-serif", 15))
        .legend_area_size(34)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)?;
    Ok(())
}

/// Renders into `<stem>.svg` and `<stem>.png`, each drawn in memory and
/// written atomically, so a failure to write (a full disk) names the file.
fn render(
    stem: &Path,
    svg_draw: impl Fn(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
    png_draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<()> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        svg_draw(&root)?;
    }
    write_atomic(&stem.with_extension("svg"), svg.as_bytes())?;
    let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        png_draw(&root)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, SIZE.0, SIZE.1, image::ColorType::Rgb8)
        .map_err(|e| Error::Plot(format!("cannot encode {}: {e}", stem.display())))?;
    write_atomic(&stem.with_extension("png"), &png)
}

/// Writes a line chart to `<stem>.png` and `<stem>.svg`.
pub fn line_chart(stem: &Path, chart: &LineChart) -> Result<()> {
    render(stem, |r| draw_lines(r, chart), |r| draw_lines(r, chart))
}

/// Writes a stacked bar chart to `<stem>.png` and `<stem>.svg`.
pub fn stacked_bars(stem: &Path, chart: &StackedBars) -> Result<()> {
    render(
        stem,
        |r| bars::draw_bars(r, chart),
        |r| bars::draw_bars(r, chart),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plot_is_written_with_its_note() {
        let dir = tempfile::tempdir().unwrap();
        let chart = LineChart {
            title: "nothing".into(),
            x_label: "latency".into(),
            y_label: "fraction".into(),
            series: vec![Series {
                label: "mvds".into(),
                ..Series::default()
            }],
            log_x: true,
            x_seconds: true,
            empty_note: "no data: nothing was delivered".into(),
            ..LineChart::default()
        };
        line_chart(&dir.path().join("empty"), &chart).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("empty.svg")).unwrap();
        assert!(svg.contains("no data: nothing was delivered"), "{svg}");
        assert!(dir.path().join("empty.png").exists());
        let bars = StackedBars {
            title: "b".into(),
            y_label: "bytes".into(),
            categories: vec!["mvds".into()],
            parts: vec![("message".into(), vec![0.0])],
        };
        stacked_bars(&dir.path().join("bars"), &bars).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("bars.svg")).unwrap();
        assert!(svg.contains("no data"), "{svg}");
        if let Ok(d) = std::env::var("MESHSYNC_KEEP_PLOTS") {
            for f in ["empty.png", "bars.png"] {
                std::fs::copy(dir.path().join(f), Path::new(&d).join(format!("x-{f}"))).unwrap();
            }
        }
    }

    #[test]
    fn bars_thirty_times_the_rest_go_on_a_log_scale_with_totals() {
        let dir = tempfile::tempdir().unwrap();
        let bars = StackedBars {
            title: "b".into(),
            y_label: "bytes per delivery".into(),
            categories: vec!["bsp-batch".into(), "epidemic".into()],
            parts: vec![("message".into(), vec![400.0, 12000.0])],
        };
        stacked_bars(&dir.path().join("bars"), &bars).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("bars.svg")).unwrap();
        assert!(
            svg.contains("log scale") && svg.contains("bars span 30×"),
            "{svg}"
        );
        assert!(
            svg.contains(">\n400\n<") || svg.contains(">400<"),
            "totals above the bars"
        );
        let even = StackedBars {
            parts: vec![("message".into(), vec![400.0, 1200.0])],
            ..bars
        };
        stacked_bars(&dir.path().join("even"), &even).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("even.svg")).unwrap();
        assert!(!svg.contains("log scale"));
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(1000.0), "1000");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.25), "0.25");
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("chart");
        let chart = LineChart {
            title: "t".into(),
            x_label: "x (s)".into(),
            y_label: "y".into(),
            series: vec![Series {
                label: "a".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
                band: vec![(0.0, -0.1, 0.1), (1.0, 0.9, 1.1)],
            }],
            ..LineChart::default()
        };
        line_chart(&stem, &chart).unwrap();
        let png = std::fs::read(stem.with_extension("png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains(">\nt\n</text>"),
            "titled SVG"
        );
        let bars = StackedBars {
            title: "b".into(),
            y_label: "bytes".into(),
            categories: vec!["x".into(), "y".into()],
            parts: vec![("p".into(), vec![1.0, 2.0]), ("q".into(), vec![3.0, 0.5])],
        };
        stacked_bars(&dir.path().join("bars"), &bars).unwrap();
        assert!(dir.path().join("bars.png").exists());
        if let Ok(d) = std::env::var("MESHSYNC_KEEP_PLOTS") {
            for f in ["chart.png", "bars.png"] {
                std::fs::copy(dir.path().join(f), Path::new(&d).join(f)).unwrap();
            }
        }
    }
}
