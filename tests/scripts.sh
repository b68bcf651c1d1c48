#!/bin/sh
# The project's own scripts keep their promises.  Ends with "N passed, N failed".
#   bench/instructions.sh: a command that fails gives no figure and exit 1;
#   one that works gives one figure and exit 0.
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
out=$(sh bench/instructions.sh failing 2 sh -c 'exit 3' 2>/dev/null); rc=$?
if [ $rc -ne 0 ] && ! echo "$out" | grep -q "instructions per handshake"; then
    ok "instructions.sh: a failing command gives no figure (exit $rc)"
else
    bad "instructions.sh: a failing command gave exit $rc and: $out"
fi
out=$(sh bench/instructions.sh working 2 sh -c 'exit 0' 2>/dev/null); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "working .* instructions per handshake"; then
    ok "instructions.sh: a working command gives its figure"
else
    bad "instructions.sh: a working command gave exit $rc and: $out"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
