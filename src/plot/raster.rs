//! The PNG side of the charts: an RGB buffer drawn by plotters' own bitmap code, except for the
//! translucent fills it does slowly, encoded with the `png` crate at a setting chosen for charts.
//!
//! **Invariant:** [`RgbBackend`] gives every pixel exactly the value plotters' `BitMapBackend`
//! gives it (`raster::tests` draws the same shapes on both and compares the buffers; the
//! flagship's 310 PNGs decode to the same pixels as before).
//!
//! Why not `BitMapBackend` as it is, with a measurement (flagship scenario, `run --paths 1000
//! --threads 1`, perf): 20% of the charts' CPU was plotters' `blend_rect_fast` called with
//! rectangles one pixel wide — the fan charts' translucent bands are filled by plotters' polygon
//! rasteriser as one vertical line per pixel column, and each line goes through the general
//! rectangle blend, whose per-row set-up costs more than the blend. [`RgbBackend`] blends such a
//! column in one strided loop and any other translucent rectangle row by row, with plotters' two
//! rounding rules (its eight-pixel word blend for the first `8·⌊(width−1)/8⌋` pixels of a row,
//! its byte blend for the rest). Text (8% of the charts' CPU went to rasterising glyphs, most of
//! them the same digits and characters chart after chart) is rasterised once per thread and its
//! pixels replayed through the same `draw_pixel` calls; opaque lines, rectangles and bitmaps are
//! handed to a `BitMapBackend` on the same buffer.
//!
//! Why not plotters' encoder (the `image` crate's PNG defaults): it picks a filter for every row by
//! trying all four (adaptive), which was another 35% of the charts' CPU. Charts are flat colours;
//! on the flagship's 155 Chinese charts, re-encoded with png 0.17's `Compression::Fast` (fdeflate):
//!
//! | filter            | encode CPU | bytes (vs adaptive) |
//! |-------------------|-----------:|--------------------:|
//! | adaptive (before) |    0.60 s  | 20.2 MB (1.00×)     |
//! | Sub               |    0.24 s  | 34.1 MB (1.69×)     |
//! | Up                |    0.23 s  | 38.3 MB (1.89×)     |
//! | Paeth             |    0.39 s  | 20.6 MB (1.02×)     |
//!
//! and with `Compression::Default` (zlib level 6) 1.0–1.9 s for 0.57–0.65×. Paeth is the fastest
//! setting within 1.5× of the old sizes, hence `Fast` + Paeth.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use plotters::backend::BitMapBackend;
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// Bytes per pixel of the buffer (RGB, 8 bits each, as plotters' `RGBPixel`).
const PIXEL: usize = 3;

/// A plotters backend drawing into an RGB buffer, pixel for pixel as `BitMapBackend` does.
pub struct RgbBackend<'a> {
    buffer: &'a mut [u8],
    size: (u32, u32),
}

/// plotters-bitmap's error type (the bitmap backend's errors pass through unchanged).
type BitMapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;
type DrawResult = Result<(), DrawingErrorKind<BitMapError>>;

impl<'a> RgbBackend<'a> {
    /// A backend on `buffer`, which holds `size.0 × size.1` RGB pixels row by row.
    pub fn new(buffer: &'a mut [u8], size: (u32, u32)) -> Self {
        assert_eq!(buffer.len(), size.0 as usize * size.1 as usize * PIXEL, "RGB buffer of the wrong size");
        RgbBackend { buffer, size }
    }

