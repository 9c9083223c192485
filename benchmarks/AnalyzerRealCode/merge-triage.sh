#!/usr/bin/env bash
# merge-triage.sh <earlier triage.tsv> <reports.tsv> <analyzer commit>  > triage-draft.tsv
# Lays reports.tsv (run.sh) out as triage.tsv, carrying over the verdict and reason of an earlier
# triage where project, rule, file, line and locks are the same; TODO elsewhere. Reads both the
# triage.tsv layout (with a commit column) and the older one without it.
set -euo pipefail
[[ $# == 3 ]] || { echo "usage: merge-triage.sh <earlier triage.tsv> <reports.tsv> <analyzer commit>" >&2; exit 2; }
awk -F'\t' -v OFS='\t' -v c="$3" '
  NR == FNR {
    if ($1 ~ /^#/ || $1 == "project") next
    if (NF >= 8) v[$1 FS $3 FS $4 FS $5 FS $6] = $7 OFS $8
    else v[$1 FS $2 FS $3 FS $4 FS $5] = $6 OFS $7
    next
  }
  FNR == 1 { print "project", "commit", "rule", "file", "line", "locks", "verdict", "reason"; next }
  { k = $1 FS $2 FS $3 FS $4 FS $5; print $1, c, $2, $3, $4, $5, (k in v ? v[k] : "TODO" OFS "") }
' "$1" "$2"
