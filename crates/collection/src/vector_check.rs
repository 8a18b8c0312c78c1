//! Checks incoming vectors against the collection configuration.

use std::collections::BTreeMap;

use segment::vector_storage::{Element, VectorKind};
use segment::vectors::{normalize, NamedVectors, Vector};

use crate::config::{CollectionConfig, Datatype};
use crate::error::{CollectionError, Result};

/// The vector storages a configuration defines.
pub fn storage_schema(config: &CollectionConfig) -> BTreeMap<String, VectorKind> {
    let mut schema: BTreeMap<String, VectorKind> = config
        .params
        .vectors
        .iter()
        .map(|(name, p)| {
            let dim = p.size as usize;
            let element = match p.datatype {
                Some(Datatype::Float16 | Datatype::Turbo16) => Element::F16,
                Some(Datatype::Turbo8) => Element::Turbo8,
                Some(Datatype::Uint8) => Element::U8,
                Some(Datatype::Turbo4) => Element::Turbo4,
                Some(Datatype::Float32) | None => Element::F32,
            };
            let kind = if p.multivector_config.is_some() {
                VectorKind::Multi { dim, element }
            } else {
                VectorKind::Dense { dim, element }
            };
            (name.to_string(), kind)
        })
        .collect();
    for name in config.params.sparse_vectors.iter().flat_map(|m| m.keys()) {
        schema.insert(name.clone(), VectorKind::Sparse);
    }
    schema
}

/// Qdrant's error for a vector of the wrong dimension.
pub(crate) fn dim_error(expected: usize, got: usize) -> CollectionError {
    CollectionError::BadInput(format!(
        "Vector dimension error: expected dim: {expected}, got {got}"
    ))
}

/// Qdrant's error for a vector name the collection does not have.
pub(crate) fn unknown_name(name: &str) -> CollectionError {
    CollectionError::BadInput(format!("Not existing vector name error: {name}"))
}

/// The error for a sparse vector given for a dense one, or the reverse.
pub(crate) fn kind_mismatch() -> CollectionError {
    CollectionError::BadInput("Conversion between sparse and regular vectors failed".into())
}

/// Validates every vector against its configured storage and normalizes
/// Cosine vectors in place.
pub fn check_vectors(config: &CollectionConfig, vectors: &mut NamedVectors) -> Result<()> {
    for (name, vector) in vectors.iter_mut() {
        if let Some(params) = config.params.vectors.get(name) {
            let dim = params.size as usize;
            let cosine = params.normalizes();
            match (&mut *vector, params.multivector_config.is_some()) {
                (Vector::Dense(v), false) => {
                    if v.len() != dim {
                        return Err(dim_error(dim, v.len()));
                    }
                    if cosine {
                        normalize(v);
                    }
                }
                (Vector::Multi(m), true) => {
                    if m.is_empty() {
                        return Err(CollectionError::BadInput(
                            "multi-vector must contain at least one vector".into(),
                        ));
                    }
                    for v in m.iter_mut() {
                        if v.len() != dim {
                            return Err(dim_error(dim, v.len()));
                        }
                        if cosine {
                            normalize(v);
                        }
                    }
                }
                (Vector::Dense(v), true) => {
                    if v.len() != dim {
                        return Err(dim_error(dim, v.len()));
                    }
                    let mut one = std::mem::take(v);
                    if cosine {
                        normalize(&mut one);
                    }
                    *vector = Vector::Multi(vec![one]);
                }
                (Vector::Multi(m), false) => {
                    let got = m.first().map_or(0, Vec::len);
                    return Err(CollectionError::BadInput(format!(
                        "Vector dimension error: expected dim: {dim}, got multi-vector of dim {got}"
                    )));
                }
                (Vector::Sparse(_), _) => {
                    return Err(kind_mismatch());
                }
            }
        } else if config.sparse(name).is_some() {
            match vector {
                Vector::Sparse(s) => s.validate().map_err(CollectionError::BadInput)?,
                _ => {
                    return Err(kind_mismatch());
                }
            }
        } else {
            return Err(unknown_name(name));
        }
    }
    Ok(())
}

/// Validates one query-side vector for `name` as [`check_vectors`] does
/// (dimensions, kind, Cosine normalization).
pub fn check_query_vector(
    config: &CollectionConfig,
    name: &str,
    vector: &mut Vector,
) -> Result<()> {
    let mut named = NamedVectors::new();
    named.insert(
        name.to_string(),
        std::mem::replace(vector, Vector::Dense(Vec::new())),
    );
    check_vectors(config, &mut named)?;
    if let Some(v) = named.remove(name) {
        *vector = v;
    }
    Ok(())
}

/// Checks that every name refers to a configured vector.
pub fn check_names<'a>(
    config: &CollectionConfig,
    names: impl IntoIterator<Item = &'a String>,
) -> Result<()> {
    for name in names {
        if config.params.vectors.get(name).is_none() && config.sparse(name).is_none() {
            return Err(unknown_name(name));
        }
    }
    Ok(())
}
