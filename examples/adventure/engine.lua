-- A small text-adventure engine on Parley: rooms, items, NPCs with quest hooks,
-- save/load. The host (`parley play`) feeds it player lines with game:command,
-- pumps it with game:update, and reads what happened from game:drain.
--
-- Two paths lead to a quest hook, and both go through the same guard:
--  * the model calls the tool during free talk, when a line plainly asks for it (ToolDecision);
--  * the game's own rules: "give ore to brom", or a `say` line that plainly asks for
--    work or hands over the quest item. Then the game runs the guarded tool itself
--    and has the NPC speak an authored line for the outcome, so a quest finishes the
--    same way on every model. The model's words never grant anything.
local engine = {}
local Game = {}
Game.__index = Game

local function words_of(text)
  local out = {}
  for w in text:lower():gmatch("[%w']+") do out[#out + 1] = w end
  return out
end

local function has_word(words, set)
  for _, w in ipairs(words) do if set[w] then return true end end
  return false
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- The game's rules for free talk: asking for work, handing something over.
local WORK_WORDS = set_of { "work", "job", "jobs", "task", "quest", "errand", "chores" }
local GIVE_WORDS = set_of { "brought", "bring", "here", "here's", "have", "got", "give", "found", "hand", "take", "picked" }

-- Checks arguments against a tool's shorthand schema (enum fields): the command
-- path gets the same validation the runtime applies to the model's calls.
local function valid_args(schema, args)
  for field, spec in pairs(schema) do
    local value = args[field]
    if value == nil then return false, "missing " .. field end
    local ok = false
    for _, allowed in ipairs(spec.enum or {}) do if allowed == value then ok = true end end
    if not ok then return false, field .. " is not one of the allowed values" end
  end
  for field in pairs(args) do
    if schema[field] == nil then return false, "unknown argument " .. tostring(field) end
  end
  return true
end

-- game = engine.new(parley, world, options) | nil, message
-- options: model, voice (nil: no speech), threads, seed, remote (URL), max_tokens,
--          audio (true: play speech through OpenAL from where each NPC stands), audio_device
function engine.new(parley, world, options)
  local rt, err = parley.open { model = options.model, voice = options.voice, threads = options.threads,
                                seed = options.seed, remote = options.remote }
  if not rt then return nil, "parley.open: " .. tostring(err) end
  local self = setmetatable({ parley = parley, world = world, rt = rt, options = options, outbox = {},
                              npcs = {}, by_name = {}, log = {}, replies = {}, spent_usd = 0, lines = 0 }, Game)
  if options.audio and options.voice then
    local ok, why = rt:audio { device = options.audio_device }
    self.audio = ok == true
    if not ok then self:narrate("(audio: " .. tostring(why) .. "; playing nothing)") end
  end
  self:reset_state()
  for _, def in ipairs(world.npcs) do
    local entry = { def = def, name = def.name }
    local handle, why = rt:npc { name = def.name, persona = def.persona, knowledge = def.knowledge,
                                 examples = def.examples, authored = self:authored_lines(def),
                                 voice = def.voice, position = def.position,
                                 policy = options.remote and "auto" or "local",
                                 max_tokens = options.max_tokens or 48, max_sentences = 2 }
    if not handle then rt:release(); return nil, "rt:npc " .. def.name .. ": " .. tostring(why) end
    self.npcs[#self.npcs + 1] = entry
    self.by_name[def.name:lower()] = entry
    for _, alias in ipairs(def.aliases or {}) do self.by_name[alias] = entry end
    local ok, why2 = self:wire(entry, handle)
    if not ok then rt:release(); return nil, why2 end
  end
  self:place_listener()
  return self
end

-- The player's ears: a step in front of the NPC of the current place, facing them
-- (or the place's centre), so each voice comes from where its NPC stands.
function Game:place_listener()
  if not self.audio then return end
  local x, y, z = 0, 0, 0
  for _, e in ipairs(self.npcs) do
    if e.def.place == self.location and e.def.position then
      x, y, z = e.def.position[1], e.def.position[2], e.def.position[3]
    end
  end
  self.rt:listener { position = { x + 0.8, y, z + 1.5 }, at = { -0.8, 0, -1.5 }, up = { 0, 1, 0 } }
end

function Game:reset_state()
  self.location = self.world.start
  self.inventory = {}
  self.quests = {}
  for id in pairs(self.world.quests) do self.quests[id] = "available" end
  self.items_at = {}
  for id, place in pairs(self.world.places) do
    self.items_at[id] = {}
    for i, item in ipairs(place.items or {}) do self.items_at[id][i] = item end
  end
  self.talking = nil
end

-- Greeting and quest-outcome lines, spoken word for word (route "authored").
function Game:authored_lines(def)
  local lines = {}
  for _, a in ipairs(def.authored or {}) do lines[#lines + 1] = a end
  for _, kind in ipairs { "offer", "again", "done", "missing" } do
    local e = def.events and def.events[kind]
    if e then lines[#lines + 1] = { trigger = e.trigger, reply = e.reply } end
  end
  return lines
end

function Game:push(record) self.outbox[#self.outbox + 1] = record end
function Game:narrate(text) self:push { kind = "narrate", text = text } end

-- Inventory helpers.
function Game:has(item)
  for _, it in ipairs(self.inventory) do if it == item then return true end end
  return false
end
function Game:remove(item)
  for i, it in ipairs(self.inventory) do if it == item then table.remove(self.inventory, i); return true end end
  return false
end

-- The NPC's quest hooks, callbacks and turn bookkeeping, on a fresh or loaded handle.
function Game:wire(entry, handle)
  entry.handle = handle
  entry.tools = {}
  local def, name = entry.def, entry.name
  if def.quests and #def.quests > 0 then
    local schema = { quest = { enum = def.quests } }
    local tools = {
      give_quest = {
        description = "Give the player one of your quests when they ask for work.",
        guard = function(args)
          local q = self.world.quests[args.quest]
          if not q or q.giver ~= name then return false, "not " .. name .. "'s quest" end
          if self.quests[args.quest] ~= "available" then return false, "the player already has that quest" end
          return true
        end,
        fn = function(args)
          self.quests[args.quest] = "active"
          self:narrate("[Quest started: " .. self.world.quests[args.quest].title .. "]")
          return { ok = true, task = self.world.quests[args.quest].hint }
        end },
      complete_quest = {
        description = "Finish a quest when the player hands over what it needs; gives the reward.",
        guard = function(args)
          local q = self.world.quests[args.quest]
          if not q or q.giver ~= name then return false, "not " .. name .. "'s quest" end
          if self.quests[args.quest] == "done" then return false, "that quest is already done" end
          if not self:has(q.needs) then return false, "the player does not have the " .. self.world.items[q.needs].name end
          return true
        end,
        fn = function(args)
          local q = self.world.quests[args.quest]
          self:remove(q.needs)
          self.inventory[#self.inventory + 1] = q.reward
          self.quests[args.quest] = "done"
          self:narrate("[Quest done: " .. q.title .. ". You receive " .. self.world.items[q.reward].name .. ".]")
          return { ok = true, reward = self.world.items[q.reward].name }
        end },
    }
    -- a fixed order: the tool list is part of the prompt, and pairs() order is not stable
    for _, tool_name in ipairs { "give_quest", "complete_quest" } do
      local t = tools[tool_name]
      t.schema = schema
      entry.tools[tool_name] = t
      local ok, why = handle:tool(tool_name, schema, function(args)
        self:record_tool(entry, tool_name, args, "model")
        return t.fn(args)
      end, { description = t.description, guard = t.guard, rate = 6 })
      if not ok then return nil, name .. ":tool " .. tool_name .. ": " .. tostring(why) end
    end
  end
  local function current(ev)
    local turn = self.turn
    -- a cut-off turn's last text and audio are dropped: the player has moved on
    return turn and not turn.cancelled and turn.entry == entry and handle.turn and ev.turn == handle.turn.id
  end
  handle:on("text", function(ev)
    if current(ev) then self:push { kind = "text", npc = name, text = ev.text } end
  end)
  handle:on("audio", function(ev)
    if current(ev) then self:push { kind = "audio", npc = name, pcm = ev.pcm, sample_rate = ev.sample_rate } end
  end)
  handle:on("error", function(ev)
    if not current(ev) then return end
    if ev.status == "toolRejected" then
      self:push { kind = "note", text = "(" .. name .. " tried " .. tostring(ev.name) .. "; the game refused: " .. tostring(ev.text) .. ")" }
    else
      self:push { kind = "note", text = "(" .. name .. ": " .. tostring(ev.status) .. " " .. tostring(ev.text) .. ")" }
    end
  end)
  return true
end

function Game:record_tool(entry, tool, args, by)
  local record = { kind = "tool", npc = entry.name, name = tool, arguments = self.parley.json_encode(args), by = by }
  self.log[#self.log + 1] = { npc = entry.name, name = tool, arguments = args, by = by }
  self:push(record)
end

-- The same guard and function the model's call goes through, run by the game.
function Game:invoke(entry, tool, args)
  local t = entry.tools[tool]
  if not t then return false, entry.name .. " has no " .. tool end
  local ok, why = valid_args(t.schema, args)
  if not ok then return false, why end
  local allowed, reason = t.guard(args)
  if not allowed then return false, reason or "refused" end
  self:record_tool(entry, tool, args, "game")
  return true, t.fn(args)
end

-- Starts a turn: the NPC answers `text` (a coroutine waits for the reply).
function Game:speak(entry, text)
  local turn = { entry = entry }
  self.turn = turn
  local co = coroutine.create(function()
    local reply, second, third = entry.handle:say(text)
    local handle = type(second) == "table" and second or third
    local route, cost = nil, 0
    if handle and handle.route then
      local r = self.parley.json_decode(handle.route)
      if type(r) == "table" then route, cost = r.route, tonumber(r.cost) or 0 end
    end
    if route == "remote" then self.spent_usd = self.spent_usd + cost end
    local s = self.rt:stats()
    self.lines = self.lines + 1
    self.replies[#self.replies + 1] = { npc = entry.name, heard = text, reply = reply or "", route = route or "?" }
    self:push { kind = "done", npc = entry.name, reply = reply or "", status = reply and "ok" or tostring(second),
                route = route or "?", heard = text, tokens = s.last_turn.generated_tokens, generate_ms = s.last_turn.generate_ms,
                prefilled = s.last_turn.prefilled_tokens, prefill_ms = s.last_turn.prefill_ms,
                first_audio_ms = s.last_turn.first_audio_ms, first_text_ms = s.last_turn.first_text_ms,
                remote_tokens = s.remote_tokens, remote_usd = self.spent_usd }
    if self.turn == turn then self.turn = nil end
  end)
  local ok, err = coroutine.resume(co)
  if not ok then
    self.turn = nil
    self:narrate("(" .. entry.name .. " cannot answer: " .. tostring(err) .. ")")
  end
end

-- Busy while a turn runs, and with audio on until the NPC's speech has finished playing.
function Game:busy()
  if self.turn ~= nil then return true end
  if self.audio then
    for _, e in ipairs(self.npcs) do
      if e.handle and e.handle:is_speaking() then return true end
    end
  end
  return false
end

-- Barge-in: the player spoke over the NPC; its turn ends (status "cancelled").
function Game:interrupt()
  if self.turn then
    self.turn.cancelled = true
    self.turn.entry.handle:cancel()
  end
end

function Game:update(dt)
  local n, err = self.rt:update(dt or 0)
  if not n then self:narrate("(script error: " .. tostring(err) .. ")") end
end

function Game:drain()
  local out = self.outbox
  self.outbox = {}
  return out
end

-- NPCs here.
function Game:present()
  local here = {}
  for _, e in ipairs(self.npcs) do if e.def.place == self.location then here[#here + 1] = e end end
  return here
end

function Game:find_npc(word)
  local e = self.by_name[(word or ""):lower():gsub("^the ", "")]
  if not e then return nil, "There is nobody called " .. tostring(word) .. " in Greyhill." end
  if e.def.place ~= self.location then return nil, e.name .. " is not here." end
  return e
end

function Game:find_item(word, list)
  word = (word or ""):lower():gsub("^the ", ""):gsub("^some ", "")
  for _, id in ipairs(list) do
    if id == word then return id end
    for _, w in ipairs(self.world.items[id].words or {}) do if w == word or word:find(w, 1, true) then return id end end
  end
end

function Game:look()
  local place = self.world.places[self.location]
  local lines = { place.text }
  local items = self.items_at[self.location]
  if #items > 0 then
    local names = {}
    for _, id in ipairs(items) do names[#names + 1] = self.world.items[id].name end
    lines[#lines + 1] = "You see: " .. table.concat(names, ", ") .. "."
  end
  local people = {}
  for _, e in ipairs(self:present()) do people[#people + 1] = e.name end
  if #people > 0 then lines[#lines + 1] = "Here: " .. table.concat(people, ", ") .. "." end
  lines[#lines + 1] = "Exits: " .. table.concat(place.exits, ", ") .. "."
  self:narrate(table.concat(lines, " "))
end

-- The game's rules for a line said to a quest giver; true when a rule took it.
function Game:quest_rules(entry, text)
  local words = words_of(text)
  for _, id in ipairs(entry.def.quests or {}) do
    local q = self.world.quests[id]
    local item_words = set_of(self.world.items[q.needs].words or { q.needs })
    if has_word(words, item_words) and has_word(words, GIVE_WORDS) and self.quests[id] ~= "done" then
      self:give(entry, q.needs)
      return true
    end
    if has_word(words, WORK_WORDS) and self.quests[id] ~= "done" then
      self:ask_work(entry, id)
      return true
    end
  end
  return false
end

function Game:ask_work(entry, id)
  local ok = self:invoke(entry, "give_quest", { quest = id })
  self:speak(entry, entry.def.events[ok and "offer" or "again"].trigger)
end

function Game:give(entry, item)
  for _, id in ipairs(entry.def.quests or {}) do
    local q = self.world.quests[id]
    if q.needs == item then
      local ok, why = self:invoke(entry, "complete_quest", { quest = id })
      if ok then
        self:speak(entry, entry.def.events.done.trigger)
      elseif self.quests[id] == "done" then
        self:narrate("(" .. entry.name .. " has already had the " .. self.world.items[item].name .. ".)")
      else
        self:narrate("(" .. tostring(why) .. ")")
        self:speak(entry, entry.def.events.missing.trigger)
      end
      return
    end
  end
  self:narrate("(" .. entry.name .. " does not want that.)")
end

local HELP = "Commands: look, go PLACE, take ITEM, inventory, quests, talk to NAME, say TEXT (or just type while talking), "
             .. "ask NAME for work, give ITEM to NAME, save [FILE], load [FILE], quit."

-- One player line. Returns false when the player quits.
function Game:command(line)
  line = line:gsub("^%s+", ""):gsub("%s+$", "")
  if line == "" then return true end
  local lower = line:lower()
  local rest
  if lower == "help" or lower == "?" then
    self:narrate(HELP)
  elseif lower == "look" or lower == "l" then
    self:look()
  elseif lower == "inventory" or lower == "i" or lower == "inv" then
    local names = {}
    for _, id in ipairs(self.inventory) do names[#names + 1] = self.world.items[id].name end
    self:narrate(#names > 0 and ("You carry: " .. table.concat(names, ", ") .. ".") or "You carry nothing.")
  elseif lower == "quests" or lower == "journal" then
    local ids = {}
    for id in pairs(self.world.quests) do ids[#ids + 1] = id end
    table.sort(ids)
    local lines = {}
    for _, id in ipairs(ids) do
      if self.quests[id] ~= "available" then lines[#lines + 1] = self.world.quests[id].title .. ": " .. self.quests[id] end
    end
    self:narrate(#lines > 0 and table.concat(lines, "; ") or "No quests yet. Ask around for work.")
  elseif lower:match("^go ") or lower:match("^walk ") or self.world.places[lower] then
    local target = lower:gsub("^go ", ""):gsub("^walk ", ""):gsub("^to ", ""):gsub("^the ", "")
    local allowed = false
    for _, exit in ipairs(self.world.places[self.location].exits) do if exit == target then allowed = true end end
    if not allowed then
      self:narrate("You cannot go to " .. target .. " from here. Exits: " .. table.concat(self.world.places[self.location].exits, ", ") .. ".")
    else
      self.location = target
      self.talking = nil
      self:place_listener()
      self:look()
    end
  elseif lower:match("^take ") or lower:match("^pick up ") or lower:match("^get ") then
    rest = lower:gsub("^pick up ", ""):gsub("^take ", ""):gsub("^get ", "")
    local items = self.items_at[self.location]
    local id = self:find_item(rest, items)
    if not id then
      self:narrate("There is no " .. rest .. " here.")
    else
      for i, it in ipairs(items) do if it == id then table.remove(items, i); break end end
      self.inventory[#self.inventory + 1] = id
      self:narrate("Taken: " .. self.world.items[id].name .. ".")
    end
  elseif lower:match("^talk to ") or lower:match("^talk ") then
    local e, why = self:find_npc(lower:gsub("^talk to ", ""):gsub("^talk ", ""))
    if not e then self:narrate(why) else self.talking = e; self:speak(e, "Hello.") end
  elseif lower:match("^ask ") then
    local who, topic = lower:match("^ask (%S+) (.*)$")
    local e, why
    if who then e, why = self:find_npc(who) end
    if not e then self:narrate(why or "Ask whom about what? (ask NAME for work, ask NAME about TOPIC)") else
      self.talking = e
      self:say(e, "I'd like to ask " .. topic .. ".")
    end
  elseif lower:match("^give ") then
    local what, who = lower:match("^give (.-) to (%S+)$")
    local e, why
    if who then e, why = self:find_npc(who) end
    if not e then self:narrate(why or "Give what to whom? (give ITEM to NAME)") else
      local id = self:find_item(what, self.inventory)
      self.talking = e
      if not id then
        -- nothing to hand over: the quest's own refusal line, if this NPC has one for it
        local needed = {}
        for _, q in pairs(self.world.quests) do needed[#needed + 1] = q.needs end
        table.sort(needed)
        id = self:find_item(what, needed)
      end
      if id then self:give(e, id) else self:narrate("You have no " .. tostring(what) .. ".") end
    end
  elseif lower:match("^save") then
    local path = line:match("^%S+%s+(.+)$") or self.options.save_path
    local ok, err = self:save(path)
    self:narrate(ok and ("Saved to " .. path .. ".") or ("Save failed: " .. tostring(err)))
  elseif lower:match("^load") then
    local path = line:match("^%S+%s+(.+)$") or self.options.save_path
    local ok, err = self:load(path)
    if ok then self:narrate("Loaded " .. path .. "."); self:look() else self:narrate("Load failed: " .. tostring(err)) end
  elseif lower == "quit" or lower == "exit" or lower == "q" then
    return false
  elseif lower:match("^say ") or line:match('^"') then
    if not self.talking then self:narrate("Nobody is listening. Try: talk to NAME.")
    else self:say(self.talking, (line:gsub("^[Ss][Aa][Yy] ", ""):gsub('^"', ""):gsub('"$', ""))) end
  elseif self.talking then
    self:say(self.talking, line)
  else
    self:narrate("I don't understand that. " .. HELP)
  end
  return true
end

-- Free talk: the game's quest rules first, then the model.
function Game:say(entry, text)
  if entry.def.place ~= self.location then self:narrate(entry.name .. " is not here."); return end
  -- The player's words may not pose as the game's narration of an event.
  text = text:gsub("[%(%)%[%]]", "")
  if self:quest_rules(entry, text) then return end
  self:speak(entry, text)
end

-- Save file: the game state plus each NPC's own save (memory, settings), as JSON.
function Game:save(path)
  local npcs = {}
  for _, e in ipairs(self.npcs) do npcs[e.name] = e.handle:save() end
  local data = { format = "greyhill-save", version = 1, location = self.location, inventory = self.inventory,
                 quests = self.quests, items_at = self.items_at, talking = self.talking and self.talking.name or "",
                 npcs = npcs }
  local ok, text = pcall(self.parley.json_encode, data)
  if not ok then return nil, text end
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  f:write(text)
  f:close()
  return true
end

local function list_of_strings(v)
  if type(v) ~= "table" then return nil end
  local out = {}
  for i, x in ipairs(v) do if type(x) ~= "string" then return nil end out[i] = x end
  return out
end

-- Loads a save: every NPC is rebuilt from its save before anything changes, so a
-- bad file leaves the game as it was.
function Game:load(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("*a")
  f:close()
  local data, why = self.parley.json_decode(text)
  if type(data) ~= "table" or data.format ~= "greyhill-save" then return nil, why or "not a Greyhill save" end
  if not self.world.places[data.location] then return nil, "unknown place in the save" end
  local inventory = list_of_strings(data.inventory or {})
  if not inventory then return nil, "bad inventory in the save" end
  for _, id in ipairs(inventory) do if not self.world.items[id] then return nil, "unknown item " .. id end end
  if type(data.quests) ~= "table" or type(data.npcs) ~= "table" or type(data.items_at) ~= "table" then return nil, "incomplete save" end
  local quests = {}
  for id in pairs(self.world.quests) do
    local s = data.quests[id]
    if s ~= "available" and s ~= "active" and s ~= "done" then return nil, "bad state for quest " .. id end
    quests[id] = s
  end
  local items_at = {}
  for id in pairs(self.world.places) do
    items_at[id] = list_of_strings(data.items_at[id] or {})
    if not items_at[id] then return nil, "bad items for " .. id end
  end
  local loaded = {}
  for _, e in ipairs(self.npcs) do
    local blob = data.npcs[e.name]
    local handle, reason = type(blob) == "string" and self.rt:load_npc(blob)
    if not handle then
      for _, h in pairs(loaded) do h:release() end
      return nil, e.name .. ": " .. tostring(reason or "missing from the save")
    end
    loaded[e] = handle
  end
  self:interrupt()
  self.turn = nil
  for _, e in ipairs(self.npcs) do
    e.handle:release()
    local ok, werr = self:wire(e, loaded[e])
    if not ok then return nil, werr end
  end
  self.location, self.inventory, self.quests, self.items_at = data.location, inventory, quests, items_at
  self.talking = self.by_name[(data.talking or ""):lower()]
  self:place_listener()
  return true
end

-- The state the headless run prints: quests, inventory and what the hooks did.
function Game:state_json()
  local json = self.parley.json_encode {
    location = self.location, inventory = self.inventory, quests = self.quests,
    tools_executed = self.log, lines_spoken = self.lines, replies = self.replies, remote_usd = self.spent_usd,
    remote_tokens = self.rt:stats().remote_tokens,
  }
  -- an empty Lua table encodes as an object; these two are lists
  return (json:gsub('"inventory":{}', '"inventory":[]'):gsub('"tools_executed":{}', '"tools_executed":[]'))
end

function Game:intro()
  self:narrate(self.world.title .. ". " .. self.world.intro .. " (Type help for commands.)")
  self:look()
end

function Game:shutdown()
  for _, e in ipairs(self.npcs) do pcall(e.handle.release, e.handle) end
  self.rt:release()
end

return engine
