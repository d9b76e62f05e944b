#!/usr/bin/env bash
# Installs the pinned real Amp CLI (npm @ampcode/cli, native linux-x64 build) into
# .cache/amp-cli, where the conformance tests look for it (ampere_tests::real_cli).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^pub const PINNED_VERSION: &str = "\(.*\)";/\1/p' tests/src/real_cli.rs)
[ -n "$version" ] || { echo "cannot read PINNED_VERSION from tests/src/real_cli.rs"; exit 1; }
dest=.cache/amp-cli
bin="$dest/node_modules/@ampcode/cli-linux-x64/amp"
if [ -x "$bin" ] && [ "$(stat -c %s "$bin")" -gt 1000000 ]; then
  echo "amp CLI $version already in $dest"
  exit 0
fi
mkdir -p "$dest"
npm install --no-save --no-audit --no-fund --prefix "$dest" "@ampcode/cli@$version"
[ -x "$bin" ] || { echo "npm did not install the native binary at $bin"; exit 1; }
echo "installed amp CLI $version: $bin"
