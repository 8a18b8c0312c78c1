//! Score formulas: a query that rescores the union of its prefetches by an
//! arithmetic expression over prefetch scores, payload values and
//! conditions. Evaluated in f64, reported as f32; an undefined or
//! non-finite result fails the request, as in Qdrant.

use std::collections::HashMap;

use segment::filter::{geo_distance, Filter, GeoPoint};
use segment::json_path::JsonPath;
use segment::PointId;
use serde_json::{Map, Value};

use crate::error::{CollectionError, Result};

/// Decay `x` starts from when no target is given.
pub const DEFAULT_DECAY_TARGET: f64 = 0.0;
/// Decay value at `|x − target| = scale` when no midpoint is given.
pub const DEFAULT_DECAY_MIDPOINT: f64 = 0.5;
/// Decay scale when none is given.
pub const DEFAULT_DECAY_SCALE: f64 = 1.0;

/// The shape of a decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayKind {
    /// `max(0, 1 − λ·|x − target|)`, λ = (1 − midpoint) / scale.
    Linear,
    /// `exp(λ·|x − target|)`, λ = ln(midpoint) / scale.
    Exponential,
    /// `exp(λ·(x − target)²)`, λ = ln(midpoint) / scale².
    Gaussian,
}

/// A node of a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// A number.
    Constant(f64),
    /// The score the point had in prefetch `i` (its default, else 0, when
    /// it was not found there).
    Score(usize),
    /// A numeric payload value (or its default).
    Payload {
        /// The path as written (the key of its default).
        key: String,
        /// The parsed path.
        path: JsonPath,
    },
    /// 1 when the point satisfies the condition, else 0.
    Condition(Box<Filter>),
    /// Metres from `origin` to the geo point at a payload path.
    GeoDistance {
        /// Origin.
        origin: GeoPoint,
        /// The path as written.
        key: String,
        /// The parsed path.
        path: JsonPath,
    },
    /// A datetime constant, as seconds since the epoch.
    Datetime(f64),
    /// A payload datetime, as seconds since the epoch.
    DatetimeKey {
        /// The path as written.
        key: String,
        /// The parsed path.
        path: JsonPath,
    },
    /// Product (0 as soon as a factor is 0).
    Mult(Vec<Expression>),
    /// Sum.
    Sum(Vec<Expression>),
    /// Maximum (at least one operand).
    Max(Vec<Expression>),
    /// Minimum (at least one operand).
    Min(Vec<Expression>),
    /// Negation.
    Neg(Box<Expression>),
    /// Absolute value.
    Abs(Box<Expression>),
    /// Division; `by_zero_default` answers a zero divisor.
    Div {
        /// Dividend.
        left: Box<Expression>,
        /// Divisor.
        right: Box<Expression>,
        /// Result when the divisor is 0.
        by_zero_default: Option<f64>,
    },
    /// Square root.
    Sqrt(Box<Expression>),
    /// Power.
    Pow {
        /// Base.
        base: Box<Expression>,
        /// Exponent.
        exponent: Box<Expression>,
    },
    /// `e^x`.
    Exp(Box<Expression>),
    /// Base-10 logarithm.
    Log10(Box<Expression>),
    /// Natural logarithm.
    Ln(Box<Expression>),
    /// Inverse hyperbolic cosine.
    Acosh(Box<Expression>),
    /// A decay of `x` around `target`.
    Decay {
        /// Shape.
        kind: DecayKind,
        /// The decaying value.
        x: Box<Expression>,
        /// Where the decay starts (default 0).
        target: Option<Box<Expression>>,
        /// Scale (> 0).
        scale: f64,
        /// Value at `|x − target| = scale`.
        midpoint: f64,
    },
}

/// A formula query: the expression and the defaults of its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// The expression.
    pub expression: Expression,
    /// Values of variables missing from a point, by variable (`$score`
    /// and `$score[0]` share one).
    pub defaults: HashMap<String, Value>,
}

/// The key of the default of `$score[i]`.
pub fn score_default_key(i: usize) -> String {
    format!("$score[{i}]")
}

/// What a formula reads about one point.
pub struct PointContext<'a> {
    /// The point.
    pub id: PointId,
    /// Its payload.
    pub payload: &'a Map<String, Value>,
    /// Scores by prefetch.
    pub scores: &'a [HashMap<PointId, f32>],
    /// Whether the point satisfies a filter.
    pub matches: &'a dyn Fn(&Filter) -> bool,
}

fn non_finite(what: String) -> CollectionError {
    CollectionError::BadInput(format!(
        "The expression {what} produced a non-finite number"
    ))
}

