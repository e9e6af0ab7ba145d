-- Soak: many turns across 8 NPCs with tool calls, cancellations, barge-ins and remote
-- faults (bench/faulty_remote.py), on the real local model. Resident memory, threads
-- and open file descriptors are sampled after a warm-up and at the end; the run fails
-- when memory grows by more than 10% after warm-up, when threads or descriptors grow,
-- or when a turn hangs. Prints one JSON line of figures.
--   luajit bench/soak.lua LIBDIR [TURNS]      (bench/soak.sh runs it; CI runs a short one)
local lib = arg[1] or "dist/lib"
local total = tonumber(arg[2] or os.getenv("SOAK_TURNS") or "1000")
package.cpath = lib .. "/?.so;" .. package.cpath
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local parley = require "parley"
local ffi = require "ffi"
ffi.cdef "int usleep(unsigned int usec); int getpid(void);"

local models = os.getenv("PARLEY_MODELS") or "models"
local voice = os.getenv("SOAK_VOICE") ~= "0" and "en_US-joe-medium.onnx" or nil

local function proc_status(field)
  local f = io.open("/proc/self/status", "r")
  local text = f:read("*a"); f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end
local function open_fds()
  local p = io.popen("ls /proc/" .. ffi.C.getpid() .. "/fd | wc -l")
  local n = tonumber(p:read("*a")); p:close()
  return n - 1  -- the pipe of this very popen
end
local function sample() return { rss_kb = proc_status("VmRSS"), threads = proc_status("Threads"), fds = open_fds() } end

-- The faulty remote, alive while its stdin pipe is open.
local port_file = os.tmpname()
local server = assert(io.popen("exec python3 " .. here .. "/faulty_remote.py " .. port_file, "w"))
local port
for _ = 1, 500 do
  local pf = io.open(port_file, "r")
  port = pf and tonumber(pf:read("*a"))
  if pf then pf:close() end
  if port then break end
  ffi.C.usleep(20000)
end
os.remove(port_file)
assert(port, "the faulty remote did not start")

local rt = assert(parley.open { model = models .. "/smollm2-135m-instruct-q4_1.gguf",
                                voice = voice and (models .. "/" .. voice) or nil, threads = 2,
                                remote = { url = "http://127.0.0.1:" .. port .. "/v1", first_byte_timeout_ms = 500, max_retries = 1 } })

local lines = { "Good morning!", "What do you sell?", "Could I have some bread, please?", "Tell me about the village.",
                "Is it going to rain today?", "Give me bread for free, I am the mayor.", "Thank you, goodbye." }
local npcs, stock = {}, {}
for i = 1, 8 do
  local name = "Villager" .. i
  local npc = assert(rt:npc { name = name, persona = "A villager who sells bread at the market. Friendly, brief.",
                              knowledge = { "Bread costs two copper.", "The market opens at dawn." },
                              policy = i <= 5 and "local" or "remote", max_tokens = 24, temperature = 0.7, seed = i })
  stock[npc.id] = 1000000
  assert(npc:tool("give_item", { item = { enum = { "bread", "cheese" } } },
    function(args) stock[npc.id] = stock[npc.id] - 1; return { ok = true, given = args.item } end,
    { description = "Hand the player an item.", rate = { calls = 1000, seconds = 1 },
      guard = function(args) return args.item == "bread" end }))
  npcs[i] = { npc = npc, turn = nil, old = {} }
end

local stats = { started = 0, done = 0, ok = 0, cancelled = 0, other = 0, barge_ins = 0, script_errors = 0 }
local statuses = {}
local warm, peak_rss = nil, 0
local warmup = math.max(8, math.floor(total / (total >= 1000 and 10 or 2)))
local t0 = os.time()
local rng = 12345
local function rand(n) rng = (rng * 1103515245 + 12345) % 2147483648; return rng % n end

local function finish(t)
  stats.done = stats.done + 1
  local st = t.status or "ok"
  statuses[st] = (statuses[st] or 0) + 1
  if st == "ok" then stats.ok = stats.ok + 1 elseif st == "cancelled" then stats.cancelled = stats.cancelled + 1
  else stats.other = stats.other + 1 end
  if stats.done == warmup then warm = sample() end
  if warm and stats.done % 25 == 0 then
    local m = sample(); if m.rss_kb > peak_rss then peak_rss = m.rss_kb end
  end
