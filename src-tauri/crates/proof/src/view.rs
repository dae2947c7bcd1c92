//! The proof file as the verifier reads it: the shape of [`crate::ProofFile`], borrowing from the input
//! wherever JSON escapes allow (so a large file is not copied string by string), and noting every member the
//! format does not define. Unknown members are covered by no signature; the verifier reports them rather than
//! passing them silently. Hand-written visitors, because serde's `flatten` would buffer the whole file.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

#[derive(Debug)]
pub(crate) struct FileView<'a> {
    pub format: Cow<'a, str>,
    pub checkpoint: Cow<'a, str>,
    pub log_vkey: Cow<'a, str>,
    pub session: SessionView<'a>,
    pub entries: Vec<EntryView<'a>>,
    /// Format 3: the shared nodes `[start, end, hex hash]`, in walk order.
    pub nodes: Option<Vec<(u64, u64, Str<'a>)>>,
    /// Format 3: the anchor section, when the file has one.
    pub anchor: Option<AnchorView<'a>>,
    /// Members no version of the format defines, as paths (`extra`, `session.x`, `entries[3].y`).
    pub unknown: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct SessionView<'a> {
    pub tenant: Cow<'a, str>,
    pub session_id: Cow<'a, str>,
    pub length: u64,
    pub head: Cow<'a, str>,
    /// Absent in format 1.
    pub heads_proof: Option<Vec<Str<'a>>>,
    pub unknown: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct EntryView<'a> {
    pub index: u64,
    /// The base64 text, as bytes: the decoder refuses anything but base64 characters, so checking it as
    /// UTF-8 first (most of a proof file's bytes) would be done for nothing.
    pub leaf: Bytes<'a>,
    /// Formats 1 and 2 only (format 3 shares nodes instead).
    pub inclusion_proof: Option<Vec<Str<'a>>>,
    pub unknown: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct AnchorView<'a> {
    pub checkpoint: Cow<'a, str>,
    pub consistency_proof: Vec<Str<'a>>,
    pub evidence: serde_json::Value,
    pub unknown: Vec<String>,
}

/// A string borrowed from the input when it has no escapes.
#[derive(Debug)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A string's bytes, borrowed from the input when it has no escapes, not checked as UTF-8.
#[derive(Debug)]
pub(crate) struct Bytes<'a>(pub Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for Bytes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Sets a member once; a member given twice makes the file unreadable, as with serde's derived readers.
fn set<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// Implements `Deserialize` for a view by visiting its members by name.
macro_rules! visit_object {
    ($view:ident, $what:literal, |$map:ident, $key:ident, $unknown:ident| $body:block) => {
        impl<'de> Deserialize<'de> for $view<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(PhantomData<&'a ()>);
                impl<'de> Visitor<'de> for V<'de> {
                    type Value = $view<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<Self::Value, A::Error> {
                        let mut $unknown: Vec<String> = Vec::new();
                        let $key = |map: &mut A| map.next_key::<Str<'de>>();
                        $body
                    }
                }
                d.deserialize_map(V(PhantomData))
            }
        }
    };
}

