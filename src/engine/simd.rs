//! Which vector instructions the engine's hot loops are compiled for, chosen once at run time.
//!
//! The block engine ([`super::block`]), [`super::exp`] and the correlation product are compiled
//! three times: portable (SSE2 on x86-64, NEON on AArch64), AVX2, and AVX-512 (F, DQ, VL, BW),
//! and the widest the CPU supports runs. **Every level gives the same bits**: Rust never fuses
//! `a·b + c` into one rounding (no FMA contraction) nor reorders floating-point operations, so a
//! wider vector only does the same operations on more lanes at once. Tests force each level in
//! turn ([`force`]) and compare; `FEASIM_SIMD=portable|avx2` caps the level for a whole run.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// A set of vector instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Portable = 1,
    Avx2 = 2,
    Avx512 = 3,
}

static FORCED: AtomicU8 = AtomicU8::new(0);

/// The widest level this CPU supports.
pub fn detected() -> Level {
    static DETECTED: OnceLock<Level> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512bw")
            {
                return Level::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Level::Avx2;
            }
        }
        Level::Portable
    })
}

/// The level the hot loops use now: [`detected`], unless [`force`]d lower or capped by the
/// environment variable `FEASIM_SIMD` (`portable`, `avx2` or `avx512`; for comparisons).
#[inline]
pub fn level() -> Level {
    match FORCED.load(Ordering::Relaxed) {
        1 => Level::Portable,
        2 => Level::Avx2,
        3 => Level::Avx512,
        _ => from_environment(),
    }
}

fn from_environment() -> Level {
    static CHOSEN: OnceLock<Level> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cap = match std::env::var("FEASIM_SIMD").as_deref() {
            Ok("portable") => Level::Portable,
            Ok("avx2") => Level::Avx2,
            _ => Level::Avx512,
        };
        cap.min(detected())
    })
}

/// Use `level` (capped at what the CPU supports), or go back to the widest with `None`. Since
/// every level gives the same bits, this only changes speed; it exists for tests and benches.
pub fn force(level: Option<Level>) {
    FORCED.store(level.map_or(0, |l| l.min(detected()) as u8), Ordering::Relaxed);
}

/// Every level this CPU can run, narrowest first.
pub fn available() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected()).collect()
}
