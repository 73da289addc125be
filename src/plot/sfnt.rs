//! A minimal reader of the few TrueType/OpenType tables the charts need, so no font crate has to
//! be a direct dependency: `cmap` (does the font have a glyph for a character?) and `hhea`/`hmtx`/
//! `OS/2` (advance and left side bearing of a glyph, and the scale ab_glyph uses).
//!
//! Only face 0 of a collection is read, as plotters draws face 0. Every read is bounds-checked: a
//! malformed font yields `None`, never a panic.

/// Where the tables of face 0 are, and its vertical metrics.
#[derive(Debug, Clone, Copy)]
pub struct Face {
    cmap: Option<(usize, u16)>,
    hmtx: Option<usize>,
    n_h_metrics: usize,
    /// Ascender minus descender in font units: ab_glyph scales a font of size `s` pixels by
    /// `s / height` pixels per unit.
    height: f64,
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at.checked_add(2)?).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn read_i16(data: &[u8], at: usize) -> Option<i16> {
    read_u16(data, at).map(|v| v as i16)
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at.checked_add(4)?).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl Face {
    /// Read face 0 of `data`; `None` unless it has a Unicode character map.
    pub fn parse(data: &[u8]) -> Option<Face> {
        let face = if data.get(0..4)? == b"ttcf" { read_u32(data, 12)? as usize } else { 0 };
        let n_tables = read_u16(data, face + 4)? as usize;
        let table = |tag: &[u8; 4]| {
            (0..n_tables).find_map(|i| {
                let record = face + 12 + 16 * i;
                (data.get(record..record + 4)? == tag).then(|| read_u32(data, record + 8).map(|o| o as usize)).flatten()
            })
        };
        let cmap = unicode_subtable(data, table(b"cmap")?)?;
        let (mut ascender, mut descender, mut n_h_metrics) = (0i16, 0i16, 0usize);
        if let Some(hhea) = table(b"hhea") {
            ascender = read_i16(data, hhea + 4).unwrap_or(0);
            descender = read_i16(data, hhea + 6).unwrap_or(0);
            n_h_metrics = read_u16(data, hhea + 34).unwrap_or(0) as usize;
        }
        // The same choice as ttf-parser's `ascender()`/`descender()`, which ab_glyph uses.
        if let Some(os2) = table(b"OS/2") {
            let use_typo = read_u16(data, os2 + 62).is_some_and(|fs| fs & 0x80 != 0);
            let typo = (read_i16(data, os2 + 68).unwrap_or(0), read_i16(data, os2 + 70).unwrap_or(0));
            let win = (read_u16(data, os2 + 74).unwrap_or(0) as i16, -(read_u16(data, os2 + 76).unwrap_or(0) as i16));
            if use_typo {
                (ascender, descender) = typo;
            }
            if ascender == 0 {
                ascender = if typo.0 != 0 { typo.0 } else { win.0 };
            }
            if descender == 0 {
                descender = if typo.1 != 0 { typo.1 } else { win.1 };
            }
        }
        Some(Face {
            cmap: Some(cmap),
            hmtx: table(b"hmtx"),
            n_h_metrics,
            height: (ascender as f64 - descender as f64).max(1.0),
        })
    }

    /// Pixels per font unit for a plotters font size of `size` pixels.
    pub fn scale(&self, size: f64) -> f64 {
        size / self.height
    }

    /// The glyph index of character `c` (0: the font has no glyph for it).
    pub fn glyph(&self, data: &[u8], c: char) -> u32 {
        self.cmap.and_then(|(offset, format)| cmap_lookup(data, offset, format, c as u32)).unwrap_or(0)
    }

    /// Advance width and left side bearing of `glyph`, in font units.
    pub fn h_metrics(&self, data: &[u8], glyph: u32) -> Option<(f64, f64)> {
        let hmtx = self.hmtx?;
        if self.n_h_metrics == 0 {
            return None;
        }
        let glyph = glyph as usize;
        if glyph < self.n_h_metrics {
            let record = hmtx + 4 * glyph;
            Some((read_u16(data, record)? as f64, read_i16(data, record + 2)? as f64))
        } else {
            let advance = read_u16(data, hmtx + 4 * (self.n_h_metrics - 1))? as f64;
            let lsb = read_i16(data, hmtx + 4 * self.n_h_metrics + 2 * (glyph - self.n_h_metrics))? as f64;
            Some((advance, lsb))
        }
    }
}

