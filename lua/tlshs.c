/*
 * tlshs.c - the Lua 5.4 binding of tlshs: `local tlshs = require "tlshs"`.
 *
 * A thin layer: it converts types, manages lifetimes and raises errors; every
 * TLS decision is the C core's (csrc/tlshs.h).  The API is documented in
 * docs/lua.md and annotated for editors in lua/meta/tlshs.lua.
 *
 * Lifetimes: a config userdata owns one reference to its tlshs_config; a
 * handshake userdata owns its tlshs and holds, in its uservalues, the config
 * userdata (1) and the object that gave its fd (2), so neither is collected
 * while the handshake lives.  __gc, __close and close() share one destroy
 * that is safe to run twice.  No lua_State pointer is kept across calls.
 *
 * Lua code can run in the middle of a call (an options table's __index, an fd
 * object's getfd, any finalizer at any allocation): every string whose bytes
 * are used is anchored on the stack, and what that code could change (a
 * config closed under us) is checked again after it ran.
 *
 * Lists are the core's: the results and their Lua names come from
 * TLSHS_RESULTS, failure codes are named by tlshs_code_name.  The one piece of
 * key knowledge here is which keys take a boolean (onoff_keys).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ltlshs.h"

#define READ_DEFAULT 16384 /* read()'s n when none is given (the contract's default) */
#define READ_MAX 65536     /* read(n) reads at most this much, as Python's read does */

int luaopen_tlshs(lua_State *L);

/* ---- results: from TLSHS_RESULTS; result r is upvalue r of every function ---- */

#define RESULT_LUA_NAME(value, NAME, lua_name) [value] = #lua_name,
static const char *const result_names[TLSHS_RESULT_MAX + 1] = {TLSHS_RESULTS(RESULT_LUA_NAME)};
#undef RESULT_LUA_NAME

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

/* Any value outside the list (the core answers none) reads as closed. */
static tlshs_result known_result(tlshs_result r) {
    return r >= 1 && r <= TLSHS_RESULT_MAX ? r : TLSHS_CLOSED;
}

static int push_result(lua_State *L, tlshs_result r) {
    lua_pushvalue(L, lua_upvalueindex((int)known_result(r)));
    return 1;
}

int ltlshs_push_result(lua_State *L, tlshs_result r) {
    return push_result(L, r);
}

static void push_string_or_nil(lua_State *L, const char *s) {
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
}

