-- One NPC's voice in LÖVE's own audio: Parley hands float32 PCM in AUDIO events,
-- the game converts it to 16-bit SoundData and queues it on a positional
-- QueueableSource. A sample clock follows playback so VISEME shapes line up with
-- what is heard.
local ffi = require "ffi"

local Voice = {}
Voice.__index = Voice

-- OpenAL queue depth: enough for a few sentences; the rest waits as raw PCM in
-- `pending` (converted only when a buffer frees, so no frame converts a backlog).
local BUFFERS = 16

-- float32 [-1, 1] → int16, straight into the SoundData's memory. The loop is
-- compiled by LuaJIT's JIT (about a nanosecond a sample), unlike setSample, which
-- is an API call per sample.
local function to_sounddata(pcm, n, rate)
  local sd = love.sound.newSoundData(n, rate, 16, 1)
  local src = ffi.cast("const float *", pcm)
  local dst = ffi.cast("int16_t *", sd:getFFIPointer())
  for i = 0, n - 1 do
    local s = src[i]
    if s > 1 then s = 1 elseif s < -1 then s = -1 end
    dst[i] = s * 32767
  end
  return sd
end
Voice.to_sounddata = to_sounddata

function Voice.new(x, y)
  return setmetatable({ x = x, y = y, pending = {}, queued = 0, clock = 0, fed = 0,
                        sentences = {}, incoming = {}, mouth = "sil" }, Voice)
end

-- The source is made at the first audio, at the voice's sample rate (a
-- QueueableSource takes only SoundData of its own rate).
function Voice:open(rate)
  self.rate = rate
  self.source = love.audio.newQueueableSource(rate, 16, 1, BUFFERS)
  -- Distances in tiles (metres): full volume within 2, fading out to about 12.
  self.source:setAttenuationDistances(2, 12)
  self.source:setRolloff(1)
  self:set_position(self.x, self.y)
end

-- The tavern is top-down: screen x → OpenAL x, screen y → OpenAL z (listener faces -z).
function Voice:set_position(x, y)
  self.x, self.y = x, y
  if self.source then self.source:setPosition(x, 0, y) end
end

-- A VISEME event: Parley sends a sentence's shapes just before its audio.
-- ev.start_sample/ev.end_sample are used when the binding provides them (the C
-- ABI has them); otherwise the shapes are spread evenly over the sentence.
function Voice:viseme(ev)
  self.incoming[#self.incoming + 1] = { name = ev.name, s = ev.start_sample, e = ev.end_sample }
end

-- An AUDIO event: a chunk that carries text starts a sentence.
function Voice:audio(ev)
  local n = ev.samples
  if not self.source then self:open(ev.sample_rate) end
  if ev.text or not self.sentences[#self.sentences] then
    self.sentences[#self.sentences + 1] = { start = self.queued, first = ev.start_sample,
                                            len = 0, visemes = self.incoming }
    self.incoming = {}
  end
  local sentence = self.sentences[#self.sentences]
  sentence.len = sentence.len + n
  self.pending[#self.pending + 1] = { pcm = ev.pcm, n = n, rate = ev.sample_rate }
  self.queued = self.queued + n
end

-- The player cut the NPC off: silence now, forget what was queued.
function Voice:flush()
  if self.source then self.source:stop() end
  self.pending, self.sentences, self.incoming = {}, {}, {}
  self.queued, self.clock, self.mouth = 0, 0, "sil"
end

function Voice:speaking() return self.clock < self.queued end

-- Per frame: feed free OpenAL buffers (at most a few conversions), keep the source
-- playing, advance the clock while it plays, pick the mouth shape.
function Voice:update(dt)
  local src = self.source
  if not src then return end
  local fed = 0
  while #self.pending > 0 and src:getFreeBufferCount() > 0 and fed < 4 do
    local p = table.remove(self.pending, 1)
    local sd = to_sounddata(p.pcm, p.n, p.rate)
    if not src:queue(sd) then sd:release(); table.insert(self.pending, 1, p); break end
    sd:release()            -- queue copied it into an OpenAL buffer
    self.fed = self.fed + p.n
    fed = fed + 1
  end
  if fed > 0 and not src:isPlaying() then src:play() end
  if src:isPlaying() then
    self.clock = math.min(self.clock + dt * self.rate, self.queued)
  elseif #self.pending == 0 and src:getFreeBufferCount() == BUFFERS then
    self.clock = self.queued   -- drained (or no device): catch up
  end
  -- Sentences wholly heard are dropped.
  while #self.sentences > 1 and self.sentences[2].start <= self.clock do table.remove(self.sentences, 1) end
  self.mouth = self:shape_at(self.clock)
end

function Voice:shape_at(t)
  local sentence = self.sentences[1]
  if not sentence or t < sentence.start or t >= sentence.start + sentence.len then return "sil" end
  local visemes = sentence.visemes
  local k = #visemes
  if k == 0 then return "aa" end
  local pos = t - sentence.start
  if visemes[1].s and sentence.first then
    for i = 1, k do
      local v = visemes[i]
      if pos < v.e - sentence.first then return v.name end
    end
    return "sil"
  end
  return visemes[math.min(k, math.floor(pos / sentence.len * k) + 1)].name
end

return Voice
