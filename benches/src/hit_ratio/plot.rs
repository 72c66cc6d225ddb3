//! One PNG per workload: hit ratio against capacity, one line per contender, the
//! offline optimum dashed.

use super::contenders::Contender;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;

/// The font family the plots use, registered by [`use_font`].
const FAMILY: &str = "sans-serif";

/// Registers the TrueType/OpenType font at `path` for the plots' text.
pub fn use_font(path: &Path) -> Result<(), Box<dyn Error>> {
    let bytes: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
        .map_err(|_| format!("{}: not a TrueType/OpenType font", path.display()))?;
    Ok(())
}

fn color_of(contender: Contender) -> RGBAColor {
    match contender {
        Contender::Memotrace => RGBColor(214, 39, 40),
        Contender::Moka => RGBColor(44, 160, 44),
        Contender::CachedLru => RGBColor(31, 119, 180),
        Contender::Opt => RGBColor(0, 0, 0),
    }
    .to_rgba()
}

/// One contender's points: (capacity in % of the distinct keys, hit ratio in %).
pub struct Line {
    /// Whose line.
    pub contender: Contender,
    /// The measured points, in capacity order.
    pub points: Vec<(f64, f64)>,
}

/// Draws `lines` to the PNG at `path`, titled `title`.
pub fn draw(path: &Path, title: &str, lines: &[Line]) -> Result<(), Box<dyn Error>> {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    // A free decade left of the smallest capacity holds the legend.
    let root = BitMapBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d((lo / 20.0..hi * 2.0).log_scale(), 0f64..100f64)?;
    chart
        .configure_mesh()
        .x_desc("capacity (% of distinct keys)")
        .y_desc("hit ratio (%)")
        .label_style((FAMILY, 14))
        .draw()?;
    for line in lines {
        let color = color_of(line.contender);
        let style = color.stroke_width(2);
        let points = line.points.iter().copied();
        let drawn = if line.contender == Contender::Opt {
            chart.draw_series(DashedLineSeries::new(points, 8, 6, style))?
        } else {
            chart.draw_series(LineSeries::new(points, style))?
        };
        drawn
            .label(line.contender.name())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
