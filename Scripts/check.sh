#!/usr/bin/env bash
# The checks a change should pass before review: no warnings, the test suite, and the Swift 6 escape hatches
# each carrying a SAFETY note, and the fast lint (`Scripts/lint.sh`: formatting, Package.swift's dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/lint.sh

echo "== escape hatches without a SAFETY note"
bad=0
while IFS= read -r hit; do
    file=${hit%%:*}; line=${hit#*:}; line=${line%%:*}
    start=$(( line > 3 ? line - 3 : 1 ))
    if ! sed -n "${start},$(( line + 3 ))p" "$file" | grep -q "SAFETY:"; then
        echo "  $hit"; bad=1
    fi
done < <(grep -rn -E "@unchecked Sendable|nonisolated\(unsafe\)" Sources || true)
if grep -rn -E "try!" Sources; then bad=1; fi
[ "$bad" -eq 0 ] || { echo "fix the lines above"; exit 1; }

echo "== build (warnings are errors)"
swift build -Xswiftc -warnings-as-errors

echo "== tests"
swift test