    /// plotters' own backend on the same buffer, for everything drawn as plotters draws it.
    fn plotters(&mut self) -> BitMapBackend<'_> {
        BitMapBackend::with_buffer(self.buffer, self.size)
    }

    /// `RGBPixel::blend_rect_fast` of plotters-bitmap 0.3.7, the same bits: the rectangle
    /// `upper_left..bottom_right` (exclusive) clipped to the image, blended with `rgb` at `alpha`.
    fn blend_rect(&mut self, upper_left: BackendCoord, bottom_right: BackendCoord, rgb: (u8, u8, u8), alpha: f64) {
        let (w, h) = (self.size.0 as i32, self.size.1 as i32);
        let alpha = alpha.clamp(0.0, 1.0);
        if alpha == 0.0 {
            return;
        }
        let (x0, y0) = (upper_left.0.min(bottom_right.0).max(0), upper_left.1.min(bottom_right.1).max(0));
        let (x1, y1) = (upper_left.0.max(bottom_right.0).min(w), upper_left.1.max(bottom_right.1).min(h));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let a = (256.0 * alpha).floor() as u32;
        let color = [rgb.0, rgb.1, rgb.2];
        let stride = w as usize * PIXEL;
        let count = (x1 - x0) as usize;
        let first = (y0 as usize * w as usize + x0 as usize) * PIXEL;
        let rows = (y1 - y0) as usize;
        if count == 1 {
            // A column (what the polygon rasteriser draws): plotters' byte blend, one pixel a row.
            for row in self.buffer[first..].chunks_mut(stride).take(rows) {
                for (byte, &c) in row[..PIXEL].iter_mut().zip(&color) {
                    *byte = blend_byte(*byte, c, a);
                }
            }
            return;
        }
        // plotters blends eight pixels at a time (as 16-bit lanes of three u64 words) while more
        // than eight remain, then the rest byte by byte: two rounding rules.
        let words = (count - 1) / 8 * 8 * PIXEL;
        for row in self.buffer[first..].chunks_mut(stride).take(rows) {
            let (head, tail) = row[..count * PIXEL].split_at_mut(words);
            for pixel in head.chunks_exact_mut(PIXEL) {
                for (byte, &c) in pixel.iter_mut().zip(&color) {
                    *byte = blend_word(*byte, c, a);
                }
            }
            for pixel in tail.chunks_exact_mut(PIXEL) {
                for (byte, &c) in pixel.iter_mut().zip(&color) {
                    *byte = blend_byte(*byte, c, a);
                }
            }
        }
    }
}

/// plotters-bitmap's `blend`: `prev ± |new − prev|·a/256`, rounded toward `prev`.
#[inline(always)]
fn blend_byte(prev: u8, new: u8, a: u32) -> u8 {
    if new > prev {
        prev + ((u32::from(new - prev) * a) >> 8) as u8
    } else {
        prev - ((u32::from(prev - new) * a) >> 8) as u8
    }
}

/// plotters-bitmap's eight-pixel blend, one byte of it: `⌊(prev·(256 − a) + new·a) / 256⌋`.
#[inline(always)]
fn blend_word(prev: u8, new: u8, a: u32) -> u8 {
    ((u32::from(prev) * (256 - a) + u32::from(new) * a) >> 8) as u8
}

