// Handles.cs — the C# binding's lifetimes and marshalling, without a model (a second).
//
//   mcs -out:handles.exe bindings/csharp/Parley.cs tests/csharp/Handles.cs
//   LD_LIBRARY_PATH=dist/lib mono handles.exe
//
// Struct sizes against parley.h, the library's defaults, UTF-8 both ways, exceptions
// with status and message, dropped NPCs freed at Poll on the game thread, a runtime
// dropped with live NPCs finalized in the right order (no crash), Dispose in any order,
// guards' GCHandles freed. Prints "handles: OK"; exits non-zero on failure.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Parley;

static class Handles
{
    static int failures;

    static void Check(bool ok, string what)
    {
        if (!ok) { failures++; Console.Error.WriteLine("handles: FAIL: " + what); }
    }

    static Status StatusOf(Action call)
    {
        try { call(); return Status.Ok; }
        catch (ParleyException e) { return e.Status; }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void DropNpcs(Runtime rt, int n)
    {
        for (int i = 0; i < n; i++)
        {
            Npc npc = rt.CreateNpc(new NpcOptions("Dropped " + i));
            npc.AddTool("wave", null, "{\"type\":\"object\",\"properties\":{}}");
            npc.SetToolGuard("wave", (string t, string a, out string r) => { r = null; return true; });
        }
    }

    // A whole runtime with NPCs, none disposed: the finalizers must destroy the NPCs first.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void DropRuntime()
    {
        var rt = new Runtime(null, null);
        for (int i = 0; i < 3; i++) rt.CreateNpc(new NpcOptions("Orphan " + i));
    }

    static int Main()
    {
        // Layouts: the 0.5 sizeof of each struct on 64-bit targets.
        Check(IntPtr.Size == 8, "a 64-bit process");
        Check(Marshal.SizeOf(typeof(Native.RuntimeParams)) == 96, "sizeof(parley_runtime_params) == 96");
        Check(Marshal.SizeOf(typeof(Native.NpcParams)) == 104, "sizeof(parley_npc_params) == 104");
        Check(Marshal.SizeOf(typeof(Native.Event)) == 128, "sizeof(parley_event) == 128");
        Check(Marshal.SizeOf(typeof(Native.NativeStats)) == 112, "sizeof(parley_stats) == 112");
        Check(Marshal.OffsetOf(typeof(Native.Event), "sample_rate").ToInt64() == 72, "parley_event.sample_rate at 72");
        Check(Marshal.OffsetOf(typeof(Native.NpcParams), "seed").ToInt64() == 80, "parley_npc_params.seed at 80");
        Check(Marshal.OffsetOf(typeof(Native.RuntimeParams), "remote_token_budget").ToInt64() == 80,
              "parley_runtime_params.remote_token_budget at 80");

        // Defaults come from the library (the header's documented values).
        var np = new NpcOptions("x");
        Check(np.MaxReplyTokens == 96 && Math.Abs(np.Temperature - 0.3f) < 1e-6 && np.TopK == 40 && np.VoiceRate == 1,
              "NPC defaults from parley_npc_default_params_v2");
        var ro = new RuntimeOptions();
        Check(ro.RemoteMaxRetries == -1 && ro.Threads == 0 && ro.VoicePrecision == VoicePrecision.Exact,
              "runtime defaults from parley_runtime_default_params_v2");
        Check(Marshal.OffsetOf(typeof(Native.RuntimeParams), "voice_precision").ToInt64() == 92,
              "parley_runtime_params.voice_precision at 92");
        Check(Runtime.Version.Length > 0 && (Runtime.ApiVersion >> 8) >= 4, "version " + Runtime.Version);

        // Exceptions carry the status and parley_last_error().
        try { new Runtime("/nonexistent/dir/model.gguf", null); Check(false, "a missing model throws"); }
        catch (ParleyException e)
        {
            Check(e.Status == Status.ErrFileNotFound && e.StatusName == "PARLEY_ERR_FILE_NOT_FOUND" &&
                  e.Message.Contains("model.gguf"), "missing model: " + e.Message);
        }

        using (var rt = new Runtime(null, null))
        {
            Check(StatusOf(() => rt.CreateNpc(new NpcOptions(null))) == Status.ErrInvalidArgument, "an NPC without a name");

            // UTF-8 both ways: a name in, the library's message (quoting it) out.
            Npc zoe = rt.CreateNpc(new NpcOptions("Zoë 雪") { Knowledge = new[] { "Ünïcode lore ✓", "second" } });
            try { zoe.SetToolGuard("gâteau", null); Check(false, "an unknown tool's guard throws"); }
            catch (ParleyException e)
            {
                Check(e.Status == Status.ErrInvalidArgument && e.Message.Contains("Zoë 雪") && e.Message.Contains("gâteau"),
                      "UTF-8 round trip: " + e.Message);
            }
            Check(StatusOf(() => zoe.Say("hello")) == Status.ErrInvalidState, "say without a model");
            Check(StatusOf(() => zoe.ToolResult("nope", Status.Ok, "{}")) == Status.ErrInvalidState, "an unknown call id");

            // Audio output: no such device is a ParleyException; a loopback output renders silence before speech.
            try { rt.OpenAudio(new AudioOptions { Device = "parley-no-such-device" }); Check(false, "a bogus audio device throws"); }
            catch (ParleyException e)
            {
                Check(e.Status == Status.ErrAudioDevice && e.Message.Contains("parley-no-such-device"), "bogus audio device: " + e.Message);
            }
            while (rt.Poll() != null) { }
            Check(StatusOf(() => rt.OpenAudio(new AudioOptions { Gain = float.NaN })) == Status.ErrInvalidArgument, "NaN gain");
            rt.OpenAudio(new AudioOptions { LoopbackRate = 44100 });
            zoe.SetPosition(3, 0, 0);
            zoe.SetVelocity(0, 0, 0);
            rt.SetListener(new float[] { 0, 0, 0 }, null, new float[] { 0, 0, -1 }, new float[] { 0, 1, 0 });
            Check(StatusOf(() => rt.SetListener(null, null, new float[] { 0, 1, 0 }, new float[] { 0, 1, 0 })) == Status.ErrInvalidArgument,
                  "a listener with at parallel to up");
            var mix = new float[8];
            mix[0] = 1;
            rt.RenderAudio(mix, 4);
            Check(mix[0] == 0 && !zoe.IsSpeaking, "silence before anyone speaks");
            rt.CloseAudio();
            Check(StatusOf(() => rt.RenderAudio(mix, 4)) == Status.ErrInvalidState, "render without an output");

            // Save/load keeps the (UTF-8) persona.
            byte[] saved = zoe.Save();
            using (Npc copy = rt.LoadNpc(saved))
                Check(copy.Id != zoe.Id && saved.Length > 0, "save/load");
            Check(StatusOf(() => rt.LoadNpc(new byte[] { 1, 2, 3 })) == Status.ErrInvalidArgument, "loading garbage");

            // NPCs dropped without Dispose: collected, destroyed at a Poll on this thread.
            uint before = rt.GetStats().NpcCount;
            DropNpcs(rt, 20);
            Check(rt.GetStats().NpcCount == before + 20, "20 NPCs created");
            uint after = before + 20;
            for (int round = 0; round < 5 && after != before; round++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                while (rt.Poll() != null) { }
                after = rt.GetStats().NpcCount;
            }
            Check(after == before, string.Format("dropped NPCs freed at Poll ({0} left, expected {1})", after, before));

            // Disposed objects refuse calls with ObjectDisposedException, not a crash.
            zoe.Dispose();
            zoe.Dispose();
            try { zoe.Say("hi"); Check(false, "a disposed NPC throws"); }
            catch (ObjectDisposedException) { }

            // Runtime.Dispose with a live NPC: the NPC goes first; the NPC's own Dispose after is a no-op.
            Npc late = rt.CreateNpc(new NpcOptions("Late"));
            rt.Dispose();
            late.Dispose();
            try { rt.Poll(); Check(false, "a disposed runtime throws"); }
            catch (ObjectDisposedException) { }
        }

        // Nobody disposes anything: finalizers (another thread) in any order; must not crash.
        for (int i = 0; i < 5; i++)
        {
            DropRuntime();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Console.WriteLine(failures == 0 ? "handles: OK" : "handles: FAILED (" + failures + ")");
        return failures == 0 ? 0 : 1;
    }
}
