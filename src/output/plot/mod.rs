//! Plots as PNG and SVG, with no system libraries: plotters' bitmap and SVG
//! backends and the DejaVu Sans font shipped in this folder (through
//! `ab_glyph`). Every chart is written twice, `<stem>.png` and `<stem>.svg`,
//! each drawn in memory (a drawing error is never an I/O error) and written
//! atomically.

use crate::output::write_atomic;
use anyhow::{anyhow, Result};
use image::ImageEncoder;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");
const SIZE: (u32, u32) = (960, 600);
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn register_font() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "cannot load the bundled font".to_string())
    })
    .clone()
    .map_err(|e| anyhow!(e))
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

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let logged: Vec<Series>;
    let series = if c.log_x {
        logged = c.series.iter().map(log_series).collect();
        &logged
    } else {
        &c.series
    };
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| {
        s.points
            .iter()
            .map(|p| p.1)
            .chain(s.band.iter().flat_map(|b| [b.1, b.2]))
    });
    let (x0, x1) = bounds(xs);
    let (y0, y1) = bounds(ys);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| anyhow!("{e:?}"))?;
    let log_x = c.log_x;
    let x_fmt = move |v: &f64| {
        if log_x {
            tick(10f64.powf(*v))
        } else {
            tick(*v)
        }
    };
    chart
        .configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v| tick(*v))
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        if !s.band.is_empty() {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
            poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    color.mix(0.18).filled(),
                )))
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        let pts = if c.steps {
            step_points(&s.points)
        } else {
            s.points.clone()
        };
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(|e| anyhow!("{e:?}"))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        if !c.steps && s.points.len() <= 30 {
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| anyhow!("{e:?}"))?;
        }
    }
    let at = emptiest_corner(series, (x0, x1), (y0, y1));
    legend_and_present(&mut chart, root, at)
}

/// Draws the legend at `at` and writes the drawing out.
fn legend_and_present<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
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
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &StackedBars) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let n = c.categories.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| c.parts.iter().map(|p| p.1[i].max(0.0)).sum())
        .collect();
    let top = totals.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
        .map_err(|e| anyhow!("{e:?}"))?;
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
        .y_desc(&c.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    let mut base = vec![0.0; n];
    for (k, (name, values)) in c.parts.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let rects: Vec<_> = (0..n)
            .map(|i| {
                let (lo, hi) = (base[i], base[i] + values[i].max(0.0));
                base[i] = hi;
                Rectangle::new([(i as f64 - 0.3, lo), (i as f64 + 0.3, hi)], color.filled())
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(|e| anyhow!("{e:?}"))?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    legend_and_present(&mut chart, root, SeriesLabelPosition::UpperRight)
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
        .map_err(|e| anyhow!("cannot encode {}: {e}", stem.display()))?;
    write_atomic(&stem.with_extension("png"), &png)
}

/// Writes a line chart to `<stem>.png` and `<stem>.svg`.
pub fn line_chart(stem: &Path, chart: &LineChart) -> Result<()> {
    render(stem, |r| draw_lines(r, chart), |r| draw_lines(r, chart))
}

/// Writes a stacked bar chart to `<stem>.png` and `<stem>.svg`.
pub fn stacked_bars(stem: &Path, chart: &StackedBars) -> Result<()> {
    render(stem, |r| draw_bars(r, chart), |r| draw_bars(r, chart))
}

#[cfg(test)]
mod tests {
    use super::*;

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