/* Pushes s[0..len) with every NUL byte written as \0, for messages. */
static const char *push_printable(lua_State *L, const char *s, size_t len) {
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

/* An expected failure, Lua style: nil, message (at the top), the code's name. */
static int fail(lua_State *L, tlshs_code code) {
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushstring(L, tlshs_code_name(code));
    return 3;
}

/* ---- config ---- */

static lconfig *check_config(lua_State *L, int arg) {
    lconfig *c = luaL_checkudata(L, arg, TLSHS_CONFIG_MT);
    if (!c->cfg) luaL_argerror(L, arg, "config is closed");
    return c;
}

lconfig *ltlshs_check_config(lua_State *L, int arg) {
    return check_config(L, arg);
}

static void config_destroy(lconfig *c) {
    tlshs_config_free(c->cfg);
    c->cfg = NULL;
}

static int config_close(lua_State *L) {
    config_destroy(luaL_checkudata(L, 1, TLSHS_CONFIG_MT));
    return 0;
}

static int config_tostring(lua_State *L) {
    lconfig *c = luaL_checkudata(L, 1, TLSHS_CONFIG_MT);
    if (c->cfg)
        lua_pushfstring(L, "tlshs.config (%s): %p", tlshs_role_name(c->role), (void *)c);
    else
        lua_pushfstring(L, "tlshs.config (closed): %p", (void *)c);
    return 1;
}

/* The keys whose values are switches, "on" or "off": the only keys a boolean
 * is taken for (true "on", false "off").  The binding's one list of key
 * kinds; every other rule about keys and values is the C core's. */
static const char *const onoff_keys[] = {"tickets", "post_handshake_auth", "status_request"};

static int is_onoff_key(const char *key) {
    for (size_t i = 0; i < sizeof onoff_keys / sizeof onoff_keys[0]; i++)
        if (strcmp(onoff_keys[i], key) == 0) return 1;
    return 0;
}

/* A key of the options table: its bytes stay valid while the key table
 * (index 2 of l_config, reachable from no Lua code) holds the string. */
typedef struct {
    const char *s;
    size_t len;
} config_key;

static int compare_keys(const void *a, const void *b) {
    const config_key *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/*
 * The value at the top of the stack as the string the C core takes: strings
 * as they are, numbers as Lua writes them (min_version = 1.3; converted in
 * place, no metamethod runs), booleans as "on"/"off" for on/off keys.  NULL
 * for a string with a NUL byte inside (a bad value).  Anything else raises,
 * naming the field.  Runs no Lua code.
 */
static const char *field_value(lua_State *L, const char *key) {
    size_t len;
    const char *s;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: /* a NUL inside would cut the value short: refuse it */
        s = lua_tolstring(L, -1, &len);
        return strlen(s) == len ? s : NULL;
    case LUA_TNUMBER:
        return lua_tolstring(L, -1, NULL);
    case LUA_TBOOLEAN:
        if (!is_onoff_key(key))
            luaL_argerror(L, 1,
                          lua_pushfstring(L,
                                          "field '%s' must be a string, got boolean (a boolean "
                                          "is only for an on/off key such as tickets)",
                                          key));
        lua_pushstring(L, lua_toboolean(L, -1) ? "on" : "off");
        return lua_tostring(L, -1);
    default:
        luaL_argerror(
            L, 1,
            lua_pushfstring(L, "field '%s' must be a string, got %s", key, luaL_typename(L, -1)));
        return NULL;
    }
}

/* The role field (at the top), by the core's names; -1 for another string
   (one with a NUL inside included: the core would see it cut short). */
static int role_from_field(lua_State *L, tlshs_role *role) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    return strlen(s) == len ? tlshs_role_from_name(s, role) : -1;
}

/* Collects the string keys of the table at 1 into a new table (pushed, at 2)
 * and a sorted array of them (pushed, at 3); answers how many.  Sorted: the
 * order of set calls, and so the message of the first bad key, is the same
 * on every run.  Raises for a key that is not a string. */
static config_key *collect_keys(lua_State *L, size_t *count) {
    size_t n = 0;
    lua_newtable(L); /* 2: holds every key, so no Lua code can free one under us */
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_argerror(L, 1,
                          lua_pushfstring(L, "keys must be strings, got %s", luaL_typename(L, -2)));
        lua_pushvalue(L, -2);
        lua_rawseti(L, 2, (lua_Integer)++n);
    }
    config_key *keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0); /* 3 */
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        keys[i].s = lua_tolstring(L, -1, &keys[i].len);
        lua_pop(L, 1); /* the string stays in the table at 2 */
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    *count = n;
    return keys;
}

/* tlshs.config{role = "client" | "server", key = value, ...}
 *   -> config | nil, message, code_name */
