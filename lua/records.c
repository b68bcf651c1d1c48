/*
 * records.c - reshaping what goes on the wire: tlshs.records, tlshs.record,
 * tlshs.refragment (each with a DTLS form: {datagram = true}, or epoch and
 * seq), the content-type constants, tlshs.pair and tlshs.drive.
 *
 * Every record and handshake rule is the C core's (tlshs_records,
 * tlshs_record_write, tlshs_refragment, their tlshs_dtls_ twins,
 * tlshs_pair); this file converts
 * strings and tables.  pair's tamper function runs under lua_pcall inside the
 * core's tamper callback; an error it raises is kept, every later flight is
 * dropped, and the error is raised again once tlshs_pair has returned, so no
 * Lua error unwinds through the core.  drive is Lua (over LuaSocket):
 * lua/drive.lua, which lua/lua.mk embeds in the module, run when it opens.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ltlshs.h"

#define PAIR_ROUNDS_DEFAULT 50 /* the contract's default */
#define RECORDS_CHUNK 64       /* records read per tlshs_records call */

/* Whether the options table at idx (nil, or a table) says datagram = true. */
static int datagram_opt(lua_State *L, int idx) {
    int on;
    if (lua_isnoneornil(L, idx)) return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "datagram");
    on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on;
}

/* tlshs.records(s, {datagram = true}) -> { {type=, version=, epoch=, seq=, body=}, ... }, rest */
static int dtls_records(lua_State *L, const char *s, size_t len) {
    size_t off = 0;
    lua_Integer n = 0;
    lua_newtable(L);
    for (;;) {
        tlshs_dtls_record recs[RECORDS_CHUNK];
        size_t used = 0;
        size_t got = tlshs_dtls_records(s + off, len - off, recs, RECORDS_CHUNK, &used);
        for (size_t i = 0; i < got; i++) {
            lua_createtable(L, 0, 5);
            lua_pushinteger(L, recs[i].type);
            lua_setfield(L, -2, "type");
            lua_pushinteger(L, (lua_Integer)recs[i].version);
            lua_setfield(L, -2, "version");
            lua_pushinteger(L, (lua_Integer)recs[i].epoch);
            lua_setfield(L, -2, "epoch");
            lua_pushinteger(L, (lua_Integer)recs[i].seq);
            lua_setfield(L, -2, "seq");
            lua_pushlstring(L, (const char *)recs[i].body, recs[i].len);
            lua_setfield(L, -2, "body");
            lua_rawseti(L, -2, ++n);
        }
        off += used;
        if (got < RECORDS_CHUNK) break;
    }
    lua_pushlstring(L, s + off, len - off);
    return 2;
}

/* tlshs.records(s[, opts]) -> { {type=, version=, body=}, ... }, rest */
static int l_records(lua_State *L) {
    size_t len;
    const char *s = ltlshs_check_bytes(L, 1, &len);
    if (datagram_opt(L, 2)) return dtls_records(L, s, len);
    lua_newtable(L);
    size_t off = 0;
    lua_Integer n = 0;
    for (;;) {
        tlshs_record recs[RECORDS_CHUNK];
        size_t used = 0;
        size_t got = tlshs_records(s + off, len - off, recs, RECORDS_CHUNK, &used);
        for (size_t i = 0; i < got; i++) {
            lua_createtable(L, 0, 3);
            lua_pushinteger(L, recs[i].type);
            lua_setfield(L, -2, "type");
            lua_pushinteger(L, (lua_Integer)recs[i].version);
            lua_setfield(L, -2, "version");
            lua_pushlstring(L, (const char *)recs[i].body, recs[i].len);
            lua_setfield(L, -2, "body");
            lua_rawseti(L, -2, ++n);
        }
        off += used;
        if (got < RECORDS_CHUNK) break;
    }
    lua_pushlstring(L, s + off, len - off);
    return 2;
}

/* The integer field name of the table at idx: 0 when absent; raises
   unless it is an integer within 0..max. */
static uint64_t field_in(lua_State *L, int idx, const char *name, lua_Integer max) {
    lua_Integer v = 0;
    int isnum = 1;
    if (lua_getfield(L, idx, name) != LUA_TNIL) v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum || v < 0 || v > max)
        luaL_error(L, "bad argument #4 to 'record' (%s must be an integer 0..%I)", name, max);
    return (uint64_t)v;
}

