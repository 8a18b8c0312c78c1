//! The table of contents: collections and aliases by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use collection::collection::Collection;
use parking_lot::RwLock;
use segment::segment::write_atomically;

use crate::create::{CollectionDefaults, CreateCollection, UpdateCollection};
use crate::error::{Result, StorageError};

/// One alias change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasOperation {
    /// Point `alias` at `collection` (replacing an existing alias).
    Create {
        /// Target collection.
        collection: String,
        /// Alias name.
        alias: String,
    },
    /// Remove an alias.
    Delete {
        /// Alias name.
        alias: String,
    },
    /// Rename an alias.
    Rename {
        /// Current name.
        old: String,
        /// New name.
        new: String,
    },
}

/// The catalog of collections and aliases stored under one directory.
pub struct TableOfContent {
    root: PathBuf,
    defaults: CollectionDefaults,
    collections: RwLock<BTreeMap<String, Arc<Collection>>>,
    aliases: RwLock<BTreeMap<String, String>>,
}

/// Checks a collection or alias name as Qdrant does.
pub fn validate_name(name: &str) -> Result<()> {
    const FORBIDDEN: &[char] = &['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0', '\u{1F}'];
    if name.is_empty() || name.len() > 255 {
        return Err(collection::error::CollectionError::PathValidation(format!(
            "collection_name: value \"{name}\" invalid, must be from 1 to 255 characters"
        ))
        .into());
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(StorageError::validation(format!(
            "collection_name: collection name cannot contain \"{c}\" char"
        )));
    }
    if name == "." || name == ".." {
        return Err(StorageError::validation(format!(
            "collection_name: collection name cannot be \"{name}\""
        )));
    }
    Ok(())
}

