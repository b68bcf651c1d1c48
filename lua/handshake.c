/*
 * handshake.c - tlshs.handshake and the handshake userdata: step, feed,
 * take, read, write, shutdown and what can be asked of a handshake.
 *
 * A handshake userdata owns its tlshs and holds, in its uservalues, the
 * config userdata (1) and the object that gave its fd (2), so neither is
 * collected while the handshake lives.  __gc, __close and close() share one
 * destroy that is safe to run twice.  No lua_State pointer is kept across
 * calls.
 *
 * Lua code can run in the middle of a call (an options table's __index, an fd
 * object's getfd, any finalizer at any allocation): every string whose bytes
 * are used is anchored on the stack, and what that code could change (a
 * config closed under us) is checked again after it ran.
 */
#include <limits.h>
#include <string.h>

#include "ltlshs.h"

#define READ_DEFAULT 16384 /* read()'s n when none is given (the contract's default) */
#define READ_MAX 65536     /* read(n) reads at most this much, as Python's read does */

static lhandshake *check_hs(lua_State *L) {
    return ltlshs_check_hs(L, 1);
}

static lhandshake *check_idle(lua_State *L) {
    return ltlshs_check_idle(L, 1);
}

static void hs_destroy(lhandshake *h) {
    tlshs_free(h->hs);
    h->hs = NULL;
}

/* The option fd at index idx: an integer, or an object whose getfd method answers one. */
static int option_fd(lua_State *L, int idx) {
    int t = lua_type(L, idx);
    int isint = 0;
    lua_Integer fd = t == LUA_TNUMBER ? lua_tointegerx(L, idx, &isint) : 0;
    if (!isint) {
        if (t == LUA_TUSERDATA && luaL_getmetafield(L, idx, "__index") != LUA_TNIL)
            lua_pop(L, 1);
        else if (t != LUA_TTABLE)
            return luaL_argerror(
                L, 2,
                lua_pushfstring(L, "field 'fd' must be an integer or an object with getfd, got %s",
                                luaL_typename(L, idx)));
        if (lua_getfield(L, idx, "getfd") == LUA_TNIL)
            return luaL_argerror(L, 2, "field 'fd' must be an integer or have a getfd method");
        lua_pushvalue(L, idx);
        lua_call(L, 1, 1);
        fd = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
        if (!isint) return luaL_argerror(L, 2, "field 'fd': getfd did not answer an integer");
        lua_pop(L, 1);
    }
    if (fd < 0 || fd > INT_MAX)
        return luaL_argerror(L, 2, "field 'fd' is not an open descriptor (a closed socket?)");
    return (int)fd;
}

/* The options of tlshs.handshake and the type each takes (besides nil). */
static const struct {
    const char *name;
    int type;
} hs_options[] = {
    {"server_name", LUA_TSTRING}, {"fd", LUA_TNONE}, /* an integer or an object: see option_fd */
    {"session", LUA_TSTRING},     {"trace", LUA_TBOOLEAN}, {"on_client_hello", LUA_TFUNCTION},
    {"capture", LUA_TSTRING}};
#define HS_NOPTIONS (sizeof hs_options / sizeof hs_options[0])

/* Raises unless every key of the options table (at 2) is a known option. */
static void check_option_names(lua_State *L) {
    for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
        size_t i = 0;
        if (lua_type(L, -2) == LUA_TSTRING)
            while (i < HS_NOPTIONS && strcmp(hs_options[i].name, lua_tostring(L, -2)) != 0)
                i++;
        else
            i = HS_NOPTIONS;
        if (i == HS_NOPTIONS)
            luaL_argerror(L, 2,
                          lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -2, NULL)));
    }
}

/* Pushes every option, in the order of hs_options, at 3..8; raises on a wrong type. */
static void push_options(lua_State *L) {
    for (size_t i = 0; i < HS_NOPTIONS; i++) {
        int t = lua_getfield(L, 2, hs_options[i].name);
        if (t != LUA_TNIL && hs_options[i].type != LUA_TNONE && t != hs_options[i].type)
            luaL_argerror(L, 2,
                          lua_pushfstring(L, "field '%s' must be a %s, got %s", hs_options[i].name,
                                          lua_typename(L, hs_options[i].type),
                                          luaL_typename(L, -1)));
    }
}

/* tlshs.handshake(config [, {server_name=, fd=, session=, trace=, on_client_hello=, capture=}])
 *   -> handshake | nil, message, code_name */