/* tlshs.record(type, version, body[, {epoch =, seq =}]) -> string */
static int l_record(lua_State *L) {
    lua_Integer type = luaL_checkinteger(L, 1);
    lua_Integer version = luaL_checkinteger(L, 2);
    size_t len;
    const char *body = ltlshs_check_bytes(L, 3, &len);
    luaL_argcheck(L, type >= 0 && type <= 255, 1, "a content type is 0..255");
    luaL_argcheck(L, version >= 0 && version <= 0xffff, 2, "a version is 0..0xffff");
    if (!lua_isnoneornil(L, 4)) { /* a DTLS record: the 13-byte header */
        luaL_checktype(L, 4, LUA_TTABLE);
        unsigned epoch = (unsigned)field_in(L, 4, "epoch", 0xffff);
        uint64_t seq = field_in(L, 4, "seq", (lua_Integer)0xffffffffffffLL);
        size_t need =
            tlshs_dtls_record_write((int)type, (unsigned)version, epoch, seq, body, len, NULL, 0);
        luaL_argcheck(L, need > 0, 3, "a record's body holds at most 65535 bytes");
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, need);
        luaL_pushresultsize(&b, tlshs_dtls_record_write((int)type, (unsigned)version, epoch, seq,
                                                        body, len, p, need));
        return 1;
    }
    size_t need = tlshs_record_write((int)type, (unsigned)version, body, len, NULL, 0);
    luaL_argcheck(L, need > 0, 3, "a record's body holds at most 65535 bytes");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, need);
    luaL_pushresultsize(&b, tlshs_record_write((int)type, (unsigned)version, body, len, p, need));
    return 1;
}

/* tlshs.refragment(s, max_body[, {datagram = true}]) -> string */
static int l_refragment(lua_State *L) {
    size_t len;
    const char *s = ltlshs_check_bytes(L, 1, &len);
    lua_Integer max = luaL_checkinteger(L, 2);
    luaL_argcheck(L, max >= 1, 2, "must be at least 1");
    if (datagram_opt(L, 3)) {
        size_t need = tlshs_dtls_refragment(s, len, (size_t)max, NULL, 0);
        luaL_argcheck(L, need > 0 || len == 0, 2,
                      "a re-cut record would hold more than 65535 bytes");
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, need);
        luaL_pushresultsize(&b, need ? tlshs_dtls_refragment(s, len, (size_t)max, p, need) : 0);
        return 1;
    }
    size_t need = tlshs_refragment(s, len, (size_t)max, NULL, 0);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, need);
    luaL_pushresultsize(&b, need ? tlshs_refragment(s, len, (size_t)max, p, need) : 0);
    return 1;
}

/* ---- pair ---- */

#define PAIR_TAMPER 3 /* stack slots of l_pair */
#define PAIR_KEEP 5   /* the tamper's last answer, kept while the core reads it */
#define PAIR_ERROR 6  /* the error a tamper raised, if any */

typedef struct {
    lua_State *L;
    int failed;        /* a tamper raised: its error is at PAIR_ERROR */
    tlshs *to[2];      /* the receiver in each direction (TLSHS_C2S: the server) */
} pair_ctx;

/* Runs protected: (tamper, direction, flight) -> the bytes to deliver, checked:
 * a string, nil, or a sequence of strings (datagrams delivered in order). */
static int call_tamper(lua_State *L) {
    lua_call(L, 2, 1);
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                return luaL_error(L, "tamper's list holds a %s at %I (strings only)",
                                  luaL_typename(L, -1), i);
            lua_pop(L, 1);
        }
    } else if (t != LUA_TNIL && t != LUA_TSTRING) {
        return luaL_error(L, "tamper must answer a string, nil or a list of strings, got %s",
                          luaL_typename(L, -1));
    }
    return 1;
}

static size_t pair_tamper(tlshs_direction direction, unsigned char *flight, size_t len,
                          const unsigned char **out, void *arg) {
    pair_ctx *ctx = arg;
    lua_State *L = ctx->L;
    if (ctx->failed || !lua_checkstack(L, 6)) return 0;
    lua_pushcfunction(L, call_tamper);
    lua_pushvalue(L, PAIR_TAMPER);
    lua_pushstring(L, direction == TLSHS_C2S ? "c2s" : "s2c");
    lua_pushlstring(L, (const char *)flight, len);
    if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        ctx->failed = 1;
        lua_replace(L, PAIR_ERROR);
        return 0;
    }
    lua_replace(L, PAIR_KEEP); /* keeps the answer's strings valid until the next flight */
    size_t n = 0;
    const char *s = NULL;
    if (lua_type(L, PAIR_KEEP) == LUA_TTABLE) {
        /* a list: every item but the last is fed to the receiver here (as a
         * C tamper does), the last is answered; the table holds the strings */
        lua_Integer count = (lua_Integer)lua_rawlen(L, PAIR_KEEP);
        for (lua_Integer i = 1; i <= count; i++) {
            lua_rawgeti(L, PAIR_KEEP, i);
            s = lua_tolstring(L, -1, &n);
            lua_pop(L, 1);
            if (i < count && n > 0) tlshs_feed(ctx->to[direction], s, n); /* refused when closed: dropped */
        }
    } else {
        s = lua_tolstring(L, PAIR_KEEP, &n); /* NULL for nil: drop */
    }
    if (!s) return 0;
    *out = (const unsigned char *)s;
    return n;
}

