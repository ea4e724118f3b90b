//! Tags (PIKA.md §4 `tags`): markup an administrator defines once — a name,
//! what it shows, whether the model may write it, the web component that
//! renders it — so that a model can answer with `<chart>{…}</chart>` and the
//! chat page draws a chart. The definitions live in the site configuration;
//! the `tags` feature turns them on per chat app. Streams carry tags as
//! plain text (nothing on the way parses them); only the page renders them.
//!
//! A definition is `global` (every chat app with the feature on) or
//! `chatApp` (only the apps whose feature settings list it:
//! `tags: { enabled: true, settings: { tags: ["chart"] } }`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use thiserror::Error;

/// Why a tag definition or component asset is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid tag: {0}")]
pub struct InvalidTag(pub String);

/// Names the streaming protocols use themselves (PIKA.md §9): a definition
/// of one would make the page mistake protocol text for an answer's markup.
const RESERVED: &[&str] = &["trace", "heartbeat", "pika-metadata", "script", "style"];

/// A tag's name as the model writes it (`<chart>`): a lower-case letter,
/// then up to 63 lower-case letters, digits, `.`, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagName(String);

impl TagName {
    /// Checks `name`.
    ///
    /// # Errors
    /// A name of the wrong shape, or one of the protocols' own.
    pub fn parse(name: &str) -> Result<Self, InvalidTag> {
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
        if !first_ok || !rest_ok || name.len() > 64 {
            return Err(InvalidTag(format!(
                "tag name {name:?} must start with a lower-case letter and hold only lower-case letters, digits, '.', '-' or '_' (at most 64)"
            )));
        }
        if RESERVED.contains(&name) {
            return Err(InvalidTag(format!("tag name {name:?} is reserved")));
        }
        Ok(Self(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TagName {
    type Error = InvalidTag;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TagName> for String {
    fn from(t: TagName) -> Self {
        t.0
    }
}

impl std::fmt::Display for TagName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which chat apps a definition applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TagUsage {
    /// Every chat app with the `tags` feature on.
    #[default]
    Global,
    /// Only chat apps whose `tags` feature settings list it.
    ChatApp,
}

/// The web component that renders a tag on the page: a custom element
/// defined by a JavaScript module stored as a component asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagComponent {
    /// The custom element's name (lower case, with a hyphen: `pika-chart`).
    pub element: String,
    /// The module's asset name (`chart.js`), served at `/components/{module}`.
    pub module: String,
}

/// One tag definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagDefinition {
    /// The name the model writes.
    pub tag: TagName,
    /// What it shows; told to the model.
    pub description: String,
    /// How to write its content (the JSON shape, say); told to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Whether the model is told it may write it (otherwise only tools'
    /// output carries it).
    #[serde(default = "yes")]
    pub can_be_generated_by_llm: bool,
    /// Which chat apps it applies to.
    #[serde(default)]
    pub usage: TagUsage,
    /// Switched off without being deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// What renders it; without one the page shows its content as a block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<TagComponent>,
}

fn yes() -> bool {
    true
}

impl TagDefinition {
    /// Checks what the page could not use: an empty description, an element
    /// name the browser refuses, a module that is not a component asset.
    ///
    /// # Errors
    /// The first rule broken, named.
    pub fn validate(&self) -> Result<(), InvalidTag> {
        let name = &self.tag;
        if self.description.trim().is_empty() {
            return Err(InvalidTag(format!("tag {name}: description is empty")));
        }
        if let Some(c) = &self.component {
            if !is_custom_element_name(&c.element) {
                return Err(InvalidTag(format!(
                    "tag {name}: component.element {:?} must be a custom element name (lower case, starting with a letter, with a hyphen)",
                    c.element
                )));
            }
            ComponentAsset::parse(&c.module)
                .map_err(|e| InvalidTag(format!("tag {name}: component.module: {}", e.0)))?;
        }
        Ok(())
    }
}

/// The HTML rule for custom element names, restricted to ASCII.
fn is_custom_element_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.contains('-')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
        && !matches!(
            name,
            "annotation-xml"
                | "color-profile"
                | "font-face"
                | "font-face-src"
                | "font-face-uri"
                | "font-face-format"
                | "font-face-name"
                | "missing-glyph"
        )
}

/// Checks a site's definitions: each valid, no name twice.
///
/// # Errors
/// The first rule broken, named.
pub fn validate_all(tags: &[TagDefinition]) -> Result<(), InvalidTag> {
    let mut seen = HashSet::new();
    for t in tags {
        t.validate()?;
        if !seen.insert(t.tag.as_str()) {
            return Err(InvalidTag(format!("tag {} is defined twice", t.tag)));
        }
    }
    Ok(())
}

/// The definitions that apply to a chat app whose `tags` feature has
/// `settings`: the enabled global ones, and the enabled chat-app ones the
/// settings list. Settings of the wrong shape list nothing.
pub fn applying<'a>(tags: &'a [TagDefinition], settings: &Value) -> Vec<&'a TagDefinition> {
    let listed: HashSet<&str> = settings
        .get("tags")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    tags.iter()
        .filter(|t| !t.disabled)
        .filter(|t| t.usage == TagUsage::Global || listed.contains(t.tag.as_str()))
        .collect()
}

/// What the agent's instruction gains: the tags the model may write, with
/// their descriptions and instructions. `None` when there are none.
pub fn instruction_block(tags: &[&TagDefinition]) -> Option<String> {
    let usable: Vec<&&TagDefinition> = tags.iter().filter(|t| t.can_be_generated_by_llm).collect();
    if usable.is_empty() {
        return None;
    }
    let mut out = String::from(
        "You may use these tags in your answers; the chat page renders them. Write each as an opening and a closing tag around its content, exactly as shown:",
    );
    for t in usable {
        out.push_str(&format!(
            "\n- <{0}>…</{0}>: {1}",
            t.tag,
            t.description.trim()
        ));
        if let Some(i) = t
            .instructions
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            out.push(' ');
            out.push_str(i);
        }
    }
    Some(out)
}