static int l_config(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);

    lua_getfield(L, 1, "role");
    if (lua_type(L, -1) != LUA_TSTRING)
        return luaL_argerror(
            L, 1,
            lua_pushfstring(L, "field 'role' must be \"client\" or \"server\", got %s",
                            luaL_typename(L, -1)));
    tlshs_role role;
    if (role_from_field(L, &role) != 0) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        lua_pushfstring(L, "role: must be \"client\" or \"server\", not \"%s\"",
                        push_printable(L, s, len));
        return fail(L, TLSHS_E_BAD_VALUE);
    }
    lua_pop(L, 1);

    size_t n;
    config_key *keys = collect_keys(L, &n); /* 2 the key strings, 3 the sorted array */

    lconfig *c = lua_newuserdatauv(L, sizeof *c, 0); /* 4 */
    c->cfg = NULL;
    c->role = role;
    luaL_setmetatable(L, TLSHS_CONFIG_MT);
    c->cfg = tlshs_config_new(role);
    if (!c->cfg) return luaL_error(L, "tlshs.config: out of memory");

    for (size_t i = 0; i < n; i++) {
        const char *key = keys[i].s;
        if (keys[i].len == 4 && memcmp(key, "role", 4) == 0) continue;
        if (strlen(key) != keys[i].len) { /* no key has a NUL byte: refuse, never cut */
            lua_pushfstring(L, "%s: unknown key (it contains a NUL byte)",
                            push_printable(L, key, keys[i].len));
            config_destroy(c);
            return fail(L, TLSHS_E_UNKNOWN_KEY);
        }
        int top = lua_gettop(L);
        lua_pushlstring(L, key, keys[i].len);
        if (lua_rawget(L, 1) == LUA_TNIL) { /* removed since (by a finalizer): not a key now */
            lua_settop(L, top);
            continue;
        }
        const char *value = field_value(L, key);
        if (!value) {
            lua_pushfstring(L, "%s: the value contains a NUL byte", key);
            config_destroy(c);
            return fail(L, TLSHS_E_BAD_VALUE);
        }
        if (tlshs_config_set(c->cfg, key, value) != 0) {
            tlshs_code code = tlshs_config_error_code(c->cfg);
            lua_pushstring(L, tlshs_config_error(c->cfg));
            config_destroy(c);
            return fail(L, code);
        }
        lua_settop(L, top);
    }
    return 1;
}

/* ---- handshake ---- */

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

static lhandshake *check_hs(lua_State *L) {
    return ltlshs_check_hs(L, 1);
}

static lhandshake *check_idle(lua_State *L) {
    return ltlshs_check_idle(L, 1);
}

/* Marks h busy for a call from L, where h is the userdata at index self. */
void ltlshs_enter(lhandshake *h, lua_State *L, int self) {
    h->L = L;
    h->self = lua_absindex(L, self);
}

void ltlshs_leave(lhandshake *h) {
    h->L = NULL;
    h->self = 0;
}

static void hs_destroy(lhandshake *h) {
    tlshs_free(h->hs);
    h->hs = NULL;
}

/*
 * Refusals.  The core keeps the reason of the last refused call until
 * another call is refused; it answers a refused step, read, write or move
 * with the last result, as if nothing happened.  So that a refusal is seen,
 * the binding keeps the core's usage code at TLSHS_E_ARGUMENT between calls
 * (a read without a buffer, which changes nothing else, sets it: at the
 * handshake's creation and after every refusal raised): a call that leaves
 * another code was refused.  No call the binding makes is refused for its
 * arguments (it checks them first), so TLSHS_E_ARGUMENT never hides one.
 */
void ltlshs_mark_usage(tlshs *hs) {
    tlshs_read(hs, NULL, 0, NULL);
}

int ltlshs_refused(tlshs *hs) {
    return tlshs_usage_code(hs) > TLSHS_E_ARGUMENT; /* TLSHS_OK: this call was not refused */
}

/* Raises with the C core's reason for a refused call (and marks hs again). */
int ltlshs_raise_refusal(lua_State *L, tlshs *hs) {
    lua_pushstring(L, tlshs_usage_error(hs));
    ltlshs_mark_usage(hs);
    return lua_error(L);
}