/* tlshs.pair(client, server [, tamper [, rounds]]) -> rc, rs, stalled
 *   stalled: nil when both are done or closed; "stalled" when nothing moves
 *   and a side still waits; "rounds_out" when the rounds ran out. */
static int l_pair(lua_State *L) {
    lhandshake *c = ltlshs_check_idle(L, 1);
    lhandshake *s = ltlshs_check_idle(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
    lua_Integer rounds = luaL_optinteger(L, 4, PAIR_ROUNDS_DEFAULT);
    luaL_argcheck(L, rounds >= 1 && rounds <= INT_MAX, 4, "must be at least 1");
    luaL_argcheck(L, c != s, 2, "client and server are one handshake");
    luaL_argcheck(L, c->role == TLSHS_CLIENT, 1, "must be a client's handshake");
    luaL_argcheck(L, s->role == TLSHS_SERVER, 2, "must be a server's handshake");
    int tamper = !lua_isnoneornil(L, 3);
    lua_settop(L, 4);
    lua_pushnil(L); /* PAIR_KEEP */
    lua_pushnil(L); /* PAIR_ERROR */
    pair_ctx ctx = {L, 0, {s->hs, c->hs}};
    tlshs_result rc = TLSHS_CLOSED, rs = TLSHS_CLOSED;
    ltlshs_enter(c, L, 1);
    ltlshs_enter(s, L, 2);
    int bits;
    if (!tamper || !c->datagram || !s->datagram) {
        bits = tlshs_pair(c->hs, s->hs, tamper ? pair_tamper : NULL, &ctx, (int)rounds, &rc, &rs);
    } else {
        /* Datagrams with a tamper: one round per call, the same rounds as one
         * call makes (a round that moved datagrams answers ROUNDS_OUT, another
         * call goes on), so that a tamper's error stops pair at the end of its
         * round: with every later datagram dropped, pair would fire timers
         * until a side gives up, and OpenSSL 3.2 and later (3.5) wait out each
         * timeout. */
        lua_Integer i = 0;
        do
            bits = tlshs_pair(c->hs, s->hs, pair_tamper, &ctx, 1, &rc, &rs);
        while (bits > 0 && (bits & TLSHS_PAIR_ROUNDS_OUT) && !ctx.failed && ++i < rounds);
    }
    ltlshs_leave(c);
    ltlshs_leave(s);
    if (ctx.failed) return lua_error(L); /* PAIR_ERROR is at the top */
    if (bits < 0) {
        return ltlshs_raise_refusal(L, ltlshs_refused(c) ? c->hs : s->hs);
    }
    ltlshs_push_result(L, rc);
    ltlshs_push_result(L, rs);
    if (bits == 0)
        lua_pushnil(L);
    else if (bits & TLSHS_PAIR_ROUNDS_OUT)
        lua_pushliteral(L, "rounds_out");
    else
        lua_pushliteral(L, "stalled");
    return 3;
}

const luaL_Reg ltlshs_record_funcs[] = {{"records", l_records},
                                        {"record", l_record},
                                        {"refragment", l_refragment},
                                        {"pair", l_pair},
                                        {NULL, NULL}};

/* tlshs.CHANGE_CIPHER_SPEC = 20, ... from TLSHS_CONTENT_TYPES. */
void ltlshs_set_content_types(lua_State *L) {
#define CONTENT_TYPE_FIELD(value, NAME, name)                                                      \
    lua_pushinteger(L, value);                                                                     \
    lua_setfield(L, -2, #NAME);
    TLSHS_CONTENT_TYPES(CONTENT_TYPE_FIELD)
#undef CONTENT_TYPE_FIELD
}

/* ---- drive: lua/drive.lua, embedded at build time (build/lua/drive.c) ---- */

/* kind(hs) -> "stream" | "datagram" | false (not an open handshake) */
static int handshake_kind(lua_State *L) {
    lhandshake *h = luaL_testudata(L, 1, TLSHS_HS_MT);
    if (h && h->hs)
        lua_pushstring(L, h->datagram ? "datagram" : "stream");
    else
        lua_pushboolean(L, 0);
    return 1;
}

/* tlshs.drive(hs, sock [, tamper [, timeout]]) -> result */
void ltlshs_add_drive(lua_State *L) {
    if (luaL_loadbufferx(L, ltlshs_drive_lua, ltlshs_drive_lua_len, "=tlshs.drive", "t") != LUA_OK)
        lua_error(L);
    lua_pushvalue(L, -2);
    lua_pushcfunction(L, handshake_kind);
    lua_call(L, 2, 1);
    lua_setfield(L, -2, "drive");
}
