#!/bin/sh
# Instructions per handshake, counted by valgrind's callgrind: the same on
# every run and whatever else the machine does, so small differences that
# wall time hides in noise show.  Runs COMMAND once with --count N and once
# with --count 0 (start-up, set-up and one warm-up handshake) and divides the
# difference by N.
#   usage: bench/instructions.sh LABEL N COMMAND...   (COMMAND takes --count)
set -eu
label=$1; n=$2; shift 2
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
with=$(count "$@" --count "$n")
without=$(count "$@" --count 0)
[ -n "$with" ] && [ -n "$without" ] || { echo "instructions.sh: callgrind gave no count" >&2; exit 1; }
per=$(( (with - without) / n ))
printf '   %-28s %12d instructions per handshake (client+server; %d counted)\n' "$label" "$per" "$n"
