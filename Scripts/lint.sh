#!/usr/bin/env bash
# The fast checks, in seconds and without a build: formatting (`swift format lint --strict`, configured by
# `.swift-format`), and Package.swift's dependencies against what each target imports. Fails on any finding.
# Run by `.ci/run` before the tests and by `Scripts/check.sh`. To fix formatting: `swift format format -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0

echo "== format (swift format lint --strict)"
if ! swift format lint --strict --recursive --parallel Sources Tests Package.swift; then
    echo "format: fix the findings above (swift format format -i FILE does the layout; summaries by hand)"
    status=1
fi

echo "== Package.swift dependencies against imports"
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
swift package dump-package >"$manifest"
if ! python3 - "$manifest" <<'PY'; then
import json, os, re, sys

manifest = json.load(open(sys.argv[1]))
targets = {t["name"]: t for t in manifest["targets"]}
# Imported but never declared: the toolchain's own modules.
toolchain = {"Foundation", "Dispatch", "Synchronization", "Testing", "XCTest", "Glibc", "Darwin", "os"}
# Declared but never imported, on purpose: a test target that runs a built executable.
built_only = {("TollgateCLITests", "tollgate")}
import_line = re.compile(
    r"^[ \t]*(?:@\w+[ \t]+)*(?:(?:public|internal|package)[ \t]+)?import[ \t]+"
    r"(?:(?:struct|class|enum|protocol|func|var|let|typealias)[ \t]+)?(\w+)",
    re.M,
)
problems = []
for name, target in targets.items():
    if target["type"] == "system":
        continue
    folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
    imported = set()
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in
                   [os.path.join(folder, e) for e in target.get("exclude", [])]]
        for file in files:
            if file.endswith(".swift"):
                imported |= set(import_line.findall(open(os.path.join(root, file), encoding="utf-8").read()))
    declared = {next(iter(d.values()))[0] for d in target["dependencies"]}
    for module in sorted(imported - declared - toolchain - {name}):
        if module in targets:
            problems.append(f"{name} imports {module} but Package.swift does not list it")
    for module in sorted(declared - imported):
        if (name, module) not in built_only:
            problems.append(f"{name} lists {module} in Package.swift but no file of it imports {module}")
for problem in problems:
    print("  " + problem)
sys.exit(1 if problems else 0)
PY
    echo "dependencies: make each target's list in Package.swift the modules its files import"
    status=1
fi

exit "$status"