visit_object!(FileView, "a proof file object", |map, key, unknown| {
    let (mut format, mut checkpoint, mut log_vkey, mut session, mut entries) = (None, None, None, None, None);
    let (mut nodes, mut anchor) = (None, None);
    while let Some(k) = key(&mut map)? {
        match &*k {
            "format" => set(&mut format, "format", map.next_value::<Str<'de>>()?.0)?,
            "checkpoint" => set(&mut checkpoint, "checkpoint", map.next_value::<Str<'de>>()?.0)?,
            "log_vkey" => set(&mut log_vkey, "log_vkey", map.next_value::<Str<'de>>()?.0)?,
            "session" => set(&mut session, "session", map.next_value::<SessionView<'de>>()?)?,
            "entries" => set(&mut entries, "entries", map.next_value::<Vec<EntryView<'de>>>()?)?,
            "nodes" => set(&mut nodes, "nodes", map.next_value::<Vec<(u64, u64, Str<'de>)>>()?)?,
            "anchor" => set(&mut anchor, "anchor", map.next_value::<Option<AnchorView<'de>>>()?)?,
            other => {
                unknown.push(other.to_owned());
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let session: SessionView<'de> = required(session, "session")?;
    let entries: Vec<EntryView<'de>> = required(entries, "entries")?;
    unknown.extend(session.unknown.iter().map(|u| format!("session.{u}")));
    for (i, e) in entries.iter().enumerate() {
        unknown.extend(e.unknown.iter().map(|u| format!("entries[{i}].{u}")));
    }
    let anchor: Option<AnchorView<'de>> = anchor.flatten();
    if let Some(a) = &anchor {
        unknown.extend(a.unknown.iter().map(|u| format!("anchor.{u}")));
    }
    Ok(FileView {
        format: required(format, "format")?,
        checkpoint: required(checkpoint, "checkpoint")?,
        log_vkey: required(log_vkey, "log_vkey")?,
        session,
        entries,
        nodes,
        anchor,
        unknown,
    })
});

visit_object!(SessionView, "a session object", |map, key, unknown| {
    let (mut tenant, mut session_id, mut length, mut head, mut heads_proof) = (None, None, None, None, None);
    while let Some(k) = key(&mut map)? {
        match &*k {
            "tenant" => set(&mut tenant, "tenant", map.next_value::<Str<'de>>()?.0)?,
            "session_id" => set(&mut session_id, "session_id", map.next_value::<Str<'de>>()?.0)?,
            "length" => set(&mut length, "length", map.next_value::<u64>()?)?,
            "head" => set(&mut head, "head", map.next_value::<Str<'de>>()?.0)?,
            "heads_proof" => set(&mut heads_proof, "heads_proof", map.next_value::<Vec<Str<'de>>>()?)?,
            other => {
                unknown.push(other.to_owned());
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(SessionView {
        tenant: required(tenant, "tenant")?,
        session_id: required(session_id, "session_id")?,
        length: required(length, "length")?,
        head: required(head, "head")?,
        heads_proof,
        unknown,
    })
});

visit_object!(EntryView, "a proof entry object", |map, key, unknown| {
    let (mut index, mut leaf, mut inclusion_proof) = (None, None, None);
    while let Some(k) = key(&mut map)? {
        match &*k {
            "index" => set(&mut index, "index", map.next_value::<u64>()?)?,
            "leaf" => set(&mut leaf, "leaf", map.next_value::<Bytes<'de>>()?)?,
            "inclusion_proof" => set(&mut inclusion_proof, "inclusion_proof", map.next_value::<Vec<Str<'de>>>()?)?,
            other => {
                unknown.push(other.to_owned());
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(EntryView { index: required(index, "index")?, leaf: required(leaf, "leaf")?, inclusion_proof, unknown })
});

visit_object!(AnchorView, "an anchor object", |map, key, unknown| {
    let (mut checkpoint, mut consistency_proof, mut evidence) = (None, None, None);
    while let Some(k) = key(&mut map)? {
        match &*k {
            "checkpoint" => set(&mut checkpoint, "checkpoint", map.next_value::<Str<'de>>()?.0)?,
            "consistency_proof" => {
                set(&mut consistency_proof, "consistency_proof", map.next_value::<Vec<Str<'de>>>()?)?
            }
            "evidence" => set(&mut evidence, "evidence", map.next_value::<serde_json::Value>()?)?,
            other => {
                unknown.push(other.to_owned());
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(AnchorView {
        checkpoint: required(checkpoint, "checkpoint")?,
        consistency_proof: required(consistency_proof, "consistency_proof")?,
        evidence: required(evidence, "evidence")?,
        unknown,
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_members_are_listed_with_their_paths_and_duplicates_refused() {
        let json = r#"{"format":"f","checkpoint":"c","log_vkey":"k","x":[1,{"y":2}],
            "session":{"tenant":"t","session_id":"s","length":1,"head":"h","z":null},
            "entries":[{"index":0,"leaf":"l","inclusion_proof":["a\u0062"],"w":1}]}"#;
        let v: FileView = serde_json::from_str(json).unwrap();
        assert_eq!(v.unknown, ["x", "session.z", "entries[0].w"]);
        assert!(v.session.heads_proof.is_none());
        assert_eq!(&*v.entries[0].inclusion_proof.as_ref().unwrap()[0], "ab");
        let twice = r#"{"format":"f","format":"g"}"#;
        assert!(serde_json::from_str::<FileView>(twice).unwrap_err().to_string().contains("duplicate field"));
        assert!(serde_json::from_str::<FileView>(r#"{"format":"f"}"#).is_err());
    }
}
