//! Payload index definitions, in Qdrant's JSON shape (they are reported in
//! collection info and persisted as they were given).

use serde::{Deserialize, Serialize};

/// The kinds of payload index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadSchemaType {
    /// Exact strings.
    Keyword,
    /// Integers (lookup and/or range).
    Integer,
    /// Floats (range).
    Float,
    /// Geo points.
    Geo,
    /// Full text.
    Text,
    /// Booleans.
    Bool,
    /// Datetimes (range).
    Datetime,
    /// UUID strings.
    Uuid,
}

/// Memory placement of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexMemory {
    /// On disk.
    Cold,
    /// Page cache.
    Cached,
    /// Locked in RAM.
    Pinned,
}

/// Options every index kind accepts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommonParams {
    /// Deprecated on-disk flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<IndexMemory>,
    /// Build payload-aware HNSW links for this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_hnsw: Option<bool>,
}

/// Tokenizers of the text index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerType {
    /// Every prefix of every word.
    Prefix,
    /// Split on whitespace.
    Whitespace,
    /// Split on non-alphanumeric characters.
    #[default]
    Word,
    /// Unicode word boundaries.
    Multilingual,
}

/// Stop words: a language or a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stopwords {
    /// One language's list.
    Language(String),
    /// Languages and custom words.
    Set {
        /// Languages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        languages: Option<Vec<String>>,
        /// Custom words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        custom: Option<Vec<String>>,
    },
}

/// Stemmer configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StemmerParams {
    /// `snowball`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Snowball language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Parameters of an index, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PayloadSchemaParams {
    /// Keyword index.
    Keyword {
        /// Tenant field: points are grouped by its value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_tenant: Option<bool>,
        /// Prefix matching support.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<bool>,
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// Integer index.
    Integer {
        /// Exact-match lookups.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lookup: Option<bool>,
        /// Range queries.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<bool>,
        /// Main ordering field of the storage.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_principal: Option<bool>,
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// Float index.
    Float {
        /// Main ordering field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_principal: Option<bool>,
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// Geo index.
    Geo {
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// Full-text index.
    Text(Box<TextIndexParams>),
    /// Bool index.
    Bool {
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// Datetime index.
    Datetime {
        /// Main ordering field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_principal: Option<bool>,
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
    /// UUID index.
    Uuid {
        /// Tenant field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_tenant: Option<bool>,
        /// Common options.
        #[serde(flatten)]
        common: CommonParams,
    },
}

/// Parameters of the text index.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TextIndexParams {
    /// Tokenizer.
    #[serde(default)]
    pub tokenizer: TokenizerType,
    /// Shortest token kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_token_len: Option<usize>,
    /// Longest token kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_token_len: Option<usize>,
    /// Lowercase tokens (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowercase: Option<bool>,
    /// Fold accented Latin letters to ASCII.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ascii_folding: Option<bool>,
    /// Keep positions for phrase queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase_matching: Option<bool>,
    /// Stop words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopwords: Option<Stopwords>,
    /// Stemmer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stemmer: Option<StemmerParams>,
    /// Ranking by BM25 (`true` or `{"type": "bm25"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<TextScoring>,
    /// Common options.
    #[serde(flatten)]
    pub common: CommonParams,
}

impl TextIndexParams {
    /// Whether text queries may rank by this index.
    pub fn scored(&self) -> bool {
        matches!(
            self.scoring,
            Some(TextScoring::Enabled(true)) | Some(TextScoring::Params { .. })
        )
    }
}

/// `scoring` of a text index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextScoring {
    /// `true`: BM25; `false`: none.
    Enabled(bool),
    /// `{"type": "bm25"}`.
    Params {
        /// The scorer.
        #[serde(rename = "type")]
        kind: TextScoringType,
    },
}

/// How a text index ranks documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextScoringType {
    /// Okapi BM25.
    Bm25,
}

/// An index definition: a bare type or typed parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PayloadFieldSchema {
    /// A type with default parameters.
    Type(PayloadSchemaType),
    /// A type with parameters.
    Params(PayloadSchemaParams),
}

impl PayloadFieldSchema {
    /// The index kind.
    pub fn kind(&self) -> PayloadSchemaType {
        match self {
            PayloadFieldSchema::Type(t) => *t,
            PayloadFieldSchema::Params(p) => match p {
                PayloadSchemaParams::Keyword { .. } => PayloadSchemaType::Keyword,
                PayloadSchemaParams::Integer { .. } => PayloadSchemaType::Integer,
                PayloadSchemaParams::Float { .. } => PayloadSchemaType::Float,
                PayloadSchemaParams::Geo { .. } => PayloadSchemaType::Geo,
                PayloadSchemaParams::Text(_) => PayloadSchemaType::Text,
                PayloadSchemaParams::Bool { .. } => PayloadSchemaType::Bool,
                PayloadSchemaParams::Datetime { .. } => PayloadSchemaType::Datetime,
                PayloadSchemaParams::Uuid { .. } => PayloadSchemaType::Uuid,
            },
        }
    }

    /// Parameters, when given.
    pub fn params(&self) -> Option<&PayloadSchemaParams> {
        match self {
            PayloadFieldSchema::Type(_) => None,
            PayloadFieldSchema::Params(p) => Some(p),
        }
    }

    /// Text index parameters (defaults for a bare `text`).
    pub fn text_params(&self) -> Option<TextIndexParams> {
        match self {
            PayloadFieldSchema::Type(PayloadSchemaType::Text) => Some(TextIndexParams::default()),
            PayloadFieldSchema::Params(PayloadSchemaParams::Text(p)) => Some((**p).clone()),
            _ => None,
        }
    }

    /// Whether a keyword index marks a tenant field (`is_tenant`).
    pub fn is_tenant(&self) -> bool {
        matches!(
            self.params(),
            Some(PayloadSchemaParams::Keyword {
                is_tenant: Some(true),
                ..
            })
        )
    }

    /// Whether an integer index answers exact matches (`lookup`, default true).
    pub fn integer_lookup(&self) -> bool {
        match self.params() {
            Some(PayloadSchemaParams::Integer { lookup, .. }) => lookup.unwrap_or(true),
            _ => true,
        }
    }

    /// Whether an integer index answers ranges (`range`, default true).
    pub fn integer_range(&self) -> bool {
        match self.params() {
            Some(PayloadSchemaParams::Integer { range, .. }) => range.unwrap_or(true),
            _ => true,
        }
    }

    /// Whether the index serves ranges and `order_by`.
    pub fn supports_range(&self) -> bool {
        match self.kind() {
            PayloadSchemaType::Integer => self.integer_range(),
            PayloadSchemaType::Float | PayloadSchemaType::Datetime => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_forms_round_trip() {
        for v in [
            json!("keyword"),
            json!({"type": "integer", "lookup": true, "range": false}),
            json!({"type": "keyword", "is_tenant": true, "on_disk": true}),
            json!({"type": "text", "tokenizer": "prefix", "min_token_len": 2, "lowercase": true, "stopwords": "english"}),
            json!({"type": "text", "tokenizer": "word", "stopwords": {"languages": ["english"], "custom": ["foo"]}, "stemmer": {"type": "snowball", "language": "english"}}),
            json!({"type": "uuid", "is_tenant": true}),
        ] {
            let parsed: PayloadFieldSchema = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), v);
        }
        let bad: Result<PayloadFieldSchema, _> =
            serde_json::from_value(json!({"type": "integer", "lookup": "x"}));
        assert!(bad.is_err());
        assert!(serde_json::from_value::<PayloadFieldSchema>(json!("vector")).is_err());
    }
}
