//! The per-branch tables that `compress` and `inspect` print.

use crate::plugin::Row;

/// `a / b` as a compression ratio, e.g. "3.21x"; "-" when b is 0.
pub fn ratio(a: i64, b: i64) -> String {
    if b <= 0 {
        "-".to_string()
    } else {
        format!("{:.2}x", a as f64 / b as f64)
    }
}

fn render(header: &[&str], rows: &[Vec<String>], numeric: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| if numeric[i] { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    out += &(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ") + "\n");
    for (i, row) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            out += &(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ") + "\n");
        }
        out += &line(row);
    }
    out
}

fn name(row: &Row) -> String {
    format!("{}/{}", row.tree, row.branch)
}

/// Whether the input branch's compressed size is known. ROOT stores the baskets of a small tree
/// that were never flushed inside the tree's own key (NanoAOD files with a few hundred entries
/// are like that); such a branch reports 0 compressed bytes although it holds entries, and its
/// share of the tree key cannot be told apart.
fn size_before_known(r: &Row) -> bool {
    r.bytes_before > 0 || r.entries == 0
}

/// Branch, type, entries, bytes before, bytes after, ratio, codec before -> after; then totals
/// over the branches whose size before is known.
pub fn compress_table(rows: &[Row]) -> String {
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let known = size_before_known(r);
            vec![
                name(r),
                r.type_name.clone(),
                r.entries.to_string(),
                if known { r.bytes_before.to_string() } else { "in tree key".to_string() },
                r.bytes.to_string(),
                if known { ratio(r.bytes_before, r.bytes) } else { "-".to_string() },
                r.codec_before.clone(),
                r.codec.clone(),
            ]
        })
        .collect();
    let compared: Vec<&Row> = rows.iter().filter(|r| size_before_known(r)).collect();
    let before: i64 = compared.iter().map(|r| r.bytes_before).sum();
    let after: i64 = compared.iter().map(|r| r.bytes).sum();
    let unknown = rows.len() - compared.len();
    let label = if unknown == 0 {
        format!("total ({} branches)", rows.len())
    } else {
        format!(
            "total ({} branches; {unknown} more had their baskets inside the tree key, compare the file sizes)",
            compared.len()
        )
    };
    cells.push(vec![
        label,
        String::new(),
        String::new(),
        before.to_string(),
        after.to_string(),
        ratio(before, after),
        String::new(),
        String::new(),
    ]);
    render(
        &["branch", "type", "entries", "bytes before", "bytes after", "ratio", "codec before", "codec after"],
        &cells,
        &[false, false, true, true, true, true, false, false],
    )
}

/// Branch, type, entries, compressed and uncompressed bytes, ratio, codec; then totals.
pub fn inspect_table(rows: &[Row]) -> String {
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                name(r),
                r.type_name.clone(),
                r.entries.to_string(),
                r.bytes.to_string(),
                r.total_bytes.to_string(),
                ratio(r.total_bytes, r.bytes),
                r.codec.clone(),
            ]
        })
        .collect();
    let zipped: i64 = rows.iter().map(|r| r.bytes).sum();
    let total: i64 = rows.iter().map(|r| r.total_bytes).sum();
    cells.push(vec![
        format!("total ({} branches)", rows.len()),
        String::new(),
        String::new(),
        zipped.to_string(),
        total.to_string(),
        ratio(total, zipped),
        String::new(),
    ]);
    render(
        &["branch", "type", "entries", "compressed", "uncompressed", "ratio", "codec"],
        &cells,
        &[false, false, true, true, true, true, false],
    )
}