static int l_handshake(lua_State *L) {
    lconfig *c = ltlshs_check_config(L, 1);
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L);
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    check_option_names(L);
    push_options(L); /* 3 server_name, 4 fd, 5 session, 6 trace, 7 on_client_hello, 8 capture */

    size_t name_len = 0, session_len = 0;
    const char *server_name = lua_tolstring(L, 3, &name_len);
    if (server_name && strlen(server_name) != name_len)
        return luaL_argerror(L, 2, "field 'server_name' contains a NUL byte");
    int fd = lua_isnil(L, 4) ? -1 : option_fd(L, 4);
    const char *session = lua_tolstring(L, 5, &session_len);
    int trace = lua_toboolean(L, 6);
    int on_hello = !lua_isnil(L, 7);
    size_t capture_len = 0;
    const char *capture = lua_tolstring(L, 8, &capture_len);
    if (capture && (capture_len == 0 || strlen(capture) != capture_len))
        return luaL_argerror(L, 2, "field 'capture' must be a path (not empty, no NUL byte)");
    if (on_hello && c->role != TLSHS_SERVER)
        return luaL_argerror(L, 2, "field 'on_client_hello' is for a server's handshake");
    /* The options' __index and the fd object's getfd ran Lua code, which may have closed
     * the config. */
    if (!c->cfg) return luaL_argerror(L, 1, "config is closed");

    lhandshake *h = lua_newuserdatauv(L, sizeof *h, HS_NUV); /* 9 */
    h->hs = NULL;
    h->role = c->role;
    h->datagram = c->datagram;
    h->L = NULL;
    h->self = 0;
    h->inner_refusal = 0;
    luaL_setmetatable(L, TLSHS_HS_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, 9, HS_UV_CONFIG);
    lua_pushvalue(L, 4);
    lua_setiuservalue(L, 9, HS_UV_FD);
    lua_pushvalue(L, 7);
    lua_setiuservalue(L, 9, HS_UV_HELLO);

    h->hs = tlshs_new(c->cfg, server_name);
    if (!h->hs) {
        const char *e = tlshs_config_error(c->cfg);
        if (!*e) { /* tlshs_new says nothing when memory ran out */
            lua_pushliteral(L, "tlshs.handshake: out of memory");
            return ltlshs_fail(L, TLSHS_E_NOMEM);
        }
        lua_pushstring(L, e);
        return ltlshs_fail(L, tlshs_config_error_code(c->cfg));
    }
    if (fd >= 0 && tlshs_set_fd(h->hs, fd) != 0) return ltlshs_raise_refusal(L, h->hs);
    if (session && tlshs_set_session(h->hs, session, session_len) != 0) {
        /* a session this handshake cannot resume is an expected failure; misuse raises */
        if (tlshs_usage_code(h->hs) != TLSHS_E_SESSION) return ltlshs_raise_refusal(L, h->hs);
        lua_pushstring(L, tlshs_usage_error(h->hs));
        hs_destroy(h);
        return ltlshs_fail(L, TLSHS_E_SESSION);
    }
    if (trace) tlshs_set_trace(h->hs, 1);
    if (on_hello && tlshs_set_hello_cb(h->hs, ltlshs_hello_cb, h) != 0)
        return ltlshs_raise_refusal(L, h->hs);
    if (capture && tlshs_set_capture(h->hs, capture) != 0) {
        /* a path that cannot be created is an expected failure, like a config's file */
        tlshs_code code = tlshs_usage_code(h->hs);
        lua_pushstring(L, tlshs_usage_error(h->hs));
        hs_destroy(h);
        return ltlshs_fail(L, code);
    }
    lua_settop(L, 9);
    return 1;
}

/* The calls that move bytes run the on_client_hello callback: h is busy during them. */
static int hs_step(lua_State *L) {
    lhandshake *h = check_idle(L);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_step(h->hs);
    ltlshs_leave(h);
    if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
    return ltlshs_push_result(L, r);
}

/* hs:on_timeout() -> result: the retransmission timer fired (or fires now,
 * virtual time); driven like step.  Refused (raises) when no timer runs. */
static int hs_on_timeout(lua_State *L) {
    lhandshake *h = check_idle(L);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_on_timeout(h->hs);
    ltlshs_leave(h);
    if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
    return ltlshs_push_result(L, r);
}

/* hs:timeout() -> seconds | nil: until the retransmission timer fires. */
static int hs_timeout(lua_State *L) {
    lhandshake *h = check_hs(L);
    long ms = tlshs_timeout_ms(h->hs);
    if (ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000);
    return 1;
}