static int usage_error(lua_State *L, tlshs *hs) {
    return ltlshs_raise_refusal(L, hs);
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
    lconfig *c = check_config(L, 1);
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
    h->L = NULL;
    h->self = 0;
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
            return fail(L, TLSHS_E_NOMEM);
        }
        lua_pushstring(L, e);
        return fail(L, tlshs_config_error_code(c->cfg));
    }
    ltlshs_mark_usage(h->hs);
    if (fd >= 0 && tlshs_set_fd(h->hs, fd) != 0) return usage_error(L, h->hs);
    if (session && tlshs_set_session(h->hs, session, session_len) != 0) {
        /* a session this handshake cannot resume is an expected failure; misuse raises */
        if (tlshs_usage_code(h->hs) != TLSHS_E_SESSION) return usage_error(L, h->hs);
        lua_pushstring(L, tlshs_usage_error(h->hs));
        hs_destroy(h);
        return fail(L, TLSHS_E_SESSION);
    }
    if (trace) tlshs_set_trace(h->hs, 1);
    if (on_hello && tlshs_set_hello_cb(h->hs, ltlshs_hello_cb, h) != 0)
        return usage_error(L, h->hs);
    if (capture && tlshs_set_capture(h->hs, capture) != 0) {
        /* a path that cannot be created is an expected failure, like a config's file */
        tlshs_code code = tlshs_usage_code(h->hs);
        lua_pushstring(L, tlshs_usage_error(h->hs));
        hs_destroy(h);
        return fail(L, code);
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
    if (ltlshs_refused(h->hs)) return usage_error(L, h->hs);
    return push_result(L, r);
}

/* The string argument arg: only a string (luaL_checklstring would take a number's text). */
static const char *check_bytes(lua_State *L, int arg, size_t *len) {
    if (lua_type(L, arg) != LUA_TSTRING) luaL_typeerror(L, arg, "string");
    return lua_tolstring(L, arg, len);
}

static int hs_feed(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t len;
    const char *data = check_bytes(L, 2, &len);
    if (tlshs_feed(h->hs, data, len) != 0) return usage_error(L, h->hs);
    return 0;
}

static int hs_feed_eof(lua_State *L) {
    lhandshake *h = check_idle(L);
    if (tlshs_feed_eof(h->hs) != 0) return usage_error(L, h->hs);
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

static int hs_take(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t pending = tlshs_pending(h->hs);
    size_t n = check_size(L, 2, (lua_Integer)pending);
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
        if (ltlshs_refused(h->hs)) return usage_error(L, h->hs);
        lua_pushlstring(L, buf, n);
    } else {
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, cap);
        ltlshs_enter(h, L, 1);
        r = tlshs_read(h->hs, p, cap, &n);
        ltlshs_leave(h);
        if (ltlshs_refused(h->hs)) return usage_error(L, h->hs);
        luaL_pushresultsize(&b, n);
    }
    push_result(L, r);
    lua_insert(L, -2);
    return 2;
}

static int hs_write(lua_State *L) {
    lhandshake *h = check_idle(L);
    size_t len, n = 0;
    const char *data = check_bytes(L, 2, &len);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_write(h->hs, data, len, &n);
    ltlshs_leave(h);
    if (ltlshs_refused(h->hs)) return usage_error(L, h->hs);
    push_result(L, r);
    lua_pushinteger(L, (lua_Integer)n);
    return 2;
}

static int hs_shutdown(lua_State *L) {
    lhandshake *h = check_idle(L);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_shutdown(h->hs);
    ltlshs_leave(h);
    if (ltlshs_refused(h->hs)) return usage_error(L, h->hs);
    return push_result(L, r);
}

static int hs_result(lua_State *L) {
    lhandshake *h = check_hs(L);
    return push_result(L, tlshs_last_result(h->hs));
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
    lua_createtable(L, 0, 13);
    push_string_or_nil(L, tlshs_version(hs));
    lua_setfield(L, -2, "version");
    push_string_or_nil(L, tlshs_cipher(hs));
    lua_setfield(L, -2, "cipher");
    push_string_or_nil(L, tlshs_alpn(hs));
    lua_setfield(L, -2, "alpn");
    push_string_or_nil(L, tlshs_server_name(hs));
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
    push_string_or_nil(L, tlshs_ja3s(hs));
    lua_setfield(L, -2, "ja3s");
    push_string_or_nil(L, tlshs_ja3s_hash(hs));
    lua_setfield(L, -2, "ja3s_hash");
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
                        result_names[known_result(tlshs_last_result(h->hs))], (void *)h);
    else
        lua_pushfstring(L, "tlshs.handshake (%s, closed object): %p", tlshs_role_name(h->role),
                        (void *)h);
    return 1;
}

