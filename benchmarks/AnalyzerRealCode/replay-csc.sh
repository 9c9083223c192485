#!/usr/bin/env bash
# Replays one compiler invocation of a real-code build (taken from the build.log that run.sh
# wrote) with different analyzer builds, interleaved run by run, and prints ReportAnalyzer's total
# for each run with the compiler's wall and user time and the load average before and after.
#
# usage: replay-csc.sh <build.log> <project dir> <rounds> <name>=<dir with OrderedLocks.Analyzers.dll> ...
#        [--nth N]   which csc invocation of the log (default 1)
#
# The analyzer options of the logged command (/analyzer:, /analyzerconfig:, /errorlog:,
# /reportanalyzer) are removed and the output goes to a temporary folder; everything else is the
# project's own command line. Needs python3 (to split the logged command line) and GNU time.
set -euo pipefail

nth=1
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nth) nth="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

if [[ ${#args[@]} -lt 4 ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi

log="${args[0]}"; project="${args[1]}"; rounds="${args[2]}"
specs=("${args[@]:3}")
sdk_csc="$(dirname "$(command -v dotnet)")/sdk/$(dotnet --version)/Roslyn/bincore/csc.dll"
[[ -f "$sdk_csc" ]] || sdk_csc="$(dirname "$(readlink -f "$(command -v dotnet)")")/sdk/$(dotnet --version)/Roslyn/bincore/csc.dll"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

grep "bincore/csc /noconfig" "$log" | sed -n "${nth}p" | sed 's#^ *[^ ]*/bincore/csc ##' > "$work/command.txt"
[[ -s "$work/command.txt" ]] || { echo "no csc invocation number $nth in $log" >&2; exit 1; }

python3 - "$work" <<'PY'
import shlex, sys, os
work = sys.argv[1]
tokens = shlex.split(open(os.path.join(work, "command.txt")).read())
drop = ("/errorlog", "/reportanalyzer", "/analyzer:", "/analyzerconfig", "/doc:")
kept = []
for t in tokens:
    if t.startswith(drop):
        continue
    if t.startswith("/out:"):
        t = "/out:" + os.path.join(work, "out.dll")
    kept.append(t)
with open(os.path.join(work, "command.rsp"), "w") as f:
    f.write("\n".join('"' + t.replace('"', '\\"') + '"' if " " in t else t for t in kept))
PY

cd "$project"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; round++)); do
  for spec in "${specs[@]}"; do
    name="${spec%%=*}"; dir="${spec#*=}"
    out=$( { /usr/bin/time -f "TIME %e %U" dotnet "$sdk_csc" @"$work/command.rsp" /nologo /reportanalyzer /analyzer:"$dir/OrderedLocks.Analyzers.dll"; } 2>&1 || true)
    total=$(grep -o "Total analyzer execution time: [0-9.]*" <<<"$out" | grep -o "[0-9.]*$" || echo "?")
    time=$(grep "^TIME" <<<"$out" | cut -d' ' -f2-)
    printf '%s\tround %d\tanalyzer %s s\tcsc wall/user %s s\n' "$name" "$round" "$total" "$time"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
