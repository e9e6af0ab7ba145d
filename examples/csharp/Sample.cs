// Sample.cs — a two-turn conversation through the C# binding, with a tool call
// answered from C# (as a Unity quest system would) and the speech written to a WAV.
//
//   mcs -out:sample.exe bindings/csharp/Parley.cs examples/csharp/Sample.cs
//   LD_LIBRARY_PATH=dist/lib mono sample.exe MODEL.gguf VOICE.onnx OUT.wav
//
// Captain Hale of the town guard has two tools (JSON Schemas): open_gate, guarded
// in C# (the quest state keeps the sea gate sealed), and issue_pass. The player asks
// him to open the north gate, then whether the north road is safe. Whether the model
// calls a tool is its choice (on Qwen2.5-0.5B this line usually makes it call
// open_gate); any call it makes is answered with ToolResult from the game's state,
// and each turn must end DONE OK. Also checks
// the error paths (a missing model file, a bad schema), save/load, and that an NPC
// dropped without Dispose is freed at a later Poll. Prints a summary line starting
// "sample: OK"; exits non-zero on any failure. Models are found by bare name in
// $PARLEY_MODELS or ./models.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Parley;

static class Sample
{
    static int failures;

    static void Fail(string what)
    {
        failures++;
        Console.Error.WriteLine("sample: FAIL: " + what);
    }

    // Just enough JSON for the tools' arguments, which the runtime has already validated
    // against the schema. A game would use its JSON library here.
    static string JsonString(string json, string key)
    {
        Match m = Regex.Match(json ?? "", "\"" + key + "\"\\s*:\\s*\"([^\"\\\\]*)\"");
        return m.Success ? m.Groups[1].Value : null;
    }

