-- The village of Greyhill: places, items, characters and quests, as data.
-- engine.lua reads this; nothing here runs by itself.
local world = {}

world.title = "Greyhill"
world.intro = "You arrive in Greyhill at dusk. Smoke rises from the forge; the inn's lamps are lit."
world.start = "square"

-- Places: where the player can stand, what they see, where they can go.
world.places = {
  square = { name = "the village square",
             text = "A muddy square around an old well. The forge glows to the west, the inn stands to the north, "
                    .. "a path leads east to the Greyhill mine and south to the meadow.",
             exits = { "forge", "inn", "mine", "meadow" } },
  forge  = { name = "the forge", text = "Hot air and the ring of a hammer. Brom the smith works the anvil.",
             exits = { "square" } },
  inn    = { name = "the Drowned Lantern inn", text = "A low room with a fire, benches and the smell of stew. Mara keeps the bar.",
             exits = { "square" } },
  mine   = { name = "the old Greyhill mine", text = "A dark tunnel mouth. Loose rock lies everywhere.",
             exits = { "square" }, items = { "ore" } },
  meadow = { name = "the meadow", text = "Tall grass and wildflowers. Edda's cottage leans by the brook.",
             exits = { "square" }, items = { "moonpetal" } },
}

-- Items: what the player can carry (the key is the inventory name).
world.items = {
  ore       = { name = "iron ore", words = { "ore", "iron" } },
  moonpetal = { name = "moonpetal", words = { "moonpetal", "moonpetals", "petal", "petals", "flower", "flowers", "herb", "herbs" } },
  sword     = { name = "a new sword" },
  potion    = { name = "a healing potion" },
}

-- Quests: who gives them, what finishes them, what they pay. The guard in
-- engine.lua checks `needs` against the inventory; the model's words never do.
world.quests = {
  ore   = { giver = "Brom", title = "Ore for the forge", needs = "ore", reward = "sword",
            hint = "Bring Brom iron ore from the Greyhill mine." },
  herbs = { giver = "Edda", title = "Moonpetal for a remedy", needs = "moonpetal", reward = "potion",
            hint = "Pick moonpetal in the meadow for Edda." },
}

-- Characters. `voice` goes to rt:npc as is: a preset made from the one base voice
-- (docs/voice-design.md), with the fields that override it.
-- `events` are the authored lines the game speaks through the NPC when a quest
-- hook ran or was refused: the trigger is the game's narration of what the player
-- did (it goes into the NPC's memory), the reply is what the NPC says, word for word.
world.npcs = {
  { name = "Brom", place = "forge", position = { -6, 0, 0 },
    persona = "Brom, the village blacksmith of Greyhill. Gruff, honest, a man of few words. "
              .. "He needs iron ore from the old Greyhill mine to forge swords.",
    knowledge = { "Iron ore comes from the old Greyhill mine, east of the square.",
                  "Brom has forged blades for the village for thirty years.",
                  "Wolves have been seen on the north road." },
    examples = { { player = "Nice forge.", reply = "Hm. It does the job." },
                 { player = "What are you making?", reply = "Horseshoes. Swords when I have iron." } },
    authored = { { trigger = "Hello.", reply = "Hm. Need something forged?" } },
    voice = { preset = "giant", rate = 0.92, noise_scale = 0.55, noise_w = 0.6 },
    quests = { "ore" },
    events = {
      offer   = { trigger = "(The traveller asks Brom for work.)",
                  reply = "I'm out of iron. Bring me ore from the old Greyhill mine, east of the square, and I'll forge you a sword." },
      again   = { trigger = "(The traveller asks Brom for work again.)",
                  reply = "You have my errand already. Ore, from the Greyhill mine." },
      done    = { trigger = "(The traveller hands Brom the iron ore.)",
                  reply = "Good Greyhill ore. As promised, here is your sword." },
      missing = { trigger = "(The traveller has no ore to give Brom.)",
                  reply = "No ore, no sword. The mine is east of the square." },
    } },
  { name = "Mara", place = "inn", position = { 0, 0, -6 },
    persona = "Mara, innkeeper of the Drowned Lantern in Greyhill. Warm, quick-witted, loves gossip "
              .. "and remembers every guest's name.",
    knowledge = { "A room at the Drowned Lantern costs two silver a night.",
                  "Brom the smith has been short of iron since the mine closed.",
                  "Old Edda in the meadow makes remedies from moonpetal." },
    examples = { { player = "Evening.", reply = "Evening, love! Sit by the fire." },
                 { player = "Any news?", reply = "Brom's out of iron again, poor man." } },
    authored = { { trigger = "Hello.", reply = "Welcome to the Drowned Lantern! Ale, stew, or a room?" } },
    voice = { preset = "woman", rate = 1.05, noise_scale = 0.7, noise_w = 0.8 },
    quests = {} },
  { name = "Edda", place = "meadow", position = { 0, 0, 6 },
    persona = "Edda, an old herbalist who lives in the meadow by the brook. Kind, slow, speaks in riddles now and then.",
    knowledge = { "Moonpetal grows in the meadow and heals fevers.",
                  "Edda has lived in Greyhill longer than anyone." },
    examples = { { player = "Hello, grandmother.", reply = "Ah, a visitor. Sit, sit." } },
    authored = { { trigger = "Hello.", reply = "Ah, a visitor. The brook told me you would come." } },
    voice = { preset = "witch", rate = 0.9 },
    quests = { "herbs" },
    events = {
      offer   = { trigger = "(The traveller asks Edda for work.)",
                  reply = "My knees are too old for the meadow. Pick me some moonpetal, and I will brew you a healing potion." },
      again   = { trigger = "(The traveller asks Edda for work again.)",
                  reply = "The moonpetal, dear. It grows right here in the meadow." },
      done    = { trigger = "(The traveller hands Edda the moonpetal.)",
                  reply = "Fresh moonpetal. Here, a healing potion, as I promised." },
      missing = { trigger = "(The traveller has no moonpetal to give Edda.)",
                  reply = "Empty hands, dear. The moonpetal grows in this very meadow." },
    } },
}

return world
