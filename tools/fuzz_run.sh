#!/bin/bash
# Runs each libFuzzer target for a bounded time from its seed corpus
# (`make fuzz-run FUZZ_SECONDS=N`; CI runs it).  New inputs go to
# DIR/corpus/NAME (not the repository), crashes to DIR/crashes/NAME-*.
# Prints one line per target (executions, exec/s, cov, ft, corpus size)
# and fails if any target crashed, leaked or hit a sanitizer report: copy
# the crash file into tests/fuzz/corpus/NAME/ once it is fixed, so the
# unit tests replay it from then on.
#
#   tools/fuzz_run.sh DIR SECONDS NAME...
set -uo pipefail
dir=$1 secs=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/crashes"
failed=()
for name in "$@"; do
  bin=$dir/fuzz_$name
  mkdir -p "$dir/corpus/$name"
  log=$dir/$name.log
  # -close_fd_mask=3: the targets' own stdout/stderr closed (libFuzzer and
  # the sanitizers keep a copy for their reports).  timeout: a hang past
  # libFuzzer's own -timeout still ends.
  timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$dir/crashes/$name-" \
    "$dir/corpus/$name" "$top/tests/fuzz/corpus/$name" >"$log" 2>&1 </dev/null
  rc=$?
  # "#123456 DONE cov: 812 ft: 2345 corp: 120/4Kb lim: 4096 exec/s: 6172 rss: 60Mb"
  last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1)
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log")
  eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
  printf 'fuzz %-18s %3ss: %9s execs %7s exec/s  cov %5s  ft %6s  corpus %5s  %s\n' \
    "$name" "$secs" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")"
  if ((rc != 0)); then
    failed+=("$name")
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written|deadly signal' "$log" | head -n 20
    tail -n 40 "$log"
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (inputs in $dir/crashes/)"
  exit 1
fi
echo "fuzz: ${#@} targets ran ${secs}s each, no crash"
