//! The import graph of a crate's modules, and the check that it has no
//! cycle (`cargo xtask ci`'s `imports` step): imports run one way, so a
//! reader can take the modules in an order where each one only uses what
//! came before.
//!
//! A module is a file (`lib.rs` is the crate root, `a.rs` and `a/mod.rs` are
//! `a`, `a/b.rs` is `a::b`). An edge runs from the file that names a path to
//! the module the path lands in: `use crate::…`, `use super::…`,
//! `use self::…`, a `use` of a child module by its bare name, and inline
//! `crate::…` / `super::…` paths in code. A name the crate root re-exports
//! (`pub use a::{B, C};` in `lib.rs`) counts as an edge to the module it
//! comes from, so importing `crate::B` is not a way around the rule.
//! Declaring a child (`mod b;`) is not an import, and a file's unit tests —
//! everything from its `mod tests {` on — are left out: a test module sits
//! below the module it tests.
//!
//! Cycles count at two levels: between files, and between top-level
//! modules (a folder and everything in it), so a folder cannot lean on
//! another that leans back on it through different files.
//!
//! This reads source as text, not as the compiler does: it is a guard for a
//! workspace that writes its imports plainly, not a Rust parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A module's path below the crate root (`[]` is the root).
type ModulePath = Vec<String>;

/// Every module of the crate whose sources are in `src`, and the modules
/// each one imports.
pub(crate) fn graph(src: &Path) -> Result<BTreeMap<ModulePath, BTreeSet<ModulePath>>> {
    let mut files = BTreeMap::new();
    collect(src, src, &mut files)?;
    let modules: BTreeSet<ModulePath> = files.keys().cloned().collect();
    let root_exports = files
        .get(&Vec::new())
        .map(|text| re_exports(text, &modules))
        .unwrap_or_default();

    let mut graph = BTreeMap::new();
    for (module, text) in &files {
        let mut targets = BTreeSet::new();
        for path in paths_in(&without_unit_tests(text)) {
            if let Some(target) = resolve(module, &path, &modules, &root_exports)
                && &target != module
            {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    Ok(graph)
}

/// The cycles of `graph`: each strongly connected group of two or more
/// modules, as `a -> b -> a` names.
pub(crate) fn cycles(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<String>> {
    // Two modules are in one cycle when each reaches the other.
    let reach = |from: &ModulePath| -> BTreeSet<ModulePath> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(module) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&ModulePath, BTreeSet<ModulePath>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut grouped = BTreeSet::new();
    let mut found = Vec::new();
    for module in graph.keys() {
        if grouped.contains(module) || !reaches[module].contains(module) {
            continue;
        }
        let group: Vec<String> = graph
            .keys()
            .filter(|other| reaches[module].contains(*other) && reaches[*other].contains(module))
            .inspect(|other| {
                grouped.insert((*other).clone());
            })
            .map(name)
            .collect();
        found.push(group);
    }
    found
}

/// `graph` with every module folded into its top-level module (`a::b` into
/// `a`): two folders whose files import each other are a cycle too, even
/// when no two files are.
pub(crate) fn top_level(
    graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let fold = |module: &ModulePath| module.iter().take(1).cloned().collect::<ModulePath>();
    let mut folded: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (module, targets) in graph {
        let from = fold(module);
        let entry = folded.entry(from.clone()).or_default();
        // The crate root declares and re-exports everything: not an import.
        if from.is_empty() {
            continue;
        }
        entry.extend(
            targets
                .iter()
                .map(fold)
                .filter(|to| *to != from && !to.is_empty()),
        );
    }
    folded
}

/// `crate`, or the module's path joined with `::`.
fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<ModulePath, String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(root, &path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("read {}", path.display()))?;
            files.insert(module_of(root, &path), text);
        }
    }
    Ok(())
}

fn module_of(root: &Path, file: &Path) -> ModulePath {
    let relative = file.strip_prefix(root).unwrap_or(file).with_extension("");
    let mut parts: ModulePath = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn without_unit_tests(text: &str) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("mod tests") {
            break;
        }
        // Comments may name paths that are not imports.
        let code = line.split("//").next().unwrap_or_default();
        kept.push_str(code);
        kept.push('\n');
    }
    kept
}

/// Every path the code names: the expanded `use` trees, and inline paths
/// that start with `crate::` or `super::`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = find_use(rest) {
        let after = &rest[at..];
        let end = after.find(';').unwrap_or(after.len());
        expand(&[], after[..end].trim(), &mut paths);
        rest = &after[end..];
    }
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .collect();
    for word in words {
        let path: Vec<String> = word
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        // `crate::{…}` alone is the start of a `use` tree, expanded above.
        if path.len() > 1 && (path[0] == "crate" || path[0] == "super") {
            paths.push(path);
        }
    }
    paths
}

