/*
 * hello.c - the ClientHello as a Lua table (hs:client_hello()) and a server's
 * on_client_hello callback.
 *
 * The callback runs inside tlshs_step (or read, write, shutdown, pair) on the
 * lua_State that made that call: the core calls ltlshs_hello_cb, which finds
 * the state and the handshake userdata in the lhandshake (set for the call's
 * duration by ltlshs_enter) and runs the Lua function under lua_pcall, so no
 * Lua error ever unwinds through the core's C frames.  An error in the
 * function, or an answer that is neither nil, a server config, an alert name
 * nor an alert code, refuses the client with internal_error and becomes the
 * handshake's error (tlshs_set_hello_reason).
 */
#include <limits.h>
#include <string.h>

#include "ltlshs.h"

#define INTERNAL_ERROR_ALERT 80 /* what a failed callback refuses with (tlshs.h) */

static void push_u16s(lua_State *L, const uint16_t *v, size_t n, const char *field) {
    lua_createtable(L, n > INT_MAX ? 0 : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, field);
}

static void push_field_string(lua_State *L, const char *s, const char *field) {
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, field);
}

/* Pushes the table of a parsed ClientHello (fields as tlshs_hello's). */
static void push_hello(lua_State *L, const tlshs_hello *h) {
    lua_createtable(L, 0, 13);
    lua_pushinteger(L, h->legacy_version);
    lua_setfield(L, -2, "legacy_version");
    push_u16s(L, h->versions, h->n_versions, "versions");
    push_u16s(L, h->ciphers, h->n_ciphers, "ciphers");
    push_u16s(L, h->extensions, h->n_extensions, "extensions");
    push_u16s(L, h->groups, h->n_groups, "groups");
    push_u16s(L, h->key_shares, h->n_key_shares, "key_shares");
    push_u16s(L, h->sigalgs, h->n_sigalgs, "sigalgs");
    push_field_string(L, h->server_name, "server_name");
    lua_createtable(L, h->n_alpn > INT_MAX ? 0 : (int)h->n_alpn, 0);
    for (size_t i = 0; i < h->n_alpn; i++) {
        lua_pushstring(L, h->alpn[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "alpn");
    push_field_string(L, h->ja3, "ja3");
    push_field_string(L, h->ja3_hash, "ja3_hash");
    push_field_string(L, h->ja4, "ja4");
    lua_pushlstring(L, (const char *)h->raw, h->raw_len);
    lua_setfield(L, -2, "raw");
    if (h->cookie) { /* DTLS only: "" in a first ClientHello; TLS: no field */
        lua_pushlstring(L, (const char *)h->cookie, h->cookie_len);
        lua_setfield(L, -2, "cookie");
    }
}

/* hs:client_hello() -> table | nil */
static int hs_client_hello(lua_State *L) {
    lhandshake *h = ltlshs_check_hs(L, 1);
    const tlshs_hello *hello = tlshs_client_hello(h->hs);
    if (!hello)
        lua_pushnil(L);
    else
        push_hello(L, hello);
    return 1;
}

/* The alert an answer at idx names: a name (by the core's table) or a code
 * 1..255; raises for anything else (0 is close_notify, which refuses nothing). */
static int answer_alert(lua_State *L, int idx) {
    lua_Integer code = -1;
    if (lua_type(L, idx) == LUA_TSTRING) {
        code = tlshs_alert_from_name(lua_tostring(L, idx));
        if (code < 0)
            luaL_error(L, "on_client_hello: no alert is named '%s'", lua_tostring(L, idx));
    } else if (lua_isinteger(L, idx)) {
        code = lua_tointeger(L, idx);
    } else {
        luaL_error(L,
                   "on_client_hello must answer nil, a server config, or an alert name or code; "
                   "got %s",
                   luaL_typename(L, idx));
    }
    if (code < 1 || code > 255)
        luaL_error(L,
                   "on_client_hello: an alert code is 1..255 (0, close_notify, refuses nothing)");
    return (int)code;
}

typedef struct {
    const tlshs_hello *hello;
    lhandshake *h;
} hello_call;

/*
 * Runs protected: (light hello_call, handshake userdata) -> the callback's
 * answer as an integer: 0 (go on, or switched to the config it answered) or
 * the alert to refuse with.
 */
static int call_hello(lua_State *L) {
    const hello_call *call = lua_touserdata(L, 1);
    const tlshs_hello *hello = call->hello;
    lhandshake *h = call->h;
    lua_getiuservalue(L, 2, HS_UV_HELLO); /* 3 */
    push_hello(L, hello);
    lua_call(L, 1, 1); /* 3: the answer */
    int alert = 0;
    if (lua_isnil(L, 3)) {
        alert = 0;
    } else if (luaL_testudata(L, 3, TLSHS_CONFIG_MT)) {
        lconfig *c = lua_touserdata(L, 3);
        if (!c->cfg) return luaL_error(L, "on_client_hello answered a closed config");
        /* the core holds its own reference to the config from here on */
        if (tlshs_use_config(h->hs, c->cfg) != 0) {
            lua_pushfstring(L, "on_client_hello answered a config it cannot use: %s",
                            tlshs_usage_error(h->hs));
            h->inner_refusal = 1; /* the handshake fails; the call that runs this is not refused */
            return lua_error(L);
        }
    } else {
        alert = answer_alert(L, 3);
    }
    lua_pushinteger(L, alert);
    return 1;
}

/* The core's hello callback: arg is the lhandshake, busy for the call that runs it. */
int ltlshs_hello_cb(tlshs *hs, const tlshs_hello *hello, void *arg) {
    lhandshake *h = arg;
    lua_State *L = h->L;
    if (!L || !lua_checkstack(L, 8)) {
        tlshs_set_hello_reason(hs, "on_client_hello: no Lua call under way to run it in");
        return INTERNAL_ERROR_ALERT;
    }
    int top = lua_gettop(L);
    lua_pushcfunction(L, call_hello);
    hello_call call = {hello, h};
    lua_pushlightuserdata(L, &call);
    lua_pushvalue(L, h->self);
    int alert = INTERNAL_ERROR_ALERT;
    if (lua_pcall(L, 2, 1, 0) == LUA_OK) {
        alert = (int)lua_tointeger(L, -1);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        tlshs_set_hello_reason(hs, lua_tostring(L, -1));
    } else { /* an error object: say what it is, run none of its metamethods */
        lua_pushfstring(L, "on_client_hello raised a %s value", luaL_typename(L, -1));
        tlshs_set_hello_reason(hs, lua_tostring(L, -1));
    }
    lua_settop(L, top);
    return alert;
}

const luaL_Reg ltlshs_hello_methods[] = {{"client_hello", hs_client_hello}, {NULL, NULL}};
