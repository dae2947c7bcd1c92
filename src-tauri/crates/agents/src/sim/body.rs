//! Request bodies: parsed by hand from bytes so that malformed JSON or a wrong field type becomes the API's
//! 400 `invalid_request_error` envelope instead of a framework rejection or a panic.

use serde_json::{Map, Value};

use super::error::{SimError, SimResult};

pub type Obj = Map<String, Value>;

/// The body as a JSON object. An empty body counts as `{}` (the SDK sends none on archive).
pub fn object(bytes: &[u8]) -> SimResult<Obj> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SimError::bad_request("request body must be a JSON object")),
        Err(e) => Err(SimError::bad_request(format!("request body is not valid JSON: {e}"))),
    }
}

/// A required string field.
pub fn req_str<'a>(o: &'a Obj, key: &str) -> SimResult<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(SimError::bad_request(format!("{key}: expected a string"))),
        None => Err(SimError::bad_request(format!("{key}: field required"))),
    }
}

/// An optional string field (`null` and absent are both `None`).
pub fn opt_str<'a>(o: &'a Obj, key: &str) -> SimResult<Option<&'a str>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SimError::bad_request(format!("{key}: expected a string or null"))),
    }
}

/// An optional array field.
pub fn opt_array<'a>(o: &'a Obj, key: &str) -> SimResult<Option<&'a Vec<Value>>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(SimError::bad_request(format!("{key}: expected an array"))),
    }
}

/// A `Dict[str,str]` metadata bag (create).
pub fn metadata(o: &Obj) -> SimResult<Obj> {
    match o.get("metadata") {
        None | Some(Value::Null) => Ok(Obj::new()),
        Some(Value::Object(m)) => {
            if m.len() > 16 {
                return Err(SimError::bad_request("metadata: at most 16 pairs"));
            }
            for (k, v) in m {
                if !v.is_string() {
                    return Err(SimError::bad_request(format!("metadata.{k}: expected a string")));
                }
            }
            Ok(m.clone())
        }
        Some(_) => Err(SimError::bad_request("metadata: expected an object")),
    }
}

/// Applies a metadata patch (`null` or, where `empty_deletes`, `""` removes a key).
pub fn patch_metadata(current: &mut Value, patch: &Value, empty_deletes: bool) -> SimResult<()> {
    let Value::Object(patch) = patch else {
        if patch.is_null() {
            *current = Value::Object(Obj::new());
            return Ok(());
        }
        return Err(SimError::bad_request("metadata: expected an object"));
    };
    if !current.is_object() {
        *current = Value::Object(Obj::new());
    }
    let Some(bag) = current.as_object_mut() else { return Ok(()) };
    for (k, v) in patch {
        match v {
            Value::Null => {
                bag.remove(k);
            }
            Value::String(s) if s.is_empty() && empty_deletes => {
                bag.remove(k);
            }
            Value::String(_) => {
                bag.insert(k.clone(), v.clone());
            }
            _ => return Err(SimError::bad_request(format!("metadata.{k}: expected a string or null"))),
        }
    }
    Ok(())
}

/// The `type` tag of a JSON object, if any.
pub fn type_of(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}
