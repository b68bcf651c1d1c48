/*
 * config.c - tlshs.config, tlshs.config_keys and the config userdata
 * (check, close, __gc, __close, __tostring).  A config userdata owns one
 * reference to its tlshs_config.
 *
 * The keys, their kinds and every rule about values are the C core's (its
 * key table, tlshs_config_key_find); the binding turns a Lua value into the
 * string the core takes by the key's kind, the rule both bindings share
 * (CONTRACT Part 3): a switch takes a boolean, a number an integer, a list a
 * sequence of strings, and each a string as the core reads it.
 */
#include <limits.h>
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

/* Raises for the field key, whose value (at the top) is of a wrong type. */
static const char *wrong_type(lua_State *L, const char *key, const char *want) {
    luaL_argerror(
        L, 1, lua_pushfstring(L, "field '%s' must be %s, got %s", key, want, luaL_typename(L, -1)));
    return NULL;
}

/* The string at idx, or NULL (a message pushed) when it has a NUL byte
 * inside, which would cut the value short: the core never sees it. */
static const char *whole_string(lua_State *L, int idx, const char *key) {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (strlen(s) == len) return s;
    lua_pushfstring(L, "%s: the value contains a NUL byte", key);
    return NULL;
}

/* A list key's sequence (at the top) joined with ",", pushed; NULL (a
 * message pushed) for an item the join would change: an empty one, one with
 * a comma or a NUL byte.  Raises for anything but a sequence of strings. */
static const char *join_list(lua_State *L, const char *key) {
    int t = lua_absindex(L, -1);
    lua_Integer n = (lua_Integer)lua_rawlen(L, t), count = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1))
        count++;
    if (count != n) return wrong_type(L, key, "a string or a sequence of strings");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
        size_t len;
        if (i > 1) luaL_addchar(&b, ','); /* before the item: the buffer is at the top */
        if (lua_rawgeti(L, t, i) != LUA_TSTRING)
            luaL_argerror(L, 1,
                          lua_pushfstring(L, "field '%s': item %I must be a string, got %s", key, i,
                                          luaL_typename(L, -1)));
        const char *item = lua_tolstring(L, -1, &len);
        if (len == 0 || strlen(item) != len || strchr(item, ',')) {
            lua_pushfstring(L, "%s: item %I %s", key, i,
                            len == 0            ? "is empty"
                            : strchr(item, ',') ? "contains ',', which separates the items"
                                                : "contains a NUL byte");
            return NULL;
        }
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/*
 * The value at the top of the stack as the string the C core takes for a key
 * of kind `kind`, pushed if it is a new string (CONTRACT Part 3):
 *   switch  a boolean (true "on", false "off") or a string ("on", "off")
 *   number  an integer, or an integer-valued float (5.0 is "5"), or a string
 *   list    a sequence of strings, joined with ",", or a string
 *   text, path, pem  a string
 * Raises for any other type, naming the field (no number is taken for text,
 * no boolean for a number: as the Python binding).  NULL, a message pushed,
 * for a bad value seen here (a NUL byte, a list item the join would change).
 * Runs no Lua code (no metamethod: numbers are written by lua_pushfstring).
 */
static const char *field_value(lua_State *L, const char *key, tlshs_key_kind kind) {
    int t = lua_type(L, -1);
    switch (kind) {
    case TLSHS_KEY_SWITCH:
        if (t == LUA_TBOOLEAN) {
            lua_pushstring(L, lua_toboolean(L, -1) ? "on" : "off");
            return lua_tostring(L, -1);
        }
        if (t != LUA_TSTRING) return wrong_type(L, key, "a boolean or \"on\"/\"off\"");
        break;
    case TLSHS_KEY_NUMBER:
        if (t == LUA_TNUMBER) {
            int isint = 0;
            lua_Integer n = lua_tointegerx(L, -1, &isint);
            if (!isint)
                luaL_argerror(L, 1,
                              lua_pushfstring(L, "field '%s' must be an integer, got %f", key,
                                              lua_tonumber(L, -1)));
            return lua_pushfstring(L, "%I", n);
        }
        if (t != LUA_TSTRING) return wrong_type(L, key, "an integer");
        break;
    case TLSHS_KEY_LIST:
        if (t == LUA_TTABLE) return join_list(L, key);
        if (t != LUA_TSTRING) return wrong_type(L, key, "a string or a sequence of strings");
        break;
    default: /* text, path, pem (and a kind this file does not know yet): a string */
        if (t != LUA_TSTRING) return wrong_type(L, key, "a string");
        break;
    }
    return whole_string(L, -1, key);
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
    c->datagram = 0;
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
        const tlshs_key_info *info = tlshs_config_key_find(key);
        /* an unknown key: the core says so, whatever the value */
        const char *value = !info ? "" : field_value(L, key, info->kind);
        if (!value) {
            config_destroy(c);
            return ltlshs_fail(L, TLSHS_E_BAD_VALUE);
        }
        if (tlshs_config_set(c->cfg, key, value) != 0) {
            tlshs_code code = tlshs_config_error_code(c->cfg);
            lua_pushstring(L, tlshs_config_error(c->cfg));
            config_destroy(c);
            return ltlshs_fail(L, code);
        }
        if (strcmp(key, "transport") == 0) c->datagram = strcmp(value, "datagram") == 0;
        lua_settop(L, top);
    }
    return 1;
}

/* config:check() -> true | nil, message, code_name: the keys together, as the
 * first handshake will check them (tlshs_config_check). */
static int config_check(lua_State *L) {
    lconfig *c = ltlshs_check_config(L, 1);
    if (tlshs_config_check(c->cfg) == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushstring(L, tlshs_config_error(c->cfg));
    return ltlshs_fail(L, tlshs_config_error_code(c->cfg));
}

/* Sets field name of the table at the top to s, unless s is NULL. */
static void set_string(lua_State *L, const char *name, const char *s) {
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, name);
}

/* tlshs.config_keys() -> { {name=, kind=, roles={...}, metavar=, default=, help=}, ... }:
 * the C core's key table, in its order, as new tables. */
static int l_config_keys(lua_State *L) {
    size_t n = tlshs_config_key_count();
    lua_createtable(L, n > INT_MAX ? 0 : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const tlshs_key_info *k = tlshs_config_key(i);
        if (!k) break;
        lua_createtable(L, 0, 6);
        set_string(L, "name", k->name);
        set_string(L, "kind", tlshs_key_kind_name(k->kind));
        lua_newtable(L);
        lua_Integer r = 0;
        for (unsigned role = 0; role < sizeof k->roles * CHAR_BIT; role++) {
            if (!(k->roles & (1u << role))) continue;
            lua_pushstring(L, tlshs_role_name((tlshs_role)role));
            lua_rawseti(L, -2, ++r);
        }
        lua_setfield(L, -2, "roles");
        set_string(L, "metavar", k->metavar);
        set_string(L, "default", k->def);
        set_string(L, "help", k->help);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

const luaL_Reg ltlshs_config_funcs[] = {
    {"config", l_config}, {"config_keys", l_config_keys}, {NULL, NULL}};

const luaL_Reg ltlshs_config_methods[] = {
    {"check", config_check}, {"close", config_close}, {NULL, NULL}};

const luaL_Reg ltlshs_config_meta[] = {{"__gc", config_close},
                                       {"__close", config_close},
                                       {"__tostring", config_tostring},
                                       {NULL, NULL}};
