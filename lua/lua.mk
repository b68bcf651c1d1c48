# Lua binding (issue 4): targets lua, test-lua, install-lua, bench-lua, clean-lua.
.PHONY: lua test-lua install-lua bench-lua clean-lua
lua:
test-lua:
install-lua:
bench-lua:
clean-lua:
