// Parley.cs — C# binding of libparley (parley.h, API 0.5) over P/Invoke.
//
// One file, no dependencies beyond the base class library, so it drops into a
// Unity project (Assets/Plugins/Parley.cs) or builds with Mono's mcs:
//     mcs -target:library -out:Parley.dll Parley.cs
// The native library is found by the DllImport name "parley": libparley.so on
// Linux (LD_LIBRARY_PATH, or Unity's Plugins/x86_64/), parley.dll on Windows.
//
// Rules carried over from the C API (parley.h):
//   - Create the Runtime, its NPCs, and call Poll()/Say()/ToolResult()/Dispose()
//     on one thread (the game thread). Game code (tool guards) only runs inside
//     Poll(), on that thread.
//   - Failed calls throw ParleyException (status + parley_last_error()).
//   - Events are copied out of the native struct during Poll(): a ParleyEvent
//     stays valid for as long as the game keeps it.
//   - An Npc keeps its Runtime's native handle alive (SafeHandle ref count), so
//     the runtime is never destroyed before its NPCs, whatever order Dispose()
//     or the finalizer runs in. An Npc collected without Dispose() is destroyed
//     on the game thread at the next Poll() (parley_npc_destroy is not allowed
//     on the finalizer thread while the game polls).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Parley
{
    /// <summary>parley_status. Negative values are errors, positive ones outcomes.</summary>
    public enum Status : int
    {
        Ok = 0,
        NoEvent = 1,
        Cancelled = 2,
        ErrInvalidArgument = -1,
        ErrBufferTooSmall = -2,
        ErrInvalidState = -3,
        ErrStructSize = -4,
        ErrFileNotFound = -100,
        ErrIO = -101,
        ErrBadModel = -102,
        ErrUnsupportedModel = -103,
        ErrVoice = -200,
        ErrPhonemizerUnavailable = -201,
        ErrNetwork = -300,
        ErrRemote = -301,
        ErrScript = -400,
        ErrToolRejected = -401,
        ErrAudioDevice = -500,
        ErrUnsupportedCpu = -800,
        ErrOutOfMemory = -900,
        ErrInternal = -999,
    }

    /// <summary>parley_event_type.</summary>
    public enum EventType : int
    {
        None = 0,
        Text = 1,
        Audio = 2,
        Viseme = 3,
        ToolCall = 4,
        Route = 5,
        Done = 6,
        Error = 7,
    }

    /// <summary>parley_distance_model (OpenAL's distance attenuation models).</summary>
    public enum DistanceModel : int
    {
        None = 0,
        Inverse = 1,
        InverseClamped = 2,
        Linear = 3,
        LinearClamped = 4,
        Exponent = 5,
        ExponentClamped = 6,
    }

    /// <summary>parley_audio_params: positioned playback through OpenAL (Runtime.OpenAudio).</summary>
    public sealed class AudioOptions
    {
        /// <summary>OpenAL device name; null: the system's default.</summary>
        public string Device;
        public DistanceModel DistanceModel = DistanceModel.InverseClamped;
        public float ReferenceDistance = 1, Rolloff = 1, MaxDistance = 1000, Gain = 1;
        /// <summary>0: a real device. 8000…192000: no device, a loopback mix pulled with Runtime.RenderAudio
        /// (for an engine with its own mixer, e.g. Unity's OnAudioFilterRead).</summary>
        public int LoopbackRate;
    }

    /// <summary>parley_route_policy.</summary>
    public enum RoutePolicy : int
    {
        Auto = 0,
        Local = 1,
        Remote = 2,
    }

    /// <summary>parley_voice_precision (since 0.6).</summary>
    public enum VoicePrecision : int
    {
        Exact = 0,
        Int16 = 1,
    }

    /// <summary>A failed parley_* call: its status and parley_last_error().</summary>
    public class ParleyException : Exception
    {
        public Status Status { get; private set; }
        /// <summary>parley_status_string(Status), e.g. "PARLEY_ERR_FILE_NOT_FOUND".</summary>
        public string StatusName { get; private set; }

        public ParleyException(Status status, string message)
            : base(Native.StatusName(status) + ": " + message)
        {
            Status = status;
            StatusName = Native.StatusName(status);
        }
    }

    /// <summary>One event from Runtime.Poll(), copied out of the library's buffers.</summary>
    public sealed class ParleyEvent
    {
        public EventType Type;
        /// <summary>DONE/ERROR: the outcome; otherwise Ok.</summary>
        public Status Status;
        public ulong NpcId;
        public ulong TurnId;
        /// <summary>TEXT: a delta; AUDIO: the sentence (first chunk); TOOL_CALL: JSON arguments;
        /// ROUTE: JSON; DONE: the whole reply; ERROR: the message. May be null.</summary>
        public string Text;
        /// <summary>VISEME: the viseme; TOOL_CALL / tool ERROR: the tool. May be null.</summary>
        public string Name;
        /// <summary>AUDIO: mono PCM in [-1, 1]; null for other events.</summary>
        public float[] Samples;
        public int SampleRate;
        public long StartSample;
        public long EndSample;
        /// <summary>When the event was produced, ms since the runtime was created.</summary>
        public double TimeMs;
        /// <summary>"text", "audio", … (the Lua binding's names).</summary>
        public string TypeName;
        /// <summary>TOOL_CALL: pass to Npc.ToolResult().</summary>
        public string CallId;
        /// <summary>TOOL_CALL: the JSON arguments (same as Text, named for clarity);
        /// ERROR with ErrToolRejected: the rejected call's arguments (untrusted, maybe not JSON).</summary>
        public string ToolArguments;

        public override string ToString()
        {
            return string.Format("[{0} npc={1} turn={2} status={3} name={4} text={5}]", TypeName, NpcId, TurnId,
                                 Status, Name, Text);
        }
    }

    /// <summary>parley_stats, copied.</summary>
    public sealed class Stats
    {
        public uint NpcCount;
        public ulong TurnsCompleted, TokensPrefilled, TokensGenerated;
        public ulong LastTurnId;
        public uint LastPromptTokens, LastPrefilledTokens, LastGeneratedTokens;
        public double LastPrefillMs, LastGenerateMs, LastFirstTextMs, LastFirstAudioMs;
        public ulong RemoteTokens, RemoteFallbacks;
    }

    /// <summary>parley_runtime_params as managed values; the constructor takes the library's defaults.</summary>
    public sealed class RuntimeOptions
    {
        public string ModelPath;   // a path, or a bare name looked up in $PARLEY_MODELS then ./models; null: none
        public string VoicePath;   // Piper .onnx (its .onnx.json beside it); null: text-only
        public int Threads;
        public int ContextLength;
        public ulong Seed;
        public string RemoteUrl;
        public string RemoteModel;
        public string RemoteApiKey;
        public int RemoteFirstByteTimeoutMs;
        public int RemoteMaxRetries;
        public float RouterThreshold;
        public int RemoteTokensPerMinute;
        public long RemoteTokenBudget;
        public int RouterLatencyBudgetMs;
        public VoicePrecision VoicePrecision;   // Exact (as Piper) or Int16 (faster, not Piper's bits)

        public RuntimeOptions()
        {
            // The library's defaults, not numbers copied from the header: they stay right when it changes them.
            Native.RuntimeParams d = Native.parley_runtime_default_params_v2();
            Threads = d.n_threads;
            ContextLength = d.n_ctx;
            Seed = d.seed;
            RemoteFirstByteTimeoutMs = d.remote_first_byte_timeout_ms;
            RemoteMaxRetries = d.remote_max_retries;
            RouterThreshold = d.router_threshold;
            RemoteTokensPerMinute = d.remote_tokens_per_minute;
            RemoteTokenBudget = d.remote_token_budget;
            RouterLatencyBudgetMs = d.router_latency_budget_ms;
            VoicePrecision = (VoicePrecision)d.voice_precision;
        }
    }

    /// <summary>parley_npc_params as managed values; the constructor takes the library's defaults.</summary>
    public sealed class NpcOptions
    {
        public string Name;          // required
        public string Persona;
        public string[] Knowledge;   // lore lines
        public float VoiceRate, NoiseScale, NoiseW;
        public int Speaker;
        public float PositionX, PositionY, PositionZ;
        public RoutePolicy Policy;
        public int MaxReplyTokens;
        public float Temperature;
        public ulong Seed;
        public int TopK;
        public float TopP, MinP, RepeatPenalty;

        public NpcOptions(string name = null)
        {
            Native.NpcParams d = Native.parley_npc_default_params_v2();
            Name = name;
            VoiceRate = d.voice_rate;
            NoiseScale = d.noise_scale;
            NoiseW = d.noise_w;
            Speaker = d.speaker;
            PositionX = d.position_x;
            PositionY = d.position_y;
            PositionZ = d.position_z;
            Policy = (RoutePolicy)d.policy;
            MaxReplyTokens = d.max_reply_tokens;
            Temperature = d.temperature;
            Seed = d.seed;
            TopK = d.top_k;
            TopP = d.top_p;
            MinP = d.min_p;
            RepeatPenalty = d.repeat_penalty;
        }
    }

    /// <summary>
    /// A tool guard: return true to let the call through; to refuse, return false and
    /// set reason (told to the model, reported in the ERROR event). Runs inside Poll().
    /// </summary>
    public delegate bool ToolGuard(string tool, string argumentsJson, out string reason);

    /// <summary>The native runtime pointer. Destroyed when the last reference (its own
    /// and one per live Npc) is released.</summary>
    public sealed class RuntimeHandle : SafeHandle
    {
        // NPCs collected off the game thread wait here; Poll() (game thread) or the
        // runtime's own release destroys them.
        internal readonly Queue<NpcHandle> PendingNpcs = new Queue<NpcHandle>();
        // The game thread: the one that created the runtime until the first Poll(), then the polling one.
        internal volatile int OwnerThread = Thread.CurrentThread.ManagedThreadId;

        public RuntimeHandle() : base(IntPtr.Zero, true) { }
        internal RuntimeHandle(IntPtr p) : base(IntPtr.Zero, true) { SetHandle(p); }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        internal void DestroyPendingNpcs()
        {
            while (true)
            {
                NpcHandle n;
                lock (PendingNpcs)
                {
                    if (PendingNpcs.Count == 0) return;
                    n = PendingNpcs.Dequeue();
                }
                n.DestroyNative();
            }
        }

        protected override bool ReleaseHandle()
        {
            // Every Npc has released its reference by now (else we would not be here);
            // those that were deferred are destroyed first, in the documented order.
            DestroyPendingNpcs();
            Native.parley_runtime_destroy(handle);
            return true;
        }
    }

    /// <summary>The native NPC pointer; holds a reference on its RuntimeHandle.</summary>
    public sealed class NpcHandle : SafeHandle
    {
        readonly RuntimeHandle runtime;
        // GCHandles of tool guards the native side holds as user_data; freed only after
        // parley_npc_destroy, when nothing can call them any more.
        internal readonly List<GCHandle> Guards = new List<GCHandle>();
        IntPtr destroyed;  // the pointer, for DestroyNative after ReleaseHandle deferred it

        internal NpcHandle(IntPtr p, RuntimeHandle rt) : base(IntPtr.Zero, true)
        {
            // The caller has done rt.DangerousAddRef for us (before the native create).
            runtime = rt;
            SetHandle(p);
        }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        internal void DestroyNative()
        {
            Native.parley_npc_destroy(destroyed);
            lock (Guards)
            {
                foreach (GCHandle g in Guards) g.Free();
                Guards.Clear();
            }
        }

        protected override bool ReleaseHandle()
        {
            destroyed = handle;
            if (Thread.CurrentThread.ManagedThreadId == runtime.OwnerThread)
                DestroyNative();
            else
                lock (runtime.PendingNpcs) runtime.PendingNpcs.Enqueue(this);  // the finalizer thread
            // Last: dropping our reference may destroy the runtime, which drains the queue first.
            runtime.DangerousRelease();
            return true;
        }
    }

    /// <summary>parley_runtime: the loaded model and voice, shared by its NPCs.</summary>
    public sealed class Runtime : IDisposable
    {
        internal readonly RuntimeHandle Handle;
        readonly List<WeakReference> npcs = new List<WeakReference>();

        /// <summary>parley_version(), e.g. "0.5.0".</summary>
        public static string Version { get { return Native.Utf8ToString(Native.parley_version()); } }
        /// <summary>parley_api_version(): (major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch.</summary>
        public static uint ApiVersion { get { return Native.parley_api_version(); } }
        /// <summary>The API version this file was written against (0.5.0).</summary>
        public const uint BoundApiVersion = (0 << 16) | (5 << 8) | 0;

        public Runtime(RuntimeOptions options)
        {
            if (options == null) options = new RuntimeOptions();
            // The binding is written against 0.5; a library with another major version has another ABI.
            if ((ApiVersion >> 16) != (BoundApiVersion >> 16) || ApiVersion < BoundApiVersion)
                throw new ParleyException(Status.ErrInvalidState,
                    string.Format("libparley API {0:X6} does not match this binding ({1:X6})", ApiVersion, BoundApiVersion));
            using (var mem = new NativeMemory())
            {
                Native.RuntimeParams p = Native.parley_runtime_default_params_v2();
                p.struct_size = (UIntPtr)Marshal.SizeOf(typeof(Native.RuntimeParams));
                p.model_path = mem.Utf8(options.ModelPath);
                p.voice_path = mem.Utf8(options.VoicePath);
                p.n_threads = options.Threads;
                p.n_ctx = options.ContextLength;
                p.seed = options.Seed;
                p.remote_url = mem.Utf8(options.RemoteUrl);
                p.remote_model = mem.Utf8(options.RemoteModel);
                p.remote_api_key = mem.Utf8(options.RemoteApiKey);
                p.remote_first_byte_timeout_ms = options.RemoteFirstByteTimeoutMs;
                p.remote_max_retries = options.RemoteMaxRetries;
                p.router_threshold = options.RouterThreshold;
                p.remote_tokens_per_minute = options.RemoteTokensPerMinute;
                p.remote_token_budget = options.RemoteTokenBudget;
                p.router_latency_budget_ms = options.RouterLatencyBudgetMs;
                p.voice_precision = (int)options.VoicePrecision;
                IntPtr rt;
                Native.Check(Native.parley_runtime_create(ref p, out rt));
                Handle = new RuntimeHandle(rt);
            }
        }

        /// <summary>Shorthand: a model and a voice (either may be null), other settings default.</summary>
        public Runtime(string modelPath, string voicePath)
            : this(new RuntimeOptions { ModelPath = modelPath, VoicePath = voicePath }) { }

        /// <summary>A new NPC sharing this runtime's model and voice.</summary>
        public Npc CreateNpc(NpcOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            using (var mem = new NativeMemory())
            {
                Native.NpcParams p = Native.parley_npc_default_params_v2();
                p.struct_size = (UIntPtr)Marshal.SizeOf(typeof(Native.NpcParams));
                p.name = mem.Utf8(options.Name);
                p.persona = mem.Utf8(options.Persona);
                string[] k = options.Knowledge ?? new string[0];
                p.knowledge = mem.Utf8Array(k);
                p.n_knowledge = (UIntPtr)k.Length;
                p.voice_rate = options.VoiceRate;
                p.noise_scale = options.NoiseScale;
                p.noise_w = options.NoiseW;
                p.speaker = options.Speaker;
                p.position_x = options.PositionX;
                p.position_y = options.PositionY;
                p.position_z = options.PositionZ;
                p.policy = (int)options.Policy;
                p.max_reply_tokens = options.MaxReplyTokens;
                p.temperature = options.Temperature;
                p.seed = options.Seed;
                p.top_k = options.TopK;
                p.top_p = options.TopP;
                p.min_p = options.MinP;
                p.repeat_penalty = options.RepeatPenalty;
                return WrapNpc(delegate(IntPtr rt, out IntPtr npc) { return Native.parley_npc_create(rt, ref p, out npc); });
            }
        }

        /// <summary>Recreate an NPC from Npc.Save() bytes; it continues the conversation.</summary>
        public Npc LoadNpc(byte[] saved)
        {
            if (saved == null) throw new ArgumentNullException("saved");
            return WrapNpc(delegate(IntPtr rt, out IntPtr npc) {
                return Native.parley_npc_load(rt, saved, (UIntPtr)saved.Length, out npc);
            });
        }

        delegate int NpcCtor(IntPtr rt, out IntPtr npc);

        Npc WrapNpc(NpcCtor create)
        {
            bool added = false;
            // The NPC's reference on the runtime, taken before the native call so the runtime
            // cannot go away under it; handed to the NpcHandle on success.
            Handle.DangerousAddRef(ref added);
            try
            {
                IntPtr p;
                Native.Check(create(Handle.DangerousGetHandle(), out p));
                var npc = new Npc(new NpcHandle(p, Handle), this);
                added = false;  // owned by the NpcHandle now
                lock (npcs)
                {
                    npcs.RemoveAll(w => !w.IsAlive);
                    npcs.Add(new WeakReference(npc));
                }
                return npc;
            }
            finally
            {
                if (added) Handle.DangerousRelease();
            }
        }

        /// <summary>The next event, or null when the queue is empty (never blocks). Call once or
        /// more per frame until it returns null. Tool guards run inside this call.</summary>
        public ParleyEvent Poll()
        {
            Handle.OwnerThread = Thread.CurrentThread.ManagedThreadId;
            Handle.DestroyPendingNpcs();
            var ev = new Native.Event();
            ev.struct_size = (UIntPtr)Marshal.SizeOf(typeof(Native.Event));
            int st = Native.parley_poll(Handle, ref ev);
            if (st == (int)Status.NoEvent) return null;
            Native.Check(st);
            // The payloads are borrowed until the next poll: copy them all now.
            var e = new ParleyEvent
            {
                Type = (EventType)ev.type,
                Status = (Status)ev.status,
                NpcId = ev.npc_id,
                TurnId = ev.turn_id,
                Text = Native.Utf8ToString(ev.text, (long)(ulong)ev.text_len),
                Name = Native.Utf8ToString(ev.name),
                SampleRate = ev.sample_rate,
                StartSample = ev.start_sample,
                EndSample = ev.end_sample,
                TimeMs = ev.t_ms,
                TypeName = Native.Utf8ToString(ev.type_name),
                CallId = Native.Utf8ToString(ev.call_id),
                ToolArguments = Native.Utf8ToString(ev.tool_arguments),
            };
            if (e.Type == EventType.ToolCall) e.ToolArguments = e.Text;
            if (ev.samples != IntPtr.Zero && (ulong)ev.n_samples > 0)
            {
                e.Samples = new float[(int)(ulong)ev.n_samples];
                Marshal.Copy(ev.samples, e.Samples, 0, e.Samples.Length);
            }
            return e;
        }

        /// <summary>parley_runtime_stats.</summary>
        public Stats GetStats()
        {
            var s = new Native.NativeStats();
            s.struct_size = (UIntPtr)Marshal.SizeOf(typeof(Native.NativeStats));
            Native.Check(Native.parley_runtime_stats(Handle, ref s));
            return new Stats
            {
                NpcCount = s.npc_count, TurnsCompleted = s.turns_completed, TokensPrefilled = s.tokens_prefilled,
                TokensGenerated = s.tokens_generated, LastTurnId = s.last_turn_id,
                LastPromptTokens = s.last_prompt_tokens, LastPrefilledTokens = s.last_prefilled_tokens,
                LastGeneratedTokens = s.last_generated_tokens, LastPrefillMs = s.last_prefill_ms,
                LastGenerateMs = s.last_generate_ms, LastFirstTextMs = s.last_first_text_ms,
                LastFirstAudioMs = s.last_first_audio_ms, RemoteTokens = s.remote_tokens,
                RemoteFallbacks = s.remote_fallbacks,
            };
        }

        /// <summary>parley_audio_open: play every NPC's speech from its position through OpenAL. No device throws
        /// ParleyException (Status.ErrAudioDevice); the runtime then goes on without playback (AUDIO events flow
        /// either way). Keep calling Poll() every frame: it feeds the output. Game thread.</summary>
        public void OpenAudio(AudioOptions options)
        {
            if (options == null) options = new AudioOptions();
            using (var mem = new NativeMemory())
            {
                Native.AudioParams p = Native.parley_audio_default_params();
                p.struct_size = (UIntPtr)Marshal.SizeOf(typeof(Native.AudioParams));
                p.device = mem.Utf8(options.Device);
                p.distance_model = (int)options.DistanceModel;
                p.reference_distance = options.ReferenceDistance;
                p.rolloff = options.Rolloff;
                p.max_distance = options.MaxDistance;
                p.gain = options.Gain;
                p.loopback_rate = options.LoopbackRate;
                Native.Check(Native.parley_audio_open(Handle, ref p));
            }
        }

        /// <summary>parley_audio_close: stop playback and close the device.</summary>
        public void CloseAudio() { Native.parley_audio_close(Handle); }

        /// <summary>parley_listener_set: the player's ears (3 floats each; null keeps the current value).
        /// By default the listener faces (0, 0, -1) with (0, 1, 0) up, so +x is to the right.</summary>
        public void SetListener(float[] position, float[] velocity, float[] at, float[] up)
        {
            foreach (var v in new[] { position, velocity, at, up })
                if (v != null && v.Length != 3) throw new ArgumentException("listener vectors have 3 floats");
            Native.Check(Native.parley_listener_set(Handle, position, velocity, at, up));
        }

        /// <summary>parley_audio_render (loopback outputs): the next `frames` stereo frames, interleaved L R,
        /// into `interleaved` (at least 2 × frames floats).</summary>
        public void RenderAudio(float[] interleaved, int frames)
        {
            if (interleaved == null || frames < 1 || interleaved.Length < 2L * frames)
                throw new ArgumentException("RenderAudio needs frames ≥ 1 and room for 2 × frames floats");
            Native.Check(Native.parley_audio_render(Handle, interleaved, (UIntPtr)frames));
        }

        /// <summary>parley_runtime_load_script: run a designer's Lua file in the runtime's LuaJIT state.</summary>
        public void LoadScript(string path)
        {
            Native.Check(Native.parley_runtime_load_script(Handle, Native.ToUtf8(path)));
        }

        /// <summary>Destroys every live NPC of this runtime, then the runtime. Game thread.</summary>
        public void Dispose()
        {
            lock (npcs)
            {
                foreach (WeakReference w in npcs)
                {
                    var n = w.Target as Npc;
                    if (n != null) n.Dispose();
                }
                npcs.Clear();
            }
            Handle.Dispose();
        }
    }

    /// <summary>parley_npc: one character with its own history, sharing the runtime's model.</summary>
    public sealed class Npc : IDisposable
    {
        internal readonly NpcHandle Handle;
        /// <summary>The runtime this NPC belongs to.</summary>
        public Runtime Runtime { get; private set; }
        /// <summary>parley_npc_id: matches ParleyEvent.NpcId.</summary>
        public ulong Id { get; private set; }

        internal Npc(NpcHandle handle, Runtime runtime)
        {
            Handle = handle;
            Runtime = runtime;
            Id = Native.parley_npc_id(handle);
        }

        /// <summary>Hand a player line to the NPC; returns the turn id at once. The reply arrives through Poll().</summary>
        public ulong Say(string line)
        {
            if (line == null) throw new ArgumentNullException("line");
            ulong turn;
            Native.Check(Native.parley_npc_say(Handle, Native.ToUtf8(line), out turn));
            return turn;
        }

        /// <summary>parley_npc_set_position: its voice follows at once (with Runtime.OpenAudio).</summary>
        public void SetPosition(float x, float y, float z)
        {
            Native.Check(Native.parley_npc_set_position(Handle, new[] { x, y, z }));
        }

        /// <summary>parley_npc_set_velocity: units per second, for Doppler shift.</summary>
        public void SetVelocity(float x, float y, float z)
        {
            Native.Check(Native.parley_npc_set_velocity(Handle, new[] { x, y, z }));
        }

        /// <summary>parley_npc_is_speaking: true while its speech still plays through the output.</summary>
        public bool IsSpeaking { get { return Native.parley_npc_is_speaking(Handle) != 0; } }

        /// <summary>End the current turn early (its DONE has Status.Cancelled).</summary>
        public void Cancel() { Native.Check(Native.parley_npc_cancel(Handle)); }

        /// <summary>The NPC's state for a save file (versioned bytes).</summary>
        public byte[] Save()
        {
            UIntPtr size;
            Native.Check(Native.parley_npc_save(Handle, null, UIntPtr.Zero, out size));
            var buf = new byte[(int)(ulong)size];
            Native.Check(Native.parley_npc_save(Handle, buf, size, out size));
            return buf;
        }

        /// <summary>Give the NPC a tool: a name, a description for the model, and a JSON Schema of type "object".</summary>
        public void AddTool(string name, string description, string parametersJsonSchema)
        {
            Native.Check(Native.parley_npc_add_tool(Handle, Native.ToUtf8(name), Native.ToUtf8(description),
                                                    Native.ToUtf8(parametersJsonSchema)));
        }

        /// <summary>Set (or with null remove) the game's precondition for one tool. It runs inside Poll(),
        /// on the game thread; an exception it throws refuses the call (the message is the reason).</summary>
        public void SetToolGuard(string tool, ToolGuard guard)
        {
            if (guard == null)
            {
                Native.Check(Native.parley_npc_set_tool_guard(Handle, Native.ToUtf8(tool), null, IntPtr.Zero));
                return;  // the old GCHandle stays until the NPC goes: cheap, and never dangling
            }
            // Native code keeps user_data, not the delegate: a GCHandle keeps the guard reachable, and
            // the callback itself is one static delegate (GuardThunk) that lives as long as the program.
            // (A guard that captures its Npc keeps it alive until Dispose(): dispose NPCs explicitly.)
            GCHandle g = GCHandle.Alloc(guard);
            lock (Handle.Guards) Handle.Guards.Add(g);
            Native.Check(Native.parley_npc_set_tool_guard(Handle, Native.ToUtf8(tool), Native.GuardThunk,
                                                          GCHandle.ToIntPtr(g)));
        }

        /// <summary>At most maxCalls calls of tool per seconds (0 removes the limit).</summary>
        public void SetToolRateLimit(string tool, int maxCalls, double seconds)
        {
            Native.Check(Native.parley_npc_set_tool_rate_limit(Handle, Native.ToUtf8(tool), maxCalls, seconds));
        }

        /// <summary>Answer a TOOL_CALL event: Status.Ok with the outcome as JSON, or an error status
        /// (the model is told the call failed; resultJson may add detail). The turn resumes.</summary>
        public void ToolResult(string callId, Status status, string resultJson)
        {
            if (callId == null) throw new ArgumentNullException("callId");
            Native.Check(Native.parley_tool_result(Handle, Native.ToUtf8(callId), (int)status, Native.ToUtf8(resultJson)));
        }

        /// <summary>Cancels the turn and frees the NPC. Game thread.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>Allocations for one native call (UTF-8 strings, pointer arrays); freed on Dispose.</summary>
    sealed class NativeMemory : IDisposable
    {
        readonly List<IntPtr> blocks = new List<IntPtr>();

        public IntPtr Utf8(string s)
        {
            if (s == null) return IntPtr.Zero;
            byte[] b = Native.ToUtf8(s);
            IntPtr p = Marshal.AllocHGlobal(b.Length);
            blocks.Add(p);
            Marshal.Copy(b, 0, p, b.Length);
            return p;
        }

        public IntPtr Utf8Array(string[] items)
        {
            if (items.Length == 0) return IntPtr.Zero;
            IntPtr arr = Marshal.AllocHGlobal(IntPtr.Size * items.Length);
            blocks.Add(arr);
            for (int i = 0; i < items.Length; i++)
                Marshal.WriteIntPtr(arr, i * IntPtr.Size, Utf8(items[i] ?? ""));
            return arr;
        }

        public void Dispose()
        {
            foreach (IntPtr p in blocks) Marshal.FreeHGlobal(p);
            blocks.Clear();
        }
    }

    /// <summary>MonoPInvokeCallback for IL2CPP/AOT (Unity matches the attribute by name).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type t) { }
    }

    static class Native
    {
        const string Lib = "parley";

        // Layouts of parley.h (API 0.6) on 64-bit targets; pointers as IntPtr so every struct
        // is blittable and passed by reference without copying or string marshalling.
        [StructLayout(LayoutKind.Sequential)]
        public struct RuntimeParams
        {
            public UIntPtr struct_size;
            public IntPtr model_path;
            public IntPtr voice_path;
            public int n_threads;
            public int n_ctx;
            public ulong seed;
            public IntPtr remote_url;
            public IntPtr remote_model;
            public IntPtr remote_api_key;
            public int remote_first_byte_timeout_ms;
            public int remote_max_retries;
            public float router_threshold;
            public int remote_tokens_per_minute;
            public long remote_token_budget;
            public int router_latency_budget_ms;
            public int voice_precision;   // since 0.6 (padding before): 0 exact, 1 int16
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct AudioParams
        {
            public UIntPtr struct_size;
            public IntPtr device;
            public int distance_model;
            public float reference_distance;
            public float rolloff;
            public float max_distance;
            public float gain;
            public int loopback_rate;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct NpcParams
        {
            public UIntPtr struct_size;
            public IntPtr name;
            public IntPtr persona;
            public IntPtr knowledge;
            public UIntPtr n_knowledge;
            public float voice_rate;
            public float noise_scale;
            public float noise_w;
            public int speaker;
            public float position_x, position_y, position_z;  // float position[3]
            public int policy;
            public int max_reply_tokens;
            public float temperature;
            public ulong seed;
            public int top_k;
            public float top_p;
            public float min_p;
            public float repeat_penalty;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct Event
        {
            public UIntPtr struct_size;
            public int type;
            public int status;
            public ulong npc_id;
            public ulong turn_id;
            public IntPtr text;
            public UIntPtr text_len;
            public IntPtr name;
            public IntPtr samples;
            public UIntPtr n_samples;
            public int sample_rate;
            public long start_sample;
            public long end_sample;
            public double t_ms;
            public IntPtr type_name;
            public IntPtr call_id;
            public IntPtr tool_arguments;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct NativeStats
        {
            public UIntPtr struct_size;
            public uint npc_count;
            public ulong turns_completed;
            public ulong tokens_prefilled;
            public ulong tokens_generated;
            public ulong last_turn_id;
            public uint last_prompt_tokens;
            public uint last_prefilled_tokens;
            public uint last_generated_tokens;
            public double last_prefill_ms;
            public double last_generate_ms;
            public double last_first_text_ms;
            public double last_first_audio_ms;
            public ulong remote_tokens;
            public ulong remote_fallbacks;
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int GuardFn(IntPtr userData, IntPtr tool, IntPtr argumentsJson, IntPtr reason, UIntPtr reasonCapacity);

        // Strings go in as byte[] holding NUL-terminated UTF-8 (pinned for the call; the library copies
        // them) and come back as IntPtr read by Utf8ToString: Mono's default string marshalling is not
        // UTF-8 everywhere.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern IntPtr parley_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern uint parley_api_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern IntPtr parley_status_string(int status);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern IntPtr parley_last_error();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern RuntimeParams parley_runtime_default_params_v2();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_runtime_create(ref RuntimeParams p, out IntPtr rt);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern void parley_runtime_destroy(IntPtr rt);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_poll(RuntimeHandle rt, ref Event ev);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_runtime_load_script(RuntimeHandle rt, byte[] path);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_runtime_stats(RuntimeHandle rt, ref NativeStats s);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern NpcParams parley_npc_default_params_v2();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_create(IntPtr rt, ref NpcParams p, out IntPtr npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern void parley_npc_destroy(IntPtr npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern ulong parley_npc_id(NpcHandle npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_say(NpcHandle npc, byte[] text, out ulong turnId);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_cancel(NpcHandle npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_save(NpcHandle npc, byte[] buf, UIntPtr capacity, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_load(IntPtr rt, byte[] data, UIntPtr size, out IntPtr npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_add_tool(NpcHandle npc, byte[] name, byte[] description, byte[] parametersJson);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_set_tool_guard(NpcHandle npc, byte[] tool, GuardFn fn, IntPtr userData);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_set_tool_rate_limit(NpcHandle npc, byte[] tool, int maxCalls, double seconds);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern AudioParams parley_audio_default_params();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_audio_open(RuntimeHandle rt, ref AudioParams p);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern void parley_audio_close(RuntimeHandle rt);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_audio_render(RuntimeHandle rt, [Out] float[] output, UIntPtr frames);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_listener_set(RuntimeHandle rt, float[] position, float[] velocity, float[] at, float[] up);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_set_position(NpcHandle npc, float[] position);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_set_velocity(NpcHandle npc, float[] velocity);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_npc_is_speaking(NpcHandle npc);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] public static extern int parley_tool_result(NpcHandle npc, byte[] callId, int status, byte[] resultJson);

        // One delegate for every guard, in a static field: native code holds its function pointer for
        // the life of the NPC, so it must never be collected.
        public static readonly GuardFn GuardThunk = Guard;

        [MonoPInvokeCallback(typeof(GuardFn))]
        static int Guard(IntPtr userData, IntPtr tool, IntPtr argumentsJson, IntPtr reason, UIntPtr reasonCapacity)
        {
            // An exception must not unwind into native code: any failure refuses the call.
            string why;
            bool allow;
            try
            {
                var guard = (ToolGuard)GCHandle.FromIntPtr(userData).Target;
                allow = guard(Utf8ToString(tool), Utf8ToString(argumentsJson), out why);
            }
            catch (Exception e)
            {
                allow = false;
                why = "the game's guard failed: " + e.Message;
            }
            if (!allow && !string.IsNullOrEmpty(why)) WriteReason(why, reason, (long)(ulong)reasonCapacity);
            return allow ? 1 : 0;
        }

        // Writes at most cap bytes, NUL included, never cutting a UTF-8 character in half.
        static void WriteReason(string why, IntPtr dst, long cap)
        {
            if (dst == IntPtr.Zero || cap <= 0) return;
            byte[] b = Encoding.UTF8.GetBytes(why);
            long n = Math.Min(b.Length, cap - 1);
            while (n > 0 && n < b.Length && (b[n] & 0xC0) == 0x80) n--;
            Marshal.Copy(b, 0, dst, (int)n);
            Marshal.WriteByte(dst, (int)n, 0);
        }

        /// <summary>NUL-terminated UTF-8 bytes of s; null stays null (a NULL pointer).</summary>
        public static byte[] ToUtf8(string s)
        {
            if (s == null) return null;
            int n = Encoding.UTF8.GetByteCount(s);
            var b = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
            return b;
        }

        /// <summary>A NUL-terminated UTF-8 string (or len bytes when len ≥ 0) as a string; NULL → null.</summary>
        public static string Utf8ToString(IntPtr p, long len = -1)
        {
            if (p == IntPtr.Zero) return null;
            if (len < 0)
            {
                len = 0;
                while (Marshal.ReadByte(p, (int)len) != 0) len++;
            }
            var b = new byte[len];
            Marshal.Copy(p, b, 0, (int)len);
            return Encoding.UTF8.GetString(b);
        }

        public static string StatusName(Status s) { return Utf8ToString(parley_status_string((int)s)); }

        /// <summary>Throws ParleyException for a negative status. Reads parley_last_error() at once,
        /// on this thread (it is thread-local and replaced by the next failure).</summary>
        public static void Check(int status)
        {
            if (status < 0) throw new ParleyException((Status)status, Utf8ToString(parley_last_error()) ?? "");
        }
    }
}
