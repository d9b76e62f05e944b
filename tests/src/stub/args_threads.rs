//! The options of `threads list`, `search`, `usage` and `archive`, as the pinned CLI's
//! `--help` lists them.

use super::{opt, Arity, OptSpec};

pub(super) const LIST_OPTS: &[OptSpec] = &[
    opt("include-archived", None, Arity::Flag, "--include-archived"),
    opt(
        "installation-id",
        None,
        Arity::Required,
        "--installation-id <installationID>",
    ),
    opt("limit", None, Arity::Required, "--limit <number>"),
    opt("offset", None, Arity::Required, "--offset <number>"),
    opt("json", None, Arity::Flag, "--json"),
];

pub(super) const SEARCH_OPTS: &[OptSpec] = &[
    opt("limit", Some("n"), Arity::Required, "-n, --limit <number>"),
    opt("offset", None, Arity::Required, "--offset <number>"),
    opt("json", None, Arity::Flag, "--json"),
];

pub(super) const USAGE_OPTS: &[OptSpec] = &[
    opt("details", None, Arity::Flag, "--details"),
    opt("start", None, Arity::Required, "--start <timestamp>"),
    opt("end", None, Arity::Required, "--end <timestamp>"),
];

pub(super) const ARCHIVE_OPTS: &[OptSpec] = &[opt("unarchive", None, Arity::Flag, "--unarchive")];