/// A component asset's name (`chart.js`): what the page loads to render a
/// tag. Only scripts and style sheets, so an asset can never be a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentAsset {
    name: String,
    content_type: &'static str,
}

/// Where component assets live in the file store (the assets bucket on AWS).
pub const COMPONENTS_PREFIX: &str = "components/";

impl ComponentAsset {
    /// Checks `name`: a lower-case letter or digit, then letters, digits,
    /// `.`, `-` or `_` (at most 100), ending `.js`, `.mjs` or `.css`.
    ///
    /// # Errors
    /// A name of another shape or kind.
    pub fn parse(name: &str) -> Result<Self, InvalidTag> {
        let shape_ok = name.len() <= 100
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
            })
            && !name.contains("..");
        let content_type = if name.ends_with(".js") || name.ends_with(".mjs") {
            "text/javascript; charset=utf-8"
        } else if name.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            ""
        };
        if !shape_ok || content_type.is_empty() {
            return Err(InvalidTag(format!(
                "asset name {name:?} must be lower-case letters, digits, '.', '-' or '_' ending .js, .mjs or .css"
            )));
        }
        Ok(Self {
            name: name.to_string(),
            content_type,
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The content type it is stored and served with.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// Its key in the file store.
    pub fn key(&self) -> String {
        format!("{COMPONENTS_PREFIX}{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> TagDefinition {
        serde_json::from_value(v).expect("definition")
    }

    #[test]
    fn names_are_checked() {
        for good in ["chart", "pika.chart", "a1-b_c"] {
            assert!(TagName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Chart",
            "1chart",
            "a b",
            "a<b",
            "trace",
            "heartbeat",
            "pika-metadata",
            &"a".repeat(65),
        ] {
            assert!(TagName::parse(bad).is_err(), "{bad}");
        }
        assert!(
            serde_json::from_value::<TagDefinition>(json!({"tag": "Bad", "description": "x"}))
                .is_err()
        );
    }

    #[test]
    fn definitions_are_checked() {
        let ok = def(json!({"tag": "chart", "description": "A chart.",
            "component": {"element": "pika-chart", "module": "chart.js"}}));
        assert!(ok.validate().is_ok());
        assert!(
            ok.can_be_generated_by_llm,
            "the model may write a tag unless told otherwise"
        );
        let no_hyphen = def(json!({"tag": "chart", "description": "A chart.",
            "component": {"element": "chart", "module": "chart.js"}}));
        assert!(no_hyphen.validate().is_err());
        let page = def(json!({"tag": "chart", "description": "A chart.",
            "component": {"element": "pika-chart", "module": "chart.html"}}));
        assert!(page.validate().is_err());
        let empty = def(json!({"tag": "chart", "description": " "}));
        assert!(empty.validate().is_err());
        assert!(
            serde_json::from_value::<TagDefinition>(
                json!({"tag": "chart", "description": "x", "colour": 1})
            )
            .is_err(),
            "a misspelt field is refused"
        );
        let twice = vec![ok.clone(), ok];
        assert!(validate_all(&twice).is_err());
    }

    #[test]
    fn global_tags_apply_and_chat_app_tags_only_where_listed() {
        let tags = vec![
            def(json!({"tag": "chart", "description": "A chart."})),
            def(json!({"tag": "map", "description": "A map.", "usage": "chatApp"})),
            def(json!({"tag": "old", "description": "Gone.", "disabled": true})),
        ];
        let names = |s: Value| -> Vec<String> {
            applying(&tags, &s)
                .iter()
                .map(|t| t.tag.to_string())
                .collect()
        };
        assert_eq!(names(Value::Null), ["chart"]);
        assert_eq!(names(json!({"tags": ["map", "old"]})), ["chart", "map"]);
        assert_eq!(
            names(json!({"tags": "map"})),
            ["chart"],
            "settings of the wrong shape list nothing"
        );
    }

    #[test]
    fn the_instruction_names_only_tags_the_model_may_write() {
        let tags = [
            def(
                json!({"tag": "chart", "description": "A chart.", "instructions": "Content: {\"values\": [numbers]}."}),
            ),
            def(
                json!({"tag": "receipt", "description": "A receipt.", "canBeGeneratedByLlm": false}),
            ),
        ];
        let refs: Vec<&TagDefinition> = tags.iter().collect();
        let block = instruction_block(&refs).expect("a block");
        assert!(
            block.contains("<chart>…</chart>: A chart. Content: {\"values\": [numbers]}."),
            "{block}"
        );
        assert!(!block.contains("receipt"), "{block}");
        assert_eq!(instruction_block(&refs[1..]), None);
    }

    #[test]
    fn component_assets_are_scripts_or_style_sheets() {
        let js = ComponentAsset::parse("chart.js").expect("js");
        assert_eq!(js.key(), "components/chart.js");
        assert!(js.content_type().starts_with("text/javascript"));
        assert!(ComponentAsset::parse("chart.css")
            .expect("css")
            .content_type()
            .starts_with("text/css"));
        for bad in [
            "chart.html",
            "chart.svg",
            "../x.js",
            "a/b.js",
            "Chart.js",
            ".js",
            "x..js",
            "",
        ] {
            assert!(ComponentAsset::parse(bad).is_err(), "{bad}");
        }
    }
}
