-- Greyhill, a small text adventure on Parley. `parley play examples/adventure`
-- runs this file with the host's options (model, voice, seed, threads, remote,
-- save_path) and drives the game it returns.
-- Plain LuaJIT works too: run.lua is a minimal host.
local options = ... or {}
local here = options.dir or (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".")
package.path = here .. "/?.lua;" .. package.path

local parley = require "parley"
local engine = require "engine"
local world = require "world"

local game, err = engine.new(parley, world, options)
if not game then error(err, 0) end
return game
