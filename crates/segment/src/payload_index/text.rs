//! Tokenization for the full-text index and for text conditions on
//! indexed fields.

use std::collections::HashSet;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

use super::schema::{Stopwords, TextIndexParams, TokenizerType};

/// Turns text into tokens according to a text index's parameters.
pub struct Tokenizer {
    kind: TokenizerType,
    lowercase: bool,
    ascii_folding: bool,
    min_len: usize,
    max_len: usize,
    stopwords: HashSet<String>,
    stemmer: Option<Stemmer>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn stemmer_algorithm(language: &str) -> Option<Algorithm> {
    Some(match language {
        "arabic" => Algorithm::Arabic,
        "danish" => Algorithm::Danish,
        "dutch" => Algorithm::Dutch,
        "english" => Algorithm::English,
        "finnish" => Algorithm::Finnish,
        "french" => Algorithm::French,
        "german" => Algorithm::German,
        "greek" => Algorithm::Greek,
        "hungarian" => Algorithm::Hungarian,
        "italian" => Algorithm::Italian,
        "norwegian" => Algorithm::Norwegian,
        "portuguese" => Algorithm::Portuguese,
        "romanian" => Algorithm::Romanian,
        "russian" => Algorithm::Russian,
        "spanish" => Algorithm::Spanish,
        "swedish" => Algorithm::Swedish,
        "tamil" => Algorithm::Tamil,
        "turkish" => Algorithm::Turkish,
        _ => return None,
    })
}

fn language_stopwords(language: &str) -> Vec<String> {
    let code = match language {
        "arabic" => "ar",
        "azerbaijani" => "az",
        "basque" => "eu",
        "bengali" => "bn",
        "catalan" => "ca",
        "chinese" => "zh",
        "danish" => "da",
        "dutch" => "nl",
        "english" => "en",
        "finnish" => "fi",
        "french" => "fr",
        "german" => "de",
        "greek" => "el",
        "hebrew" => "he",
        "hinglish" => "hinglish",
        "hungarian" => "hu",
        "indonesian" => "id",
        "italian" => "it",
        "japanese" => "ja",
        "kazakh" => "kk",
        "nepali" => "ne",
        "norwegian" => "no",
        "portuguese" => "pt",
        "romanian" => "ro",
        "russian" => "ru",
        "slovene" => "sl",
        "spanish" => "es",
        "swedish" => "sv",
        "tajik" => "tg",
        "turkish" => "tr",
        _ => return Vec::new(),
    };
    stop_words::lookup(code).map_or_else(Vec::new, |words| {
        words.iter().map(|w| w.to_string()).collect()
    })
}

/// Folds accented Latin letters to their ASCII base letter.
fn fold_ascii(token: &str) -> String {
    token
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
            'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => 'C',
            'ď' | 'đ' => 'd',
            'Ď' | 'Đ' => 'D',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
            'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => 'E',
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
            'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => 'G',
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
            'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => 'I',
            'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
            'Ñ' | 'Ń' | 'Ņ' | 'Ň' => 'N',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
            'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => 'O',
            'ŕ' | 'ŗ' | 'ř' => 'r',
            'Ŕ' | 'Ŗ' | 'Ř' => 'R',
            'ś' | 'ŝ' | 'ş' | 'š' => 's',
            'Ś' | 'Ŝ' | 'Ş' | 'Š' => 'S',
            'ţ' | 'ť' => 't',
            'Ţ' | 'Ť' => 'T',
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
            'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => 'U',
            'ý' | 'ÿ' => 'y',
            'Ý' | 'Ÿ' => 'Y',
            'ź' | 'ż' | 'ž' => 'z',
            'Ź' | 'Ż' | 'Ž' => 'Z',
            other => other,
        })
        .collect()
}

