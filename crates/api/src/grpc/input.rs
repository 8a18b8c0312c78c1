//! gRPC request parts in the REST JSON shapes. Requests are converted
//! into the REST bodies and then through the same conversions REST uses,
//! so both transports validate alike and fail with the same texts.

use std::collections::HashMap;

use collection::{CollectionError, Result};
use qdrant_client::qdrant as pb;
use serde_json::{json, Map, Value};

use pb::condition::ConditionOneOf;
use pb::point_id::PointIdOptions;
use pb::r#match::MatchValue;
use pb::value::Kind;

fn bad(message: impl Into<String>) -> CollectionError {
    CollectionError::BadInput(message.into())
}

/// A `json_with_int` value as JSON.
pub fn value(v: &pb::Value) -> Value {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::DoubleValue(d)) => {
            serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
        }
        Some(Kind::IntegerValue(i)) => json!(i),
        Some(Kind::StringValue(s)) => json!(s),
        Some(Kind::BoolValue(b)) => json!(b),
        Some(Kind::StructValue(s)) => Value::Object(map(&s.fields)),
        Some(Kind::ListValue(l)) => Value::Array(l.values.iter().map(value).collect()),
    }
}

/// A payload map as a JSON object.
pub fn map(fields: &HashMap<String, pb::Value>) -> Map<String, Value> {
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| (k.clone(), value(&fields[k])))
        .collect()
}

/// A point id as JSON (a number or a UUID string).
pub fn point_id(id: &pb::PointId) -> Result<Value> {
    match &id.point_id_options {
        Some(PointIdOptions::Num(n)) => Ok(json!(n)),
        Some(PointIdOptions::Uuid(u)) => Ok(json!(u)),
        None => Err(bad("Unable to parse point id: empty PointId")),
    }
}

/// Point ids as a JSON list.
pub fn point_ids(ids: &[pb::PointId]) -> Result<Value> {
    ids.iter()
        .map(point_id)
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn geo(p: &Option<pb::GeoPoint>) -> Value {
    match p {
        Some(p) => json!({"lon": p.lon, "lat": p.lat}),
        None => Value::Null,
    }
}

fn line(l: &pb::GeoLineString) -> Value {
    Value::Array(
        l.points
            .iter()
            .map(|p| json!({"lon": p.lon, "lat": p.lat}))
            .collect(),
    )
}

fn timestamp(t: &prost_types::Timestamp) -> Value {
    let time = if t.seconds >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::new(t.seconds as u64, t.nanos.max(0) as u32)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_secs(t.seconds.unsigned_abs())
            + std::time::Duration::from_nanos(t.nanos.max(0) as u64)
    };
    json!(crate::rest::optimizations::rfc3339(time))
}

fn insert_opt<T: serde::Serialize>(obj: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        obj.insert(key.to_string(), json!(v));
    }
}

