//! Collection-level request bodies: aliases and named vectors.

use std::collections::BTreeMap;

use collection::config::{
    CollectionConfig, Datatype, Distance, Modifier, MultiVectorConfig, SparseVectorParams,
    ValidationErrors, VectorParams, VectorsConfig,
};
use collection::{CollectionError, Result};
use serde::{Deserialize, Serialize};
use storage::toc::AliasOperation;

/// `POST /collections/aliases` body.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangeAliases {
    /// Actions, applied atomically.
    pub actions: Vec<AliasAction>,
}

/// One alias action.
#[derive(Debug, Clone)]
pub enum AliasAction {
    /// Create.
    CreateAlias {
        /// Target.
        collection_name: String,
        /// Alias.
        alias_name: String,
    },
    /// Delete.
    DeleteAlias {
        /// Alias.
        alias_name: String,
    },
    /// Rename.
    RenameAlias {
        /// Current name.
        old_alias_name: String,
        /// New name.
        new_alias_name: String,
    },
}

impl<'de> Deserialize<'de> for AliasAction {
    /// Qdrant's untagged alias operation: the first of `create_alias`,
    /// `delete_alias`, `rename_alias` that parses (other keys ignored),
    /// else its one error text.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Create {
            collection_name: String,
            alias_name: String,
        }
        #[derive(Deserialize)]
        struct Delete {
            alias_name: String,
        }
        #[derive(Deserialize)]
        struct Rename {
            old_alias_name: String,
            new_alias_name: String,
        }
        fn part<T: serde::de::DeserializeOwned>(v: &serde_json::Value, key: &str) -> Option<T> {
            serde_json::from_value(v.get(key)?.clone()).ok()
        }
        let v = serde_json::Value::deserialize(d)?;
        if let Some(c) = part::<Create>(&v, "create_alias") {
            return Ok(AliasAction::CreateAlias {
                collection_name: c.collection_name,
                alias_name: c.alias_name,
            });
        }
        if let Some(c) = part::<Delete>(&v, "delete_alias") {
            return Ok(AliasAction::DeleteAlias {
                alias_name: c.alias_name,
            });
        }
        if let Some(c) = part::<Rename>(&v, "rename_alias") {
            return Ok(AliasAction::RenameAlias {
                old_alias_name: c.old_alias_name,
                new_alias_name: c.new_alias_name,
            });
        }
        Err(serde::de::Error::custom(
            "data did not match any variant of untagged enum AliasOperations",
        ))
    }
}

impl From<AliasAction> for AliasOperation {
    fn from(a: AliasAction) -> Self {
        match a {
            AliasAction::CreateAlias {
                collection_name,
                alias_name,
            } => AliasOperation::Create {
                collection: collection_name,
                alias: alias_name,
            },
            AliasAction::DeleteAlias { alias_name } => AliasOperation::Delete { alias: alias_name },
            AliasAction::RenameAlias {
                old_alias_name,
                new_alias_name,
            } => AliasOperation::Rename {
                old: old_alias_name,
                new: new_alias_name,
            },
        }
    }
}

/// One alias as listed.
#[derive(Debug, Clone, Serialize)]
pub struct AliasDescription {
    /// Alias.
    pub alias_name: String,
    /// Target.
    pub collection_name: String,
}

/// Alias listing.
#[derive(Debug, Clone, Serialize)]
pub struct AliasesResponse {
    /// Aliases.
    pub aliases: Vec<AliasDescription>,
}

/// `PUT /collections/{name}/vectors/{vector}` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VectorNameConfig {
    /// A dense (or multi-dense) vector.
    Dense {
        /// Dimension.
        size: u64,
        /// Distance.
        distance: Distance,
        /// Multi-vector configuration.
        #[serde(default)]
        multivector_config: Option<MultiVectorConfig>,
        /// Datatype.
        #[serde(default)]
        datatype: Option<Datatype>,
    },
    /// A sparse vector.
    Sparse {
        /// Modifier.
        #[serde(default)]
        modifier: Option<Modifier>,
        /// Datatype.
        #[serde(default)]
        datatype: Option<Datatype>,
    },
}

impl VectorNameConfig {
    /// Adds the vector `name` to `config`.
    pub fn apply(self, name: &str, config: &mut CollectionConfig) -> Result<()> {
        match self {
            VectorNameConfig::Dense {
                size,
                distance,
                multivector_config,
                datatype,
            } => {
                let mut e = ValidationErrors::default();
                e.range("dense.size", Some(size), 1, 65536);
                e.into_result().map_err(CollectionError::Validation)?;
                let params = VectorParams {
                    size,
                    distance,
                    hnsw_config: None,
                    quantization_config: None,
                    on_disk: None,
                    memory: None,
                    datatype,
                    multivector_config,
                };
                match &mut config.params.vectors {
                    VectorsConfig::Multi(m) => {
                        m.insert(name.to_string(), params);
                    }
                    VectorsConfig::Single(existing) => {
                        let mut m = BTreeMap::new();
                        m.insert(String::new(), existing.clone());
                        m.insert(name.to_string(), params);
                        config.params.vectors = VectorsConfig::Multi(m);
                    }
                }
            }
            VectorNameConfig::Sparse { modifier, datatype } => {
                let index = datatype.map(|d| collection::config::SparseIndexParams {
                    datatype: Some(d),
                    ..Default::default()
                });
                config
                    .params
                    .sparse_vectors
                    .get_or_insert_with(BTreeMap::new)
                    .insert(name.to_string(), SparseVectorParams { index, modifier });
            }
        }
        Ok(())
    }
}