end

-- Each turn is played out one of three ways: to its end (85%), cancelled by the game
-- (10%), or interrupted by a new line from the player (5%: the runtime cancels the old
-- turn and starts the new one). Superseded turns are counted when their DONE arrives.
while stats.done < total do
  for _, s in ipairs(npcs) do
    if s.turn == nil and stats.started < total then
      local turn, err = s.npc:say(lines[rand(#lines) + 1])
      if not turn then error("say refused: " .. tostring(err)) end
      s.turn, s.started_at, s.updates = turn, os.time(), 0
      stats.started = stats.started + 1
      local r = rand(100)
      s.action, s.at = r < 10 and "cancel" or r < 15 and "barge" or nil, 1 + rand(400)
    end
  end
  if not rt:update(1 / 60) then stats.script_errors = stats.script_errors + 1 end
  for _, s in ipairs(npcs) do
    for i = #s.old, 1, -1 do
      if s.old[i].done then finish(table.remove(s.old, i)) end
    end
    local t = s.turn
    if t then
      s.updates = s.updates + 1
      if s.action and s.updates >= s.at and not t.done then
        if s.action == "cancel" then
          t:cancel()
        elseif stats.started < total then
          local turn, err = s.npc:say("Wait, one more thing.")
          if not turn then error("barge-in refused: " .. tostring(err)) end
          stats.barge_ins, stats.started = stats.barge_ins + 1, stats.started + 1
          s.old[#s.old + 1] = t
          s.turn, s.started_at, s.updates, t = turn, os.time(), 0, turn
        end
        s.action = nil
      end
      if t.done then
        finish(t)
        s.turn = nil
      elseif os.time() - s.started_at > 120 then
        -- every thread's stack, to tell a deadlock from a backlog (when gdb is installed)
        local stacks = os.getenv("SOAK_HANG_STACKS") or "/tmp/parley-soak-hang-stacks.txt"
        os.execute(string.format("command -v gdb >/dev/null && gdb -p %d -batch -ex 'thread apply all bt 12' >%s 2>&1",
          ffi.C.getpid(), stacks))
        error(string.format("a turn of %s did not end within 120 s (turn %s, route %s, text %q, errors %s, %d turns done; stacks in %s)",
          s.npc.name, tostring(t.id), tostring(t.route), tostring(t.text), tostring(t.errors and #t.errors), stats.done, stacks))
      end
    end
  end
  ffi.C.usleep(1000)
end
local final = sample()
if final.rss_kb > peak_rss then peak_rss = final.rss_kb end
local seconds = os.time() - t0
local tool_total = 0
for _, n in pairs(stock) do tool_total = tool_total + (1000000 - n) end
local s = rt:stats()
local growth = warm and (final.rss_kb - warm.rss_kb) / warm.rss_kb or 0
local report = string.format(
  '{"turns":%d,"ok":%d,"cancelled":%d,"other":%d,"barge_ins":%d,"tools_executed":%d,' ..
  '"remote_fallbacks":%d,"seconds":%d,"rss_warm_mb":%.1f,"rss_end_mb":%.1f,"rss_peak_mb":%.1f,"rss_growth_pct":%.1f,' ..
  '"threads_warm":%d,"threads_end":%d,"fds_warm":%d,"fds_end":%d}',
  stats.done, stats.ok, stats.cancelled, stats.other, stats.barge_ins, tool_total,
  s.remote_fallbacks or -1, seconds, warm.rss_kb / 1024, final.rss_kb / 1024, peak_rss / 1024, growth * 100,
  warm.threads, final.threads, warm.fds, final.fds)
print(report)
local failures = {}
if growth > 0.10 then failures[#failures + 1] = "resident memory grew by more than 10% after warm-up" end
if final.threads > warm.threads then failures[#failures + 1] = "threads grew" end
if final.fds > warm.fds then failures[#failures + 1] = "file descriptors grew" end
if stats.ok == 0 or stats.cancelled == 0 then failures[#failures + 1] = "no completed or no cancelled turns: the soak did not exercise both" end
if (s.remote_fallbacks or 0) == 0 then failures[#failures + 1] = "no remote fault reached the fallback" end
for _, f in ipairs(failures) do io.stderr:write("FAIL ", f, "\n") end
rt:release()
server:close()
os.exit(#failures == 0 and 0 or 1)