/* hs:set_peer(address): memory mode, the peer's address the server's cookie binds. */
static int hs_set_peer(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t len;
    const char *peer = ltlshs_check_bytes(L, 2, &len);
    if (tlshs_set_peer(h->hs, peer, len) != 0) return ltlshs_raise_refusal(L, h->hs);
    return 0;
}

static int hs_feed(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t len;
    const char *data = ltlshs_check_bytes(L, 2, &len);
    if (tlshs_feed(h->hs, data, len) != 0) return ltlshs_raise_refusal(L, h->hs);
    return 0;
}

static int hs_feed_eof(lua_State *L) {
    lhandshake *h = check_idle(L);
    if (tlshs_feed_eof(h->hs) != 0) return ltlshs_raise_refusal(L, h->hs);
    return 0;
}

static int hs_pending(lua_State *L) {
    lhandshake *h = check_hs(L);
    lua_pushinteger(L, (lua_Integer)tlshs_pending(h->hs));
    return 1;
}

static size_t check_size(lua_State *L, int arg, lua_Integer def) {
    lua_Integer n = luaL_optinteger(L, arg, def);
    luaL_argcheck(L, n >= 0, arg, "must not be negative");
    return (size_t)n;
}

/* Over datagrams take moves one whole datagram: an n smaller than the next
 * one is refused (it raises, as the core's refusals do) and nothing is lost. */
static int hs_take(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t pending = tlshs_pending(h->hs);
    size_t n = check_size(L, 2, (lua_Integer)pending);
    if (h->datagram && n < pending)
        return luaL_error(L, "take: the next datagram is %I bytes, n is %I (nothing was taken)",
                          (lua_Integer)pending, (lua_Integer)n);
    if (n > pending) n = pending;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);
    luaL_pushresultsize(&b, tlshs_take(h->hs, p, n));
    return 1;
}

/* Reads of up to READ_DEFAULT bytes go through the C stack: a read that finds
 * nothing (the common poll) then allocates nothing.  n above READ_MAX reads
 * READ_MAX (one call answers at most one record, 16 KiB, anyway). */
static int hs_read(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t cap = check_size(L, 2, READ_DEFAULT);
    luaL_argcheck(L, cap > 0, 2, "must be positive");
    if (cap > READ_MAX) cap = READ_MAX;
    size_t n = 0;
    tlshs_result r;
    if (cap <= READ_DEFAULT) {
        char buf[READ_DEFAULT];
        ltlshs_enter(h, L, 1);
        r = tlshs_read(h->hs, buf, cap, &n);
        ltlshs_leave(h);
        if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
        lua_pushlstring(L, buf, n);
    } else {
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, cap);
        ltlshs_enter(h, L, 1);
        r = tlshs_read(h->hs, p, cap, &n);
        ltlshs_leave(h);
        if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
        luaL_pushresultsize(&b, n);
    }
    ltlshs_push_result(L, r);
    lua_insert(L, -2);
    return 2;
}

static int hs_write(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t len, n = 0;
    const char *data = ltlshs_check_bytes(L, 2, &len);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_write(h->hs, data, len, &n);
    ltlshs_leave(h);
    if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
    ltlshs_push_result(L, r);
    lua_pushinteger(L, (lua_Integer)n);
    return 2;
}

static int hs_shutdown(lua_State *L) {
    lhandshake *h = check_idle(L);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_shutdown(h->hs);
    ltlshs_leave(h);
    if (ltlshs_refused(h)) return ltlshs_raise_refusal(L, h->hs);
    return ltlshs_push_result(L, r);
}

static int hs_result(lua_State *L) {
    lhandshake *h = check_hs(L);
    return ltlshs_push_result(L, tlshs_last_result(h->hs));
}

/* hs:error() -> message, code_name | nil (nil unless the connection closed) */
static int hs_error(lua_State *L) {
    lhandshake *h = check_hs(L);
    tlshs_code code = tlshs_error_code(h->hs);
    if (code == TLSHS_OK) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, tlshs_error(h->hs));
    lua_pushstring(L, tlshs_code_name(code));
    return 2;
}

static void set_alert(lua_State *L, const char *field, int code) {
    if (code < 0) return;
    lua_pushinteger(L, code);
    lua_setfield(L, -2, field);
}

