#!/bin/sh
# Runs one libFuzzer target for a bounded time (what `make fuzz` calls for
# each target) and says whether it passed.
#   usage: tests/fuzz/run.sh TARGET SECONDS BUILD 'LABEL|LABEL...'
# BUILD/fuzz-TARGET reads its seeds from BUILD/fuzz-seeds/TARGET and keeps what
# it finds in BUILD/fuzz-corpus/TARGET; the whole log is BUILD/fuzz-TARGET.log.
# It passes when the fuzzer found no crash, leak, hang or broken rule, and the
# run's tally (printed by the target at exit) has a line that starts with
# every LABEL: the stages
# the seeds must reach, so a change that leaves the fuzzer knocking at the
# door (seeds in a stale format, a rule failing at once) fails too.
t=$1 seconds=$2 build=$3 reach=$4
log=$build/fuzz-$t.log
dict=
mkdir -p "$build/fuzz-corpus/$t"
[ -f "$build/fuzz-seeds/$t.dict" ] && dict=-dict=$build/fuzz-seeds/$t.dict
if ! "$build/fuzz-$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 $dict \
        -artifact_prefix="$build/fuzz-$t-" -print_final_stats=1 \
        "$build/fuzz-corpus/$t" "$build/fuzz-seeds/$t" > "$log" 2>&1; then
    tail -60 "$log"
    echo "fuzz-$t: FAILED; the input is in $build/fuzz-$t-crash-* (or leak-, timeout-), the log in $log"
    exit 1
fi
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log"
grep '^fuzz: ' "$log"
missing=
IFS='|'
for label in $reach; do
    label=$(echo "$label" | sed 's/^ *//; s/ *$//') # make's line joins leave spaces
    grep -q "^fuzz:   $label" "$log" || missing="$missing [$label]"
done
if [ -n "$missing" ]; then
    echo "fuzz-$t: FAILED; no run reached:$missing"
    exit 1
fi
echo "fuzz-$t: no crash, leak, hang or broken rule in $seconds s; reached every expected stage"
