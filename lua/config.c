/*
 * config.c - tlshs.config and the config userdata (close, __gc, __close,
 * __tostring).  A config userdata owns one reference to its tlshs_config.
 *
 * Every rule about keys and values is the C core's; the binding turns a Lua
 * value into the string the core takes.  The one piece of key knowledge
 * here is which keys take a boolean (onoff_keys).
 */
#include <stdlib.h>
#include <string.h>

#include "ltlshs.h"

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
                        ltlshs_push_printable(L, s, len));
        return ltlshs_fail(L, TLSHS_E_BAD_VALUE);
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
                            ltlshs_push_printable(L, key, keys[i].len));
            config_destroy(c);
            return ltlshs_fail(L, TLSHS_E_UNKNOWN_KEY);
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
            return ltlshs_fail(L, TLSHS_E_BAD_VALUE);
        }
        if (tlshs_config_set(c->cfg, key, value) != 0) {
            tlshs_code code = tlshs_config_error_code(c->cfg);
            lua_pushstring(L, tlshs_config_error(c->cfg));
            config_destroy(c);
            return ltlshs_fail(L, code);
        }
        lua_settop(L, top);
    }
    return 1;
}

const luaL_Reg ltlshs_config_funcs[] = {{"config", l_config}, {NULL, NULL}};

const luaL_Reg ltlshs_config_methods[] = {{"close", config_close}, {NULL, NULL}};

const luaL_Reg ltlshs_config_meta[] = {{"__gc", config_close},
                                       {"__close", config_close},
                                       {"__tostring", config_tostring},
                                       {NULL, NULL}};
