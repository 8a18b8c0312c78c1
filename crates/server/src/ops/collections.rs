//! Collections, aliases and named vectors.

use api::rest::collections::{AliasDescription, AliasesResponse, ChangeAliases, VectorNameConfig};
use api::rest::records::{CollectionInfo, UpdateResult};
use storage::create::{CreateCollection, UpdateCollection};
use storage::toc::{validate_name, AliasOperation};

use super::{blocking, AppState, OpResult};

/// Collection names.
pub fn list(state: &AppState) -> Vec<String> {
    state.toc.collection_names()
}

/// Collection info.
pub async fn info(state: &AppState, name: &str) -> OpResult<CollectionInfo> {
    let c = super::collection(state, name)?;
    blocking(move || {
        Ok(CollectionInfo::new(
            c.stats(),
            c.config(),
            c.payload_schema(),
        ))
    })
    .await
}

/// Creates a collection.
pub async fn create(state: &AppState, name: String, request: CreateCollection) -> OpResult<()> {
    let state = state.clone();
    blocking(move || Ok(state.toc.create_collection(&name, request)?)).await
}

/// Changes a collection's configuration.
pub async fn update(state: &AppState, name: String, request: UpdateCollection) -> OpResult<()> {
    let state = state.clone();
    blocking(move || Ok(state.toc.update_collection(&name, request)?)).await
}

/// Deletes a collection; whether it existed.
pub async fn delete(state: &AppState, name: String) -> OpResult<bool> {
    let state = state.clone();
    blocking(move || {
        let deleted = state.toc.delete_collection(&name)?;
        state.telemetry.issues.collection_deleted(&name);
        Ok(deleted)
    })
    .await
}

/// Whether a collection (or alias) exists.
pub fn exists(state: &AppState, name: &str) -> OpResult<bool> {
    validate_name(name)?;
    Ok(state.toc.exists(name))
}

fn describe(aliases: Vec<(String, String)>) -> AliasesResponse {
    AliasesResponse {
        aliases: aliases
            .into_iter()
            .map(|(alias_name, collection_name)| AliasDescription {
                alias_name,
                collection_name,
            })
            .collect(),
    }
}

/// Every alias.
pub fn list_aliases(state: &AppState) -> AliasesResponse {
    describe(state.toc.aliases())
}

/// The aliases of one collection.
pub fn collection_aliases(state: &AppState, name: &str) -> OpResult<AliasesResponse> {
    let real = state
        .toc
        .resolve(name)
        .ok_or_else(|| storage::StorageError::no_collection(name))?;
    let aliases = state
        .toc
        .aliases()
        .into_iter()
        .filter(|(_, c)| *c == real)
        .collect();
    Ok(describe(aliases))
}

/// Applies alias actions, all or none.
pub async fn update_aliases(state: &AppState, body: ChangeAliases) -> OpResult<()> {
    let ops: Vec<AliasOperation> = body.actions.into_iter().map(Into::into).collect();
    let state = state.clone();
    blocking(move || Ok(state.toc.update_aliases(&ops)?)).await
}

/// Adds a named vector.
pub async fn create_vector(
    state: &AppState,
    name: &str,
    vector: String,
    wait: bool,
    body: VectorNameConfig,
) -> OpResult<UpdateResult> {
    let c = super::collection(state, name)?;
    let op =
        blocking(move || Ok(c.create_vector_name(&vector, |config| body.apply(&vector, config))?))
            .await?;
    Ok(UpdateResult::new(op, wait))
}

/// Removes a named vector.
pub async fn delete_vector(
    state: &AppState,
    name: &str,
    vector: String,
    wait: bool,
) -> OpResult<UpdateResult> {
    let c = super::collection(state, name)?;
    let op = blocking(move || Ok(c.delete_vector_name(&vector)?)).await?;
    Ok(UpdateResult::new(op, wait))
}
