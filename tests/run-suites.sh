#!/bin/sh
# Runs every test suite through make, even after one fails, and ends with one
# line that adds them up: "total: N passed, N failed".  Exits 1 if any failed.
# Usage: sh tests/run-suites.sh [make-command]
MAKE_CMD=${1:-make}
SUITES=${TLSHS_SUITES:-"test-c test-c-asan test-c-tsan test-c-valgrind test-fuzz test-man test-python test-lua"}
LOGS=build/test-logs
mkdir -p "$LOGS"
total_pass=0
total_fail=0
failed_suites=
for s in $SUITES; do
    echo "=== $s"
    log="$LOGS/$s.log"
    $MAKE_CMD --no-print-directory "$s" > "$log" 2>&1
    rc=$?
    cat "$log"
    # The suites' own closing lines: ours ("N passed, N failed"), pytest's
    # ("== 3 passed, 1 failed in 0.2s =="), busted's ("3 successes / 1 failures / 0 errors").
    counts=$(awk '
        /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3; seen = 1 }
        /^=+ .* in [0-9.]+s/ {
            line = $0; p = 0; f = 0; seen = 1
            n = split(line, w, /[ ,]+/)
            for (i = 2; i <= n; i++) {
                if (w[i] ~ /^passed/) p = w[i-1]
                if (w[i] ~ /^(failed|error|errors)$/) f += w[i-1]
            }
        }
        /^[0-9]+ successes? \/ [0-9]+ failures? \/ [0-9]+ errors?/ { p = $1; f = $4 + $7; seen = 1 }
        END { if (seen) print p + 0, f + 0; else print "none" }' "$log")
    if [ "$counts" = none ]; then
        pass=0; fail=0
        [ $rc -ne 0 ] && fail=1
    else
        pass=${counts% *}; fail=${counts#* }
        [ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
    fi
    echo "--- $s: $pass passed, $fail failed (exit $rc)"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    [ "$fail" -ne 0 ] && failed_suites="$failed_suites $s"
done
[ -n "$failed_suites" ] && echo "failing suites:$failed_suites"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