fn field_condition(f: &pb::FieldCondition) -> Result<Value> {
    let mut obj = Map::new();
    obj.insert("key".into(), json!(f.key));
    if let Some(m) = &f.r#match {
        let m = match &m.match_value {
            Some(MatchValue::Keyword(s)) => json!({"value": s}),
            Some(MatchValue::Integer(i)) => json!({"value": i}),
            Some(MatchValue::Boolean(b)) => json!({"value": b}),
            Some(MatchValue::Text(s)) => json!({"text": s}),
            Some(MatchValue::Keywords(k)) => json!({"any": k.strings}),
            Some(MatchValue::Integers(k)) => json!({"any": k.integers}),
            Some(MatchValue::ExceptKeywords(k)) => json!({"except": k.strings}),
            Some(MatchValue::ExceptIntegers(k)) => json!({"except": k.integers}),
            Some(MatchValue::Phrase(s)) => json!({"phrase": s}),
            Some(MatchValue::TextAny(s)) => json!({"text_any": s}),
            Some(MatchValue::Prefix(s)) => json!({"prefix": s}),
            Some(MatchValue::Substring(s)) => json!({"substring": s}),
            None => return Err(bad("Malformed Match condition")),
        };
        obj.insert("match".into(), m);
    }
    if let Some(r) = &f.range {
        let mut range = Map::new();
        insert_opt(&mut range, "lt", r.lt);
        insert_opt(&mut range, "gt", r.gt);
        insert_opt(&mut range, "gte", r.gte);
        insert_opt(&mut range, "lte", r.lte);
        obj.insert("range".into(), Value::Object(range));
    }
    if let Some(r) = &f.datetime_range {
        let mut range = Map::new();
        for (k, t) in [
            ("lt", &r.lt),
            ("gt", &r.gt),
            ("gte", &r.gte),
            ("lte", &r.lte),
        ] {
            if let Some(t) = t {
                range.insert(k.into(), timestamp(t));
            }
        }
        obj.insert("range".into(), Value::Object(range));
    }
    if let Some(b) = &f.geo_bounding_box {
        obj.insert(
            "geo_bounding_box".into(),
            json!({"top_left": geo(&b.top_left), "bottom_right": geo(&b.bottom_right)}),
        );
    }
    if let Some(r) = &f.geo_radius {
        obj.insert(
            "geo_radius".into(),
            json!({"center": geo(&r.center), "radius": r.radius}),
        );
    }
    if let Some(p) = &f.geo_polygon {
        let exterior = p
            .exterior
            .as_ref()
            .map_or(json!([]), |l| json!({"points": line(l)}));
        let interiors: Vec<Value> = p
            .interiors
            .iter()
            .map(|l| json!({"points": line(l)}))
            .collect();
        obj.insert(
            "geo_polygon".into(),
            json!({"exterior": exterior, "interiors": interiors}),
        );
    }
    if let Some(c) = &f.values_count {
        let mut count = Map::new();
        insert_opt(&mut count, "lt", c.lt);
        insert_opt(&mut count, "gt", c.gt);
        insert_opt(&mut count, "gte", c.gte);
        insert_opt(&mut count, "lte", c.lte);
        obj.insert("values_count".into(), Value::Object(count));
    }
    insert_opt(&mut obj, "is_empty", f.is_empty);
    insert_opt(&mut obj, "is_null", f.is_null);
    Ok(Value::Object(obj))
}

/// A condition as JSON.
pub fn condition(c: &pb::Condition) -> Result<Value> {
    Ok(match &c.condition_one_of {
        Some(ConditionOneOf::Field(f)) => field_condition(f)?,
        Some(ConditionOneOf::IsEmpty(e)) => json!({"is_empty": {"key": e.key}}),
        Some(ConditionOneOf::IsNull(e)) => json!({"is_null": {"key": e.key}}),
        Some(ConditionOneOf::HasId(h)) => json!({"has_id": point_ids(&h.has_id)?}),
        Some(ConditionOneOf::HasVector(h)) => json!({"has_vector": h.has_vector}),
        Some(ConditionOneOf::Filter(f)) => filter(f)?,
        Some(ConditionOneOf::Nested(n)) => {
            let inner = n
                .filter
                .as_ref()
                .map(filter)
                .transpose()?
                .unwrap_or(json!({}));
            json!({"nested": {"key": n.key, "filter": inner}})
        }
        Some(ConditionOneOf::Slice(s)) => {
            json!({"slice": {"total": s.total, "index": s.index}})
        }
        None => return Err(bad("Malformed Condition: no condition given")),
    })
}

fn conditions(cs: &[pb::Condition]) -> Result<Value> {
    cs.iter()
        .map(condition)
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

/// A filter as JSON.
pub fn filter(f: &pb::Filter) -> Result<Value> {
    let mut obj = Map::new();
    if !f.must.is_empty() {
        obj.insert("must".into(), conditions(&f.must)?);
    }
    if !f.should.is_empty() {
        obj.insert("should".into(), conditions(&f.should)?);
    }
    if !f.must_not.is_empty() {
        obj.insert("must_not".into(), conditions(&f.must_not)?);
    }
    if let Some(m) = &f.min_should {
        obj.insert(
            "min_should".into(),
            json!({"conditions": conditions(&m.conditions)?, "min_count": m.min_count}),
        );
    }
    Ok(Value::Object(obj))
}

/// An optional filter as JSON (`null` when absent).
pub fn filter_opt(f: &Option<pb::Filter>) -> Result<Value> {
    f.as_ref().map_or(Ok(Value::Null), filter)
}

/// `with_payload` as JSON (`null` when absent: the REST default).
pub fn with_payload(s: &Option<pb::WithPayloadSelector>) -> Value {
    use pb::with_payload_selector::SelectorOptions;
    match s.as_ref().and_then(|s| s.selector_options.as_ref()) {
        None => Value::Null,
        Some(SelectorOptions::Enable(b)) => json!(b),
        Some(SelectorOptions::Include(i)) => json!({"include": i.fields}),
        Some(SelectorOptions::Exclude(e)) => json!({"exclude": e.fields}),
    }
}

/// `with_vector` as JSON (`null` when absent).
pub fn with_vectors(s: &Option<pb::WithVectorsSelector>) -> Value {
    use pb::with_vectors_selector::SelectorOptions;
    match s.as_ref().and_then(|s| s.selector_options.as_ref()) {
        None => Value::Null,
        Some(SelectorOptions::Enable(b)) => json!(b),
        Some(SelectorOptions::Include(i)) => json!(i.names),
    }
}

/// Search parameters as JSON.
pub fn params(p: &Option<pb::SearchParams>) -> Value {
    let Some(p) = p else { return Value::Null };
    let mut obj = Map::new();
    insert_opt(&mut obj, "hnsw_ef", p.hnsw_ef);
    insert_opt(&mut obj, "exact", p.exact);
    insert_opt(&mut obj, "indexed_only", p.indexed_only);
    if let Some(q) = &p.quantization {
        let mut quant = Map::new();
        insert_opt(&mut quant, "ignore", q.ignore);
        insert_opt(&mut quant, "rescore", q.rescore);
        insert_opt(&mut quant, "oversampling", q.oversampling);
        obj.insert("quantization".into(), Value::Object(quant));
    }
    if let Some(a) = &p.acorn {
        let mut acorn = Map::new();
        insert_opt(&mut acorn, "enable", a.enable);
        insert_opt(&mut acorn, "max_selectivity", a.max_selectivity);
        obj.insert("acorn".into(), Value::Object(acorn));
    }
    if let Some(idf) = &p.idf {
        let value = match idf.corpus.as_ref().map(filter) {
            Some(Ok(corpus)) => json!({"corpus": corpus}),
            // an invalid filter: refused by the REST conversion
            Some(Err(_)) => json!({"corpus": 0}),
            None => json!("global"),
        };
        obj.insert("idf".into(), value);
    }
    Value::Object(obj)
}

fn inference() -> CollectionError {
    bad("Inference of documents, images and objects is not supported by this server; send vectors")
}

fn dense(d: &pb::DenseVector) -> Value {
    json!(d.data)
}

fn sparse(s: &pb::SparseVector) -> Value {
    json!({"indices": s.indices, "values": s.values})
}

fn multi(m: &pb::MultiDenseVector) -> Value {
    Value::Array(m.vectors.iter().map(dense).collect())
}

/// One vector of a point (`Vector`, including its legacy flat form).
#[allow(deprecated)]
pub fn vector(v: &pb::Vector) -> Result<Value> {
    use pb::vector::Vector as V;
    Ok(match &v.vector {
        Some(V::Dense(d)) => dense(d),
        Some(V::Sparse(s)) => sparse(s),
        Some(V::MultiDense(m)) => multi(m),
        Some(V::Document(_) | V::Image(_) | V::Object(_)) => return Err(inference()),
        None => {
            if let Some(indices) = &v.indices {
                json!({"indices": indices.data, "values": v.data})
            } else if let Some(count) = v.vectors_count.filter(|c| *c > 0) {
                let count = count as usize;
                if !v.data.len().is_multiple_of(count) {
                    return Err(bad(format!(
                        "Malformed multi vector: {} values cannot split into {count} vectors",
                        v.data.len()
                    )));
                }
                let size = v.data.len() / count;
                Value::Array(v.data.chunks(size.max(1)).map(|c| json!(c)).collect())
            } else {
                json!(v.data)
            }
        }
    })
}

/// A point's vectors (`Vectors`): one unnamed vector or named ones.
pub fn vectors(v: &pb::Vectors) -> Result<Value> {
    use pb::vectors::VectorsOptions;
    match &v.vectors_options {
        Some(VectorsOptions::Vector(v)) => vector(v),
        Some(VectorsOptions::Vectors(named)) => {
            let mut obj = Map::new();
            let mut names: Vec<&String> = named.vectors.keys().collect();
            names.sort();
            for name in names {
                obj.insert(name.clone(), vector(&named.vectors[name])?);
            }
            Ok(Value::Object(obj))
        }
        None => Ok(json!({})),
    }
}

/// A query vector or point id (`VectorInput`).
pub fn vector_input(v: &pb::VectorInput) -> Result<Value> {
    use pb::vector_input::Variant;
    Ok(match &v.variant {
        Some(Variant::Id(id)) => point_id(id)?,
        Some(Variant::Dense(d)) => dense(d),
        Some(Variant::Sparse(s)) => sparse(s),
        Some(Variant::MultiDense(m)) => multi(m),
        Some(Variant::Document(_) | Variant::Image(_) | Variant::Object(_)) => {
            return Err(inference())
        }
        None => return Err(bad("Malformed VectorInput: no vector given")),
    })
}

fn vector_input_opt(v: &Option<pb::VectorInput>, what: &str) -> Result<Value> {
    v.as_ref()
        .ok_or_else(|| bad(format!("Malformed query: `{what}` is missing")))
        .and_then(vector_input)
}

/// A point selector (ids or filter) as the JSON REST takes.
pub fn points_selector(s: &Option<pb::PointsSelector>) -> Result<Value> {
    use pb::points_selector::PointsSelectorOneOf;
    match s.as_ref().and_then(|s| s.points_selector_one_of.as_ref()) {
        Some(PointsSelectorOneOf::Points(ids)) => Ok(json!({"points": point_ids(&ids.ids)?})),
        Some(PointsSelectorOneOf::Filter(f)) => Ok(json!({"filter": filter(f)?})),
        None => Err(bad("Malformed PointsSelector: no points or filter given")),
    }
}

/// `order_by` as JSON.
pub fn order_by(o: &pb::OrderBy) -> Value {
    use pb::start_from::Value as S;
    let mut obj = Map::new();
    obj.insert("key".into(), json!(o.key));
    if let Some(d) = o.direction {
        let dir = if d == pb::Direction::Desc as i32 {
            "desc"
        } else {
            "asc"
        };
        obj.insert("direction".into(), json!(dir));
    }
    if let Some(start) = o.start_from.as_ref().and_then(|s| s.value.as_ref()) {
        let v = match start {
            S::Float(f) => json!(f),
            S::Integer(i) => json!(i),
            S::Timestamp(t) => timestamp(t),
            S::Datetime(d) => json!(d),
        };
        obj.insert("start_from".into(), v);
    }
    Value::Object(obj)
}

/// `lookup_from` as JSON.
pub fn lookup(l: &Option<pb::LookupLocation>) -> Value {
    match l {
        Some(l) => {
            let mut obj = Map::new();
            obj.insert("collection".into(), json!(l.collection_name));
            insert_opt(&mut obj, "vector", l.vector_name.clone());
            Value::Object(obj)
        }
        None => Value::Null,
    }
}

fn strategy(s: Option<i32>) -> Value {
    match s.and_then(|s| pb::RecommendStrategy::try_from(s).ok()) {
        Some(pb::RecommendStrategy::BestScore) => json!("best_score"),
        Some(pb::RecommendStrategy::SumScores) => json!("sum_scores"),
        Some(pb::RecommendStrategy::AverageVector) => json!("average_vector"),
        None => Value::Null,
    }
}

fn pairs(pairs: &[pb::ContextInputPair]) -> Result<Value> {
    pairs
        .iter()
        .map(|p| {
            Ok(json!({
                "positive": vector_input_opt(&p.positive, "positive")?,
                "negative": vector_input_opt(&p.negative, "negative")?,
            }))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

/// A formula expression as JSON.
pub fn expression(e: &pb::Expression) -> Result<Value> {
    use pb::expression::Variant as E;
    let boxed = |e: &pb::Expression| expression(e);
    let decay = |d: &pb::DecayParamsExpression| -> Result<Value> {
        let mut obj = Map::new();
        let x =
            d.x.as_ref()
                .ok_or_else(|| bad("Malformed decay: `x` is missing"))?;
        obj.insert("x".into(), expression(x)?);
        if let Some(t) = &d.target {
            obj.insert("target".into(), expression(t)?);
        }
        insert_opt(&mut obj, "scale", d.scale);
        insert_opt(&mut obj, "midpoint", d.midpoint);
        Ok(Value::Object(obj))
    };
    let list = |items: &[pb::Expression]| -> Result<Value> {
        items
            .iter()
            .map(expression)
            .collect::<Result<Vec<_>>>()
            .map(Value::Array)
    };
    let missing = || bad("Malformed expression: an operand is missing");
    Ok(match &e.variant {
        Some(E::Constant(c)) => json!(c),
        Some(E::Variable(v)) => json!(v),
        Some(E::Condition(c)) => condition(c)?,
        Some(E::GeoDistance(g)) => json!({"geo_distance": {"origin": geo(&g.origin), "to": g.to}}),
        Some(E::Datetime(d)) => json!({"datetime": d}),
        Some(E::DatetimeKey(d)) => json!({"datetime_key": d}),
        Some(E::Mult(m)) => json!({"mult": list(&m.mult)?}),
        Some(E::Sum(s)) => json!({"sum": list(&s.sum)?}),
        Some(E::Max(m)) => json!({"max": list(&m.max)?}),
        Some(E::Min(m)) => json!({"min": list(&m.min)?}),
        Some(E::Div(d)) => {
            let mut obj = Map::new();
            obj.insert("left".into(), boxed(d.left.as_ref().ok_or_else(missing)?)?);
            obj.insert(
                "right".into(),
                boxed(d.right.as_ref().ok_or_else(missing)?)?,
            );
            insert_opt(&mut obj, "by_zero_default", d.by_zero_default);
            json!({"div": obj})
        }
        Some(E::Pow(p)) => json!({"pow": {
            "base": boxed(p.base.as_ref().ok_or_else(missing)?)?,
            "exponent": boxed(p.exponent.as_ref().ok_or_else(missing)?)?,
        }}),
        Some(E::Neg(x)) => json!({"neg": boxed(x)?}),
        Some(E::Abs(x)) => json!({"abs": boxed(x)?}),
        Some(E::Sqrt(x)) => json!({"sqrt": boxed(x)?}),
        Some(E::Exp(x)) => json!({"exp": boxed(x)?}),
        Some(E::Log10(x)) => json!({"log10": boxed(x)?}),
        Some(E::Ln(x)) => json!({"ln": boxed(x)?}),
        Some(E::Acosh(x)) => json!({"acosh": boxed(x)?}),
        Some(E::ExpDecay(d)) => json!({"exp_decay": decay(d)?}),
        Some(E::GaussDecay(d)) => json!({"gauss_decay": decay(d)?}),
        Some(E::LinDecay(d)) => json!({"lin_decay": decay(d)?}),
        None => return Err(bad("Malformed expression: no variant given")),
    })
}

/// A query (`Query`) as the JSON of REST's `query`.
pub fn query(q: &pb::Query) -> Result<Value> {
    use pb::query::Variant as Q;
    Ok(match &q.variant {
        Some(Q::Nearest(v)) => vector_input(v)?,
        Some(Q::NearestWithMmr(n)) => {
            let mut mmr = Map::new();
            if let Some(m) = &n.mmr {
                insert_opt(&mut mmr, "diversity", m.diversity);
                insert_opt(&mut mmr, "candidates_limit", m.candidates_limit);
            }
            json!({"nearest": vector_input_opt(&n.nearest, "nearest")?, "mmr": mmr})
        }
        Some(Q::Recommend(r)) => {
            let positive = r
                .positive
                .iter()
                .map(vector_input)
                .collect::<Result<Vec<_>>>()?;
            let negative = r
                .negative
                .iter()
                .map(vector_input)
                .collect::<Result<Vec<_>>>()?;
            json!({"recommend": {"positive": positive, "negative": negative, "strategy": strategy(r.strategy)}})
        }
        Some(Q::Discover(d)) => {
            let context = d
                .context
                .as_ref()
                .map_or(Ok(json!([])), |c| pairs(&c.pairs))?;
            json!({"discover": {"target": vector_input_opt(&d.target, "target")?, "context": context}})
        }
        Some(Q::Context(c)) => json!({"context": pairs(&c.pairs)?}),
        Some(Q::OrderBy(o)) => json!({"order_by": order_by(o)}),
        Some(Q::Fusion(f)) => {
            let name = if *f == pb::Fusion::Dbsf as i32 {
                "dbsf"
            } else {
                "rrf"
            };
            json!({"fusion": name})
        }
        Some(Q::Rrf(r)) => {
            let mut obj = Map::new();
            insert_opt(&mut obj, "k", r.k);
            if !r.weights.is_empty() {
                obj.insert("weights".into(), json!(r.weights));
            }
            json!({"rrf": obj})
        }
        Some(Q::Sample(_)) => json!({"sample": "random"}),
        Some(Q::Formula(f)) => {
            let e = f
                .expression
                .as_ref()
                .ok_or_else(|| bad("Malformed formula: no expression"))?;
            json!({"formula": expression(e)?, "defaults": map(&f.defaults)})
        }
        Some(Q::RelevanceFeedback(r)) => {
            let feedback = r
                .feedback
                .iter()
                .map(|f| Ok(json!({"example": vector_input_opt(&f.example, "example")?, "score": f.score})))
                .collect::<Result<Vec<_>>>()?;
            let naive = match r.strategy.as_ref().and_then(|s| s.variant.as_ref()) {
                Some(pb::feedback_strategy::Variant::Naive(n)) => {
                    json!({"a": n.a, "b": n.b, "c": n.c})
                }
                None => return Err(bad("Malformed relevance feedback: no strategy")),
            };
            json!({"relevance_feedback": {
                "target": vector_input_opt(&r.target, "target")?,
                "feedback": feedback,
                "strategy": {"naive": naive},
            }})
        }
        Some(Q::Text(t)) => {
            let mut text = Map::new();
            text.insert("query".into(), json!(t.query));
            if let Some(pb::text_query::Scoring::Bm25(b)) = &t.scoring {
                let mut bm25 = Map::new();
                insert_opt(&mut bm25, "k", b.k);
                insert_opt(&mut bm25, "b", b.b);
                text.insert("scoring".into(), json!({"bm25": bm25}));
            }
            json!({"text": text})
        }
        None => return Err(bad("Malformed query: no variant given")),
    })
}

/// One prefetch as JSON.
pub fn prefetch(p: &pb::PrefetchQuery) -> Result<Value> {
    let mut obj = Map::new();
    if !p.prefetch.is_empty() {
        let inner = p
            .prefetch
            .iter()
            .map(prefetch)
            .collect::<Result<Vec<_>>>()?;
        obj.insert("prefetch".into(), Value::Array(inner));
    }
    if let Some(q) = &p.query {
        obj.insert("query".into(), query(q)?);
    }
    insert_opt(&mut obj, "using", p.using.clone());
    obj.insert("filter".into(), filter_opt(&p.filter)?);
    obj.insert("params".into(), params(&p.params));
    insert_opt(&mut obj, "score_threshold", p.score_threshold);
    insert_opt(&mut obj, "limit", p.limit);
    obj.insert("lookup_from".into(), lookup(&p.lookup_from));
    Ok(Value::Object(obj))
}

/// Prefetches as a JSON list (`null` when none).
pub fn prefetches(ps: &[pb::PrefetchQuery]) -> Result<Value> {
    if ps.is_empty() {
        return Ok(Value::Null);
    }
    ps.iter()
        .map(prefetch)
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

/// A point (`PointStruct`) as REST's point JSON.
pub fn point(p: &pb::PointStruct) -> Result<Value> {
    let id =
        p.id.as_ref()
            .ok_or_else(|| bad("Malformed PointStruct: no id given"))
            .and_then(point_id)?;
    let vector = match &p.vectors {
        Some(v) => vectors(v)?,
        None => json!({}),
    };
    Ok(json!({"id": id, "vector": vector, "payload": map(&p.payload)}))
}

/// A legacy search vector: the `vector` field (dense, or sparse with
/// `sparse_indices`), named by `vector_name`.
pub fn legacy_vector(
    data: &[f32],
    sparse_indices: &Option<pb::SparseIndices>,
    name: &Option<String>,
) -> Value {
    let v = match sparse_indices {
        Some(i) => json!({"indices": i.data, "values": data}),
        None => json!(data),
    };
    match name {
        Some(n) if !n.is_empty() => json!({"name": n, "vector": v}),
        _ => v,
    }
}

/// A recommend / discover example: a point id or a vector.
pub fn example(e: &pb::VectorExample) -> Result<Value> {
    match &e.example {
        Some(pb::vector_example::Example::Id(id)) => point_id(id),
        Some(pb::vector_example::Example::Vector(v)) => vector(v),
        None => Err(bad("Malformed example: no id or vector given")),
    }
}

/// Recommend strategy as JSON.
pub fn recommend_strategy(s: Option<i32>) -> Value {
    strategy(s)
}

/// A JSON body into a REST request type; shape errors read as REST's.
pub fn body<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| CollectionError::Format(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(key: &str, v: &str) -> pb::Condition {
        pb::Condition {
            condition_one_of: Some(ConditionOneOf::Field(pb::FieldCondition {
                key: key.into(),
                r#match: Some(pb::Match {
                    match_value: Some(MatchValue::Keyword(v.into())),
                }),
                ..Default::default()
            })),
        }
    }

    #[test]
    fn filters_become_rest_filters() {
        let f = pb::Filter {
            must: vec![kw("city", "Berlin")],
            should: vec![pb::Condition {
                condition_one_of: Some(ConditionOneOf::HasId(pb::HasIdCondition {
                    has_id: vec![pb::PointId {
                        point_id_options: Some(PointIdOptions::Num(3)),
                    }],
                })),
            }],
            must_not: vec![pb::Condition {
                condition_one_of: Some(ConditionOneOf::Filter(pb::Filter {
                    must: vec![pb::Condition {
                        condition_one_of: Some(ConditionOneOf::IsEmpty(pb::IsEmptyCondition {
                            key: "tags".into(),
                        })),
                    }],
                    ..Default::default()
                })),
            }],
            min_should: None,
        };
        let json = filter(&f).unwrap();
        assert_eq!(
            json,
            json!({"must": [{"key": "city", "match": {"value": "Berlin"}}],
                   "should": [{"has_id": [3]}],
                   "must_not": [{"must": [{"is_empty": {"key": "tags"}}]}]})
        );
        let rest: crate::rest::filter::Filter = body(json).unwrap();
        assert!(rest.convert().is_ok());
    }

    #[test]
    fn values_keep_integers() {
        let v = pb::Value {
            kind: Some(Kind::ListValue(pb::ListValue {
                values: vec![
                    pb::Value {
                        kind: Some(Kind::IntegerValue(1 << 40)),
                    },
                    pb::Value {
                        kind: Some(Kind::DoubleValue(1.5)),
                    },
                    pb::Value {
                        kind: Some(Kind::NullValue(0)),
                    },
                ],
            })),
        };
        assert_eq!(value(&v), json!([1u64 << 40, 1.5, null]));
        assert_eq!(super::super::output::value(&value(&v)), v);
    }

    #[test]
    #[allow(deprecated)]
    fn legacy_vector_forms() {
        let multi = pb::Vector {
            data: vec![1.0, 2.0, 3.0, 4.0],
            vectors_count: Some(2),
            ..Default::default()
        };
        assert_eq!(vector(&multi).unwrap(), json!([[1.0, 2.0], [3.0, 4.0]]));
        let sparse = pb::Vector {
            data: vec![0.5],
            indices: Some(pb::SparseIndices { data: vec![7] }),
            ..Default::default()
        };
        assert_eq!(
            vector(&sparse).unwrap(),
            json!({"indices": [7], "values": [0.5]})
        );
        let bad = pb::Vector {
            data: vec![1.0, 2.0, 3.0],
            vectors_count: Some(2),
            ..Default::default()
        };
        assert!(vector(&bad).is_err());
    }
}