impl Tokenizer {
    /// A tokenizer for the given index parameters.
    pub fn new(params: &TextIndexParams) -> Tokenizer {
        let mut stopwords = HashSet::new();
        let lowercase = params.lowercase.unwrap_or(true);
        match &params.stopwords {
            Some(Stopwords::Language(lang)) => stopwords.extend(language_stopwords(lang)),
            Some(Stopwords::Set { languages, custom }) => {
                for lang in languages.iter().flatten() {
                    stopwords.extend(language_stopwords(lang));
                }
                stopwords.extend(custom.iter().flatten().map(|w| {
                    if lowercase {
                        w.to_lowercase()
                    } else {
                        w.clone()
                    }
                }));
            }
            None => {}
        }
        let stemmer = params
            .stemmer
            .as_ref()
            .filter(|s| s.kind == "snowball")
            .and_then(|s| s.language.as_deref())
            .and_then(stemmer_algorithm)
            .map(Stemmer::create);
        Tokenizer {
            kind: params.tokenizer,
            lowercase,
            ascii_folding: params.ascii_folding.unwrap_or(false),
            min_len: params.min_token_len.unwrap_or(0),
            max_len: params.max_token_len.unwrap_or(usize::MAX),
            stopwords,
            stemmer,
        }
    }

    fn normalize(&self, raw: &str) -> Option<String> {
        let mut token = if self.lowercase {
            raw.to_lowercase()
        } else {
            raw.to_string()
        };
        if self.ascii_folding {
            token = fold_ascii(&token);
        }
        if self.stopwords.contains(&token) {
            return None;
        }
        if let Some(stemmer) = &self.stemmer {
            token = stemmer.stem(&token).into_owned();
        }
        let len = token.chars().count();
        (len >= self.min_len && len <= self.max_len && !token.is_empty()).then_some(token)
    }

    fn raw_words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        match self.kind {
            TokenizerType::Whitespace => text.split_whitespace().collect(),
            TokenizerType::Word | TokenizerType::Prefix => text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|t| !t.is_empty())
                .collect(),
            TokenizerType::Multilingual => text.unicode_words().collect(),
        }
    }

    /// Tokens of a stored document, in order (prefix tokenizers add every
    /// prefix of each word).
    pub fn document_tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for word in self.raw_words(text) {
            let Some(token) = self.normalize(word) else {
                continue;
            };
            if self.kind == TokenizerType::Prefix {
                let chars: Vec<char> = token.chars().collect();
                for end in self.min_len.max(1)..chars.len() {
                    out.push(chars[..end].iter().collect());
                }
            }
            out.push(token);
        }
        out
    }

    /// Tokens of a query, in order (whole words only).
    pub fn query_tokens(&self, text: &str) -> Vec<String> {
        self.raw_words(text)
            .into_iter()
            .filter_map(|w| self.normalize(w))
            .collect()
    }

    /// Tokens of a document without the prefixes a prefix tokenizer adds, for
    /// phrase matching.
    pub fn word_tokens(&self, text: &str) -> Vec<String> {
        self.raw_words(text)
            .into_iter()
            .filter_map(|w| self.normalize(w))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload_index::schema::StemmerParams;

    #[test]
    fn word_tokenizer_defaults() {
        let t = Tokenizer::new(&TextIndexParams::default());
        assert_eq!(
            t.document_tokens("Hello, World-wide web!"),
            vec!["hello", "world", "wide", "web"]
        );
    }

    #[test]
    fn options() {
        let p = TextIndexParams {
            tokenizer: TokenizerType::Prefix,
            min_token_len: Some(2),
            ascii_folding: Some(true),
            stopwords: Some(Stopwords::Language("english".into())),
            ..Default::default()
        };
        let t = Tokenizer::new(&p);
        assert_eq!(t.document_tokens("the Café"), vec!["ca", "caf", "cafe"]);
        assert_eq!(t.query_tokens("CAFÉ the"), vec!["cafe"]);
        let s = Tokenizer::new(&TextIndexParams {
            stemmer: Some(StemmerParams {
                kind: "snowball".into(),
                language: Some("english".into()),
            }),
            ..Default::default()
        });
        assert_eq!(s.query_tokens("running jumps"), vec!["run", "jump"]);
        let ws = Tokenizer::new(&TextIndexParams {
            tokenizer: TokenizerType::Whitespace,
            lowercase: Some(false),
            ..Default::default()
        });
        assert_eq!(ws.document_tokens("a-b C"), vec!["a-b", "C"]);
    }
}
