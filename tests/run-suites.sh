#!/bin/sh
# Runs every test suite through make, even after one fails, and ends with one
# line that adds them up: "total: N passed, N failed, N skipped" (a skipped
# test prints its reason in its suite's log).  Exits 1 if any failed.
# Usage: sh tests/run-suites.sh [make-command]
MAKE_CMD=${1:-make}
SUITES=${TLSHS_SUITES:-"test-c test-c-asan test-c-tsan test-c-valgrind test-fuzz test-man test-layers test-scripts test-demo test-python test-python-asan test-lua test-lua-asan test-openssl35"}
LOGS=build/test-logs
mkdir -p "$LOGS"
total_pass=0
total_fail=0
total_skip=0
failed_suites=
for s in $SUITES; do
    echo "=== $s"
    log="$LOGS/$s.log"
    $MAKE_CMD --no-print-directory "$s" > "$log" 2>&1
    rc=$?
    cat "$log"
    # The suites' own closing lines: ours ("N passed, N failed"), pytest's
    # ("== 3 passed, 1 failed, 1 skipped in 0.2s =="), busted's ("3 successes /
    # 1 failures / 0 errors / 1 pending").
    counts=$(awk '
        /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3; k = ($6 ~ /^skipped/) ? $5 : 0; seen = 1 }
        /^=+ .* in [0-9.]+s/ {
            line = $0; p = 0; f = 0; k = 0; seen = 1
            n = split(line, w, /[ ,]+/)
            for (i = 2; i <= n; i++) {
                if (w[i] ~ /^passed/) p = w[i-1]
                if (w[i] ~ /^(failed|error|errors)$/) f += w[i-1]
                if (w[i] ~ /^skipped/) k = w[i-1]
            }
        }
        /^[0-9]+ successes? \/ [0-9]+ failures? \/ [0-9]+ errors?/ {
            p = $1; f = $4 + $7; k = ($11 ~ /^pending/) ? $10 : 0; seen = 1
        }
        END { if (seen) print p + 0, f + 0, k + 0; else print "none" }' "$log")
    if [ "$counts" = none ]; then
        pass=0; fail=0; skip=0
        [ $rc -ne 0 ] && fail=1
    else
        set -- $counts
        pass=$1; fail=$2; skip=$3
        [ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
    fi
    echo "--- $s: $pass passed, $fail failed, $skip skipped (exit $rc)"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
    [ "$fail" -ne 0 ] && failed_suites="$failed_suites $s"
done
[ -n "$failed_suites" ] && echo "failing suites:$failed_suites"
echo "total: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
