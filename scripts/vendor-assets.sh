#!/usr/bin/env bash
# Refresh vendored front-end files from the npm registry (pinned versions); run by a developer,
# never at run time: the app serves the files from the package, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
ECHARTS=6.1.0
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "echarts@$ECHARTS" --silent >/dev/null && tar xzf "echarts-$ECHARTS.tgz")
dest=src/precinct/web/static/vendor/echarts
mkdir -p "$dest"
cp "$tmp/package/dist/echarts.min.js" "$tmp/package/LICENSE" "$dest/"
echo "$ECHARTS" > "$dest/VERSION"
sha256sum "$dest/echarts.min.js"
rm -rf "$tmp"