    static long? JsonInt(string json, string key)
    {
        Match m = Regex.Match(json ?? "", "\"" + key + "\"\\s*:\\s*(-?\\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value) : (long?)null;
    }

    const string GateSchema =
        "{\"type\":\"object\"," +
        " \"properties\":{\"gate\":{\"type\":\"string\",\"enum\":[\"north\",\"south\",\"sea\"]}}," +
        " \"required\":[\"gate\"],\"additionalProperties\":false}";
    const string PassSchema =
        "{\"type\":\"object\"," +
        " \"properties\":{\"holder\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":30}}," +
        " \"required\":[\"holder\",\"days\"],\"additionalProperties\":false}";

    // The game's world state the tools act on (a Unity quest system would own this).
    static readonly Dictionary<string, bool> gateOpen = new Dictionary<string, bool> {
        { "north", false }, { "south", false }, { "sea", false } };
    static readonly List<string> passes = new List<string>();

    class TurnResult
    {
        public Status Outcome = Status.ErrInternal;
        public string Reply = "";
        public int ToolCalls, Answered, Rejected, AudioChunks;
    }

    static int guardRuns;

    // One turn, polled as a game would once per frame until its DONE.
    static TurnResult Turn(Runtime rt, Npc npc, string line, List<float> audio, ref int sampleRate, double timeoutS)
    {
        var r = new TurnResult();
        ulong turn = npc.Say(line);
        Console.WriteLine("you> " + line);
        Console.Write("hale> ");
        var clock = Stopwatch.StartNew();
        var reply = new StringBuilder();
        while (true)
        {
            if (clock.Elapsed.TotalSeconds > timeoutS)
            {
                Fail(string.Format("turn timed out after {0:F0} s", timeoutS));
                npc.Cancel();
                return r;
            }
            ParleyEvent ev = rt.Poll();
            if (ev == null) { Thread.Sleep(2); continue; }  // a game renders a frame here
            if (ev.TurnId != turn || ev.NpcId != npc.Id) continue;
            switch (ev.Type)
            {
                case EventType.Text:
                    Console.Write(ev.Text);
                    reply.Append(ev.Text);
                    break;
                case EventType.Audio:
                    r.AudioChunks++;
                    if (sampleRate != 0 && sampleRate != ev.SampleRate) Fail("the sample rate changed mid-conversation");
                    sampleRate = ev.SampleRate;
                    audio.AddRange(ev.Samples);
                    break;
                case EventType.ToolCall:
                    r.ToolCalls++;
                    AnswerToolCall(npc, ev, r);
                    break;
                case EventType.Error:
                    if (ev.Status == Status.ErrToolRejected)
                    {
                        r.Rejected++;
                        Console.Write(string.Format("\n[rejected {0} {1}: {2}]\n", ev.Name, ev.ToolArguments, ev.Text));
                    }
                    else Console.Error.WriteLine(string.Format("\n[error {0}: {1}]", ev.Status, ev.Text));
                    break;
                case EventType.Done:
                    Console.WriteLine();
                    r.Outcome = ev.Status;
                    // DONE's text is the whole reply: it must match the deltas.
                    r.Reply = ev.Text ?? "";
                    if (r.Reply != reply.ToString()) Fail("DONE text differs from the TEXT deltas");
                    return r;
            }
        }
    }

    // The game's side of the tool: act on the world, then tell the NPC how it went.
    static void AnswerToolCall(Npc npc, ParleyEvent ev, TurnResult r)
    {
        Console.Write(string.Format("\n[tool call {0}: {1} {2}]\n", ev.CallId, ev.Name, ev.ToolArguments));
        string result;
        Status status = Status.Ok;
        string gate = JsonString(ev.ToolArguments, "gate");
        string holder = JsonString(ev.ToolArguments, "holder");
        long? days = JsonInt(ev.ToolArguments, "days");
        if (ev.Name == "open_gate" && gate != null && gateOpen.ContainsKey(gate) && gate != "sea")
        {
            bool was = gateOpen[gate];
            gateOpen[gate] = true;
            result = string.Format("{{\"ok\":true,\"gate\":\"{0}\",\"state\":\"open\",\"was_open\":{1},\"closes_at\":\"sundown\"}}",
                                   gate, was ? "true" : "false");
        }
        else if (ev.Name == "issue_pass" && holder != null && days != null && days >= 1 && days <= 30)
        {
            passes.Add(holder);
            result = string.Format("{{\"ok\":true,\"holder\":\"{0}\",\"days\":{1}}}", holder.Replace("\\", ""), days);
        }
        else
        {
            // The schema and the guard should have stopped this; answer anyway so the turn goes on.
            Fail("a call that does not match the schemas and guard: " + ev.Name + " " + ev.ToolArguments);
            status = Status.ErrInvalidArgument;
            result = "{\"error\":\"unexpected arguments\"}";
        }
        npc.ToolResult(ev.CallId, status, result);
        r.Answered++;
        Console.Write("[game: " + result + "]\n");
    }

    // 16-bit PCM mono WAV.
    static void WriteWav(string path, List<float> samples, int rate)
    {
        using (var w = new BinaryWriter(File.Create(path)))
        {
            int dataBytes = samples.Count * 2;
            w.Write(Encoding.ASCII.GetBytes("RIFF")); w.Write(36 + dataBytes);
            w.Write(Encoding.ASCII.GetBytes("WAVEfmt ")); w.Write(16);
            w.Write((short)1); w.Write((short)1);             // PCM, mono
            w.Write(rate); w.Write(rate * 2);                  // sample rate, byte rate
            w.Write((short)2); w.Write((short)16);            // block align, bits
            w.Write(Encoding.ASCII.GetBytes("data")); w.Write(dataBytes);
            foreach (float s in samples)
                w.Write((short)Math.Round(Math.Max(-1f, Math.Min(1f, s)) * 32767));
        }
    }

    // Its own frame, so no reference to the NPC is left on Main's stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void DropAnNpc(Runtime rt)
    {
        rt.CreateNpc(new NpcOptions("Passer-by"));
    }

    // The error paths a game hits first: each must be a ParleyException with the right status.
    static void ExpectError(Status expected, string what, Action call)
    {
        try
        {
            call();
            Fail(what + ": no exception");
        }
        catch (ParleyException e)
        {
            if (e.Status != expected) Fail(what + ": " + e.StatusName + " instead of " + expected);
            else Console.WriteLine("error path ok: " + what + " -> " + e.Message);
        }
    }

    static int Main(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: mono sample.exe MODEL.gguf VOICE.onnx OUT.wav");
            return 2;
        }
        string model = args[0], voice = args[1], outWav = args[2];
        double timeoutS = 600;
        string t = Environment.GetEnvironmentVariable("PARLEY_SAMPLE_TIMEOUT");
        if (!string.IsNullOrEmpty(t)) timeoutS = double.Parse(t);

        try
        {
            Console.WriteLine(string.Format("libparley {0} (API {1:X6})", Runtime.Version, Runtime.ApiVersion));
            ExpectError(Status.ErrFileNotFound, "a missing model file",
                        () => new Runtime("no-such-model-" + Guid.NewGuid().ToString("N") + ".gguf", null).Dispose());

            var ro = new RuntimeOptions { ModelPath = model, VoicePath = voice, Seed = 7 };
            using (var rt = new Runtime(ro))
            {
                var opts = new NpcOptions("Captain Hale")
                {
                    Persona = "Captain of the Hollowmere town guard; stern, dutiful, tired of smugglers.",
                    Knowledge = new[] {
                        "The town has a north gate, a south gate and a sea gate.",
                        "The gates close at sundown.",
                        "The north gate is two hundred years old.",
                        "Wolves have been seen on the north road.",
                    },
                    MaxReplyTokens = 48,
                    Temperature = 0,  // greedy: the same run every time
                };
                Npc hale = rt.CreateNpc(opts);
                hale.AddTool("open_gate", "Order the guards to open one of the town gates.", GateSchema);
                hale.AddTool("issue_pass", "Write a travel pass for a named person.", PassSchema);
                ExpectError(Status.ErrInvalidArgument, "a tool schema that is not an object",
                            () => hale.AddTool("bad_tool", null, "{\"type\":\"string\"}"));
                ExpectError(Status.ErrInvalidArgument, "a guard for a tool the NPC does not have",
                            () => hale.SetToolGuard("no_such_tool", (string tl, string aj, out string r) => { r = null; return true; }));
                // The quest state's precondition, checked by the runtime before the call reaches the game.
                hale.SetToolGuard("open_gate", (string tool, string argsJson, out string reason) => {
                    guardRuns++;
                    reason = "the sea gate is sealed by order of the harbour master";
                    return JsonString(argsJson, "gate") != "sea";
                });
                hale.SetToolRateLimit("open_gate", 2, 60);

                var audio = new List<float>();
                int rate = 0;
                var lines = new[] { "Captain, open the north gate.", "Thank you, Captain. Is the north road safe?" };
                var results = new List<TurnResult>();
                foreach (string line in lines)
                {
                    TurnResult r = Turn(rt, hale, line, audio, ref rate, timeoutS);
                    results.Add(r);
                    if (r.Outcome != Status.Ok) Fail("a turn ended with " + r.Outcome);
                    if (r.Answered != r.ToolCalls) Fail(string.Format("{0} of {1} tool calls answered", r.Answered, r.ToolCalls));
                    if (r.Reply.Trim().Length == 0) Fail("an empty reply");
                    if (failures > 0) break;
                }

                // Save and load: the bytes a save file would hold give back a working NPC.
                byte[] saved = hale.Save();
                using (Npc copy = rt.LoadNpc(saved))
                    if (saved.Length == 0 || copy.Id == hale.Id) Fail("save/load");

                // An NPC the game drops without Dispose: collected, then destroyed on this thread at a Poll.
                Func<uint> npcCount = () => rt.GetStats().NpcCount;
                uint before = npcCount();
                DropAnNpc(rt);
                if (npcCount() != before + 1) Fail("the dropped NPC was not created");
                uint after = before + 1;
                // A few rounds: Mono scans stacks conservatively, so one collection may miss it.
                for (int round = 0; round < 5 && after != before; round++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    while (rt.Poll() != null) { }
                    after = npcCount();
                }
                if (after != before) Fail(string.Format("a dropped NPC was not freed at Poll ({0} NPCs, expected {1})", after, before));

                Stats st = rt.GetStats();
                if (rate <= 0 || audio.Count == 0) Fail("no audio");
                else WriteWav(outWav, audio, rate);
                float peak = 0;
                foreach (float s in audio) peak = Math.Max(peak, Math.Abs(s));
                if (audio.Count > 0 && peak <= 0.01f) Fail(string.Format("the speech is silent (peak {0})", peak));

                int calls = 0, answered = 0, rejected = 0;
                foreach (TurnResult r in results) { calls += r.ToolCalls; answered += r.Answered; rejected += r.Rejected; }
                double seconds = rate > 0 ? audio.Count / (double)rate : 0;
                for (int i = 0; i < results.Count; i++)
                    Console.WriteLine(string.Format("turn {0}: {1}, {2} audio chunks, tool calls {3}; reply: {4}", i + 1,
                                                    results[i].Outcome, results[i].AudioChunks, results[i].ToolCalls,
                                                    results[i].Reply.Trim()));
                Console.WriteLine(string.Format(
                    "sample: {0} turns: {1}; audio: {2:F2} s at {3} Hz (peak {4:F3}) -> {5}; tool calls: {6} (answered {7}, " +
                    "rejected {8}, guard ran {9}), model called a tool: {10}; north gate: {11}; tokens generated: {12}; " +
                    "saved NPC: {13} bytes",
                    failures == 0 ? "OK" : "FAILED", results.Count, seconds, rate, peak, outWav, calls, answered, rejected,
                    guardRuns, calls > 0 ? "yes" : "no", gateOpen["north"] ? "open" : "closed", st.TokensGenerated, saved.Length));
                if (calls == 0) Console.WriteLine("sample: the model called no tool this time (allowed; text only)");
                // Disposing the runtime disposes hale too (NPCs first, then the runtime).
            }
        }
        catch (ParleyException e)
        {
            Fail("ParleyException " + e.Message);
        }
        return failures == 0 ? 0 : 1;
    }
}