impl DrawingBackend for RgbBackend<'_> {
    type ErrorType = BitMapError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> DrawResult {
        Ok(())
    }

    /// Nothing to flush: the caller encodes the buffer ([`encode_png`]).
    fn present(&mut self) -> DrawResult {
        Ok(())
    }

    /// `BitMapBackend::draw_pixel` with `RGBPixel::draw_pixel`: opaque from alpha 255/256 on,
    /// else plotters' byte blend at `⌊256·alpha⌋`.
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> DrawResult {
        let (w, h) = self.size;
        if point.0 < 0 || point.1 < 0 || point.0 as u32 >= w || point.1 as u32 >= h {
            return Ok(());
        }
        let at = (point.1 as usize * w as usize + point.0 as usize) * PIXEL;
        let pixel = &mut self.buffer[at..at + PIXEL];
        let (r, g, b) = color.rgb;
        if color.alpha >= 1.0 - 1.0 / 256.0 {
            pixel.copy_from_slice(&[r, g, b]);
        } else if color.alpha > 0.0 || color.alpha.is_nan() {
            let a = (color.alpha * 256.0).floor() as u32;
            for (byte, c) in pixel.iter_mut().zip([r, g, b]) {
                *byte = blend_byte(*byte, c, a);
            }
        }
        Ok(())
    }

    /// The default `draw_text` of plotters' backend API (what `BitMapBackend` uses), with the
    /// pixels of a text (a glyph, as [`super::canvas`] places them one by one) rasterised once
    /// per thread and replayed: the same `draw_pixel` calls in the same order.
    fn draw_text<TStyle: BackendTextStyle>(&mut self, text: &str, style: &TStyle, pos: BackendCoord) -> DrawResult {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let inked = text_pixels(text, style)?;
        let ((min_x, min_y), (max_x, max_y)) = inked.layout;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.size;
        for &(x, y, alpha) in &inked.pixels {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                self.draw_pixel((x, y), BackendColor { alpha, rgb: color.rgb })?;
            }
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> DrawResult {
        let color = style.color();
        // `BitMapBackend::draw_line` blends a translucent one-pixel-wide horizontal or vertical
        // line as the rectangle `from..=to`.
        if (from.0 == to.0 || from.1 == to.1) && style.stroke_width() == 1 && color.alpha < 1.0 {
            self.blend_rect(from, (to.0 + 1, to.1 + 1), color.rgb, color.alpha);
            return Ok(());
        }
        self.plotters().draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        let color = style.color();
        if fill && color.alpha < 1.0 {
            self.blend_rect(upper_left, bottom_right, color.rgb, color.alpha);
            return Ok(());
        }
        self.plotters().draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> DrawResult {
        self.plotters().blit_bitmap(pos, size, src)
    }
}

/// A text's layout box and the pixels plotters' font code asks to draw for it at (0, 0), with
/// their alpha; pixels it asks to draw at alpha 0 (which draw nothing) are left out.
struct InkedText {
    layout: ((i32, i32), (i32, i32)),
    pixels: Vec<(i32, i32, f64)>,
}

/// What identifies an [`InkedText`]: the pixels depend on the text, font, style, size and the
/// colour's alpha (which multiplies every pixel's coverage), not on position, anchor or rotation.
#[derive(PartialEq, Eq, Hash)]
struct TextKey {
    text: String,
    font: String,
    size: u64,
    alpha: u64,
}

/// Texts kept per thread (about 16 bytes a pixel); the cache is emptied when it holds more.
const CACHED_PIXELS: usize = 1 << 20;

thread_local! {
    static TEXTS: RefCell<(HashMap<TextKey, Rc<InkedText>>, usize)> = RefCell::new((HashMap::new(), 0));
}

/// The [`InkedText`] of `text` in `style`, from this thread's cache or rasterised now (errors as
/// plotters' default `draw_text` reports them).
fn text_pixels<TStyle: BackendTextStyle>(
    text: &str,
    style: &TStyle,
) -> Result<Rc<InkedText>, DrawingErrorKind<BitMapError>> {
    let key = TextKey {
        text: text.to_owned(),
        font: format!("{}\0{}", style.family().as_str(), style.style().as_str()),
        size: style.size().to_bits(),
        alpha: style.color().alpha.to_bits(),
    };
    if let Some(inked) = TEXTS.with(|texts| texts.borrow().0.get(&key).cloned()) {
        return Ok(inked);
    }
    let layout = style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
    let mut pixels = Vec::new();
    style
        .draw(text, (0, 0), |x, y, color| {
            if color.alpha > 0.0 || color.alpha.is_nan() {
                pixels.push((x, y, color.alpha));
            }
            Ok::<(), DrawingErrorKind<BitMapError>>(())
        })
        .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))??;
    let inked = Rc::new(InkedText { layout, pixels });
    TEXTS.with(|texts| {
        let (map, cached) = &mut *texts.borrow_mut();
        if *cached + inked.pixels.len() > CACHED_PIXELS {
            map.clear();
            *cached = 0;
        }
        *cached += inked.pixels.len();
        map.insert(key, inked.clone());
    });
    Ok(inked)
}