/// `f64` as Python prints it (`2.0`, not `2`), for error texts.
fn show(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

impl Formula {
    /// The point's score, as f32.
    pub fn score(&self, point: &PointContext<'_>) -> Result<f32> {
        let score = self.eval(&self.expression, point)?;
        let narrowed = score as f32;
        if !narrowed.is_finite() {
            return Err(non_finite(format!("{} as f32 = {narrowed}", show(score))));
        }
        Ok(narrowed)
    }

    /// The value of a payload path, or its default: one value (a
    /// one-element array counts as its element).
    fn value<'p>(
        &'p self,
        key: &str,
        path: &JsonPath,
        payload: &'p Map<String, Value>,
    ) -> Result<&'p Value> {
        let found = path.leaf_values(payload);
        let value = match found.len() {
            0 => match self.defaults.get(key) {
                Some(Value::Array(items)) if items.is_empty() => None,
                Some(Value::Array(items)) if items.len() == 1 => items.first(),
                other => other,
            },
            1 => Some(found[0]),
            _ => None,
        };
        match (value, found.len()) {
            (Some(v), _) => Ok(v),
            (None, n) if n > 1 => Err(CollectionError::BadInput(format!(
                "Expected number value for {key} in the payload and/or in the formula defaults. Error: Value is not a number"
            ))),
            _ => Err(CollectionError::BadInput(format!(
                "No value found for {key} in the payload nor the formula defaults"
            ))),
        }
    }

    fn eval(&self, e: &Expression, p: &PointContext<'_>) -> Result<f64> {
        let eval = |e: &Expression| self.eval(e, p);
        Ok(match e {
            Expression::Constant(c) => *c,
            Expression::Score(i) => {
                match p.scores.get(*i).and_then(|s| s.get(&p.id)) {
                    Some(s) => *s as f64,
                    None => match self.defaults.get(&score_default_key(*i)) {
                        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
                        _ => 0.0,
                    },
                }
            }
            Expression::Payload { key, path } => match self.value(key, path, p.payload)? {
                Value::Number(n) => n.as_f64().unwrap_or(0.0),
                _ => {
                    return Err(CollectionError::BadInput(format!(
                        "Expected number value for {key} in the payload and/or in the formula defaults. Error: Value is not a number"
                    )))
                }
            },
            Expression::Condition(filter) => {
                if (p.matches)(filter) {
                    1.0
                } else {
                    0.0
                }
            }
            Expression::GeoDistance { origin, key, path } => {
                let v = self.value(key, path, p.payload).ok();
                let point = v.and_then(|v| {
                    let o = v.as_object()?;
                    Some(GeoPoint {
                        lon: o.get("lon")?.as_f64()?,
                        lat: o.get("lat")?.as_f64()?,
                    })
                });
                match point {
                    Some(to) => geo_distance(*origin, to),
                    None => {
                        return Err(CollectionError::BadInput(format!(
                            "Expected geo point for {key} in the payload and/or in the formula defaults."
                        )))
                    }
                }
            }
            Expression::Datetime(seconds) => *seconds,
            Expression::DatetimeKey { key, path } => {
                let v = self.value(key, path, p.payload).ok();
                match v.and_then(Value::as_str).and_then(segment::datetime::parse_datetime) {
                    Some(micros) => micros as f64 / 1e6,
                    None => {
                        return Err(CollectionError::BadInput(format!(
                            "Expected datetime for {key} in the payload and/or in the formula defaults."
                        )))
                    }
                }
            }
            Expression::Mult(factors) => {
                let mut product = 1.0;
                for f in factors {
                    let x = eval(f)?;
                    if x == 0.0 {
                        return Ok(x);
                    }
                    product *= x;
                }
                product
            }
            Expression::Sum(terms) => {
                let mut sum = 0.0;
                for t in terms {
                    sum += eval(t)?;
                }
                sum
            }
            Expression::Max(items) => {
                let mut m = f64::NEG_INFINITY;
                for i in items {
                    m = m.max(eval(i)?);
                }
                m
            }
            Expression::Min(items) => {
                let mut m = f64::INFINITY;
                for i in items {
                    m = m.min(eval(i)?);
                }
                m
            }
            Expression::Neg(x) => -eval(x)?,
            Expression::Abs(x) => eval(x)?.abs(),
            Expression::Div {
                left,
                right,
                by_zero_default,
            } => {
                let l = eval(left)?;
                if l == 0.0 {
                    return Ok(l);
                }
                let r = eval(right)?;
                if r == 0.0 {
                    if let Some(d) = by_zero_default {
                        return Ok(*d);
                    }
                }
                let q = l / r;
                if !q.is_finite() {
                    return Err(non_finite(format!("{}/{}", show(l), show(r))));
                }
                q
            }
            Expression::Sqrt(x) => {
                let v = eval(x)?;
                if v.is_nan() || v < 0.0 {
                    return Err(non_finite(format!("√{}", show(v))));
                }
                v.sqrt()
            }
            Expression::Pow { base, exponent } => {
                let (b, x) = (eval(base)?, eval(exponent)?);
                let r = b.powf(x);
                if !r.is_finite() {
                    return Err(non_finite(format!("{}^{}", show(b), show(x))));
                }
                r
            }
            Expression::Exp(x) => {
                let v = eval(x)?;
                let r = v.exp();
                if !r.is_finite() {
                    return Err(non_finite(format!("exp({})", show(v))));
                }
                r
            }
            Expression::Log10(x) => {
                let v = eval(x)?;
                let r = v.log10();
                if v.is_nan() || v <= 0.0 || !r.is_finite() {
                    return Err(non_finite(format!("log10({})", show(v))));
                }
                r
            }
            Expression::Ln(x) => {
                let v = eval(x)?;
                let r = v.ln();
                if v.is_nan() || v <= 0.0 || !r.is_finite() {
                    return Err(non_finite(format!("ln({})", show(v))));
                }
                r
            }
            Expression::Acosh(x) => {
                let v = eval(x)?;
                let r = v.acosh();
                if v.is_nan() || v < 1.0 || !r.is_finite() {
                    return Err(non_finite(format!("acosh({})", show(v))));
                }
                r
            }
            Expression::Decay {
                kind,
                x,
                target,
                scale,
                midpoint,
            } => {
                let x = eval(x)?;
                let target = match target {
                    Some(t) => eval(t)?,
                    None => DEFAULT_DECAY_TARGET,
                };
                match kind {
                    DecayKind::Linear => {
                        let lambda = (1.0 - midpoint) / scale;
                        (1.0 - lambda * (x - target).abs()).max(0.0)
                    }
                    DecayKind::Exponential => {
                        let lambda = midpoint.ln() / scale;
                        (lambda * (x - target).abs()).exp()
                    }
                    DecayKind::Gaussian => {
                        let lambda = midpoint.ln() / (scale * scale);
                        let d = x - target;
                        (lambda * d * d).exp()
                    }
                }
            }
        })
    }
}

