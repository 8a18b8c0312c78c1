//! The issues `GET /issues` reports: problems detected while serving, each
//! with the request that solves it, dropped once solved.

use std::collections::BTreeMap;
use std::time::SystemTime;

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::time::rfc3339_nanos;

/// One detected problem.
#[derive(Debug, Clone)]
struct Issue {
    description: String,
    /// Index schemas that would solve it (one: `immediate`, more: a choice).
    schemas: Vec<&'static str>,
    field: String,
    collection: String,
    timestamp: SystemTime,
}

/// The issues of this server, by id.
#[derive(Debug, Default)]
pub struct Issues {
    by_id: Mutex<BTreeMap<String, Issue>>,
}

/// The schemas an issue suggests for a key that the given index kinds (as
/// strict mode names them) would serve: plain schema names, no `uuid`.
fn schemas_for(kinds: &[&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for kind in kinds {
        let base = kind.split(' ').next().unwrap_or(kind);
        if base != "uuid" && !out.contains(&base) {
            out.push(base);
        }
    }
    out
}

/// Percent-encodes a collection name for a request path.
fn encode_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Issues {
    /// Reports that a slow filtered search read `field` of `collection`
    /// without an index of one of `kinds`; an issue already open keeps its
    /// first timestamp.
    pub fn unindexed_field(&self, collection: &str, field: &str, kinds: &[&'static str]) {
        let id = format!("UNINDEXED_FIELD/{collection}/{field}");
        self.by_id.lock().entry(id).or_insert_with(|| Issue {
            description: format!(
                "Unindexed field '{field}' might be slowing queries down in collection '{collection}'"
            ),
            schemas: schemas_for(kinds),
            field: field.to_owned(),
            collection: collection.to_owned(),
            timestamp: SystemTime::now(),
        });
    }

    /// An index was created on `field`: its issue is solved.
    pub fn field_indexed(&self, collection: &str, field: &str) {
        self.by_id
            .lock()
            .remove(&format!("UNINDEXED_FIELD/{collection}/{field}"));
    }

    /// `collection` was deleted: its issues go with it.
    pub fn collection_deleted(&self, collection: &str) {
        self.by_id.lock().retain(|_, i| i.collection != collection);
    }

    /// Forgets every issue (`DELETE /issues`).
    pub fn clear(&self) {
        self.by_id.lock().clear();
    }

    /// `{"issues": [...]}` as Qdrant reports them.
    pub fn to_json(&self) -> Value {
        let issues: Vec<Value> = self
            .by_id
            .lock()
            .iter()
            .map(|(id, issue)| {
                let action = |schema: &str| {
                    json!({
                        "message": format!(
                            "Create an index on field '{}' of schema \"{schema}\" in collection '{}'. \
                             Check the documentation for more details: \
                             https://qdrant.tech/documentation/concepts/indexing/#payload-index",
                            issue.field, issue.collection
                        ),
                        "action": {
                            "method": "PUT",
                            "uri": format!("/collections/{}/index", encode_segment(&issue.collection)),
                            "headers": {"content-type": "application/json"},
                            "body": {"field_name": issue.field, "field_schema": schema},
                        },
                    })
                };
                let solution = match issue.schemas.as_slice() {
                    [one] => json!({"immediate": action(one)}),
                    many => json!({"immediate_choice": many.iter().map(|s| action(s)).collect::<Vec<_>>()}),
                };
                json!({
                    "id": id,
                    "description": issue.description,
                    "solution": solution,
                    "timestamp": rfc3339_nanos(issue.timestamp),
                    "related_collection": issue.collection,
                })
            })
            .collect();
        json!({ "issues": issues })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_lives_until_its_field_is_indexed() {
        let issues = Issues::default();
        issues.unindexed_field("c d", "color", &["keyword", "uuid"]);
        let v = issues.to_json();
        let issue = &v["issues"][0];
        assert_eq!(issue["id"], "UNINDEXED_FIELD/c d/color");
        assert_eq!(
            issue["solution"]["immediate"]["action"]["uri"],
            "/collections/c%20d/index"
        );
        assert_eq!(
            issue["solution"]["immediate"]["action"]["body"]["field_schema"],
            "keyword"
        );
        issues.field_indexed("c d", "other");
        assert_eq!(issues.to_json()["issues"].as_array().unwrap().len(), 1);
        issues.field_indexed("c d", "color");
        assert!(issues.to_json()["issues"].as_array().unwrap().is_empty());
    }

    #[test]
    fn several_schemas_are_a_choice() {
        let issues = Issues::default();
        issues.unindexed_field("c", "n", &["float", "integer"]);
        issues.unindexed_field("c", "t", &["text (with phrase_matching: true)"]);
        let v = issues.to_json();
        assert_eq!(
            v["issues"][0]["solution"]["immediate_choice"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            v["issues"][1]["solution"]["immediate"]["action"]["body"]["field_schema"],
            "text"
        );
        issues.collection_deleted("c");
        assert!(issues.to_json()["issues"].as_array().unwrap().is_empty());
    }
}
