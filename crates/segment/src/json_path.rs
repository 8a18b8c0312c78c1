//! Payload key paths: `a.b`, `a[].b`, `a[0].b` and quoted keys `"a.b".c`.

use serde_json::{Map, Value};

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object key.
    Key(String),
    /// Every element of an array (`[]`).
    AllElements,
    /// One element of an array (`[n]`).
    Element(usize),
}

/// A parsed payload key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath {
    raw: String,
    steps: Vec<PathStep>,
}

impl std::fmt::Display for JsonPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl JsonPath {
    /// Parses a path; an empty or malformed path is an error naming it.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let bad = || format!("Invalid payload key path: `{text}`");
        let mut steps = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut expect_key = true;
        while i < chars.len() {
            match chars[i] {
                '[' => {
                    let close = chars[i..].iter().position(|&c| c == ']').ok_or_else(bad)? + i;
                    let inner: String = chars[i + 1..close].iter().collect();
                    if inner.is_empty() {
                        steps.push(PathStep::AllElements);
                    } else {
                        steps.push(PathStep::Element(inner.parse().map_err(|_| bad())?));
                    }
                    i = close + 1;
                    expect_key = false;
                }
                '.' if !expect_key => {
                    i += 1;
                    expect_key = true;
                }
                '"' if expect_key => {
                    let close = chars[i + 1..]
                        .iter()
                        .position(|&c| c == '"')
                        .ok_or_else(bad)?
                        + i
                        + 1;
                    steps.push(PathStep::Key(chars[i + 1..close].iter().collect()));
                    i = close + 1;
                    expect_key = false;
                }
                _ if expect_key => {
                    let end = chars[i..]
                        .iter()
                        .position(|&c| c == '.' || c == '[')
                        .map_or(chars.len(), |p| p + i);
                    let key: String = chars[i..end].iter().collect();
                    if key.is_empty() {
                        return Err(bad());
                    }
                    steps.push(PathStep::Key(key));
                    i = end;
                    expect_key = false;
                }
                _ => return Err(bad()),
            }
        }
        if steps.is_empty() || expect_key || !matches!(steps[0], PathStep::Key(_)) {
            return Err(bad());
        }
        Ok(JsonPath {
            raw: text.to_string(),
            steps,
        })
    }

    /// The steps of this path.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// The path's first key.
    pub fn head(&self) -> &str {
        match &self.steps[0] {
            PathStep::Key(k) => k,
            _ => unreachable!("parse guarantees a leading key"),
        }
    }

    /// Every value the path reaches in `payload`.
    pub fn values<'a>(&self, payload: &'a Map<String, Value>) -> Vec<&'a Value> {
        let mut current: Vec<&Value> = match payload.get(self.head()) {
            Some(v) => vec![v],
            None => return Vec::new(),
        };
        for step in &self.steps[1..] {
            let mut next = Vec::new();
            for value in current {
                match (step, value) {
                    (PathStep::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (PathStep::AllElements, Value::Array(items)) => next.extend(items.iter()),
                    (PathStep::Element(n), Value::Array(items)) => next.extend(items.get(*n)),
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    /// Values reached by the path with arrays at the leaf expanded into their
    /// elements: the values a condition is tested against.
    pub fn leaf_values<'a>(&self, payload: &'a Map<String, Value>) -> Vec<&'a Value> {
        let mut out = Vec::new();
        for value in self.values(payload) {
            match value {
                Value::Array(items) => out.extend(items.iter()),
                other => out.push(other),
            }
        }
        out
    }

    /// Removes what the path reaches from `payload`.
    pub fn remove(&self, payload: &mut Map<String, Value>) {
        if self.steps.len() == 1 {
            payload.shift_remove(self.head());
            return;
        }
        if let Some(root) = payload.get_mut(self.head()) {
            remove_in(root, &self.steps[1..]);
        }
    }

    /// Merges `patch` into the object the path names, creating objects along
    /// the way and replacing non-object values on the path.
    pub fn merge_at(&self, payload: &mut Map<String, Value>, patch: &Map<String, Value>) {
        let root = payload
            .entry(self.head().to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        merge_in(root, &self.steps[1..], patch);
    }
}

fn remove_in(value: &mut Value, steps: &[PathStep]) {
    let last = steps.len() == 1;
    match (&steps[0], value) {
        (PathStep::Key(k), Value::Object(map)) => {
            if last {
                map.shift_remove(k);
            } else if let Some(child) = map.get_mut(k) {
                remove_in(child, &steps[1..]);
            }
        }
        (PathStep::AllElements, Value::Array(items)) => {
            if last {
                items.clear();
            } else {
                items
                    .iter_mut()
                    .for_each(|item| remove_in(item, &steps[1..]));
            }
        }
        (PathStep::Element(n), Value::Array(items)) => {
            if last {
                if *n < items.len() {
                    items.remove(*n);
                }
            } else if let Some(item) = items.get_mut(*n) {
                remove_in(item, &steps[1..]);
            }
        }
        _ => {}
    }
}

fn merge_in(value: &mut Value, steps: &[PathStep], patch: &Map<String, Value>) {
    let Some(step) = steps.first() else {
        if !value.is_object() {
            *value = Value::Object(Map::new());
        }
        if let Value::Object(map) = value {
            for (k, v) in patch {
                map.insert(k.clone(), v.clone());
            }
        }
        return;
    };
    match step {
        PathStep::Key(k) => {
            if !value.is_object() {
                *value = Value::Object(Map::new());
            }
            if let Value::Object(map) = value {
                let child = map
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_in(child, &steps[1..], patch);
            }
        }
        PathStep::AllElements => {
            if let Value::Array(items) = value {
                items
                    .iter_mut()
                    .for_each(|item| merge_in(item, &steps[1..], patch));
            }
        }
        PathStep::Element(n) => {
            if let Value::Array(items) = value {
                if let Some(item) = items.get_mut(*n) {
                    merge_in(item, &steps[1..], patch);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn parses_paths() {
        let p = JsonPath::parse("a.b[].c[2]").unwrap();
        assert_eq!(
            p.steps(),
            &[
                PathStep::Key("a".into()),
                PathStep::Key("b".into()),
                PathStep::AllElements,
                PathStep::Key("c".into()),
                PathStep::Element(2)
            ]
        );
        let q = JsonPath::parse("\"a.b\".c").unwrap();
        assert_eq!(q.head(), "a.b");
        for bad in ["", ".a", "a.", "a..b", "[]", "a[x]", "a[", "\"a"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_values() {
        let p = obj(json!({"a": [{"b": 1}, {"b": [2, 3]}], "c": {"d": null}}));
        let path = JsonPath::parse("a[].b").unwrap();
        assert_eq!(path.values(&p), vec![&json!(1), &json!([2, 3])]);
        assert_eq!(path.leaf_values(&p), vec![&json!(1), &json!(2), &json!(3)]);
        assert_eq!(
            JsonPath::parse("c.d").unwrap().values(&p),
            vec![&Value::Null]
        );
        assert!(JsonPath::parse("a.b").unwrap().values(&p).is_empty());
        assert_eq!(
            JsonPath::parse("a[1].b").unwrap().values(&p),
            vec![&json!([2, 3])]
        );
    }

    #[test]
    fn removes_and_merges() {
        let mut p = obj(json!({"a": [{"b": 1, "x": 0}, {"b": 2}], "k": 1}));
        JsonPath::parse("a[].b").unwrap().remove(&mut p);
        assert_eq!(
            Value::Object(p.clone()),
            json!({"a": [{"x": 0}, {}], "k": 1})
        );
        JsonPath::parse("k").unwrap().remove(&mut p);
        assert_eq!(Value::Object(p.clone()), json!({"a": [{"x": 0}, {}]}));
        JsonPath::parse("n.m")
            .unwrap()
            .merge_at(&mut p, &obj(json!({"z": 5})));
        assert_eq!(p["n"], json!({"m": {"z": 5}}));
    }
}
