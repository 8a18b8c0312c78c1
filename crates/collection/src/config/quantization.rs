//! Quantization configuration, stored now and used by the vector engine.

use serde::{Deserialize, Serialize};

use super::Memory;

/// Scalar quantization element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalarType {
    /// 8-bit integers.
    Int8,
}

/// Scalar quantization parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarQuantizationConfig {
    /// Element type.
    #[serde(rename = "type")]
    pub kind: ScalarType,
    /// Quantile used to clip outliers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f32>,
    /// Deprecated in-RAM flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_ram: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
}

/// Product quantization compression ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompressionRatio {
    /// 4 times.
    X4,
    /// 8 times.
    X8,
    /// 16 times.
    X16,
    /// 32 times.
    X32,
    /// 64 times.
    X64,
}

/// Product quantization parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductQuantizationConfig {
    /// Compression ratio.
    pub compression: CompressionRatio,
    /// Deprecated in-RAM flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_ram: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
}

/// Bits per element of binary quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryEncoding {
    /// 1 bit.
    OneBit,
    /// 2 bits.
    TwoBits,
    /// 1.5 bits.
    OneAndHalfBits,
}

/// Query encoding of binary quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BinaryQueryEncoding {
    /// Same as storage.
    Default,
    /// Binary.
    Binary,
    /// 4-bit scalar.
    Scalar4bits,
    /// 8-bit scalar.
    Scalar8bits,
}

/// Binary quantization parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinaryQuantizationConfig {
    /// Deprecated in-RAM flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_ram: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Storage encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<BinaryEncoding>,
    /// Query encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_encoding: Option<BinaryQueryEncoding>,
}

/// TurboQuant bits per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurboBits {
    /// 1 bit.
    Bits1,
    /// 1.5 bits.
    #[serde(rename = "bits1_5")]
    Bits1_5,
    /// 2 bits.
    Bits2,
    /// 4 bits.
    Bits4,
}

/// TurboQuant parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurboQuantizationConfig {
    /// Deprecated in-RAM flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_ram: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Bits per element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<TurboBits>,
}

/// One of the quantization methods, written `{"<method>": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantizationConfig {
    /// Scalar quantization.
    Scalar(ScalarQuantizationConfig),
    /// Product quantization.
    Product(ProductQuantizationConfig),
    /// Binary quantization.
    Binary(BinaryQuantizationConfig),
    /// TurboQuant.
    Turbo(TurboQuantizationConfig),
}

/// A quantization change: a new method or `"Disabled"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QuantizationConfigDiff {
    /// Switch to this method.
    Set(QuantizationConfig),
    /// Turn quantization off.
    Disabled(DisabledMarker),
}

/// The literal `"Disabled"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisabledMarker {
    /// Quantization disabled.
    Disabled,
}

impl QuantizationConfigDiff {
    /// The configuration after applying this change.
    pub fn apply(&self) -> Option<QuantizationConfig> {
        match self {
            QuantizationConfigDiff::Set(c) => Some(c.clone()),
            QuantizationConfigDiff::Disabled(_) => None,
        }
    }
}
