use serde_json::json;

use super::*;

#[test]
fn vectors_config_forms() {
    let single: VectorsConfig =
        serde_json::from_value(json!({"size": 4, "distance": "Cosine"})).unwrap();
    assert!(matches!(single, VectorsConfig::Single(_)));
    assert_eq!(
        serde_json::to_value(&single).unwrap(),
        json!({"size": 4, "distance": "Cosine"})
    );
    let named: VectorsConfig = serde_json::from_value(json!({
        "b": {"size": 2, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}},
        "a": {"size": 3, "distance": "Euclid", "datatype": "float16", "on_disk": true}
    }))
    .unwrap();
    let names: Vec<_> = named.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert!(named.get("a").is_some() && named.get("").is_none());
}

#[test]
fn quantization_forms() {
    for q in [
        json!({"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}),
        json!({"product": {"compression": "x16"}}),
        json!({"binary": {"encoding": "one_and_half_bits", "query_encoding": "scalar8bits"}}),
        json!({"turbo": {"bits": "bits1_5"}}),
    ] {
        let parsed: QuantizationConfig = serde_json::from_value(q.clone()).unwrap();
        let text = serde_json::to_string(&parsed).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), q);
    }
    let off: QuantizationConfigDiff = serde_json::from_value(json!("Disabled")).unwrap();
    assert_eq!(off.apply(), None);
    assert!(serde_json::from_value::<QuantizationConfig>(
        json!({"scalar": {"type": "int8", "x": 1}})
    )
    .is_err());
}

#[test]
fn validation_messages() {
    let mut e = ValidationErrors::default();
    let hnsw = HnswConfigDiff {
        ef_construct: Some(2),
        ..Default::default()
    };
    hnsw.validate("hnsw_config", &mut e);
    validate::validate_strict_mode(&json!({"max_query_limit": 0}), "strict_mode_config", &mut e);
    assert_eq!(
        e.into_result().unwrap_err(),
        "hnsw_config.ef_construct: value 2 invalid, must be 4 or larger, \
         strict_mode_config.max_query_limit: value 0 invalid, must be 1 or larger"
    );
}
