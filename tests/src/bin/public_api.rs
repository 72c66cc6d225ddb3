//! The public API of `memotrace`, listed from its rustdoc HTML and compared with the
//! checked-in `runtime/public-api.txt`, so that every change to it shows in review.
//!
//! ```text
//! cargo doc -p memotrace --all-features --no-deps
//! cargo run -p memotrace-tests --bin public_api            # fails on a difference
//! cargo run -p memotrace-tests --bin public_api -- --bless # rewrites the listing
//! ```
//!
//! Rustdoc's HTML is the one listing stable rustdoc produces: `all.html` names every public
//! item (`#[doc(hidden)]` ones, like `__private`, are absent), and each item's page holds
//! its declaration and the headers of its impls and methods. Blanket impls are left out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const KINDS: &[&str] = &[
    "struct", "enum", "trait", "fn", "type", "static", "constant", "attr", "macro",
];

fn main() -> ExitCode {
    let bless = std::env::args().any(|a| a == "--bless");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("doc/memotrace");
    let listed = root.join("runtime/public-api.txt");
    let current = match listing(&doc) {
        Ok(text) => text,
        Err(e) => {
            eprintln!(
                "public_api: cannot read {} ({e}); run `cargo doc -p memotrace --all-features --no-deps` first",
                doc.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if bless {
        std::fs::write(&listed, current).expect("runtime/public-api.txt is writable");
        return ExitCode::SUCCESS;
    }
    let checked_in = std::fs::read_to_string(&listed).unwrap_or_default();
    if checked_in == current {
        println!("public_api: the public API matches runtime/public-api.txt");
        return ExitCode::SUCCESS;
    }
    eprintln!("public_api: the public API differs from runtime/public-api.txt:");
    let old: Vec<&str> = checked_in.lines().collect();
    let new: Vec<&str> = current.lines().collect();
    for line in old.iter().filter(|l| !new.contains(l)) {
        eprintln!("- {line}");
    }
    for line in new.iter().filter(|l| !old.contains(l)) {
        eprintln!("+ {line}");
    }
    eprintln!(
        "if the change is intended: cargo run -p memotrace-tests --bin public_api -- --bless"
    );
    ExitCode::FAILURE
}

/// Every public item, sorted, each followed by its declaration and impl/method headers.
fn listing(doc: &Path) -> std::io::Result<String> {
    let all = std::fs::read_to_string(doc.join("all.html"))?;
    let mut pages: Vec<(String, &str)> = attribute_values(&all, "href")
        .into_iter()
        .filter_map(|href| item_of(href).map(|name| (name, href)))
        .collect();
    pages.sort();
    pages.dedup();
    let mut out = String::new();
    for (name, href) in pages {
        let page = std::fs::read_to_string(doc.join(href))?;
        writeln!(out, "{name}").unwrap();
        for line in headers(&page) {
            writeln!(out, "    {line}").unwrap();
        }
    }
    Ok(out)
}

/// `cache/struct.MemoryCache.html` → `struct memotrace::cache::MemoryCache`.
fn item_of(href: &str) -> Option<String> {
    let path = href.strip_suffix(".html")?;
    let (dirs, file) = path.rsplit_once('/').unwrap_or(("", path));
    let (kind, name) = file.split_once('.')?;
    if !KINDS.contains(&kind) || href.contains("..") || href.contains('#') {
        return None;
    }
    let module = if dirs.is_empty() {
        "memotrace".to_owned()
    } else {
        format!("memotrace::{}", dirs.replace('/', "::"))
    };
    Some(format!("{kind} {module}::{name}"))
}

/// The item's declaration and the `code-header`s of its impls and methods, up to the
/// blanket implementations.
fn headers(page: &str) -> Vec<String> {
    let page = page
        .split("id=\"blanket-implementations\"")
        .next()
        .unwrap_or(page);
    let mut out = Vec::new();
    if let Some(decl) = between(page, "<pre class=\"rust item-decl\">", "</pre>") {
        out.push(text_of(decl));
    }
    let mut rest = page;
    while let Some(at) = rest.find("class=\"code-header\">") {
        rest = &rest[at + "class=\"code-header\">".len()..];
        let end = rest.find("</h").unwrap_or(rest.len());
        out.push(text_of(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let marker = format!("{attribute}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, m)| {
            let value = &html[at + m.len()..];
            value.find('"').map(|end| &value[..end])
        })
        .collect()
}

/// HTML → text: tags dropped, entities decoded, whitespace collapsed.
fn text_of(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    // A where clause is a block of its own in the HTML: keep it apart from what precedes.
    let html = html.replace("<div class=\"where\">", " ");
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
