//! Query strings as the SDK encodes them: bracketed array keys (`types[]=a&types[]=b`), literal range keys
//! (`created_at[gte]=…`, percent-encoded), and the page cursor protocol shared by every list endpoint.

use super::error::{SimError, SimResult};

/// A decoded query string: every `key=value` pair in order, keys and values percent-decoded.
#[derive(Debug, Default, Clone)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self(pairs)
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key[]` (and of a bare repeated `key`).
    pub fn all(&self, key: &str) -> Vec<&str> {
        let bracketed = format!("{key}[]");
        self.0.iter().filter(|(k, _)| *k == bracketed || k == key).map(|(_, v)| v.as_str()).collect()
    }

    pub fn bool(&self, key: &str) -> SimResult<bool> {
        match self.get(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(SimError::bad_request(format!("{key}: expected true or false, got {other:?}"))),
        }
    }

    pub fn int(&self, key: &str) -> SimResult<Option<i64>> {
        self.get(key)
            .map(|v| v.parse::<i64>().map_err(|_| SimError::bad_request(format!("{key}: expected an integer"))))
            .transpose()
    }

    /// `limit`, defaulting to 20 and bounded to 1..=`max`.
    pub fn limit(&self, max: i64) -> SimResult<usize> {
        let limit = self.int("limit")?.unwrap_or(20);
        if !(1..=max).contains(&limit) {
            return Err(SimError::bad_request(format!("limit: must be between 1 and {max}")));
        }
        Ok(usize::try_from(limit).unwrap_or(20))
    }

    /// `order`, or `default` when absent.
    pub fn order(&self, default: Order) -> SimResult<Order> {
        match self.get("order") {
            None => Ok(default),
            Some("asc") => Ok(Order::Asc),
            Some("desc") => Ok(Order::Desc),
            Some(other) => Err(SimError::bad_request(format!("order: expected asc or desc, got {other:?}"))),
        }
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    fn tag(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// One page of a list: the items and the cursor of the next page.
#[derive(Debug)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_page: Option<String>,
}

/// Pages `items` (already filtered, in ascending insertion order) by `order`, `limit` and the opaque cursor in
/// `page`. A cursor is `page_<order>_<offset>`; reusing it with another order is a 400, as in the API.
pub fn paginate<T: Clone>(items: &[T], q: &Query, order: Order, max_limit: i64) -> SimResult<Page<T>> {
    let limit = q.limit(max_limit)?;
    let start = match q.get("page").filter(|p| !p.is_empty()) {
        None => 0,
        Some(cursor) => {
            let bad = || SimError::bad_request(format!("page: invalid cursor {cursor:?}"));
            let rest = cursor.strip_prefix("page_").ok_or_else(bad)?;
            let (tag, offset) = rest.split_once('_').ok_or_else(bad)?;
            if tag != order.tag() {
                return Err(SimError::bad_request("page: cursor was created with a different order"));
            }
            offset.parse::<usize>().map_err(|_| bad())?
        }
    };
    // Only the page is copied, whatever the length of the list.
    let data: Vec<T> = match order {
        Order::Asc => items.iter().skip(start).take(limit).cloned().collect(),
        Order::Desc => items.iter().rev().skip(start).take(limit).cloned().collect(),
    };
    let end = start + data.len();
    let next_page = (end < items.len()).then(|| format!("page_{}_{end}", order.tag()));
    Ok(Page { data, next_page })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_brackets_and_percent() {
        let q =
            Query::parse(Some("types%5B%5D=a&types[]=b&created_at%5Bgte%5D=2026-01-02T03%3A04%3A05%2B00%3A00&x=%zz"));
        assert_eq!(q.all("types"), vec!["a", "b"]);
        assert_eq!(q.get("created_at[gte]"), Some("2026-01-02T03:04:05+00:00"));
        assert_eq!(q.get("x"), Some("%zz"));
    }

    #[test]
    fn pages_and_rejects_mismatched_order() {
        let items: Vec<u32> = (0..5).collect();
        let q = Query::parse(Some("limit=2"));
        let p = paginate(&items, &q, Order::Desc, 100).expect("page");
        assert_eq!(p.data, vec![4, 3]);
        let next = p.next_page.expect("cursor");
        let q2 = Query::parse(Some(&format!("limit=2&page={next}")));
        assert_eq!(paginate(&items, &q2, Order::Desc, 100).expect("page").data, vec![2, 1]);
        assert!(paginate(&items, &q2, Order::Asc, 100).is_err());
    }
}
