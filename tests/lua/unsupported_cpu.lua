-- Run with PARLEY_CPU_LEVEL=scalar: parley.open refuses with nil, message (never a crash).
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local rt, msg = parley.open {}
assert(rt == nil and type(msg) == "string" and msg:find("AVX2"), "expected a refusal, got " .. tostring(rt) .. ", " .. tostring(msg))
print("refused: " .. msg)
