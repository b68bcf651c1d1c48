/*
 * moves.c - after the handshake, and 0-RTT: hs:key_update, hs:renegotiate,
 * hs:request_client_cert, hs:write_early, hs:read_early, hs:peer_extensions,
 * hs:export_keying_material,
 * and the config's own certificate (config:fingerprint, config:cert_pem).
 *
 * Each move answers a result and is driven on by calling it again, as the
 * C core's are.  A move the state does not allow (renegotiate on TLS 1.3,
 * key_update on TLS 1.2, request_client_cert on a client, write_early
 * without a session that allows it, read_early on a client) is refused by
 * the core, which changes nothing; the binding raises the core's reason.
 * How the binding sees a refusal: common.c, "Refusals".
 */
#include <limits.h>
#include <string.h>

#include "ltlshs.h"

#define READ_EARLY_DEFAULT 16384 /* read_early()'s n when none is given */
#define READ_EARLY_MAX 65536

/* Raises the core's reason if the call on h was refused (see common.c, Refusals). */
static void check_refused(lua_State *L, const lhandshake *h) {
    if (ltlshs_refused(h)) ltlshs_raise_refusal(L, h->hs);
}

typedef tlshs_result (*move_fn)(tlshs *hs, int arg);

static tlshs_result key_update(tlshs *hs, int request_peer) {
    return tlshs_key_update(hs, request_peer);
}

static tlshs_result renegotiate(tlshs *hs, int unused) {
    (void)unused;
    return tlshs_renegotiate(hs);
}

static tlshs_result request_client_cert(tlshs *hs, int unused) {
    (void)unused;
    return tlshs_request_client_cert(hs);
}

/* Runs one move on the handshake at 1, busy for the call. */
static int run_move(lua_State *L, move_fn move, int arg) {
    lhandshake *h = ltlshs_check_idle(L, 1);
    ltlshs_enter(h, L, 1);
    tlshs_result r = move(h->hs, arg);
    ltlshs_leave(h);
    check_refused(L, h);
    return ltlshs_push_result(L, r);
}

/* hs:key_update([request_peer]) -> result */
static int hs_key_update(lua_State *L) {
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TBOOLEAN);
    return run_move(L, key_update, lua_toboolean(L, 2));
}

/* hs:renegotiate() -> result */
static int hs_renegotiate(lua_State *L) {
    return run_move(L, renegotiate, 0);
}

/* hs:request_client_cert() -> result */
static int hs_request_client_cert(lua_State *L) {
    return run_move(L, request_client_cert, 0);
}

/* hs:write_early(s) -> result, n */
static int hs_write_early(lua_State *L) {
    lhandshake *h = ltlshs_check_idle(L, 1);
    size_t len, n = 0;
    const char *data = ltlshs_check_bytes(L, 2, &len);
    luaL_argcheck(L, len > 0, 2, "must not be empty");
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_write_early(h->hs, data, len, &n);
    ltlshs_leave(h);
    check_refused(L, h);
    ltlshs_push_result(L, r);
    lua_pushinteger(L, (lua_Integer)n);
    return 2;
}

/* hs:read_early([n]) -> result, data */
static int hs_read_early(lua_State *L) {
    lhandshake *h = ltlshs_check_idle(L, 1);
    lua_Integer cap = luaL_optinteger(L, 2, READ_EARLY_DEFAULT);
    luaL_argcheck(L, cap > 0, 2, "must be positive");
    if (cap > READ_EARLY_MAX) cap = READ_EARLY_MAX;
    size_t n = 0;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)cap);
    ltlshs_enter(h, L, 1);
    tlshs_result r = tlshs_read_early(h->hs, p, (size_t)cap, &n);
    ltlshs_leave(h);
    check_refused(L, h);
    luaL_pushresultsize(&b, n);
    ltlshs_push_result(L, r);
    lua_insert(L, -2);
    return 2;
}

/* hs:peer_extensions() -> {[type] = data} */
static int hs_peer_extensions(lua_State *L) {
    lhandshake *h = ltlshs_check_hs(L, 1);
    size_t count = tlshs_peer_extension_count(h->hs);
    lua_createtable(L, 0, count > INT_MAX ? 0 : (int)count);
    for (size_t i = 0; i < count; i++) {
        long type = tlshs_peer_extension_type(h->hs, i);
        size_t len = 0;
        const unsigned char *data =
            type < 0 ? NULL : tlshs_peer_extension(h->hs, (unsigned)type, &len);
        if (!data) continue;
        lua_pushlstring(L, (const char *)data, len);
        lua_rawseti(L, -2, type);
    }
    return 1;
}

#define EXPORT_MAX 65536 /* far more keying material than any protocol asks for */

/* hs:export_keying_material(label, length[, context]) -> string: RFC 5705's
 * exporter (RFC 8446 7.5 in TLS 1.3); raises before the handshake completed.
 * No context and an empty one differ in TLS 1.2. */
static int hs_export_keying_material(lua_State *L) {
    lhandshake *h = ltlshs_check_hs(L, 1);
    const char *label = luaL_checkstring(L, 2);
    lua_Integer length = luaL_checkinteger(L, 3);
    size_t context_len = 0;
    const char *context = luaL_optlstring(L, 4, NULL, &context_len);
    luaL_Buffer b;
    unsigned char *out;
    luaL_argcheck(L, length >= 1 && length <= EXPORT_MAX, 3, "length must be from 1 to 65536");
    out = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)length);
    if (tlshs_export_keying_material(h->hs, out, (size_t)length, label, (const unsigned char *)context,
                                     context_len, context != NULL) != 0)
        ltlshs_raise_refusal(L, h->hs);
    luaL_pushresultsize(&b, (size_t)length);
    return 1;
}

/* The fields info() gains: early_data, ocsp_response (into the table at the top). */
void ltlshs_info_moves(lua_State *L, tlshs *hs) {
    lua_pushstring(L, tlshs_early_data(hs));
    lua_setfield(L, -2, "early_data");
    size_t len = 0;
    const unsigned char *ocsp = tlshs_ocsp_response(hs, &len);
    if (ocsp) {
        lua_pushlstring(L, (const char *)ocsp, len);
        lua_setfield(L, -2, "ocsp_response");
    }
}

/* config:fingerprint() -> string | nil */
static int config_fingerprint(lua_State *L) {
    lconfig *c = ltlshs_check_config(L, 1);
    const char *fp = tlshs_config_fingerprint(c->cfg);
    if (fp && *fp)
        lua_pushstring(L, fp);
    else
        lua_pushnil(L);
    return 1;
}

/* config:cert_pem() -> string | nil */
static int config_cert_pem(lua_State *L) {
    lconfig *c = ltlshs_check_config(L, 1);
    const char *pem = tlshs_config_cert_pem(c->cfg);
    if (pem)
        lua_pushstring(L, pem);
    else
        lua_pushnil(L);
    return 1;
}

const luaL_Reg ltlshs_move_methods[] = {{"key_update", hs_key_update},
                                        {"renegotiate", hs_renegotiate},
                                        {"request_client_cert", hs_request_client_cert},
                                        {"write_early", hs_write_early},
                                        {"read_early", hs_read_early},
                                        {"peer_extensions", hs_peer_extensions},
                                        {"export_keying_material", hs_export_keying_material},
                                        {NULL, NULL}};

const luaL_Reg ltlshs_config_cert_methods[] = {
    {"fingerprint", config_fingerprint}, {"cert_pem", config_cert_pem}, {NULL, NULL}};
