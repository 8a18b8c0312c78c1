//! What parts of a point a read returns: payload and vector selectors.

use serde_json::{Map, Value};

use crate::json_path::{JsonPath, PathStep};
use crate::Payload;

/// Which payload a read returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PayloadSelector {
    /// The whole payload.
    #[default]
    All,
    /// No payload.
    None,
    /// Only these paths.
    Include(Vec<JsonPath>),
    /// Everything but these paths.
    Exclude(Vec<JsonPath>),
}

impl PayloadSelector {
    /// Applies the selector to the payload `load` reads (called only when
    /// some payload is to be returned); `None` when none is.
    pub fn apply(&self, load: impl FnOnce() -> Payload) -> Option<Payload> {
        match self {
            PayloadSelector::All => Some(load()),
            PayloadSelector::None => None,
            PayloadSelector::Include(paths) => {
                let payload = load();
                let mut out = Map::new();
                for path in paths {
                    if let Some(v) = payload.get(path.head()) {
                        let slot = out.entry(path.head().to_string()).or_insert(Value::Null);
                        include_into(v, &path.steps()[1..], slot);
                    }
                }
                Some(out)
            }
            PayloadSelector::Exclude(paths) => {
                let mut out = load();
                paths.iter().for_each(|p| p.remove(&mut out));
                Some(out)
            }
        }
    }
}

/// Copies what `steps` select from `src` into `dst`, keeping the structure.
fn include_into(src: &Value, steps: &[PathStep], dst: &mut Value) {
    let Some(step) = steps.first() else {
        *dst = src.clone();
        return;
    };
    match (step, src) {
        (PathStep::Key(k), Value::Object(map)) => {
            if let Some(child) = map.get(k) {
                if !dst.is_object() {
                    *dst = Value::Object(Map::new());
                }
                if let Value::Object(d) = dst {
                    let slot = d.entry(k.clone()).or_insert(Value::Null);
                    include_into(child, &steps[1..], slot);
                }
            }
        }
        (PathStep::AllElements, Value::Array(items)) => {
            let mut existing = match std::mem::take(dst) {
                Value::Array(a) if a.len() == items.len() => a,
                _ => vec![Value::Null; items.len()],
            };
            for (item, slot) in items.iter().zip(existing.iter_mut()) {
                include_into(item, &steps[1..], slot);
            }
            *dst = Value::Array(existing);
        }
        (PathStep::Element(n), Value::Array(items)) => {
            if let Some(item) = items.get(*n) {
                let mut slot = Value::Null;
                include_into(item, &steps[1..], &mut slot);
                *dst = Value::Array(vec![slot]);
            }
        }
        _ => {}
    }
}

/// Which vectors a read returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum VectorSelector {
    /// Every vector.
    All,
    /// No vector.
    #[default]
    None,
    /// Only the named vectors.
    Names(Vec<String>),
}

impl VectorSelector {
    /// Whether the vector `name` is selected.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            VectorSelector::All => true,
            VectorSelector::None => false,
            VectorSelector::Names(names) => names.iter().any(|n| n == name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn include_and_exclude() {
        let p = json!({"a": {"b": 1, "c": 2}, "d": [{"e": 1, "f": 2}], "g": 3});
        let p = p.as_object().unwrap();
        let paths = |ps: &[&str]| {
            ps.iter()
                .map(|s| JsonPath::parse(s).unwrap())
                .collect::<Vec<_>>()
        };
        let inc = PayloadSelector::Include(paths(&["a.b", "d[].e", "missing"]));
        assert_eq!(
            Value::Object(inc.apply(|| p.clone()).unwrap()),
            json!({"a": {"b": 1}, "d": [{"e": 1}]})
        );
        let exc = PayloadSelector::Exclude(paths(&["a.c", "g"]));
        assert_eq!(
            Value::Object(exc.apply(|| p.clone()).unwrap()),
            json!({"a": {"b": 1}, "d": [{"e": 1, "f": 2}]})
        );
        assert_eq!(
            PayloadSelector::None.apply(|| unreachable!("nothing to read")),
            None
        );
    }
}
