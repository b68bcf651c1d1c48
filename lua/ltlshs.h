/*
 * ltlshs.h - what the C files of the Lua binding share (private: the module
 * is one shared object, lua/tlshs.so, built from the C files of lua/ by
 * lua/lua.mk).  The files stand in layers: each uses only the files below it.
 *
 *   lua/tlshs.c      top: luaopen_tlshs, the module made from the tables below
 *   lua/config.c     tlshs.config and the config userdata
 *   lua/handshake.c  tlshs.handshake and the handshake's methods (uses hello.c
 *                    for on_client_hello and moves.c for info())
 *   lua/hello.c      the ClientHello as a table and the on_client_hello callback
 *   lua/records.c    records, refragment, pair and drive (lua/drive.lua, embedded
 *                    as build/lua/drive.c)
 *   lua/moves.c      after the handshake, 0-RTT, the config's own certificate
 *   lua/common.c     ground: the userdata checks, results, failures, refusals
 */
#ifndef LTLSHS_H
#define LTLSHS_H

#include <lauxlib.h>
#include <lua.h>

#include "tlshs.h"

#define TLSHS_CONFIG_MT "tlshs.config"
#define TLSHS_HS_MT "tlshs.handshake"

/* Uservalue slots of a handshake userdata. */
#define HS_UV_CONFIG 1 /* the config userdata */
#define HS_UV_FD 2     /* the object that gave the fd */
#define HS_UV_HELLO 3  /* the on_client_hello function */
#define HS_NUV 3

typedef struct {
    tlshs_config *cfg; /* NULL once closed */
    tlshs_role role;
    int datagram; /* transport is "datagram" (DTLS): take() answers whole datagrams */
} lconfig;

/*
 * A handshake userdata.  While a call into the core that can run a Lua
 * callback is under way (step, read, write, shutdown, pair), L is the
 * calling state and self the stack index of this userdata in it; both are
 * reset when the call returns, so no lua_State outlives a call.  A non-NULL
 * L also marks the object busy: nothing may step, feed, take or free it
 * from inside its own callbacks.
 */
typedef struct {
    tlshs *hs; /* NULL once closed */
    tlshs_role role;
    int datagram; /* the config's transport was "datagram" */
    lua_State *L;
    int self;
    int inner_refusal; /* a call the callback made was refused (common.c, Refusals) */
} lhandshake;

/* Shared between the files, not exported from the module. */
#if defined(__GNUC__)
#define LTLSHS_HIDDEN __attribute__((visibility("hidden")))
#else
#define LTLSHS_HIDDEN
#endif

/* lua/common.c */
/* The Lua name of result r; "closed" for a value out of range. */
LTLSHS_HIDDEN const char *ltlshs_result_name(tlshs_result r);
/* Pushes result r: every function of the module has the result names as upvalues 1..MAX. */
LTLSHS_HIDDEN int ltlshs_push_result(lua_State *L, tlshs_result r);
LTLSHS_HIDDEN void ltlshs_push_string_or_nil(lua_State *L, const char *s);
/* Pushes s[0..len) with every NUL byte written as \0, for messages; answers it. */
LTLSHS_HIDDEN const char *ltlshs_push_printable(lua_State *L, const char *s, size_t len);
/* An expected failure, Lua style: nil, the message (at the top), the code's name. */
LTLSHS_HIDDEN int ltlshs_fail(lua_State *L, tlshs_code code);
/* The string argument arg: only a string (luaL_checklstring would take a number's text). */
LTLSHS_HIDDEN const char *ltlshs_check_bytes(lua_State *L, int arg, size_t *len);
LTLSHS_HIDDEN lconfig *ltlshs_check_config(lua_State *L, int arg);
LTLSHS_HIDDEN lhandshake *ltlshs_check_hs(lua_State *L, int arg);
LTLSHS_HIDDEN lhandshake *ltlshs_check_idle(lua_State *L, int arg);
LTLSHS_HIDDEN void ltlshs_enter(lhandshake *h, lua_State *L, int self);
LTLSHS_HIDDEN void ltlshs_leave(lhandshake *h);
/* Whether the call on h that just returned (between ltlshs_enter and
 * ltlshs_leave) was refused by the core. */
LTLSHS_HIDDEN int ltlshs_refused(const lhandshake *h);
/* Raises the core's reason for the refused call on hs. */
LTLSHS_HIDDEN int ltlshs_raise_refusal(lua_State *L, tlshs *hs);

/* lua/config.c: tlshs.config; the config's methods and metamethods */
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_config_funcs[];
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_config_methods[];
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_config_meta[];

/* lua/handshake.c: tlshs.handshake; the handshake's methods and metamethods */
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_hs_funcs[];
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_hs_methods[];
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_hs_meta[];

/* lua/hello.c: the core's hello callback; hs:client_hello */
LTLSHS_HIDDEN int ltlshs_hello_cb(tlshs *hs, const tlshs_hello *hello, void *arg);
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_hello_methods[];

/* lua/records.c: the module functions, the content-type constants, tlshs.drive */
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_record_funcs[];
LTLSHS_HIDDEN void ltlshs_set_content_types(lua_State *L);
LTLSHS_HIDDEN void ltlshs_add_drive(lua_State *L);

/* build/lua/drive.c, written from lua/drive.lua by lua/embed.lua (lua/lua.mk) */
LTLSHS_HIDDEN extern const char ltlshs_drive_lua[];
LTLSHS_HIDDEN extern const size_t ltlshs_drive_lua_len;

/* lua/moves.c: handshake and config methods, and the fields info() gains */
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_move_methods[];
LTLSHS_HIDDEN extern const luaL_Reg ltlshs_config_cert_methods[];
LTLSHS_HIDDEN void ltlshs_info_moves(lua_State *L, tlshs *hs);

#endif
