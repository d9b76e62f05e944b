#!/usr/bin/env bash
# Packages every published crate of the workspace and builds each from its .crate, as
# `cargo publish` would (`--dry-run`: nothing is uploaded).
#
# cargo verifies a crate that depends on another workspace crate against a temporary local
# registry under target/package/. Two things outlive one run and are taken as immutable by the
# next, because the version (0.1.0) has not changed: the sources cargo extracted from that
# registry into $CARGO_HOME/registry/src/-<hash of its path>/, and the build of them in the
# target folder. A second run at the same path then verifies today's crate against an earlier
# run's copy of its dependency (it failed CI that way: `no send_again in the root`). So this
# drops those extractions and verifies in a target folder of its own, emptied first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
# First line: the target folder; then the workspace's crates, one a line.
mapfile -t meta < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(m["target_directory"])
for p in m["packages"]:
    print(p["name"])')
[ ${#meta[@]} -gt 1 ] || { echo "publish-check: cargo metadata gave no target folder or crates" >&2; exit 1; }
target_dir=${meta[0]}
crates=("${meta[@]:1}")
shopt -s nullglob
for crate in "${crates[@]}"; do
  # Local registries have no host, so their folders start with "-"; crates.io's never do.
  for stale in "$cargo_home"/registry/src/-*/"$crate"-[0-9]*; do
    rm -rf "$stale"
  done
done
check_dir="$target_dir/publish-check"
rm -rf "$check_dir" "$target_dir/package"
CARGO_TARGET_DIR="$check_dir" cargo publish --workspace --dry-run --locked "$@"
