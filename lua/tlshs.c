/*
 * tlshs.c - the Lua 5.4 binding of tlshs: `local tlshs = require "tlshs"`.
 *
 * A thin layer: it converts types, manages lifetimes and raises errors; every
 * TLS decision is the C core's (csrc/tlshs.h).  The API is documented in
 * docs/lua.md and annotated for editors in lua/meta/tlshs.lua.
 *
 * This is the top file of lua/ (lua/ltlshs.h says which file does what): it
 * makes the module from the function tables the other files export and uses
 * nothing they do not; they use only lua/common.c, never this file.
 *
 * Lists are the core's: the results and their Lua names come from
 * TLSHS_RESULTS, failure codes are named by tlshs_code_name.
 */
#include <limits.h>

#include "ltlshs.h"

int luaopen_tlshs(lua_State *L);

/* The module's constants: tlshs.WANT_READ == "want_read", ... */
#define RESULT_CONSTANT(value, NAME, lua_name) {#NAME, value},
static const struct {
    const char *constant;
    tlshs_result result;
} result_constants[] = {TLSHS_RESULTS(RESULT_CONSTANT)};
#undef RESULT_CONSTANT

#define RESULT_ONE(value, NAME, lua_name) +1
_Static_assert(0 TLSHS_RESULTS(RESULT_ONE) == TLSHS_RESULT_MAX,
               "TLSHS_RESULTS must run from 1 to TLSHS_RESULT_MAX without gaps");
#undef RESULT_ONE

/* tlshs.alert_name(code) -> "handshake_failure" (an addition to the contract);
 * an integer outside C's int is no alert: the core's name for one, as Python. */
static int l_alert_name(lua_State *L) {
    lua_Integer code = luaL_checkinteger(L, 1);
    lua_pushstring(L, tlshs_alert_name(code >= INT_MIN && code <= INT_MAX ? (int)code : -1));
    return 1;
}

static const luaL_Reg module_funcs[] = {{"alert_name", l_alert_name}, {NULL, NULL}};

/* Pushes the result names, result r as the r-th: the upvalues of every function. */
static void push_result_names(lua_State *L) {
    luaL_checkstack(L, TLSHS_RESULT_MAX, NULL);
    for (int r = 1; r <= TLSHS_RESULT_MAX; r++)
        lua_pushstring(L, ltlshs_result_name((tlshs_result)r));
}

/* Sets the functions of every table of lists (NULL-terminated) into the table
 * at the top, each with the result upvalues. */
static void set_funcs(lua_State *L, const luaL_Reg *const *lists) {
    for (; *lists; lists++) {
        push_result_names(L);
        luaL_setfuncs(L, *lists, TLSHS_RESULT_MAX);
    }
}

/* Makes metatable name with meta and, in __index, the methods of every list. */
static void new_class(lua_State *L, const char *name, const luaL_Reg *meta,
                      const luaL_Reg *const *methods) {
    luaL_newmetatable(L, name);
    push_result_names(L);
    luaL_setfuncs(L, meta, TLSHS_RESULT_MAX);
    lua_newtable(L);
    set_funcs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

int luaopen_tlshs(lua_State *L) {
    static const luaL_Reg *const config_methods[] = {ltlshs_config_methods,
                                                     ltlshs_config_cert_methods, NULL};
    static const luaL_Reg *const hs_methods[] = {ltlshs_hs_methods, ltlshs_hello_methods,
                                                 ltlshs_move_methods, NULL};
    static const luaL_Reg *const funcs[] = {ltlshs_config_funcs, ltlshs_hs_funcs, module_funcs,
                                            ltlshs_record_funcs, NULL};
    luaL_checkversion(L);
    if (tlshs_openssl_mismatch()) /* another OpenSSL 3 came first: refuse, never fall back */
        return luaL_error(L, "%s", tlshs_openssl_mismatch());
    new_class(L, TLSHS_CONFIG_MT, ltlshs_config_meta, config_methods);
    new_class(L, TLSHS_HS_MT, ltlshs_hs_meta, hs_methods);

    lua_newtable(L);
    set_funcs(L, funcs);
    ltlshs_set_content_types(L);
    for (size_t i = 0; i < sizeof result_constants / sizeof result_constants[0]; i++) {
        lua_pushstring(L, ltlshs_result_name(result_constants[i].result));
        lua_setfield(L, -2, result_constants[i].constant);
    }
    lua_pushliteral(L, TLSHS_VERSION_STRING);
    lua_setfield(L, -2, "VERSION");
    lua_pushstring(L, tlshs_openssl_version());
    lua_setfield(L, -2, "openssl_version");
    lua_pushstring(L, tlshs_openssl_built_version());
    lua_setfield(L, -2, "openssl_built_version");
    ltlshs_add_drive(L);
    return 1;
}
