//! `{"formula": …, "defaults": {…}}`: the JSON form of a score formula.
//! An expression is a number, a variable (`$score[i]` or a payload key),
//! a filter condition, or an object with one operator key.

use std::collections::HashMap;

use collection::query::{
    parse_variable, score_default_key, DecayKind, Expression, Formula, DEFAULT_DECAY_MIDPOINT,
    DEFAULT_DECAY_SCALE,
};
use collection::{CollectionError, Result};
use segment::filter::Filter;
use segment::json_path::JsonPath;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::filter::{WireCondition, WireGeoPoint};

fn format(message: impl std::fmt::Display) -> CollectionError {
    CollectionError::Format(format!("formula: {message}"))
}

fn bad(message: impl Into<String>) -> CollectionError {
    CollectionError::BadInput(message.into())
}

/// `decay` parameters as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDecay {
    x: Value,
    #[serde(default)]
    target: Option<Value>,
    #[serde(default)]
    scale: Option<f32>,
    #[serde(default)]
    midpoint: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDiv {
    left: Value,
    right: Value,
    #[serde(default)]
    by_zero_default: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePow {
    base: Value,
    exponent: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireGeoDistance {
    origin: WireGeoPoint,
    to: String,
}

fn path(key: &str) -> Result<JsonPath> {
    JsonPath::parse(key).map_err(|e| bad(format!("Invalid payload key {key}: {e}")))
}

fn boxed(v: Value) -> Result<Box<Expression>> {
    expression(v).map(Box::new)
}

fn list(v: Value) -> Result<Vec<Expression>> {
    match v {
        Value::Array(items) => items.into_iter().map(expression).collect(),
        other => Err(format(format!(
            "expected a list of expressions, got {other}"
        ))),
    }
}

fn decay(kind: DecayKind, v: Value) -> Result<Expression> {
    let d: WireDecay = serde_json::from_value(v).map_err(format)?;
    let midpoint = d.midpoint.map_or(DEFAULT_DECAY_MIDPOINT, f64::from);
    match kind {
        DecayKind::Linear if !(0.0..=1.0).contains(&midpoint) => {
            return Err(bad(format!(
                "Linear decay midpoint should be in the range [0.0, 1.0], got {midpoint}"
            )))
        }
        DecayKind::Exponential | DecayKind::Gaussian
            if midpoint.is_nan() || midpoint <= 0.0 || midpoint >= 1.0 =>
        {
            return Err(bad(format!(
                "Decay midpoint should be in the range (0.0, 1.0), got {midpoint}"
            )))
        }
        _ => {}
    }
    let scale = d.scale.map_or(DEFAULT_DECAY_SCALE, f64::from);
    if scale.is_nan() || scale <= 0.0 {
        return Err(bad(format!("Scale must be non-zero positive, got {scale}")));
    }
    Ok(Expression::Decay {
        kind,
        x: boxed(d.x)?,
        target: match d.target {
            None | Some(Value::Null) => None,
            Some(t) => Some(boxed(t)?),
        },
        scale,
        midpoint,
    })
}

fn datetime_seconds(text: &str) -> Result<f64> {
    segment::datetime::parse_datetime(text)
        .map(|micros| micros as f64 / 1e6)
        .ok_or_else(|| bad(format!("Expected datetime in supported format for {text}")))
}

/// One expression.
pub fn expression(v: Value) -> Result<Expression> {
    match v {
        // constants are f32 on the wire
        Value::Number(n) => Ok(Expression::Constant(n.as_f64().unwrap_or(0.0) as f32 as f64)),
        Value::String(s) => Ok(match parse_variable(&s)? {
            Ok(i) => Expression::Score(i),
            Err(path) => Expression::Payload { key: s, path },
        }),
        Value::Object(map) => object(map),
        other => Err(format(format!(
            "data did not match any variant of untagged enum Expression: {other}"
        ))),
    }
}

fn object(mut map: Map<String, Value>) -> Result<Expression> {
    const OPERATORS: [&str; 19] = [
        "geo_distance",
        "datetime",
        "datetime_key",
        "mult",
        "sum",
        "max",
        "min",
        "neg",
        "abs",
        "div",
        "sqrt",
        "pow",
        "exp",
        "log10",
        "ln",
        "acosh",
        "lin_decay",
        "exp_decay",
        "gauss_decay",
    ];
    let operator = match map.keys().next() {
        Some(k) if map.len() == 1 && OPERATORS.contains(&k.as_str()) => k.clone(),
        _ => {
            let condition: WireCondition =
                serde_json::from_value(Value::Object(map)).map_err(format)?;
            return Ok(Expression::Condition(Box::new(Filter::must(vec![
                condition.convert()?,
            ]))));
        }
    };
    let v = map.remove(&operator).unwrap_or(Value::Null);
    Ok(match operator.as_str() {
        "geo_distance" => {
            let g: WireGeoDistance = serde_json::from_value(v).map_err(format)?;
            Expression::GeoDistance {
                origin: g.origin.convert()?,
                path: path(&g.to)?,
                key: g.to,
            }
        }
        "datetime" => match v {
            Value::String(s) => Expression::Datetime(datetime_seconds(&s)?),
            other => return Err(format(format!("datetime: expected a string, got {other}"))),
        },
        "datetime_key" => match v {
            Value::String(s) => Expression::DatetimeKey {
                path: path(&s)?,
                key: s,
            },
            other => {
                return Err(format(format!(
                    "datetime_key: expected a string, got {other}"
                )))
            }
        },
        "mult" => Expression::Mult(list(v)?),
        "sum" => Expression::Sum(list(v)?),
        "max" | "min" => {
            let items = list(v)?;
            if items.is_empty() {
                return Err(bad(format!("`{operator}` needs at least one operand")));
            }
            if operator == "max" {
                Expression::Max(items)
            } else {
                Expression::Min(items)
            }
        }
        "neg" => Expression::Neg(boxed(v)?),
        "abs" => Expression::Abs(boxed(v)?),
        "sqrt" => Expression::Sqrt(boxed(v)?),
        "exp" => Expression::Exp(boxed(v)?),
        "log10" => Expression::Log10(boxed(v)?),
        "ln" => Expression::Ln(boxed(v)?),
        "acosh" => Expression::Acosh(boxed(v)?),
        "div" => {
            let d: WireDiv = serde_json::from_value(v).map_err(format)?;
            Expression::Div {
                left: boxed(d.left)?,
                right: boxed(d.right)?,
                by_zero_default: d.by_zero_default.map(f64::from),
            }
        }
        "pow" => {
            let p: WirePow = serde_json::from_value(v).map_err(format)?;
            Expression::Pow {
                base: boxed(p.base)?,
                exponent: boxed(p.exponent)?,
            }
        }
        "lin_decay" => decay(DecayKind::Linear, v)?,
        "exp_decay" => decay(DecayKind::Exponential, v)?,
        _ => decay(DecayKind::Gaussian, v)?,
    })
}

/// The body of a formula query (`formula` and `defaults`).
pub fn formula(expr: Value, defaults: Option<Value>) -> Result<Formula> {
    let expression = expression(expr)?;
    let defaults = match defaults {
        None | Some(Value::Null) => HashMap::new(),
        Some(Value::Object(map)) => {
            let mut out = HashMap::new();
            for (key, value) in map {
                let key = if key.starts_with("$score") {
                    match parse_variable(&key)? {
                        Ok(i) => score_default_key(i),
                        Err(_) => key,
                    }
                } else {
                    key
                };
                out.insert(key, value);
            }
            out
        }
        Some(other) => return Err(format(format!("defaults: expected an object, got {other}"))),
    };
    Ok(Formula {
        expression,
        defaults,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_kind() {
        let f = formula(
            json!({"sum": ["$score", {"mult": [0.5, {"key": "tag", "match": {"value": "h1"}}]},
                {"gauss_decay": {"x": {"geo_distance": {"origin": {"lon": 1, "lat": 2}, "to": "loc"}}, "scale": 5000}},
                {"div": {"left": {"datetime_key": "ts"}, "right": {"datetime": "2024-01-01"}, "by_zero_default": 1}},
                {"pow": {"base": "price", "exponent": 2}}, {"max": [1, {"neg": {"abs": {"sqrt": {"ln": {"log10": {"exp": 2}}}}}}]}]}),
            Some(json!({"$score": 0.1, "price": 3})),
        )
        .unwrap();
        assert!(f.defaults.contains_key("$score[0]"));
        assert!(matches!(f.expression, Expression::Sum(ref v) if v.len() == 6));
    }

    #[test]
    fn rejects_bad_expressions() {
        for bad in [
            json!({"max": []}),
            json!({"lin_decay": {"x": 1, "midpoint": 2}}),
            json!({"exp_decay": {"x": 1, "midpoint": 1}}),
            json!({"gauss_decay": {"x": 1, "scale": 0}}),
            json!({"datetime": "yesterday"}),
            json!("$score[x]"),
            json!(true),
            json!({"unknown": 1}),
        ] {
            assert!(formula(bad.clone(), None).is_err(), "{bad}");
        }
    }
}
