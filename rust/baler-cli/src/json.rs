//! The little JSON that `--json` prints: objects, lists, strings, integers and ratios.

use std::fmt;

pub enum Json {
    Null,
    Int(i64),
    /// Printed as null when not finite (JSON has no NaN or infinity).
    Number(f64),
    Text(String),
    List(Vec<Json>),
    /// Keys in the order given.
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    pub fn text(value: impl Into<String>) -> Json {
        Json::Text(value.into())
    }

    pub fn texts(values: &[String]) -> Json {
        Json::List(values.iter().map(|v| Json::text(v.as_str())).collect())
    }

    pub fn optional_text(value: Option<&str>) -> Json {
        value.map_or(Json::Null, Json::text)
    }
}

fn write_string(f: &mut fmt::Formatter, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Int(value) => write!(f, "{value}"),
            Json::Number(value) if value.is_finite() => write!(f, "{value}"),
            Json::Number(_) => f.write_str("null"),
            Json::Text(value) => write_string(f, value),
            Json::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(fields) => {
                f.write_str("{")?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_string(f, key)?;
                    write!(f, ": {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn escapes_strings_and_writes_non_finite_numbers_as_null() {
        let value = Json::Object(vec![
            ("name", Json::text("a \"b\"\\c\n\u{1}é")),
            ("values", Json::List(vec![Json::Int(-3), Json::Number(0.5), Json::Number(f64::NAN), Json::Null])),
        ]);
        assert_eq!(value.to_string(), r#"{"name": "a \"b\"\\c\n\u0001é", "values": [-3, 0.5, null, null]}"#);
    }
}
