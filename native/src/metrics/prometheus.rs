//! A writer of Prometheus' text exposition format, version 0.0.4: per metric family a
//! `# HELP` and a `# TYPE` line, then one line per sample, label values escaped.
//! Written here because no Prometheus crate is among the vendored crates; it only
//! writes, and only the two metric types the engine has.

use std::fmt::Write;

/// The `Content-Type` of the format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// Only goes up (names end in `_total`).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// The exposition text being written.
#[derive(Default)]
pub(crate) struct Exposition {
    text: String,
}

/// One metric family of an [`Exposition`].
pub(crate) struct Family<'a> {
    text: &'a mut String,
    name: &'static str,
}

impl Exposition {
    /// Starts a family. `name` and `help` are the engine's own constants: a valid metric
    /// name, and text that is escaped anyway.
    pub(crate) fn family(&mut self, name: &'static str, kind: Kind, help: &str) -> Family<'_> {
        debug_assert!(valid_name(name), "{name}");
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let _ = writeln!(self.text, "# HELP {name} {}", escape(help, false));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        Family { text: &mut self.text, name }
    }

    /// The finished text.
    pub(crate) fn finish(self) -> String {
        self.text
    }
}

impl Family<'_> {
    /// Adds a sample with these labels (names are the engine's constants; values are
    /// escaped).
    pub(crate) fn sample(&mut self, labels: &[(&'static str, &str)], value: u64) -> &mut Self {
        self.text.push_str(self.name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (name, value)) in labels.iter().enumerate() {
                debug_assert!(valid_name(name), "{name}");
                let comma = if i == 0 { "" } else { "," };
                let _ = write!(self.text, "{comma}{name}=\"{}\"", escape(value, true));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
        self
    }
}

/// Escapes `\` and line feeds, and in label values also `"`.
fn escape(text: &str, quote: bool) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\\', '\n', '"']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.into()
}

/// `[a-zA-Z_][a-zA-Z0-9_]*` (label names; metric names may also hold `:`, ours do not).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escaping() {
        let mut e = Exposition::default();
        e.family("x_total", Kind::Counter, "a \\ b\nc \"q\"").sample(&[], 3);
        e.family("y", Kind::Gauge, "y").sample(&[("name", "a\"b\\c\nd"), ("scope", "Global")], 0).sample(&[("name", "é")], 1);
        assert_eq!(
            e.finish(),
            "# HELP x_total a \\\\ b\\nc \"q\"\n# TYPE x_total counter\nx_total 3\n\
             # HELP y y\n# TYPE y gauge\ny{name=\"a\\\"b\\\\c\\nd\",scope=\"Global\"} 0\ny{name=\"é\"} 1\n"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("psws_connections") && valid_name("_x1"));
        assert!(!valid_name("") && !valid_name("1x") && !valid_name("a-b"));
    }
}
