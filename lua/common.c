/*
 * common.c - the ground floor of the Lua binding: what every other file of
 * lua/ uses and nothing here uses back.  The results as Lua strings, the
 * checks of the config and handshake userdata, the busy mark of a handshake
 * during a call, the nil-message-code answer of an expected failure, and how
 * a refused call is seen and raised.
 */
#include <string.h>

#include "ltlshs.h"

/* ---- results: from TLSHS_RESULTS; result r is upvalue r of every function ---- */

#define RESULT_LUA_NAME(value, NAME, lua_name) [value] = #lua_name,
static const char *const result_names[TLSHS_RESULT_MAX + 1] = {TLSHS_RESULTS(RESULT_LUA_NAME)};
#undef RESULT_LUA_NAME

/* Any value outside the list (the core answers none) reads as closed. */
static tlshs_result known_result(tlshs_result r) {
    return r >= 1 && r <= TLSHS_RESULT_MAX ? r : TLSHS_CLOSED;
}

const char *ltlshs_result_name(tlshs_result r) {
    return result_names[known_result(r)];
}

int ltlshs_push_result(lua_State *L, tlshs_result r) {
    lua_pushvalue(L, lua_upvalueindex((int)known_result(r)));
    return 1;
}

/* ---- values and answers ---- */

void ltlshs_push_string_or_nil(lua_State *L, const char *s) {
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
}

const char *ltlshs_push_printable(lua_State *L, const char *s, size_t len) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        if (s[i])
            luaL_addchar(&b, s[i]);
        else
            luaL_addstring(&b, "\\0");
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

int ltlshs_fail(lua_State *L, tlshs_code code) {
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushstring(L, tlshs_code_name(code));
    return 3;
}

const char *ltlshs_check_bytes(lua_State *L, int arg, size_t *len) {
    if (lua_type(L, arg) != LUA_TSTRING) luaL_typeerror(L, arg, "string");
    return lua_tolstring(L, arg, len);
}

/* ---- the userdata ---- */

lconfig *ltlshs_check_config(lua_State *L, int arg) {
    lconfig *c = luaL_checkudata(L, arg, TLSHS_CONFIG_MT);
    if (!c->cfg) luaL_argerror(L, arg, "config is closed");
    return c;
}

lhandshake *ltlshs_check_hs(lua_State *L, int arg) {
    lhandshake *h = luaL_checkudata(L, arg, TLSHS_HS_MT);
    if (!h->hs) luaL_argerror(L, arg, "handshake is closed");
    return h;
}

/* The handshake at arg, refused while one of its callbacks runs (a callback
 * may look at its handshake, never move it or free it). */
lhandshake *ltlshs_check_idle(lua_State *L, int arg) {
    lhandshake *h = ltlshs_check_hs(L, arg);
    if (h->L) luaL_argerror(L, arg, "handshake is busy (called from inside its own callback)");
    return h;
}

/* Marks h busy for a call from L, where h is the userdata at index self. */
void ltlshs_enter(lhandshake *h, lua_State *L, int self) {
    h->L = L;
    h->self = lua_absindex(L, self);
    h->inner_refusal = 0;
}

void ltlshs_leave(lhandshake *h) {
    h->L = NULL;
    h->self = 0;
}

/*
 * Refusals.  The core answers a refused step, read, write or move with the
 * last result, as if nothing happened, and says why in its usage code,
 * which every call that can be refused clears when it starts: after such a
 * call the code is TLSHS_OK unless that call was refused.  One exception the
 * binding tracks: a call the on_client_hello callback made (tlshs_use_config
 * in hello.c) may be refused inside a call that was not; the callback marks
 * it, and ltlshs_enter clears the mark.
 */
int ltlshs_refused(const lhandshake *h) {
    return tlshs_usage_code(h->hs) != TLSHS_OK && !h->inner_refusal;
}

int ltlshs_raise_refusal(lua_State *L, tlshs *hs) {
    lua_pushstring(L, tlshs_usage_error(hs));
    return lua_error(L);
}