/* tlshs.alert_name(code) -> "handshake_failure" (an addition to the contract);
 * an integer outside C's int is no alert: the core's name for one, as Python. */
static int l_alert_name(lua_State *L) {
    lua_Integer code = luaL_checkinteger(L, 1);
    lua_pushstring(L, tlshs_alert_name(code >= INT_MIN && code <= INT_MAX ? (int)code : -1));
    return 1;
}

/* ---- registration ---- */

static const luaL_Reg config_methods[] = {{"close", config_close}, {NULL, NULL}};

static const luaL_Reg config_meta[] = {{"__gc", config_close},
                                       {"__close", config_close},
                                       {"__tostring", config_tostring},
                                       {NULL, NULL}};

static const luaL_Reg hs_methods[] = {{"step", hs_step},
                                      {"feed", hs_feed},
                                      {"feed_eof", hs_feed_eof},
                                      {"pending", hs_pending},
                                      {"take", hs_take},
                                      {"read", hs_read},
                                      {"write", hs_write},
                                      {"shutdown", hs_shutdown},
                                      {"result", hs_result},
                                      {"error", hs_error},
                                      {"info", hs_info},
                                      {"session", hs_session},
                                      {"trace", hs_trace},
                                      {"close", hs_close},
                                      {"client_hello", ltlshs_hs_client_hello},
                                      {NULL, NULL}};

static const luaL_Reg hs_meta[] = {
    {"__gc", hs_gc}, {"__close", hs_close}, {"__tostring", hs_tostring}, {NULL, NULL}};

static const luaL_Reg module_funcs[] = {
    {"config", l_config}, {"handshake", l_handshake}, {"alert_name", l_alert_name}, {NULL, NULL}};

/* Pushes the result names, result r as the r-th: the upvalues of every function. */
static void push_result_names(lua_State *L) {
    luaL_checkstack(L, TLSHS_RESULT_MAX, NULL);
    for (int r = 1; r <= TLSHS_RESULT_MAX; r++)
        lua_pushstring(L, result_names[r]);
}

/* Makes metatable name with meta (+ the result upvalues) and the methods of
 * both lists (more may be NULL) in __index. */
static void new_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods,
                      const luaL_Reg *more) {
    luaL_newmetatable(L, name);
    push_result_names(L);
    luaL_setfuncs(L, meta, TLSHS_RESULT_MAX);
    lua_newtable(L);
    push_result_names(L);
    luaL_setfuncs(L, methods, TLSHS_RESULT_MAX);
    if (more) {
        push_result_names(L);
        luaL_setfuncs(L, more, TLSHS_RESULT_MAX);
    }
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

int luaopen_tlshs(lua_State *L) {
    luaL_checkversion(L);
    new_class(L, TLSHS_CONFIG_MT, config_meta, config_methods, ltlshs_config_cert_methods);
    new_class(L, TLSHS_HS_MT, hs_meta, hs_methods, ltlshs_move_methods);

    luaL_newlibtable(L, module_funcs);
    push_result_names(L);
    luaL_setfuncs(L, module_funcs, TLSHS_RESULT_MAX);
    push_result_names(L);
    luaL_setfuncs(L, ltlshs_record_funcs, TLSHS_RESULT_MAX);
    ltlshs_set_content_types(L);
    for (size_t i = 0; i < sizeof result_constants / sizeof result_constants[0]; i++) {
        lua_pushstring(L, result_names[result_constants[i].result]);
        lua_setfield(L, -2, result_constants[i].constant);
    }
    lua_pushliteral(L, TLSHS_VERSION_STRING);
    lua_setfield(L, -2, "VERSION");
    ltlshs_add_drive(L);
    return 1;
}
