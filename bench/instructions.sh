#!/bin/sh
# Instructions per handshake, counted by valgrind's callgrind: the same on
# every run and whatever else the machine does, so small differences that
# wall time hides in noise show.  Runs COMMAND once with --count N and once
# with --count 0 (start-up, set-up and one warm-up handshake) and divides the
# difference by N.  A run that fails (its exit status, or no count) prints
# its output and no figure, and exits 1.
#   usage: bench/instructions.sh LABEL N COMMAND...   (COMMAND takes --count)
set -eu
label=$1; n=$2; shift 2
# Python's string hashes are salted per process, which moves a count by about
# 0.2% from run to run; a fixed seed makes Python's figures repeatable too.
PYTHONHASHSEED=${PYTHONHASHSEED:-0}
export PYTHONHASHSEED
log=$(mktemp)
trap 'rm -f "$log"' EXIT
count() {
    if ! valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >"$log" 2>&1; then
        echo "instructions.sh: $label: the command failed: $*" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$log"
}
with=$(count "$@" --count "$n")
without=$(count "$@" --count 0)
[ -n "$with" ] && [ -n "$without" ] || { echo "instructions.sh: $label: callgrind gave no count" >&2; exit 1; }
per=$(( (with - without) / n ))
printf '   %-28s %12d instructions per handshake (client+server; %d counted)\n' "$label" "$per" "$n"
