#!/usr/bin/env bash
# Runs the OrderedLocks analyzers over real public code bases and collects every report.
#
#   run.sh --ol <OrderedLocks checkout> --out <results dir> [--label TEXT] [--no-restore] [--il]
#          [--triage-from <triage.tsv>] NAME=DIR [NAME=DIR ...]
#
# The analyzer injected is the one a package user's command-line build gets: the ReadyToRun image
# for this machine's platform (src/OrderedLocks.Analyzers.ReadyToRun; docs/packaging.md). --il
# injects the plain IL assembly instead (what IDEs load), as does a checkout without that project.
#
# NAME is a row of projects.tsv beside this script (repository, commit, project file, MSBuild
# properties); DIR is that repository's tree at that commit, extracted by you (see README.md):
#   git --git-dir=<bare snapshot> archive <commit> | tar -x -C DIR
# Nothing of those trees is kept in this repository; the script edits them in place only where
# a project cannot build here as published (prepare_* below says what and why).
#
# For each project: restore (once; --no-restore skips it), then a full rebuild (Release, no shared
# compiler server, no node reuse) with the analyzer injected through CustomAfterMicrosoftCommonTargets
# (an <Analyzer> item, a global .globalconfig raising every OL rule to warning, a SARIF error log,
# ReportAnalyzer). The source tree gets no Directory.Build.targets of ours.
#
# Output in --out:
#   summary.tsv   project, lines of C#, reports by rule, AD0001, analyzer s, build wall s, build CPU s,
#                 analyzer % of build wall, Csc task s, analyzer % of Csc, load average before/after
#   reports.tsv   project, rule, file, line, locks, message  (one row per report, ready for triage)
#   triage-draft.tsv  (with --triage-from) reports.tsv keyed like triage.tsv, verdicts carried over
#                 from an earlier triage where project, rule, file, line and locks are the same
#   <name>/       build log (detailed, with the analyzer timing table), sarif/<project>.sarif
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ol=""; out=""; label=""; restore=1; triage_from=""; il=0
specs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ol) ol=$(cd "$2" && pwd); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --no-restore) restore=0; shift ;;
    --il) il=1; shift ;;
    --triage-from) triage_from=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *=*) specs+=("$1"); shift ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$ol" && -n "$out" && ${#specs[@]} -gt 0 ]] || { echo "usage: run.sh --ol DIR --out DIR NAME=DIR... (see --help)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)" >&2; exit 2; }
mkdir -p "$out"; out=$(cd "$out" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ---- the analyzer under test --------------------------------------------------------------
olcommit=$(git -C "$ol" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n "$label" ]] || label="$olcommit"
anadir="$out/analyzer"
echo "== building the analyzer from $ol ($olcommit)"
dotnet build "$ol/src/OrderedLocks.Analyzers/OrderedLocks.Analyzers.csproj" -c Release -o "$anadir" -v q -nologo >"$out/analyzer-build.log" 2>&1 \
  || { tail -20 "$out/analyzer-build.log"; exit 1; }
dll="$anadir/OrderedLocks.Analyzers.dll"
r2rproj="$ol/src/OrderedLocks.Analyzers.ReadyToRun/OrderedLocks.Analyzers.ReadyToRun.csproj"
if [[ $il == 0 && -f "$r2rproj" ]]; then
  dotnet build "$r2rproj" -c Release -v q -nologo >>"$out/analyzer-build.log" 2>&1 || { tail -20 "$out/analyzer-build.log"; exit 1; }
  rid=$(dotnet msbuild "$r2rproj" -getProperty:NETCoreSdkRuntimeIdentifier)
  image=$(find "$(dirname "$r2rproj")/bin/Release" -path "*/r2r/$rid/OrderedLocks.Analyzers.dll" | head -1)
  [[ -n "$image" ]] || { echo "no ReadyToRun image for $rid was built (see $out/analyzer-build.log)" >&2; exit 1; }
  mkdir -p "$anadir/readytorun-$rid" && cp "$image" "$anadir/readytorun-$rid/"
  dll="$anadir/readytorun-$rid/OrderedLocks.Analyzers.dll"
  echo "== injecting the ReadyToRun image for $rid (--il for the plain assembly)"