impl TableOfContent {
    /// Opens the catalog under `root`, loading every collection.
    pub fn open(root: &Path, defaults: CollectionDefaults) -> Result<TableOfContent> {
        let dir = root.join("collections");
        std::fs::create_dir_all(&dir)?;
        let mut collections = BTreeMap::new();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !path.join("config.json").exists() {
                tracing::warn!(dir = %path.display(), "skipping directory without a collection config");
                continue;
            }
            tracing::info!(collection = %name, "loading collection");
            collections.insert(name, Arc::new(Collection::open(&path)?));
        }
        let alias_file = root.join("aliases.json");
        let aliases: BTreeMap<String, String> = match std::fs::read(&alias_file) {
            Ok(raw) => {
                serde_json::from_slice(&raw).map_err(|e| StorageError::bad_input(e.to_string()))?
            }
            Err(_) => BTreeMap::new(),
        };
        Ok(TableOfContent {
            root: root.to_path_buf(),
            defaults,
            collections: RwLock::new(collections),
            aliases: RwLock::new(aliases),
        })
    }

    /// Names of all collections, sorted.
    pub fn collection_names(&self) -> Vec<String> {
        self.collections.read().keys().cloned().collect()
    }

    /// The name a collection or alias name resolves to.
    pub fn resolve(&self, name: &str) -> Option<String> {
        if self.collections.read().contains_key(name) {
            return Some(name.to_string());
        }
        self.aliases.read().get(name).cloned()
    }

    /// A collection by name or alias.
    pub fn get(&self, name: &str) -> Result<Arc<Collection>> {
        let real = self
            .resolve(name)
            .ok_or_else(|| StorageError::no_collection(name))?;
        self.collections
            .read()
            .get(&real)
            .cloned()
            .ok_or_else(|| StorageError::no_collection(name))
    }

    /// Whether a collection (or alias) of that name exists.
    pub fn exists(&self, name: &str) -> bool {
        self.get(name).is_ok()
    }

    /// Creates a collection.
    pub fn create_collection(&self, name: &str, request: CreateCollection) -> Result<()> {
        validate_name(name)?;
        request.validate()?;
        let mut collections = self.collections.write();
        if collections.contains_key(name) {
            return Err(StorageError::AlreadyExists(name.to_string()));
        }
        if self.aliases.read().contains_key(name) {
            return Err(StorageError::bad_input(format!(
                "Alias with the same name `{name}` already exists!"
            )));
        }
        let config = request.into_config(&self.defaults);
        let dir = self.root.join("collections").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let collection = Collection::create(&dir, config)?;
        collections.insert(name.to_string(), Arc::new(collection));
        Ok(())
    }

    /// Updates a collection's parameters.
    pub fn update_collection(&self, name: &str, request: UpdateCollection) -> Result<()> {
        request.validate()?;
        let collection = self.get(name)?;
        collection.update_config(|c| request.apply(c))?;
        Ok(())
    }

    /// Deletes a collection (by its own name; an alias deletes nothing) and
    /// the aliases pointing at it; returns whether it existed.
    pub fn delete_collection(&self, name: &str) -> Result<bool> {
        let real = name.to_string();
        let Some(removed) = self.collections.write().remove(&real) else {
            return Ok(false);
        };
        // a background task may still hold it: it must not write into the
        // directory a new collection of this name will get
        removed.mark_dropped();
        {
            let mut aliases = self.aliases.write();
            let before = aliases.len();
            aliases.retain(|_, target| *target != real);
            if aliases.len() != before {
                self.save_aliases(&aliases)?;
            }
        }
        let dir = self.root.join("collections").join(&real);
        let trash = self
            .root
            .join(format!(".deleted-{real}-{}", std::process::id()));
        std::fs::rename(&dir, &trash)?;
        std::fs::remove_dir_all(&trash)?;
        Ok(true)
    }

    /// All aliases as (alias, collection), sorted by alias.
    pub fn aliases(&self) -> Vec<(String, String)> {
        self.aliases
            .read()
            .iter()
            .map(|(a, c)| (a.clone(), c.clone()))
            .collect()
    }

    /// Applies alias changes atomically: all of them or none.
    pub fn update_aliases(&self, operations: &[AliasOperation]) -> Result<()> {
        let collections = self.collections.read();
        let mut aliases = self.aliases.write();
        let mut next = aliases.clone();
        for op in operations {
            match op {
                AliasOperation::Create { collection, alias } => {
                    validate_name(alias)?;
                    if !collections.contains_key(collection) {
                        return Err(StorageError::no_collection(collection));
                    }
                    if collections.contains_key(alias) {
                        return Err(StorageError::AlreadyExists(alias.clone()));
                    }
                    next.insert(alias.clone(), collection.clone());
                }
                AliasOperation::Delete { alias } => {
                    // deleting an alias that does not exist is not an error
                    next.remove(alias);
                }
                AliasOperation::Rename { old, new } => {
                    validate_name(new)?;
                    if collections.contains_key(new) {
                        return Err(StorageError::AlreadyExists(new.clone()));
                    }
                    let target = next.remove(old).ok_or_else(|| {
                        StorageError::from(collection::CollectionError::NotFound(format!(
                            "Alias {old} does not exists!"
                        )))
                    })?;
                    next.insert(new.clone(), target);
                }
            }
        }
        self.save_aliases(&next)?;
        *aliases = next;
        Ok(())
    }

    fn save_aliases(&self, aliases: &BTreeMap<String, String>) -> Result<()> {
        let data =
            serde_json::to_vec(aliases).map_err(|e| StorageError::bad_input(e.to_string()))?;
        write_atomically(&self.root.join("aliases.json"), &data)
            .map_err(collection::CollectionError::from)?;
        Ok(())
    }

    /// Flushes every collection; errors are logged, not returned.
    pub fn flush_all(&self) {
        let collections: Vec<_> = self
            .collections
            .read()
            .iter()
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        for (name, c) in collections {
            if let Err(e) = c.flush() {
                tracing::error!(collection = %name, error = %e, "flush failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(toc: &TableOfContent, name: &str) {
        let req: CreateCollection =
            serde_json::from_value(serde_json::json!({"vectors": {"size": 2, "distance": "Dot"}}))
                .unwrap();
        toc.create_collection(name, req).unwrap();
    }

    #[test]
    fn collections_and_aliases_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let toc = TableOfContent::open(dir.path(), CollectionDefaults::default()).unwrap();
            create(&toc, "a");
            create(&toc, "b");
            let err = toc
                .create_collection("a", CreateCollection::default())
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "Wrong input: Collection `a` already exists!"
            );
            toc.update_aliases(&[AliasOperation::Create {
                collection: "a".into(),
                alias: "x".into(),
            }])
            .unwrap();
            let bad = toc.update_aliases(&[
                AliasOperation::Rename {
                    old: "x".into(),
                    new: "y".into(),
                },
                AliasOperation::Create {
                    collection: "missing".into(),
                    alias: "z".into(),
                },
            ]);
            assert!(bad.is_err());
            assert_eq!(
                toc.aliases(),
                vec![("x".into(), "a".into())],
                "a failed batch changes nothing"
            );
        }
        let toc = TableOfContent::open(dir.path(), CollectionDefaults::default()).unwrap();
        assert_eq!(toc.collection_names(), vec!["a", "b"]);
        assert!(toc.get("x").is_ok());
        assert!(
            !toc.delete_collection("x").unwrap(),
            "an alias name deletes nothing"
        );
        assert!(toc.delete_collection("a").unwrap());
        assert!(toc.aliases().is_empty());
        assert!(!toc.delete_collection("a").unwrap());
        assert_eq!(
            toc.get("a").err().unwrap().to_string(),
            "Not found: Collection `a` doesn't exist!"
        );
    }

    /// A deleted collection still held by a background task (the optimizer,
    /// the flush loop) writes nothing into the directory of a new
    /// collection created under its name.
    #[test]
    fn a_deleted_collection_leaves_its_successor_alone() {
        use collection::operations::{PointData, UpdateMode, UpdateRequest};
        use segment::vectors::Vector;
        use segment::PointId;
        let dir = tempfile::tempdir().unwrap();
        let upsert =
            |c: &collection::collection::Collection, ids: std::ops::Range<u64>, tag: &str| {
                let points = ids
                    .map(|id| PointData {
                        id: PointId::Num(id),
                        vectors: [(String::new(), Vector::Dense(vec![1.0, id as f32]))].into(),
                        payload: serde_json::json!({"tag": tag}).as_object().unwrap().clone(),
                    })
                    .collect();
                c.update(UpdateRequest::Upsert {
                    points,
                    update_filter: None,
                    mode: UpdateMode::Upsert,
                })
            };
        {
            let toc = TableOfContent::open(dir.path(), CollectionDefaults::default()).unwrap();
            create(&toc, "c");
            let old = toc.get("c").unwrap();
            upsert(&old, 0..50, "old").unwrap();
            assert!(toc.delete_collection("c").unwrap());
            create(&toc, "c");
            let new = toc.get("c").unwrap();
            upsert(&new, 100..103, "new").unwrap();
            new.flush().unwrap();
            // the background task finishes its work on the deleted one
            assert!(upsert(&old, 50..60, "old").is_err());
            old.flush().unwrap();
            old.optimize().unwrap();
        }
        let toc = TableOfContent::open(dir.path(), CollectionDefaults::default()).unwrap();
        let c = toc.get("c").unwrap();
        assert_eq!(c.count(None), 3);
        let (records, _) = c
            .scroll(
                None,
                None,
                100,
                &segment::selector::PayloadSelector::All,
                &segment::selector::VectorSelector::None,
            )
            .unwrap();
        let tags: Vec<_> = records
            .iter()
            .map(|r| r.payload.as_ref().unwrap()["tag"].clone())
            .collect();
        assert_eq!(tags, vec![serde_json::json!("new"); 3]);
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("ok_name-1").is_ok());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name("").is_err());
        assert!(validate_name(&"x".repeat(256)).is_err());
    }
}
