#!/usr/bin/env bash
# ampere-core must stay sans-IO: its normal dependency tree may only hold the allowed crates.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed='^(ampere-core|serde|serde_core|serde_derive|serde_json|thiserror|thiserror-impl|memchr|simdutf8|itoa|ryu|zmij|proc-macro2|quote|syn|unicode-ident|simd-json|value-trait|halfbrown|hashbrown|foldhash|equivalent|allocator-api2|float-cmp|num-traits)$'
bad=$(cargo tree -p ampere-core -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "ampere-core depends on crates outside its allow-list:"; echo "$bad"; exit 1
fi
hits=$(grep -rnE 'std::process|std::fs|std::net|std::thread|Instant::now|SystemTime::now|env::var' core/src | grep -vE '^\S+:\s*//' || true)
if [ -n "$hits" ]; then
  echo "core/src does IO or reads a clock:"; echo "$hits"; exit 1
fi
echo "ampere-core is pure: $(cargo tree -p ampere-core -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | tr '\n' ' ')"
