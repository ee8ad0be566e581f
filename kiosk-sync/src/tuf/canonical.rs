//! Canonical JSON as TUF signs it (the OLPC form used by securesystemslib):
//! object keys sorted by code point, no insignificant whitespace, only `"`
//! and `\` escaped inside strings, integers only.

use serde_json::Value;

use super::TufError;

/// Serialise `value` to canonical JSON bytes. Floats are refused because the
/// canonical form has no agreed spelling for them.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, TufError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), TufError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(TufError::Format(format!(
                    "canonical JSON has no floating-point numbers, found {n}"
                )));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                if let Some(v) = map.get(*key) {
                    write_value(v, out)?;
                }
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_escapes_only_quote_and_backslash() {
        let v = json!({"b": [1, true, null], "a": "x\"y\\z\n中"});
        let got = to_canonical(&v).expect("canonical");
        assert_eq!(
            got,
            "{\"a\":\"x\\\"y\\\\z\n中\",\"b\":[1,true,null]}".as_bytes()
        );
    }

    #[test]
    fn refuses_floats() {
        let err = to_canonical(&json!({"x": 1.5})).expect_err("float");
        assert!(err.to_string().contains("floating-point"), "{err}");
    }
}