fi

# Every OL rule the analyzer declares, raised to warning (global_level 100 wins over a project's
# own global configs; a global config also outranks nothing in .editorconfig sections, so the
# rules are not left at a project's "none").
rules=$(grep -ho '"OL[0-9]\{4\}"' "$ol/src/OrderedLocks.Analyzers/RuleIdentifiers.cs" | tr -d '"' | sort -u)
gc="$out/orderedlocks.globalconfig"
{ echo "is_global = true"; echo "global_level = 100"; for r in $rules; do echo "dotnet_diagnostic.$r.severity = warning"; done; } >"$gc"

inject="$out/inject.targets"
cat >"$inject" <<EOF
<Project>
  <!-- Imported after Microsoft.Common.targets of every project of the build (CustomAfterMicrosoftCommonTargets). -->
  <ItemGroup>
    <Analyzer Include="$dll" />
    <GlobalAnalyzerConfigFiles Include="$gc" />
  </ItemGroup>
  <PropertyGroup>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
    <CodeAnalysisTreatWarningsAsErrors>false</CodeAnalysisTreatWarningsAsErrors>
    <ErrorLog>\$(OLBenchOut)/\$(MSBuildProjectName).sarif,version=2.1</ErrorLog>
    <ReportAnalyzer>true</ReportAnalyzer>
  </PropertyGroup>
  <!-- Which folder each analyzed project lives in (its lines of C# are counted from there). -->
  <Target Name="OLBenchRecordProject" BeforeTargets="CoreCompile" Condition="'\$(OLBenchOut)' != ''">
    <MakeDir Directories="\$(OLBenchOut)" />
    <WriteLinesToFile File="\$(OLBenchOut)/\$(MSBuildProjectName).dir" Lines="\$(MSBuildProjectDirectory)" Overwrite="true" />
  </Target>
</Project>
EOF

# ---- projects whose published tree does not build here as is -------------------------------
prepare_vsthreading() { # $1 = tree
  local d=$1
  # nuget.config points only at a private feed; global.json pins an SDK patch band (rollForward patch).
  rm -f "$d/nuget.config" "$d/global.json"
  # Global analyzers / build tools NuGet does not serve (or that need a git repository).
  perl -ni -e 'print unless /GlobalPackageReference Include="(CSharpIsNullAnalyzer|Microsoft\.VisualStudio\.Internal\.MicroBuild\.VisualStudio|Nerdbank\.GitVersioning)"/' "$d/Directory.Packages.props"
  # CsWin32 (not served) generates the P/Invoke surface from NativeMethods.txt; declare the few
  # members the library uses instead (bodies throw: the code is compiled and analyzed, never run).
  local p="$d/src/Microsoft.VisualStudio.Threading"
  perl -ni -e 'print unless /Include="Microsoft\.Windows\.CsWin32"/' "$p/Microsoft.VisualStudio.Threading.csproj"
  cat >"$p/OlBenchWin32Surface.cs" <<'CS'
// Written by OrderedLocks' benchmarks/AnalyzerRealCode/run.sh: stands in for the CsWin32 output.
#pragma warning disable
namespace Windows.Win32.Foundation
{
    internal struct HANDLE { internal global::System.IntPtr Value; }
    internal enum WIN32_ERROR : uint { NO_ERROR = 0 }
}
namespace Windows.Win32.System.Registry
{
    [global::System.Flags]
    internal enum REG_NOTIFY_FILTER : uint
    {
        REG_NOTIFY_CHANGE_NAME = 1, REG_NOTIFY_CHANGE_ATTRIBUTES = 2, REG_NOTIFY_CHANGE_LAST_SET = 4,
        REG_NOTIFY_CHANGE_SECURITY = 8, REG_NOTIFY_THREAD_AGNOSTIC = 0x10000000,
    }
}
namespace Windows.Win32
{
    internal static unsafe class PInvoke
    {
        internal static Foundation.WIN32_ERROR RegNotifyChangeKeyValue(global::System.Runtime.InteropServices.SafeHandle key, bool watchSubtree, global::Windows.Win32.System.Registry.REG_NOTIFY_FILTER filter, global::System.Runtime.InteropServices.SafeHandle evt, bool asynchronous) => throw new global::System.PlatformNotSupportedException();
        internal static uint WaitForMultipleObjects(uint count, Foundation.HANDLE* handles, bool waitAll, uint milliseconds) => throw new global::System.PlatformNotSupportedException();
    }
}
CS
}
prepare_redis() { # build the two libraries for net10.0 only (the published list has six TFMs, down to net461)
  perl -pi -e 's{<TargetFrameworks>[^<]*</TargetFrameworks>}{<TargetFrameworks>net10.0</TargetFrameworks>}' \
    "$1/src/StackExchange.Redis/StackExchange.Redis.csproj" "$1/src/RESPite/RESPite.csproj"
}
prepare_asyncex() { # Microsoft.CodeAnalysis.FxCopAnalyzers 3.3.0 is not served (deprecated); drop it.
  perl -0pi -e 's{<PackageReference Include="Microsoft\.CodeAnalysis\.FxCopAnalyzers".*?</PackageReference>}{}s' "$1/src/Directory.Build.props"
}

prepare_reactive() { # Nerdbank.GitVersioning needs a git repository (the tree is an archive): dropped.
  perl -0pi -e 's{<PackageReference\s+Include="Nerdbank\.GitVersioning".*?/>}{}s' "$1/Rx.NET/Source/Directory.build.props"
}

prepare_rabbitmq() { # its global.json pins SDK 8.0.x (roll-forward within 8.0 only): removed.
  rm -f "$1/global.json"
}

# ---- one project -----------------------------------------------------------------------------
printf 'project\tcommit\tlines\treports\tby_rule\tAD0001\tanalyzer_s\tbuild_wall_s\tbuild_cpu_s\tanalyzer_pct_of_build\tcsc_s\tanalyzer_pct_of_csc\tload_before\tload_after\tanalyzer_commit\n' >"$out/summary.tsv"
printf 'project\trule\tfile\tline\tlocks\tmessage\n' >"$out/reports.tsv"

for spec in "${specs[@]}"; do
  name=${spec%%=*}; tree=$(cd "${spec#*=}" && pwd)
  row=$(awk -F'\t' -v n="$name" '$1 == n' "$here/projects.tsv")
  [[ -n "$row" ]] || { echo "'$name' is not a row of projects.tsv" >&2; exit 2; }
  commit=$(cut -f3 <<<"$row"); proj=$(cut -f4 <<<"$row"); props=$(cut -f5 <<<"$row")
  log="$out/$name"; mkdir -p "$log"
  echo "== $name ($(cut -f2 <<<"$row") @ ${commit:0:12}): $proj $props"
  if [[ ! -f "$tree/.olbench-prepared" ]]; then
    if declare -F "prepare_$name" >/dev/null; then "prepare_$name" "$tree"; fi
    touch "$tree/.olbench-prepared"
  fi
  # shellcheck disable=SC2086
  common=(-p:TreatWarningsAsErrors=false $props)
  if [[ $restore == 1 ]]; then
    (cd "$tree" && dotnet restore "$proj" "${common[@]}" >"$log/restore.log" 2>&1) || { tail -20 "$log/restore.log"; exit 1; }
  fi
  rm -rf "$log/sarif"; mkdir -p "$log/sarif"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  set +e
  (cd "$tree" && /usr/bin/time -f '%U %S' -o "$log/cpu.txt" dotnet build "$proj" -c Release --no-restore --no-incremental \
      "${common[@]}" -p:UseSharedCompilation=false -nodeReuse:false \
      "-p:CustomAfterMicrosoftCommonTargets=$inject" "-p:OLBenchOut=$log/sarif" -v q -nologo \
      "-flp:logfile=$log/build.log;verbosity=detailed;PerformanceSummary" >"$log/console.log" 2>&1)
  rc=$?
  set -e
  end=$(date +%s.%N)
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  if [[ $rc != 0 ]]; then echo "   build FAILED (rc $rc):"; grep -E ' error ' "$log/console.log" | sort -u | head -10; continue; fi

  mapfile -t sarifs < <(find "$log/sarif" -name '*.sarif' | sort)
  [[ ${#sarifs[@]} -gt 0 ]] || { echo "   no SARIF written: was the analyzer injected?"; continue; }
  : >"$log/reports.tsv"; lines=0
  for s in "${sarifs[@]}"; do
    pdir=$(cat "${s%.sarif}.dir")
    # Lines of C# of that project: every .cs under its folder outside bin/ and obj/.
    n=$(find "$pdir" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -print0 | xargs -0 cat | wc -l)
    lines=$((lines + n))
    # One row per OL report (and any AD0001 an analyzer of ours threw). locks: for OL0001 the locks
    # of the cycle, for OL0003 the field, otherwise every quoted name of the message; sorted, '|'.
    jq -r --arg root "$tree/" --arg p "$name" '
      .runs[].results[]
      | select((.ruleId | startswith("OL")) or (.ruleId == "AD0001" and (.message.text | test("OrderedLocks"))))
      | (.message.text) as $m
      | (.locations[0].physicalLocation // {}) as $loc
      | (if .ruleId == "OL0001" then [($m | sub("^[^:]*: "; "") | split(";")[0]) | scan("\u0027([^\u0027]+)\u0027") | .[0]]
         elif .ruleId == "OL0003" then [$m | scan("\u0027([^\u0027]+)\u0027") | .[0]][0:1]
         else [$m | scan("\u0027([^\u0027]+)\u0027") | .[0]] end | unique | join("|")) as $locks
      | [$p, .ruleId,
         (($loc.artifactLocation.uri // "") | sub("^file://"; "") | ltrimstr($root)),
         ($loc.region.startLine // 0 | tostring), $locks,
         ($m | gsub("[\t\r\n]"; " "))] | @tsv' "$s" >>"$log/reports.tsv"
  done
  sort -t$'\t' -k2,2 -k3,3 -k4,4n -k5,5 "$log/reports.tsv" >>"$out/reports.tsv"

  total=$(wc -l <"$log/reports.tsv")
  byrule=$(cut -f2 "$log/reports.tsv" | sort | uniq -c | awk '{printf "%s%s:%s", (NR>1?" ":""), $2, $1}')
  ad=$( (grep -c $'\tAD0001\t' "$log/reports.tsv" || true) )
  # ReportAnalyzer: one "<seconds> <pct> OrderedLocks.Analyzers, Version=..." line per compilation.
  ana=$(grep -E '^\s+[0-9.]+\s+(<1|[0-9]+)\s+OrderedLocks\.Analyzers, Version=' "$log/build.log" | awk '{s+=$1} END {printf "%.3f", s}')
  csc=$(grep -E '^\s+[0-9]+ ms\s+Csc\s' "$log/build.log" | tail -1 | awk '{printf "%.3f", $1/1000}')
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b-a}')
  cpu=$(awk '{printf "%.1f", $1+$2}' "$log/cpu.txt")
  pct=$(awk -v a="$ana" -v b="$wall" 'BEGIN {printf "%.1f", 100*a/b}')
  pctc=$(awk -v a="$ana" -v b="$csc" 'BEGIN {if (b > 0) printf "%.1f", 100*a/b; else print "n/a"}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${commit:0:12}" "$lines" "$total" "${byrule:-none}" "$ad" \
    "$ana" "$wall" "$cpu" "$pct" "$csc" "$pctc" "$load_before" "$load_after" "$olcommit" >>"$out/summary.tsv"
  echo "   $lines lines of C#; $total reports (${byrule:-none}); AD0001: $ad; analyzer ${ana}s of a ${wall}s build (${pct}%, CPU ${cpu}s; Csc ${csc}s -> ${pctc}%); load $load_before -> $load_after"
done

# ---- carry earlier verdicts over ---------------------------------------------------------------
if [[ -n "$triage_from" ]]; then
  "$here/merge-triage.sh" "$triage_from" "$out/reports.tsv" "$olcommit" >"$out/triage-draft.tsv"
  echo "== triage draft: $out/triage-draft.tsv ($(grep -c $'\tTODO\t' "$out/triage-draft.tsv" || true) reports still to read)"
fi
echo "== $label: $out/summary.tsv, $out/reports.tsv"
column -t -s$'\t' "$out/summary.tsv"