/// `rgb` (`size.0 × size.1` pixels, row by row) as a PNG file: 8-bit RGB, Paeth-filtered,
/// fdeflate-compressed (see the module documentation for why) — byte for byte what png 0.17
/// writes with `Compression::Fast` and `FilterType::Paeth`, faster: a row equal to the row above
/// (40% of the flagship's rows: margins, flat bands) filters to zeros, so it is not filtered.
pub fn encode_png(rgb: &[u8], size: (u32, u32), out: impl Write) -> Result<(), png::EncodingError> {
    let mut encoder = png::Encoder::new(out, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Checks the size before anything is filtered.
    let mut writer = encoder.write_header()?;
    let stride = size.0 as usize * PIXEL;
    assert_eq!(rgb.len(), stride * size.1 as usize, "RGB buffer of the wrong size");
    writer.write_chunk(png::chunk::IDAT, &paeth_zlib(rgb, stride)?)?;
    writer.finish()
}

/// PNG filter type byte of Paeth.
const PAETH: u8 = 4;

/// The zlib stream of `rgb`'s rows of `stride` bytes, each Paeth-filtered behind its filter type
/// byte, as png 0.17's encoder makes it at `Compression::Fast` (the same `write_data` call per
/// row, and the same fallback to stored blocks when compressing does not pay).
fn paeth_zlib(rgb: &[u8], stride: usize) -> std::io::Result<Vec<u8>> {
    let rows = rgb.len() / stride;
    let mut compressor = fdeflate::Compressor::new(Vec::with_capacity(rgb.len() / 8))?;
    let zeros = vec![0u8; stride];
    let mut line = vec![0u8; stride + 1];
    line[0] = PAETH;
    let mut previous: &[u8] = &zeros;
    for row in rgb.chunks_exact(stride) {
        if row == previous {
            // Paeth predicts every byte of a repeated row as the byte above it (a = c, so
            // p = b), whichever of the three it picks.
            line[1..].fill(0);
        } else {
            paeth_row(previous, row, &mut line[1..]);
        }
        compressor.write_data(&line)?;
        previous = row;
    }
    let compressed = compressor.finish()?;
    if compressed.len() <= fdeflate::StoredOnlyCompressor::<()>::compressed_size((stride + 1) * rows) {
        return Ok(compressed);
    }
    let mut stored = fdeflate::StoredOnlyCompressor::new(std::io::Cursor::new(Vec::new()))?;
    for row in rgb.chunks_exact(stride) {
        stored.write_data(&[0])?;
        stored.write_data(row)?;
    }
    Ok(stored.finish()?.into_inner())
}

/// One row Paeth-filtered against the row above (PNG specification, filter type 4).
fn paeth_row(previous: &[u8], current: &[u8], out: &mut [u8]) {
    for i in 0..PIXEL {
        out[i] = current[i].wrapping_sub(paeth(0, previous[i], 0));
    }
    let (left, above, above_left) =
        (&current[..current.len() - PIXEL], &previous[PIXEL..], &previous[..previous.len() - PIXEL]);
    for ((((out, &x), &a), &b), &c) in
        out[PIXEL..].iter_mut().zip(&current[PIXEL..]).zip(left).zip(above).zip(above_left)
    {
        *out = x.wrapping_sub(paeth(a, b, c));
    }
}

/// The Paeth predictor of a byte from its left (`a`), upper (`b`) and upper-left (`c`)
/// neighbours, in the 8-bit form of Versari's fpnge (what png 0.17 uses): `pa = |b − c|`,
/// `pb = |a − c|`, `pc = |pa − pb|` when `c` lies between `a` and `b` and larger than both
/// otherwise.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let pa = b.max(c) - c.min(b);
    let pb = a.max(c) - c.min(a);
    let pc = if (a < c) == (c < b) { pa.max(pb) - pa.min(pb) } else { 255 };
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    const SIZE: (u32, u32) = (173, 91);

    /// Shapes that go through every path of [`RgbBackend`]: translucent columns, rows and
    /// rectangles of every width around plotters' eight-pixel steps, polygons swept both ways,
    /// shapes cut by the image's edges, opaque and grey fills, lines, circles and pixels.
    fn scene<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>)
    where
        DB::ErrorType: 'static,
    {
        root.fill(&RGBColor(250, 248, 240)).unwrap();
        root.draw(&Rectangle::new([(-5, -5), (60, 40)], RGBColor(20, 90, 200).filled())).unwrap();
        root.draw(&Rectangle::new([(100, 10), (170, 80)], WHITE.filled())).unwrap();
        let colors = [RGBColor(0, 114, 178), RGBColor(213, 94, 0), RGBColor(0, 0, 0), RGBColor(255, 255, 255)];
        for width in 1..=26 {
            let color = colors[width as usize % colors.len()];
            let alpha = [0.003, 0.08, 0.2, 0.5, 0.85, 0.999][width as usize % 6];
            let (x, y) = (3 + 6 * width, 2 + 3 * width);
            root.draw(&Rectangle::new([(x, y), (x + width, y + 9)], color.mix(alpha).filled())).unwrap();
            root.draw(&PathElement::new(vec![(x, 0), (x, 90)], color.mix(alpha))).unwrap();
            root.draw(&PathElement::new(vec![(0, y), (width * 7, y)], color.mix(alpha))).unwrap();
        }
        // Wider than tall (drawn as columns) and taller than wide (drawn as rows), overlapping.
        let band = vec![(-10, 70), (40, 30), (90, 45), (180, 20), (180, 60), (90, 80), (40, 88)];
        root.draw(&Polygon::new(band, RGBColor(0, 114, 178).mix(0.25).filled())).unwrap();
        let tall = vec![(120, -3), (150, 20), (140, 95), (110, 60)];
        root.draw(&Polygon::new(tall, RGBColor(213, 94, 0).mix(0.6).filled())).unwrap();
        root.draw(&Circle::new((30, 60), 12, RGBColor(0, 158, 115).mix(0.7).filled())).unwrap();
        root.draw(&Circle::new((160, 5), 9, Color::stroke_width(&BLACK, 2))).unwrap();
        root.draw(&PathElement::new(vec![(0, 0), (172, 90), (10, 80)], Color::stroke_width(&RED.mix(0.5), 3))).unwrap();
        root.draw(&Rectangle::new([(5, 5), (168, 86)], BLACK.mix(0.4))).unwrap();
        root.draw_pixel((172, 90), &GREEN.mix(0.5)).unwrap();
        root.draw_pixel((0, 0), &BLUE).unwrap();
        // Text, when a font is installed: every rotation and anchor, translucent, cut by the
        // edges, each drawn twice (the second time from the cache of rasterised texts).
        if let Some(path) = crate::plot::font::installed(true).or_else(|| crate::plot::font::installed(false)) {
            use plotters::style::text_anchor::{HPos, Pos, VPos};
            let font = crate::plot::font::load(&path).unwrap();
            let family = FontFamily::Name(font.family);
            let turns =
                [FontTransform::None, FontTransform::Rotate90, FontTransform::Rotate180, FontTransform::Rotate270];
            let anchors = [(HPos::Left, VPos::Top), (HPos::Center, VPos::Center), (HPos::Right, VPos::Bottom)];
            let colors = [BLACK.mix(1.0), BLUE.mix(0.6)];
            for (k, turn) in turns.into_iter().enumerate() {
                let (h, v) = anchors[k % anchors.len()];
                let style = TextStyle::from((family, 13.0 + 2.0 * k as f64))
                    .color(&colors[k % 2])
                    .transform(turn)
                    .pos(Pos::new(h, v));
                for at in [(45 * k as i32, 30), (45 * k as i32 + 3, 88)] {
                    root.draw_text("Ag 9辽宁", &style, at).unwrap();
                }
            }
        }
        root.draw(&Rectangle::new([(0, 0), (173, 91)], WHITE.mix(0.1).filled())).unwrap();
    }

    fn draw_with_plotters() -> Vec<u8> {
        let mut buffer = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * PIXEL];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
            scene(&root);
            root.present().unwrap();
        }
        buffer
    }

    fn draw_with_rgb_backend() -> Vec<u8> {
        let mut buffer = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * PIXEL];
        {
            let root = RgbBackend::new(&mut buffer, SIZE).into_drawing_area();
            scene(&root);
            root.present().unwrap();
        }
        buffer
    }

    #[test]
    fn rgb_backend_draws_the_pixels_plotters_draws() {
        let ours = draw_with_rgb_backend();
        let theirs = draw_with_plotters();
        let differing: Vec<usize> = ours
            .chunks(PIXEL)
            .zip(theirs.chunks(PIXEL))
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i)
            .collect();
        assert!(
            differing.is_empty(),
            "{} pixels differ, first at (x, y) = ({}, {})",
            differing.len(),
            differing[0] % SIZE.0 as usize,
            differing[0] / SIZE.0 as usize
        );
        // The scene really blends: many distinct colours, not a flat fill.
        let distinct: std::collections::HashSet<&[u8]> = ours.chunks(PIXEL).collect();
        assert!(distinct.len() > 200, "only {} colours", distinct.len());
    }

    #[test]
    fn both_blend_rules_are_plotters_rules() {
        // Values worked by hand from plotters-bitmap's `blend` and its eight-pixel word blend.
        assert_eq!(blend_byte(255, 0, 128), 128); // 255 − ⌊255·128/256⌋
        assert_eq!(blend_word(255, 0, 128), 127); // ⌊255·128/256⌋
        assert_eq!(blend_byte(10, 200, 51), 47); // 10 + ⌊190·51/256⌋
        assert_eq!(blend_word(10, 200, 51), 47); // ⌊(10·205 + 200·51)/256⌋ = ⌊12250/256⌋
        assert_eq!(blend_byte(7, 7, 200), 7);
        assert_eq!(blend_word(7, 7, 0), 7);
    }

    /// png 0.17's own encoder at the setting [`encode_png`] reproduces.
    fn encode_with_png_crate(rgb: &[u8], size: (u32, u32)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::FilterType::Paeth);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(rgb).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn encoded_png_is_the_png_crates_fast_paeth_file() {
        // A drawing (repeated rows included), and noise, which does not compress and is stored.
        let mut pixels = draw_with_rgb_backend();
        let stride = SIZE.0 as usize * PIXEL;
        for y in 40..60 {
            pixels.copy_within(39 * stride..40 * stride, y * stride);
        }
        let rows = pixels.chunks(stride).collect::<Vec<_>>();
        assert!(rows.windows(2).any(|w| w[0] == w[1]) && rows.windows(2).any(|w| w[0] != w[1]));
        let mut noise = vec![0u8; pixels.len()];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for byte in &mut noise {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = (state >> 32) as u8;
        }
        for image in [&pixels, &noise] {
            let mut ours = Vec::new();
            encode_png(image, SIZE, &mut ours).unwrap();
            assert_eq!(ours, encode_with_png_crate(image, SIZE));
        }
    }

    #[test]
    fn encoded_png_decodes_to_the_buffer() {
        let pixels = draw_with_rgb_backend();
        let mut bytes = Vec::new();
        encode_png(&pixels, SIZE, &mut bytes).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
        let mut decoded = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut decoded).unwrap();
        assert_eq!((frame.width, frame.height), SIZE);
        assert_eq!((frame.color_type, frame.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
        assert_eq!(&decoded[..frame.buffer_size()], &pixels[..]);
        // The corner: opaque blue, then white at alpha 0.1 (a = 25) by the eight-pixel rule.
        assert_eq!(&decoded[..PIXEL], &[24, 24, 255]);
    }
}
