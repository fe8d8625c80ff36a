#!/usr/bin/env bash
# Runs every suite — native (ctest over GoogleTest) and .NET (dotnet test) — and ends with one line
# of totals: "N passed, N failed, N skipped". Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
CONFIGURATION=${CONFIGURATION:-Release}
results=$(pwd)/$BUILD_DIR/test-results
rm -rf "$results" && mkdir -p "$results"

status=0
echo "== native suites (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --output-junit "$results/native.junit.xml" || status=1

echo "== .NET suites (dotnet test)"
dotnet test Traductor.sln -c "$CONFIGURATION" --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=1

python3 - "$results" <<'PY' || status=1
import glob, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
passed = failed = skipped = 0
for f in glob.glob(d + "/*.junit.xml"):
    for case in ET.parse(f).getroot().iter("testcase"):
        st = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or st == "fail":
            failed += 1
        elif case.find("skipped") is not None or st in ("notrun", "disabled"):
            skipped += 1
        else:
            passed += 1
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
trx = glob.glob(d + "/**/*.trx", recursive=True)
for f in trx:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    # skipped tests are the ones counted in total but never executed
    skipped += int(c.get("total", 0)) - int(c.get("executed", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $status
