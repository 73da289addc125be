//! Turning one chart into a PNG and an SVG file, atomically.
//!
//! Every chart is drawn by the same code on both backends (the [`Chart`] trait is generic over
//! plotters' `DrawingBackend`); the PNG is drawn into a buffer and encoded by
//! [`super::raster`]. Each file is written to a temporary file in its final directory
//! and renamed into place, so an interrupted run never leaves a half-written chart. SVG does not
//! embed fonts: the private family name the font is registered under is replaced by a font stack
//! of common Chinese fonts.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use tempfile::NamedTempFile;

use super::canvas::Canvas;
use super::raster::{RgbBackend, encode_png};
use super::theme::Theme;

/// Fonts a viewer of the SVG files should try, in order.
pub const SVG_FONT_STACK: &str = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', \
     'Microsoft YaHei', 'PingFang SC', 'Hiragino Sans GB', 'DejaVu Sans', Arial, sans-serif";

/// Result type of drawing code; plotters' errors are converted into `anyhow` errors.
pub type DrawResult = anyhow::Result<()>;

/// A chart that can be drawn on any backend.
pub trait Chart {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draw the whole chart (background included) on the canvas.
    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Write `chart` as `<dir>/<stem>.png` and `<dir>/<stem>.svg`; returns both paths.
pub fn write(dir: &Path, stem: &str, chart: &impl Chart, theme: &Theme) -> anyhow::Result<Vec<PathBuf>> {
    let size = chart.size();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));

    // The pixels are drawn into a buffer (pixel for pixel what plotters' `BitMapBackend` draws,
    // see `raster`) and encoded here, at a setting chosen for charts.
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = RgbBackend::new(&mut pixels, size).into_drawing_area();
        chart
            .draw(&Canvas { root: &root, theme, per_glyph: true })
            .with_context(|| format!("drawing {}", png.display()))?;
        root.present().with_context(|| format!("drawing {}", png.display()))?;
    }
    let mut encoded = Vec::with_capacity(pixels.len() / 8);
    encode_png(&pixels, size, &mut encoded).with_context(|| format!("encoding {}", png.display()))?;
    drop(pixels);
    crate::report::manifest::sweep_temporaries(dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(&crate::report::manifest::temp_prefix())
        .suffix(".png")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(&encoded).with_context(|| format!("writing {}", png.display()))?;
    persist(tmp, &png, theme)?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        chart
            .draw(&Canvas { root: &root, theme, per_glyph: false })
            .with_context(|| format!("drawing {}", svg.display()))?;
        root.present().with_context(|| format!("drawing {}", svg.display()))?;
    }
    let text =
        text.replace(&format!("font-family=\"{}\"", theme.font.family), &format!("font-family=\"{SVG_FONT_STACK}\""));
    match &theme.files {
        Some(batch) => batch.write(&svg, text.as_bytes())?,
        None => crate::report::atomic_write(&svg, text.as_bytes())?,
    }
    Ok(vec![png, svg])
}

/// Make world-readable like any other output file, then flush and rename into place, now or
/// with the rest of the theme's batch of files.
fn persist(tmp: NamedTempFile, target: &Path, theme: &Theme) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    match &theme.files {
        Some(batch) => batch.hold(tmp, target),
        None => {
            tmp.as_file().sync_all().with_context(|| format!("writing {}", target.display()))?;
            tmp.persist(target).with_context(|| format!("cannot move the chart into place at {}", target.display()))?;
            crate::report::manifest::record(target);
        }
    }
    Ok(())
}
