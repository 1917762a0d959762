#!/usr/bin/env bash
# Re-fetches the vendored front-end libraries from the npm registry at their pinned versions and
# checks the tarballs against the recorded integrity. Run from the repository root: make vendor
set -euo pipefail
ECHARTS=5.6.0
HTMX=2.0.11
ECHARTS_SRI=sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==
HTMX_SRI=sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { # tarball expected-sri
  got="sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  [ "$got" = "$2" ] || { echo "integrity mismatch for $1: got $got want $2" >&2; exit 1; }
}
(cd "$tmp" && npm pack --silent "echarts@$ECHARTS" "htmx.org@$HTMX" >/dev/null)
check "$tmp/echarts-$ECHARTS.tgz" "$ECHARTS_SRI"
check "$tmp/htmx.org-$HTMX.tgz" "$HTMX_SRI"
mkdir -p "$tmp/e" "$tmp/h"
tar xzf "$tmp/echarts-$ECHARTS.tgz" -C "$tmp/e"
tar xzf "$tmp/htmx.org-$HTMX.tgz" -C "$tmp/h"
cp "$tmp/e/package/dist/echarts.min.js" "static/vendor/echarts-$ECHARTS.min.js"
cp "$tmp/e/package/LICENSE" static/vendor/echarts.LICENSE
cp "$tmp/h/package/dist/htmx.min.js" "static/vendor/htmx-$HTMX.min.js"
cp "$tmp/h/package/LICENSE" static/vendor/htmx.LICENSE
echo "vendored echarts $ECHARTS and htmx $HTMX"
