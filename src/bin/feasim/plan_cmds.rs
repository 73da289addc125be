//! The commands that start from a plan (`extract`, `init`): read the inputs, call
//! [`feasim::extract`], write the files atomically.

use std::io::Write;

use anyhow::Context;
use feasim::extract;
use feasim::report::atomic_write;

use crate::bad_input;
use crate::cli::{ExtractArgs, InitArgs};

fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (text, _) = extract::decode(&bytes).map_err(|e| bad_input!("{}: {e}; save it as UTF-8", path.display()))?;
    Ok(text)
}

pub fn extract(args: ExtractArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.plan).with_context(|| format!("cannot read {}", args.plan.display()))?;
    let (text, encoding) =
        extract::decode(&bytes).map_err(|e| bad_input!("{}: {e}; save the plan as UTF-8 text", args.plan.display()))?;
    let rows = extract::extract(&text);
    let mut csv = Vec::new();
    extract::write_csv(&rows, &mut csv)?;
    let mut out = std::io::stdout().lock();
    match &args.out {
        Some(path) => {
            atomic_write(path, &csv)?;
            if !args.quiet {
                writeln!(
                    out,
                    "{}: {encoding}, {} targets found; wrote {}",
                    args.plan.display(),
                    rows.len(),
                    path.display()
                )?;
            }
        }
        None => out.write_all(&csv)?,
    }
    if let Some(key_path) = &args.key {
        let key_text = read_text(key_path)?;
        let key = extract::read_csv(&key_text).map_err(|e| bad_input!("{}: {e}", key_path.display()))?;
        let score = extract::score::score(&text, &rows, &key);
        if args.out.is_some() {
            writeln!(out, "against {}: {score}", key_path.display())?;
        } else {
            eprintln!("against {}: {score}", key_path.display());
        }
    }
    Ok(())
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let text = read_text(&args.catalogue)?;
    let rows = extract::read_csv(&text).map_err(|e| bad_input!("{}: {e}", args.catalogue.display()))?;
    if rows.is_empty() {
        return Err(bad_input!("{}: no targets in the catalogue", args.catalogue.display()));
    }
    let name = match args.name {
        Some(name) => name,
        None => {
            let stem = args.catalogue.file_stem().and_then(|s| s.to_str()).unwrap_or("plan").to_lowercase();
            let slug: String =
                stem.chars().map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' }).collect();
            let slug = slug.trim_matches('-').to_string();
            if slug.is_empty() { "plan".to_string() } else { slug }
        }
    };
    let toml = extract::init::skeleton(&rows, &name);
    match &args.out {
        Some(path) => {
            atomic_write(path, toml.as_bytes())?;
            let to_fill = feasim::scenario::placeholder::find(&toml).len();
            println!(
                "{} targets → {}; {to_fill} values still to fill (\"TODO\"): see `feasim check {}`",
                rows.len(),
                path.display(),
                path.display()
            );
        }
        None => print!("{toml}"),
    }
    Ok(())
}