/// The best Unicode subtable of a `cmap` table (formats 12 and 4 only: every Unicode font has one).
fn unicode_subtable(data: &[u8], cmap: usize) -> Option<(usize, u16)> {
    let n_subtables = read_u16(data, cmap + 2)? as usize;
    let mut best: Option<(u8, (usize, u16))> = None;
    for i in 0..n_subtables {
        let record = cmap + 4 + 8 * i;
        let platform = read_u16(data, record)?;
        let encoding = read_u16(data, record + 2)?;
        let offset = cmap + read_u32(data, record + 4)? as usize;
        let format = read_u16(data, offset)?;
        let rank = match (platform, encoding, format) {
            (3, 10, 12) | (0, 4 | 6, 12) => 3,
            (3, 1, 4) | (0, 3, 4) => 2,
            (0, _, 4 | 12) => 1,
            _ => continue,
        };
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, (offset, format)));
        }
    }
    best.map(|(_, subtable)| subtable)
}

fn cmap_lookup(data: &[u8], t: usize, format: u16, c: u32) -> Option<u32> {
    if format == 12 {
        let n_groups = read_u32(data, t + 12)? as usize;
        let (mut low, mut high) = (0, n_groups);
        while low < high {
            let mid = (low + high) / 2;
            let group = t + 16 + 12 * mid;
            let (start, end) = (read_u32(data, group)?, read_u32(data, group + 4)?);
            if c < start {
                high = mid;
            } else if c > end {
                low = mid + 1;
            } else {
                return Some(read_u32(data, group + 8)? + (c - start));
            }
        }
        return Some(0);
    }
    if c > 0xFFFF {
        return Some(0);
    }
    let seg_count = read_u16(data, t + 6)? as usize / 2;
    let ends = t + 14;
    let starts = ends + 2 * seg_count + 2;
    let deltas = starts + 2 * seg_count;
    let range_offsets = deltas + 2 * seg_count;
    for seg in 0..seg_count {
        let end = read_u16(data, ends + 2 * seg)? as u32;
        if end < c {
            continue;
        }
        let start = read_u16(data, starts + 2 * seg)? as u32;
        if start > c {
            return Some(0);
        }
        let delta = read_u16(data, deltas + 2 * seg)?;
        let range_offset = read_u16(data, range_offsets + 2 * seg)? as usize;
        if range_offset == 0 {
            return Some((c as u16).wrapping_add(delta) as u32);
        }
        let at = range_offsets + 2 * seg + range_offset + 2 * (c - start) as usize;
        let glyph = read_u16(data, at)?;
        return Some(if glyph == 0 { 0 } else { glyph.wrapping_add(delta) as u32 });
    }
    Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_garbage_data_is_rejected_without_panicking() {
        assert!(Face::parse(b"").is_none());
        assert!(Face::parse(b"ttcf\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff").is_none());
        assert!(Face::parse(&[0u8; 64]).is_none());
        if let Some(path) = super::super::font::installed(true) {
            let data = std::fs::read(path).unwrap();
            for cut in [12, 100, 1000, 5000] {
                let _ = Face::parse(&data[..cut]);
            }
            let face = Face::parse(&data).unwrap();
            let g = face.glyph(&data, '沈');
            assert_ne!(g, 0);
            let (advance, _) = face.h_metrics(&data, g).unwrap();
            assert!(advance > 0.0);
        }
    }
}
