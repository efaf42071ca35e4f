using System.Diagnostics;
using System.Numerics;
using Restora.Models.PyTorch;

namespace Restora.Models.Tests;

/// <summary>
/// The restricted unpickler on hand-built bytes: each opcode a state dict uses, the refusal of every global outside
/// the allow-list (with proof that nothing ran), and hostile or broken input ending quickly in InvalidDataException.
/// </summary>
public class PyTorchUnpicklerTests
{
    static object? Load(PickleWriter w) => Unpickler.Load(w.ToArray());

    [Fact]
    public void Containers_numbers_and_strings()
    {
        var w = new PickleWriter().Proto(4)
            .Op(0x95).Raw(new byte[8]) // FRAME
            .Op('}').Op(0x94) // EMPTY_DICT, MEMOIZE (memo 0)
            .Op('(')
            .Str("int").Int(7)
            .ShortStr("neg").Int(-70000)
            .Str("big").Op('M').Raw(0x34, 0x12) // BININT2
            .Str("long").Long1(-(BigInteger.One << 40))
            .Str("huge").Long1(BigInteger.Parse("119547037146038801333356"))
            .Str("float").Op('G').Raw(0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // BINFLOAT 1.5, big-endian
            .Str("flags").Op(0x88).Op(0x89).Op('N').Op(0x87) // NEWTRUE NEWFALSE NONE TUPLE3
            .Str("t1").Int(1).Op(0x85) // TUPLE1
            .Str("t2").Int(1).Int(2).Op(0x86).Op('q').Raw(1) // TUPLE2, BINPUT 1
            .Str("t0").Op(')') // EMPTY_TUPLE
            .Str("tuple").Op('(').Int(1).Int(2).Int(3).Int(4).Op('t')
            .Str("list").Op(']').Int(5).Op('a').Op('(').Int(6).Int(7).Op('e') // EMPTY_LIST APPEND APPENDS
            .Str("again").Op('h').Raw(1) // BINGET 1
            .Str("again4").Op('j').Raw(1, 0, 0, 0) // LONG_BINGET 1
            .Str("utf8").Str("päth.✓")
            .Op('u') // SETITEMS
            .Str("self").Op('h').Raw(0).Op('s') // SETITEM: the dict holds itself (memo before it was filled)
            .Stop();
        var d = Assert.IsType<PickleDict>(Load(w));
        Assert.Equal(7L, d.Get("int"));
        Assert.Equal(-70000L, d.Get("neg"));
        Assert.Equal(0x1234L, d.Get("big"));
        Assert.Equal(-(1L << 40), d.Get("long"));
        Assert.Equal(BigInteger.Parse("119547037146038801333356"), d.Get("huge"));
        Assert.Equal(1.5, d.Get("float"));
        Assert.Equal(new object?[] { true, false, null }, Assert.IsType<PickleTuple>(d.Get("flags")).Items);
        Assert.Equal(new object?[] { 1L }, Assert.IsType<PickleTuple>(d.Get("t1")).Items);
        Assert.Same(d.Get("t2"), d.Get("again"));
        Assert.Same(d.Get("t2"), d.Get("again4"));
        Assert.Empty(Assert.IsType<PickleTuple>(d.Get("t0")).Items);
        Assert.Equal(new object?[] { 1L, 2L, 3L, 4L }, Assert.IsType<PickleTuple>(d.Get("tuple")).Items);
        Assert.Equal(new object?[] { 5L, 6L, 7L }, Assert.IsType<List<object?>>(d.Get("list")));
        Assert.Equal("päth.✓", d.Get("utf8"));
        Assert.Same(d, d.Get("self"));
    }

    [Fact]
    public void OrderedDict_by_reduce_and_newobj_keeps_order_and_drops_build_attributes()
    {
        var w = new PickleWriter().Proto()
            .Global("collections", "OrderedDict").Op(')').Op('R') // REDUCE
            .Op('(').Str("b").Int(1).Str("a").Int(2).Op('u')
            .Op('}').Str("_metadata").Op('}').Op('s').Op('b') // BUILD with attributes, as torch writes _metadata
            .Str("b").Int(3).Op('s') // a later SETITEM replaces, keeping the position
            .Stop();
        var d = Assert.IsType<PickleDict>(Load(w));
        Assert.Equal(new object?[] { "b", "a" }, d.Items.Select(kv => kv.Key));
        Assert.Equal(3L, d.Get("b"));

        var n = new PickleWriter().Proto().StackGlobal("collections", "OrderedDict").Op(')').Op(0x81).Stop(); // NEWOBJ
        Assert.IsType<PickleDict>(Load(n));
    }

    [Fact]
    public void Rebuild_tensor_and_parameter_give_a_view_of_the_persistent_storage()
    {
        var w = new PickleWriter().Proto()
            .Global("torch._utils", "_rebuild_parameter").Op('(')
            .Tensor("HalfStorage", "7", 24, 2, [2, 3], [1, 2])
            .Op(0x88).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R')
            .Stop();
        var pids = new List<object?>();
        var t = Assert.IsType<TensorRef>(Unpickler.Load(w.ToArray(), pid => { pids.Add(pid); return "storage-7"; }));
        Assert.Equal("storage-7", t.Storage);
        Assert.Equal(2, t.Offset);
        Assert.Equal(new long[] { 2, 3 }, t.Size);
        Assert.Equal(new long[] { 1, 2 }, t.Stride);
        var pid = Assert.IsType<PickleTuple>(Assert.Single(pids));
        Assert.Equal("storage", pid[0]);
        Assert.Equal(TorchDtype.Float16, Assert.IsType<PickleGlobal>(pid[1]).Dtype);
        Assert.Equal("7", pid[2]);
        Assert.Equal(24L, pid[4]);
    }

    // ---- refusals ----------------------------------------------------------------------------------------------------

    public static TheoryData<string, string> ForbiddenGlobals() => new()
    {
        { "os", "system" }, { "posix", "system" }, { "nt", "system" }, { "builtins", "eval" }, { "builtins", "exec" },
        { "__builtin__", "exec" }, { "__builtin__", "eval" }, { "subprocess", "Popen" }, { "subprocess", "check_output" },
        { "torch.storage", "_load_from_bytes" }, { "torch", "load" }, { "torch._utils", "_rebuild_device_tensor_from_numpy" },
        { "builtins", "getattr" }, { "collections", "defaultdict" }, { "numpy.core.multiarray", "_reconstruct" },
        { "torch", "FloatStorage.__class__" }, { "webbrowser", "open" },
    };

    /// <summary>The classic payload: GLOBAL module.name, (command,), REDUCE.</summary>
    static byte[] Payload(string module, string name, string marker, bool stackGlobal) =>
        (stackGlobal ? new PickleWriter().Proto(4).StackGlobal(module, name) : new PickleWriter().Proto().Global(module, name))
            .Str($"touch {marker}").Op(0x85).Op('R').Stop().ToArray();

    static string Marker() => Path.Combine(Path.GetTempPath(), $"restora-pwned-{Guid.NewGuid():N}");

    [Theory]
    [MemberData(nameof(ForbiddenGlobals))]
    public void Any_other_global_is_refused_by_name(string module, string name)
    {
        foreach (bool stackGlobal in new[] { false, true })
        {
            var e = Assert.Throws<InvalidDataException>(() => Unpickler.Load(Payload(module, name, Marker(), stackGlobal)));
            Assert.Equal($"refuses to load: the checkpoint names the global '{module}.{name}' (a .pth may only hold tensors and plain containers)", e.Message);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Os_system_in_a_checkpoint_file_is_refused_and_nothing_runs(bool legacy, bool stackGlobal)
    {
        string marker = Marker();
        var pickle = Payload("os", "system", marker, stackGlobal);
        string path = CheckpointFiles.Temp(legacy ? CheckpointFiles.Legacy(pickle) : CheckpointFiles.Zip(pickle), ".pth");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(path));
            Assert.Equal($"{path}: refuses to load: the checkpoint names the global 'os.system' (a .pth may only hold tensors and plain containers)", e.Message);
            Assert.Throws<InvalidDataException>(() => PyTorchModels.Load(path));
            Assert.False(File.Exists(marker), "the payload's command ran");
        }
        finally
        {
            File.Delete(path);
            File.Delete(marker);
        }
    }

    [Fact]
    public void A_payload_hidden_inside_a_state_dict_is_refused()
    {
        // A real-looking state dict whose second value is eval('…') and whose tensor uses a forbidden rebuild function.
        string marker = Marker();
        var hidden = new PickleWriter().Proto().Op('}').Op('(')
            .Str("conv.weight").Tensor("FloatStorage", "0", 1, 0, [1], [1])
            .Str("conv.bias").Global("builtins", "eval").Str($"__import__('os').system('touch {marker}')").Op(0x85).Op('R')
            .Op('u').Stop().ToArray();
        string path = CheckpointFiles.Temp(CheckpointFiles.Zip(hidden, new Dictionary<string, byte[]> { ["0"] = CheckpointFiles.Floats(1f) }));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(path));
            Assert.Contains("'builtins.eval'", e.Message);
            Assert.False(File.Exists(marker));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Storage_types_are_tags_not_callables()
    {
        // torch.FloatStorage is allowed as a name in persistent ids, but calling it (REDUCE) is refused.
        var w = new PickleWriter().Proto().Global("torch", "FloatStorage").Op(')').Op('R').Stop();
        Assert.Throws<InvalidDataException>(() => Load(w));
    }

    // ---- broken and hostile bytes ------------------------------------------------------------------------------------

    public static TheoryData<string, byte[]> BrokenPickles() => new()
    {
        { "empty", [] },
        { "no STOP", new PickleWriter().Proto().Op('}').ToArray() },
        { "protocol 1", new PickleWriter().Proto(1).Op('}').Stop().ToArray() },
        { "protocol 9", new PickleWriter().Proto(9).Op('}').Stop().ToArray() },
        { "unknown opcode", new PickleWriter().Proto().Op(0xff).Stop().ToArray() },
        { "text INT (protocol 0)", new PickleWriter().Proto().Raw((byte)'I', (byte)'1', (byte)'\n').Stop().ToArray() },
        { "BINUNICODE of 4 GB", new PickleWriter().Proto().Op('X').Raw(0xff, 0xff, 0xff, 0xff).Raw(1, 2, 3).Stop().ToArray() },
        { "BINUNICODE8 of 2^62", new PickleWriter().Proto().Op(0x8d).Raw(0, 0, 0, 0, 0, 0, 0, 0x40).Stop().ToArray() },
        { "BINBYTES past the end", new PickleWriter().Proto().Op('B').Raw(0x10, 0, 0, 0).Raw(1).Stop().ToArray() },
        { "bad UTF-8", new PickleWriter().Proto().Op(0x8c).Raw(2, 0xc3, 0x28).Stop().ToArray() },
        { "stack underflow", new PickleWriter().Proto().Op('s').Stop().ToArray() },
        { "pop below a mark", new PickleWriter().Proto().Op(']').Op('(').Op('a').Stop().ToArray() },
        { "SETITEM on a list", new PickleWriter().Proto().Op(']').Int(1).Int(2).Op('s').Stop().ToArray() },
        { "memo never stored", new PickleWriter().Proto().Op('h').Raw(5).Stop().ToArray() },
        { "two values at STOP", new PickleWriter().Proto().Int(1).Int(2).Stop().ToArray() },
        { "mark open at STOP", new PickleWriter().Proto().Op('(').Int(1).Stop().ToArray() },
        { "GLOBAL without newline", new PickleWriter().Proto().Op('c').Raw(new byte[5000].Select(_ => (byte)'a').ToArray()).ToArray() },
        { "LONG4", new PickleWriter().Proto().Op(0x8b).Raw(0, 0, 0, 0x10).Stop().ToArray() },
        { "REDUCE on a string", new PickleWriter().Proto().Str("x").Op(')').Op('R').Stop().ToArray() },
        { "BUILD on a list", new PickleWriter().Proto().Op(']').Op('}').Op('b').Stop().ToArray() },
        { "tensor with a str offset", new PickleWriter().Proto().Global("torch._utils", "_rebuild_tensor_v2").Op('(').Str("s").Str("0").Op(')').Op(')').Op(0x89).Op('N').Op('t').Op('R').Stop().ToArray() },
        { "persistent id with no loader", new PickleWriter().Proto().Str("x").Op('Q').Stop().ToArray() },
    };

    [Theory]
    [MemberData(nameof(BrokenPickles))]
    public void Broken_pickles_are_InvalidDataException(string what, byte[] bytes)
    {
        var e = Assert.Throws<InvalidDataException>(() => Unpickler.Load(bytes));
        Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
    }

    [Fact]
    public void Object_floods_and_deep_nesting_stop_at_their_bounds_quickly()
    {
        var sw = Stopwatch.StartNew();
        // 8 million one-byte EMPTY_LISTs (kept on the stack) would be 8 million objects.
        var flood = new byte[8_000_002];
        flood[0] = 0x80; flood[1] = 2;
        flood.AsSpan(2).Fill((byte)']');
        Assert.Contains("on the pickle stack", Assert.Throws<InvalidDataException>(() => Unpickler.Load(flood)).Message);
        // Appending the same memoised list over and over: bounded by the object count, not the stack.
        var w = new PickleWriter().Proto().Op(']').Op('q').Raw(0);
        var body = new byte[13_500_000];
        for (int i = 0; i < body.Length; i += 3) { body[i] = (byte)'h'; body[i + 1] = 0; body[i + 2] = (byte)'a'; }
        var appends = w.Raw(body).Stop().ToArray();
        Assert.Contains("objects", Assert.Throws<InvalidDataException>(() => Unpickler.Load(appends)).Message);
        // 200,000 nested marks.
        var marks = new byte[200_002];
        marks[0] = 0x80; marks[1] = 2;
        marks.AsSpan(2).Fill((byte)'(');
        Assert.Contains("marks", Assert.Throws<InvalidDataException>(() => Unpickler.Load(marks)).Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }
}
