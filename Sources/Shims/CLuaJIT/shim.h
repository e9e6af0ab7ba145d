// Lua's API macros are not imported into Swift; these inline functions stand in for them.
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

static inline void parley_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline const char *parley_lua_tostring(lua_State *L, int i) { return lua_tostring(L, i); }
static inline void parley_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
static inline void parley_lua_newtable(lua_State *L) { lua_newtable(L); }
static inline int parley_lua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int parley_lua_istable(lua_State *L, int i) { return lua_istable(L, i); }
static inline int parley_lua_isfunction(lua_State *L, int i) { return lua_isfunction(L, i); }
static inline void parley_lua_setglobal(lua_State *L, const char *k) { lua_setglobal(L, k); }
static inline void parley_lua_getglobal(lua_State *L, const char *k) { lua_getglobal(L, k); }
static inline int parley_luaL_dostring(lua_State *L, const char *s) { return luaL_dostring(L, s); }
static inline void parley_luaL_getmetatable(lua_State *L, const char *n) { luaL_getmetatable(L, n); }
static inline int parley_lua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int parley_lua_registryindex(void) { return LUA_REGISTRYINDEX; }

// Lua errors longjmp; they must never unwind through Swift frames. Swift
// implementations return a result count, or -1 after pushing an error message;
// this C trampoline (registered with the Swift function as upvalue 1) raises.
typedef int (*parley_lua_impl)(lua_State *L);
static inline int parley_lua_trampoline(lua_State *L) {
    parley_lua_impl impl = (parley_lua_impl)lua_touserdata(L, lua_upvalueindex(1));
    int n = impl(L);
    if (n < 0) return lua_error(L);
    return n;
}
static inline void parley_lua_pushimpl(lua_State *L, parley_lua_impl impl) {
    lua_pushlightuserdata(L, (void *)impl);
    lua_pushcclosure(L, parley_lua_trampoline, 1);
}