/// Where the next `use` tree starts (just after `use `), if any.
fn find_use(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = code[from..].find("use ") {
        let at = from + found;
        let before = code[..at].chars().next_back();
        if before.is_none_or(|c| c.is_whitespace() || c == ';' || c == '}' || c == '{') {
            return Some(at + 4);
        }
        from = at + 4;
    }
    None
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut base = prefix.to_vec();
        base.extend(segments(&tree[..open]));
        // Prose can hold `use ` too (strings are not stripped): a `}` before
        // the `{` is no tree to expand.
        let close = tree.rfind('}').filter(|&close| close > open);
        let inner = &tree[open + 1..close.unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[start..], out);
    } else {
        let mut path = prefix.to_vec();
        path.extend(segments(tree.split(" as ").next().unwrap_or(tree)));
        if !path.is_empty() {
            out.push(path);
        }
    }
}

fn segments(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "*")
        .map(str::to_owned)
}

/// The names `lib.rs` re-exports with `pub use module::…`, and the module
/// each comes from.
fn re_exports(root: &str, modules: &BTreeSet<ModulePath>) -> BTreeMap<String, ModulePath> {
    let mut exports = BTreeMap::new();
    let mut rest = root;
    while let Some(at) = rest.find("pub use ") {
        let after = &rest[at + 8..];
        let end = after.find(';').unwrap_or(after.len());
        let mut paths = Vec::new();
        expand(&[], &after[..end], &mut paths);
        for path in paths {
            let from = longest_module(&path, modules);
            if let (Some(last), false) = (path.last(), from.is_empty()) {
                exports.insert(last.clone(), from);
            }
        }
        rest = &after[end..];
    }
    exports
}

/// The longest prefix of `path` that is a module.
fn longest_module(path: &[String], modules: &BTreeSet<ModulePath>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// The module `path`, named in `module`, lands in; `None` for paths outside
/// the crate.
fn resolve(
    module: &ModulePath,
    path: &[String],
    modules: &BTreeSet<ModulePath>,
    root_exports: &BTreeMap<String, ModulePath>,
) -> Option<ModulePath> {
    let (first, rest) = path.split_first()?;
    let mut absolute = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.clone(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => {
            // A bare first segment is a child module, or outside the crate.
            let mut child = module.clone();
            child.push(first.clone());
            if !modules.contains(&child) {
                return None;
            }
            child
        }
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(s, t)| (s.as_str(), t)) {
        absolute.pop();
        rest = tail;
    }
    absolute.extend(rest.iter().cloned());
    let target = longest_module(&absolute, modules);
    if target.is_empty()
        && let Some(name) = absolute.first()
        && let Some(from) = root_exports.get(name)
    {
        return Some(from.clone());
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_src(crate_dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate_dir)
            .join("src")
    }

    /// The rule itself, for every crate of the workspace.
    #[test]
    fn no_crate_of_the_workspace_has_an_import_cycle() -> Result<()> {
        for crate_dir in ["engine", "server", "commands", "cli", "web", "xtask"] {
            let graph = graph(&workspace_src(crate_dir))?;
            assert!(graph.len() > 1, "{crate_dir}: no modules found");
            assert_eq!(cycles(&graph), Vec::<Vec<String>>::new(), "{crate_dir}");
            assert_eq!(
                cycles(&top_level(&graph)),
                Vec::<Vec<String>>::new(),
                "{crate_dir}, top-level modules"
            );
        }
        Ok(())
    }

    #[test]
    fn a_pair_of_modules_importing_each_other_is_a_cycle() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("store"))?;
        std::fs::write(
            dir.join("lib.rs"),
            "mod store;\nmod index;\npub use store::KvStore;\n",
        )?;
        std::fs::write(dir.join("store/mod.rs"), "mod read;\nuse read::Reader;\n")?;
        std::fs::write(
            dir.join("store/read.rs"),
            "use crate::{index::Index, KvStore};\n",
        )?;
        std::fs::write(dir.join("index.rs"), "use crate::store::read::Reader;\n")?;
        let graph = graph(&dir)?;
        std::fs::remove_dir_all(&dir)?;
        let cycles = cycles(&graph);
        assert_eq!(
            cycles,
            vec![vec![
                "index".to_owned(),
                "store".to_owned(),
                "store::read".to_owned()
            ]]
        );
        Ok(())
    }

    #[test]
    fn folders_importing_each_other_are_a_cycle() {
        let path = |p: &str| -> ModulePath { p.split("::").map(str::to_owned).collect() };
        let graph = BTreeMap::from([
            (path("store"), BTreeSet::from([path("compaction::execute")])),
            (
                path("compaction::execute"),
                BTreeSet::from([path("store::shared")]),
            ),
            (path("store::shared"), BTreeSet::new()),
        ]);
        assert!(cycles(&graph).is_empty(), "no file cycle");
        assert_eq!(
            cycles(&top_level(&graph)),
            vec![vec!["compaction".to_owned(), "store".to_owned()]]
        );
    }

    #[test]
    fn use_trees_expand_into_paths() {
        let mut paths = Vec::new();
        expand(&[], "crate::{a::{B, c::D}, e as f, g::*}", &mut paths);
        let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
        assert_eq!(
            joined,
            ["crate::a::B", "crate::a::c::D", "crate::e", "crate::g"]
        );
    }
}