/// Parses a variable: `$score`, `$score[i]` (an index), or a payload path.
pub fn parse_variable(text: &str) -> Result<std::result::Result<usize, JsonPath>> {
    let invalid = || CollectionError::BadInput(format!("Invalid score pattern: {text}"));
    let Some(rest) = text.strip_prefix("$score") else {
        return JsonPath::parse(text)
            .map(Err)
            .map_err(|e| CollectionError::BadInput(format!("Invalid payload key {text}: {e}")));
    };
    if rest.is_empty() {
        return Ok(Ok(0));
    }
    let inner = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(invalid)?;
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    inner.parse().map(Ok).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_eval(f: &Formula, payload: Value, scores: &[HashMap<PointId, f32>]) -> Result<f32> {
        let payload = payload.as_object().cloned().unwrap_or_default();
        let no = |_: &Filter| false;
        f.score(&PointContext {
            id: PointId::Num(1),
            payload: &payload,
            scores,
            matches: &no,
        })
    }

    fn formula(e: Expression) -> Formula {
        Formula {
            expression: e,
            defaults: HashMap::new(),
        }
    }

    fn var(key: &str) -> Expression {
        match parse_variable(key).unwrap() {
            Ok(i) => Expression::Score(i),
            Err(path) => Expression::Payload {
                key: key.into(),
                path,
            },
        }
    }

    #[test]
    fn arithmetic_and_variables() {
        let scores = vec![HashMap::from([(PointId::Num(1), 0.5f32)])];
        let f = formula(Expression::Sum(vec![
            var("$score"),
            Expression::Mult(vec![Expression::Constant(2.0), var("price")]),
        ]));
        let s = ctx_eval(&f, serde_json::json!({"price": 3}), &scores).unwrap();
        assert_eq!(s, 6.5);
        // a point missing from a prefetch scores 0 there
        assert_eq!(
            ctx_eval(&formula(var("$score[1]")), Value::Null, &scores).unwrap(),
            0.0
        );
        let err = ctx_eval(&f, serde_json::json!({}), &scores).unwrap_err();
        assert!(
            err.to_string().contains("No value found for price"),
            "{err}"
        );
    }

    #[test]
    fn undefined_results_fail() {
        let f = formula(Expression::Div {
            left: Box::new(Expression::Constant(1.0)),
            right: Box::new(Expression::Constant(0.0)),
            by_zero_default: None,
        });
        let err = ctx_eval(&f, Value::Null, &[]).unwrap_err().to_string();
        assert!(
            err.contains("1.0/0.0 produced a non-finite number"),
            "{err}"
        );
        let f = formula(Expression::Ln(Box::new(Expression::Constant(-1.0))));
        assert!(ctx_eval(&f, Value::Null, &[]).is_err());
    }

    #[test]
    fn decays_pass_the_midpoint_at_the_scale() {
        for kind in [
            DecayKind::Linear,
            DecayKind::Exponential,
            DecayKind::Gaussian,
        ] {
            let f = formula(Expression::Decay {
                kind,
                x: Box::new(Expression::Constant(3.0)),
                target: Some(Box::new(Expression::Constant(1.0))),
                scale: 2.0,
                midpoint: 0.3,
            });
            let s = ctx_eval(&f, Value::Null, &[]).unwrap();
            assert!((s - 0.3).abs() < 1e-6, "{kind:?}: {s}");
        }
    }

    #[test]
    fn score_patterns() {
        assert_eq!(parse_variable("$score").unwrap().unwrap(), 0);
        assert_eq!(parse_variable("$score[2]").unwrap().unwrap(), 2);
        assert!(parse_variable("$score[-1]").is_err());
        assert!(parse_variable("$score[1]x").is_err());
        assert!(parse_variable("$scorex").is_err());
        assert!(parse_variable("a.b[]").unwrap().is_err());
    }
}
