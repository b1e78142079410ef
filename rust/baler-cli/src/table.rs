//! The per-branch tables that `compress` and `inspect` print, as text or (`--json`) as JSON.

use crate::json::Json;
use crate::plugin::Row;

/// `a / b` as a compression ratio, e.g. "3.21x"; "-" when b is 0.
pub fn ratio(a: i64, b: i64) -> String {
    if b <= 0 {
        "-".to_string()
    } else {
        format!("{:.2}x", a as f64 / b as f64)
    }
}

/// `a / b` for JSON; null when b is 0.
pub fn json_ratio(a: i64, b: i64) -> Json {
    if b <= 0 {
        Json::Null
    } else {
        Json::Number(a as f64 / b as f64)
    }
}

/// A text table: columns padded to their widest cell (numeric ones aligned right), a rule under
/// the header and one above the last row (the totals).
pub fn render(header: &[&str], rows: &[Vec<String>], numeric: &[bool]) -> String {
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

/// A count of branches, as English says it.
fn branches(n: usize) -> String {
    format!("{n} branch{}", if n == 1 { "" } else { "es" })
}

/// Whether the output branch's compressed size is known: its baskets are in keys of their own, or
/// those of the input were (compress keeps baskets that were inside the tree's key there).
fn size_after_known(r: &Row) -> bool {
    r.bytes > 0 || size_before_known(r)
}

/// Whether the input branch's compressed size is known. ROOT stores the baskets of a small tree
/// that were never flushed inside the tree's own key (NanoAOD files with a few hundred entries
/// are like that); such a branch reports 0 compressed bytes although it holds entries, and its
/// share of the tree key cannot be told apart.
fn size_before_known(r: &Row) -> bool {
    !in_tree_key(r.bytes_before, r)
}

/// Whether a branch of `bytes` compressed bytes keeps its baskets inside its tree's key (see
/// `size_before_known`).
fn in_tree_key(bytes: i64, r: &Row) -> bool {
    bytes <= 0 && r.entries > 0
}

/// The totals label of a table whose branches have their own baskets but for `in_key` of them, which
/// `in_key_note` describes ("had their baskets inside the tree key, ...").
fn totals_label(rows: usize, in_key: usize, in_key_note: &str) -> String {
    if in_key == 0 {
        format!("total ({})", branches(rows))
    } else {
        format!("total ({}; {in_key} more {in_key_note})", branches(rows - in_key))
    }
}

/// The totals line of `compress`: over the branches whose size before is known.
struct CompressTotals {
    compared: usize,
    in_tree_key: usize,
    before: i64,
    after: i64,
}

impl CompressTotals {
    fn of(rows: &[Row]) -> CompressTotals {
        let compared: Vec<&Row> = rows.iter().filter(|r| size_before_known(r)).collect();
        CompressTotals {
            compared: compared.len(),
            in_tree_key: rows.len() - compared.len(),
            before: compared.iter().map(|r| r.bytes_before).sum(),
            after: compared.iter().map(|r| r.bytes).sum(),
        }
    }
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
                if size_after_known(r) { r.bytes.to_string() } else { "in tree key".to_string() },
                if known { ratio(r.bytes_before, r.bytes) } else { "-".to_string() },
                r.codec_before.clone(),
                r.codec.clone(),
            ]
        })
        .collect();
    let totals = CompressTotals::of(rows);
    cells.push(vec![
        totals_label(rows.len(), totals.in_tree_key, "had their baskets inside the tree key, compare the file sizes"),
        String::new(),
        String::new(),
        totals.before.to_string(),
        totals.after.to_string(),
        ratio(totals.before, totals.after),
        String::new(),
        String::new(),
    ]);
    render(
        &["branch", "type", "entries", "bytes before", "bytes after", "ratio", "codec before", "codec after"],
        &cells,
        &[false, false, true, true, true, true, false, false],
    )
}

/// The data of `compress_table` as JSON: "branches" (null where the table says "in tree key")
/// and "total".
pub fn compress_json(rows: &[Row]) -> (Json, Json) {
    let branches = rows
        .iter()
        .map(|r| {
            let known = size_before_known(r);
            Json::Object(vec![
                ("tree", Json::text(r.tree.as_str())),
                ("branch", Json::text(r.branch.as_str())),
                ("type", Json::text(r.type_name.as_str())),
                ("entries", Json::Int(r.entries)),
                ("bytes_before", if known { Json::Int(r.bytes_before) } else { Json::Null }),
                ("bytes_after", if size_after_known(r) { Json::Int(r.bytes) } else { Json::Null }),
                ("ratio", if known { json_ratio(r.bytes_before, r.bytes) } else { Json::Null }),
                ("codec_before", Json::text(r.codec_before.as_str())),
                ("codec_after", Json::text(r.codec.as_str())),
            ])
        })
        .collect();
    let totals = CompressTotals::of(rows);
    let total = Json::Object(vec![
        ("branches", Json::Int(totals.compared as i64)),
        ("branches_in_tree_key", Json::Int(totals.in_tree_key as i64)),
        ("bytes_before", Json::Int(totals.before)),
        ("bytes_after", Json::Int(totals.after)),
        ("ratio", json_ratio(totals.before, totals.after)),
    ]);
    (Json::List(branches), total)
}

/// (compressed, uncompressed) bytes over all rows, and how many rows keep their baskets inside the
/// tree key (counted in neither: their share of the key cannot be told apart).
fn inspect_totals(rows: &[Row]) -> (i64, i64, usize) {
    let in_key = rows.iter().filter(|r| in_tree_key(r.bytes, r)).count();
    (rows.iter().map(|r| r.bytes).sum(), rows.iter().map(|r| r.total_bytes).sum(), in_key)
}

/// Branch, type, entries, compressed and uncompressed bytes, ratio, codec; then totals.
pub fn inspect_table(rows: &[Row]) -> String {
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let bytes = |n: i64| if in_tree_key(r.bytes, r) { "in tree key".to_string() } else { n.to_string() };
            vec![
                name(r),
                r.type_name.clone(),
                r.entries.to_string(),
                bytes(r.bytes),
                bytes(r.total_bytes),
                ratio(r.total_bytes, r.bytes),
                r.codec.clone(),
            ]
        })
        .collect();
    let (zipped, total, in_key) = inspect_totals(rows);
    cells.push(vec![
        totals_label(rows.len(), in_key, "have their baskets inside the tree key, see the file size"),
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

/// The data of `inspect_table` as JSON: "branches" and "total".
pub fn inspect_json(rows: &[Row]) -> (Json, Json) {
    let branches = rows
        .iter()
        .map(|r| {
            Json::Object(vec![
                ("tree", Json::text(r.tree.as_str())),
                ("branch", Json::text(r.branch.as_str())),
                ("type", Json::text(r.type_name.as_str())),
                ("entries", Json::Int(r.entries)),
                ("compressed", Json::Int(r.bytes)),
                ("uncompressed", Json::Int(r.total_bytes)),
                ("ratio", json_ratio(r.total_bytes, r.bytes)),
                ("codec", Json::text(r.codec.as_str())),
            ])
        })
        .collect();
    let (zipped, total, in_key) = inspect_totals(rows);
    let totals = Json::Object(vec![
        ("branches", Json::Int(rows.len() as i64)),
        ("branches_in_tree_key", Json::Int(in_key as i64)),
        ("compressed", Json::Int(zipped)),
        ("uncompressed", Json::Int(total)),
        ("ratio", json_ratio(total, zipped)),
    ]);
    (Json::List(branches), totals)
}