static int hs_info(lua_State *L) {
    lhandshake *h = check_hs(L);
    tlshs *hs = h->hs;
    size_t cert_len = 0;
    const unsigned char *cert = tlshs_peer_cert(hs, &cert_len);
    lua_createtable(L, 0, 14);
    ltlshs_push_string_or_nil(L, tlshs_version(hs));
    lua_setfield(L, -2, "version");
    ltlshs_push_string_or_nil(L, tlshs_cipher(hs));
    lua_setfield(L, -2, "cipher");
    ltlshs_push_string_or_nil(L, tlshs_alpn(hs));
    lua_setfield(L, -2, "alpn");
    ltlshs_push_string_or_nil(L, tlshs_server_name(hs));
    lua_setfield(L, -2, "server_name");
    lua_pushboolean(L, tlshs_resumed(hs));
    lua_setfield(L, -2, "resumed");
    lua_pushinteger(L, (lua_Integer)tlshs_verify_result(hs));
    lua_setfield(L, -2, "verify_result");
    if (cert) {
        lua_pushlstring(L, (const char *)cert, cert_len);
        lua_setfield(L, -2, "peer_cert");
    }
    set_alert(L, "alert_sent", tlshs_alert_sent(hs));
    set_alert(L, "alert_received", tlshs_alert_received(hs));
    ltlshs_push_string_or_nil(L, tlshs_ja3s(hs));
    lua_setfield(L, -2, "ja3s");
    ltlshs_push_string_or_nil(L, tlshs_ja3s_hash(hs));
    lua_setfield(L, -2, "ja3s_hash");
    ltlshs_push_string_or_nil(L, tlshs_srtp_profile(hs));
    lua_setfield(L, -2, "srtp_profile");
    ltlshs_info_moves(L, hs);
    return 1;
}

static int hs_session(lua_State *L) {
    lhandshake *h = check_hs(L);
    size_t len = tlshs_session(h->hs, NULL, 0);
    if (len == 0) {
        lua_pushnil(L);
        return 1;
    }
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, len);
    size_t got = tlshs_session(h->hs, p, len);
    luaL_pushresultsize(&b, got == len ? len : 0);
    return 1;
}

static int hs_trace(lua_State *L) {
    lhandshake *h = check_hs(L);
    size_t n = tlshs_trace_count(h->hs);
    lua_createtable(L, n > INT_MAX ? 0 : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const tlshs_event *e = tlshs_trace_event(h->hs, i);
        if (!e) break;
        lua_createtable(L, 0, 5);
        lua_pushboolean(L, e->sent);
        lua_setfield(L, -2, "sent");
        lua_pushstring(L, e->kind);
        lua_setfield(L, -2, "kind");
        lua_pushstring(L, e->name);
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, (lua_Integer)e->length);
        lua_setfield(L, -2, "length");
        lua_pushlstring(L, e->data ? (const char *)e->data : "", e->data ? e->length : 0);
        lua_setfield(L, -2, "data");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* close(), __close and __gc: safe to run twice. */
static int hs_close(lua_State *L) {
    lhandshake *h = luaL_checkudata(L, 1, TLSHS_HS_MT);
    if (h->L) return luaL_argerror(L, 1, "handshake is busy (called from inside its own callback)");
    hs_destroy(h);
    return 0;
}

/* __gc: never runs while busy (the calling frame holds the userdata). */
static int hs_gc(lua_State *L) {
    hs_destroy(luaL_checkudata(L, 1, TLSHS_HS_MT));
    return 0;
}

static int hs_tostring(lua_State *L) {
    lhandshake *h = luaL_checkudata(L, 1, TLSHS_HS_MT);
    if (h->hs)
        lua_pushfstring(L, "tlshs.handshake (%s, %s): %p", tlshs_role_name(h->role),
                        ltlshs_result_name(tlshs_last_result(h->hs)), (void *)h);
    else
        lua_pushfstring(L, "tlshs.handshake (%s, closed object): %p", tlshs_role_name(h->role),
                        (void *)h);
    return 1;
}

const luaL_Reg ltlshs_hs_funcs[] = {{"handshake", l_handshake}, {NULL, NULL}};

const luaL_Reg ltlshs_hs_methods[] = {
    {"step", hs_step},       {"feed", hs_feed},         {"feed_eof", hs_feed_eof},
    {"pending", hs_pending}, {"take", hs_take},         {"read", hs_read},
    {"write", hs_write},     {"shutdown", hs_shutdown}, {"result", hs_result},
    {"error", hs_error},     {"info", hs_info},         {"session", hs_session},
    {"trace", hs_trace},     {"close", hs_close},       {"timeout", hs_timeout},
    {"on_timeout", hs_on_timeout}, {"set_peer", hs_set_peer}, {NULL, NULL}};

const luaL_Reg ltlshs_hs_meta[] = {
    {"__gc", hs_gc}, {"__close", hs_close}, {"__tostring", hs_tostring}, {NULL, NULL}};
