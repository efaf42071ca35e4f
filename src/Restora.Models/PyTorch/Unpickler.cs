using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Restora.Models.PyTorch;

/// <summary>A Python tuple from a pickle (kept apart from lists: torch's persistent ids and sizes are tuples).</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A Python dict or OrderedDict: insertion order kept, a later SETITEM of the same key replacing the value.</summary>
internal sealed class PickleDict
{
    readonly List<object?> keys = [];
    readonly List<object?> values = [];
    readonly Dictionary<object, int> index = [];

    public int Count => keys.Count;
    public IEnumerable<KeyValuePair<object?, object?>> Items => keys.Select((k, i) => new KeyValuePair<object?, object?>(k, values[i]));

    public void Set(object? key, object? value)
    {
        // Strings, ints and floats compare by value as in Python; containers only by identity (Python refuses them as
        // keys, and a pickle can only hand them to SETITEM, not hash them).
        if (key is not null && index.TryGetValue(key, out int at))
        {
            values[at] = value;
            return;
        }
        if (key is not null) index[key] = keys.Count;
        keys.Add(key);
        values.Add(value);
    }

    public object? Get(string key) => index.TryGetValue(key, out int at) ? values[at] : null;
    public bool Has(string key) => index.ContainsKey(key);
}

/// <summary>The few globals a state-dict checkpoint names; everything else is refused before it is used.</summary>
internal enum PickleGlobalKind { OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, StorageType }

internal sealed record PickleGlobal(string Module, string Name, PickleGlobalKind Kind, TorchDtype Dtype = TorchDtype.Float32)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>Element types of torch storages, named by their legacy storage classes (torch.FloatStorage, …).</summary>
internal enum TorchDtype { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool }

/// <summary>What <c>torch._utils._rebuild_tensor_v2</c> would build: a view of a storage, read later.</summary>
internal sealed record TensorRef(object Storage, long Offset, long[] Size, long[] Stride);

/// <summary>
/// A pickle reader for protocols 2–5 that understands only what a state dict needs: plain containers, numbers,
/// strings, and the torch globals that rebuild tensors from storages. It is a small interpreter of its own, not
/// Python's: a named global is compared against an allow-list of names and becomes a tag; nothing named is called,
/// imported or looked up by reflection, so a checkpoint that names <c>os.system</c> is refused before anything is
/// built. Every allocation is bounded by the data itself (a length is checked against the bytes left before it is
/// read) or by the limits below, so hostile bytes end in an <see cref="InvalidDataException"/>, never a hang.
/// </summary>
internal sealed class Unpickler
{
    // A state dict's pickle is about 100 bytes a tensor: tens of kilobytes for an SR network, a few megabytes for the
    // largest models. These limits are far above that and keep a crafted pickle's memory in the hundreds of megabytes.
    public const int MaxPickleBytes = 64 << 20;
    const int MaxStack = 1_000_000;
    const int MaxMarks = 100_000;
    // Containers, elements, strings and memo entries made so far: each costs tens of bytes, so this caps the objects
    // a pickle of EMPTY_LIST or BINGET repeats could otherwise create, one per byte.
    const int MaxObjects = 4_000_000;

    readonly byte[] data;
    readonly int end;
    int pos;
    readonly Func<object?, object?> persistentLoad;
    readonly Func<string, string, Exception> refuse;
    readonly List<object?> stack = [];
    readonly Stack<int> marks = new();
    readonly Dictionary<long, object?> memo = [];
    int objects;
    Exception? refusal;

    /// <param name="data">The bytes; the pickle starts at <paramref name="start"/> and must end (STOP) before
    /// <paramref name="end"/>.</param>
    /// <param name="persistentLoad">Turns a persistent id (BINPERSID) into a storage; torch uses it for every tensor.</param>
    /// <param name="refuse">Makes the exception for a global outside the allow-list (module, name).</param>
    public Unpickler(byte[] data, int start, int end, Func<object?, object?> persistentLoad, Func<string, string, Exception> refuse)
    {
        if (start < 0 || end > data.Length || start > end) throw new ArgumentOutOfRangeException(nameof(start));
        if (end - start > MaxPickleBytes) throw new InvalidDataException($"pickle of {end - start} bytes is larger than {MaxPickleBytes}");
        this.data = data;
        pos = start;
        this.end = end;
        this.persistentLoad = persistentLoad;
        this.refuse = refuse;
    }

    /// <summary>Where the next pickle starts after <see cref="Load"/> (the legacy format stores several in a row).</summary>
    public int Position => pos;

    public static object? Load(byte[] data, Func<object?, object?>? persistentLoad = null, Func<string, string, Exception>? refuse = null) =>
        new Unpickler(data, 0, data.Length, persistentLoad ?? NoPersistentIds, refuse ?? DefaultRefusal).Load();

    static object? NoPersistentIds(object? pid) => throw new InvalidDataException("the pickle has a persistent id where none is expected");

    public static Exception DefaultRefusal(string module, string name) =>
        new InvalidDataException($"refuses to load: the checkpoint names the global '{module}.{name}' (a .pth may only hold tensors and plain containers)");

    public object? Load()
    {
        while (true)
        {
            int at = pos;
            byte op = U8();
            try
            {
                if (op == '.') // STOP
                {
                    if (stack.Count != 1 || marks.Count != 0) throw Bad($"STOP with {stack.Count} values on the stack and {marks.Count} marks open");
                    return stack[0];
                }
                Step(op);
            }
            catch (InvalidDataException e) when (e != refusal && e.InnerException is null)
            {
                // Where it went wrong, for whoever inspects the file; a refusal reads better without it.
                throw new InvalidDataException($"{e.Message} (pickle opcode 0x{op:x2} at byte {at})", e);
            }
        }
    }

    void Step(byte op)
    {
        switch (op)
        {
            case 0x80: // PROTO
                {
                    int protocol = U8();
                    if (protocol is < 2 or > 5) throw Bad($"pickle protocol {protocol} is not supported (2 to 5 are)");
                    break;
                }
            case 0x95: // FRAME: a length hint for buffered readers; the whole pickle is in memory already.
                Take(8);
                break;
            case (byte)'}': Push(Count(new PickleDict())); break; // EMPTY_DICT
            case (byte)']': Push(Count(new List<object?>())); break; // EMPTY_LIST
            case (byte)')': Push(Count(new PickleTuple([]))); break; // EMPTY_TUPLE
            case (byte)'(': // MARK
                if (marks.Count >= MaxMarks) throw Bad($"more than {MaxMarks} nested marks");
                marks.Push(stack.Count);
                break;
            case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
            case (byte)'K': Push((long)U8()); break; // BININT1
            case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
            case 0x8a: // LONG1: little-endian two's complement of n bytes
                Push(Long(Take(U8())));
                break;
            case 0x8b: // LONG4: Python ints this long have no place in a state dict.
                throw Bad("LONG4 (an integer of more than 255 bytes) is not supported");
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
            case 0x88: Push(true); break; // NEWTRUE
            case 0x89: Push(false); break; // NEWFALSE
            case (byte)'N': Push(null); break; // NONE
            case (byte)'X': Push(Text(Length(4), utf8: true)); break; // BINUNICODE
            case 0x8c: Push(Text(U8(), utf8: true)); break; // SHORT_BINUNICODE
            case 0x8d: Push(Text(Length(8), utf8: true)); break; // BINUNICODE8
            // Python 2's str: the old torch versions that wrote protocol 2 from Python 2 stored keys this way.
            case (byte)'T': Push(Text(Length(4), utf8: false)); break; // BINSTRING
            case (byte)'U': Push(Text(U8(), utf8: false)); break; // SHORT_BINSTRING
            case (byte)'B': Push(Bytes(Length(4))); break; // BINBYTES
            case (byte)'C': Push(Bytes(U8())); break; // SHORT_BINBYTES
            case 0x8e: Push(Bytes(Length(8))); break; // BINBYTES8
            case 0x85: Push(Count(new PickleTuple([Pop()]))); break; // TUPLE1
            case 0x86: // TUPLE2
                {
                    var b = Pop(); var a = Pop();
                    Push(Count(new PickleTuple([a, b])));
                    break;
                }
            case 0x87: // TUPLE3
                {
                    var c = Pop(); var b = Pop(); var a = Pop();
                    Push(Count(new PickleTuple([a, b, c])));
                    break;
                }
            case (byte)'t': Push(Count(new PickleTuple(PopMark().ToArray()))); break; // TUPLE
            case (byte)'l': Push(Count(PopMark())); break; // LIST
            case (byte)'d': // DICT
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Bad("DICT with an odd number of items");
                    var d = new PickleDict();
                    for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
                    Push(Count(d));
                    break;
                }
            case (byte)'s': // SETITEM
                {
                    var value = Pop(); var key = Pop();
                    DictOnTop("SETITEM").Set(key, value);
                    Count();
                    break;
                }
            case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Bad("SETITEMS with an odd number of items");
                    var d = DictOnTop("SETITEMS");
                    for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
                    Count(items.Count / 2);
                    break;
                }
            case (byte)'a': // APPEND
                {
                    var value = Pop();
                    ListOnTop("APPEND").Add(value);
                    Count();
                    break;
                }
            case (byte)'e': // APPENDS
                {
                    var items = PopMark();
                    ListOnTop("APPENDS").AddRange(items);
                    Count(items.Count);
                    break;
                }
            case (byte)'h': Push(Memo(U8())); break; // BINGET
            case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
            case (byte)'q': Remember(U8()); break; // BINPUT
            case (byte)'r': Remember(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break; // LONG_BINPUT
            case 0x94: Remember(memo.Count); break; // MEMOIZE
            case (byte)'0': Pop(); break; // POP
            case (byte)'1': PopMark(); break; // POP_MARK
            case (byte)'2': Push(Peek()); break; // DUP
            case (byte)'c': // GLOBAL: "module\nname\n"
                {
                    string module = Line(), name = Line();
                    Push(Global(module, name));
                    break;
                }
            case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(); var module = Pop();
                    if (module is not string m || name is not string n) throw Bad("STACK_GLOBAL needs two strings");
                    Push(Global(m, n));
                    break;
                }
            case (byte)'R': // REDUCE
                {
                    var args = Pop(); var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
            case 0x81: // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is ever built this way here.
                {
                    var args = Pop(); var cls = Pop();
                    if (cls is not PickleGlobal { Kind: PickleGlobalKind.OrderedDict }) throw Bad($"NEWOBJ of {Describe(cls)}");
                    Push(Count(new PickleDict()));
                    break;
                }
            case (byte)'b': // BUILD
                {
                    var state = Pop();
                    var target = Peek();
                    // torch pickles a state dict's `_metadata` (module versions) as the OrderedDict's attributes, and
                    // a tensor may carry Python attributes; neither changes the values, so they are dropped.
                    if (target is not (PickleDict or TensorRef)) throw Bad($"BUILD on {Describe(target)}");
                    _ = state;
                    break;
                }
            case (byte)'Q': // BINPERSID
                Push(persistentLoad(Pop()));
                break;
            default:
                throw Bad($"unknown or unsupported pickle opcode 0x{op:x2}" + (op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : ""));
        }
    }

    // ---- globals: an allow-list of names, each becoming a tag --------------------------------------------------------

    static readonly Dictionary<string, TorchDtype> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = TorchDtype.Float32, ["HalfStorage"] = TorchDtype.Float16, ["BFloat16Storage"] = TorchDtype.BFloat16,
        ["DoubleStorage"] = TorchDtype.Float64, ["LongStorage"] = TorchDtype.Int64, ["IntStorage"] = TorchDtype.Int32,
        ["ShortStorage"] = TorchDtype.Int16, ["CharStorage"] = TorchDtype.Int8, ["ByteStorage"] = TorchDtype.UInt8,
        ["BoolStorage"] = TorchDtype.Bool,
    };

    PickleGlobal Global(string module, string name)
    {
        var g = (module, name) switch
        {
            ("collections", "OrderedDict") => new PickleGlobal(module, name, PickleGlobalKind.OrderedDict),
            ("torch._utils", "_rebuild_tensor_v2") => new PickleGlobal(module, name, PickleGlobalKind.RebuildTensorV2),
            ("torch._utils", "_rebuild_tensor") => new PickleGlobal(module, name, PickleGlobalKind.RebuildTensor),
            ("torch._utils", "_rebuild_parameter") => new PickleGlobal(module, name, PickleGlobalKind.RebuildParameter),
            ("torch", _) when StorageTypes.TryGetValue(name, out var dtype) => new PickleGlobal(module, name, PickleGlobalKind.StorageType, dtype),
            _ => null,
        };
        if (g is not null) return g;
        refusal = refuse(module, name);
        throw refusal;
    }

    object? Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal g) throw Bad($"REDUCE calls {Describe(callable)}, not a global");
        if (args is not PickleTuple a) throw Bad($"REDUCE of {g.FullName} with {Describe(args)} as arguments");
        switch (g.Kind)
        {
            case PickleGlobalKind.OrderedDict:
                {
                    // OrderedDict() or OrderedDict([(key, value), ...]).
                    var d = new PickleDict();
                    if (a.Count == 1 && a[0] is List<object?> pairs)
                        foreach (var p in pairs)
                            if (p is PickleTuple { Count: 2 } kv) d.Set(kv[0], kv[1]);
                            else throw Bad("OrderedDict from a list that is not of pairs");
                    else if (a.Count != 0) throw Bad($"OrderedDict with {a.Count} arguments");
                    return Count(d);
                }
            case PickleGlobalKind.RebuildTensorV2 or PickleGlobalKind.RebuildTensor:
                {
                    // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
                    int min = g.Kind == PickleGlobalKind.RebuildTensor ? 4 : 6;
                    if (a.Count < min || a.Count > 7) throw Bad($"{g.Name} with {a.Count} arguments");
                    if (a[0] is null || a[0] is PickleGlobal) throw Bad($"{g.Name} of {Describe(a[0])}, not a storage");
                    if (a[1] is not long offset) throw Bad($"{g.Name}: storage offset is {Describe(a[1])}");
                    var size = Ints(a[2], "size");
                    var stride = Ints(a[3], "stride");
                    if (size.Length != stride.Length) throw Bad($"{g.Name}: size has {size.Length} dimensions, stride {stride.Length}");
                    return Count(new TensorRef(a[0]!, offset, size, stride), 1 + size.Length);
                }
            case PickleGlobalKind.RebuildParameter:
                // (data, requires_grad, backward_hooks): a Parameter is its tensor.
                if (a.Count != 3 || a[0] is not TensorRef t) throw Bad("_rebuild_parameter without a tensor");
                return t;
            default:
                throw Bad($"{g.FullName} is not callable here");
        }
    }

    long[] Ints(object? value, string what)
    {
        if (value is not PickleTuple t) throw Bad($"tensor {what} is {Describe(value)}, not a tuple");
        var r = new long[t.Count];
        for (int i = 0; i < t.Count; i++) r[i] = t[i] is long v ? v : throw Bad($"tensor {what} holds {Describe(t[i])}");
        return r;
    }

    // ---- stack, marks, memo ------------------------------------------------------------------------------------------

    void Push(object? value)
    {
        if (stack.Count >= MaxStack) throw Bad($"more than {MaxStack} values on the pickle stack");
        stack.Add(value);
    }

    object? Pop()
    {
        int floor = marks.Count > 0 ? marks.Peek() : 0;
        if (stack.Count <= floor) throw Bad("pickle stack underflow");
        var v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    object? Peek()
    {
        int floor = marks.Count > 0 ? marks.Peek() : 0;
        if (stack.Count <= floor) throw Bad("pickle stack underflow");
        return stack[^1];
    }

    List<object?> PopMark()
    {
        if (marks.Count == 0) throw Bad("no MARK to pop to");
        int m = marks.Pop();
        var items = stack.GetRange(m, stack.Count - m);
        stack.RemoveRange(m, stack.Count - m);
        return items;
    }

    PickleDict DictOnTop(string op) => Peek() is PickleDict d ? d : throw Bad($"{op} on {Describe(Peek())}, not a dict");
    List<object?> ListOnTop(string op) => Peek() is List<object?> l ? l : throw Bad($"{op} on {Describe(Peek())}, not a list");

    object? Memo(long key) => memo.TryGetValue(key, out var v) ? v : throw Bad($"memo entry {key} was never stored");

    void Remember(long key)
    {
        memo[key] = Peek();
        Count();
    }

    T Count<T>(T value, int n = 1)
    {
        Count(n);
        return value;
    }

    void Count(int n = 1)
    {
        objects += n;
        if (objects > MaxObjects) throw Bad($"the pickle builds more than {MaxObjects} objects (a state dict needs far fewer)");
    }

    // ---- reading -----------------------------------------------------------------------------------------------------

    byte U8()
    {
        if (pos >= end) throw Bad("the pickle ends without STOP (truncated)");
        return data[pos++];
    }

    ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > end - pos) throw Bad($"a {n}-byte field runs past the end of the pickle ({end - pos} bytes left)");
        var s = data.AsSpan(pos, (int)n);
        pos += (int)n;
        return s;
    }

    long Length(int width)
    {
        long n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Take(4)) : BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        if (n < 0 || n > end - pos) throw Bad($"a length of {n} bytes runs past the end of the pickle ({end - pos} bytes left)");
        return n;
    }

    string Text(long n, bool utf8)
    {
        var bytes = Take(n);
        Count();
        if (!utf8) return Encoding.Latin1.GetString(bytes);
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad("a string is not valid UTF-8"); }
    }

    byte[] Bytes(long n)
    {
        var b = Take(n).ToArray();
        Count();
        return b;
    }

    /// <summary>A GLOBAL operand line; module and attribute names are short, so a long line is garbage.</summary>
    string Line()
    {
        const int MaxLine = 1024;
        int start = pos;
        int limit = (int)Math.Min(end, (long)pos + MaxLine);
        int nl = Array.IndexOf(data, (byte)'\n', pos, limit - pos);
        if (nl < 0) throw Bad($"GLOBAL operand has no end of line within {MaxLine} bytes");
        pos = nl + 1;
        return Encoding.UTF8.GetString(data, start, nl - start);
    }

    static object Long(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0L;
        if (bytes.Length <= 8)
        {
            long v = 0;
            for (int i = bytes.Length - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            int unused = 64 - 8 * bytes.Length;
            return unused == 0 ? v : (v << unused) >> unused; // sign-extend
        }
        return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }

    InvalidDataException Bad(string message) => new(message);

    internal static string Describe(object? v) => v switch
    {
        null => "None",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        long or BigInteger => $"the integer {v}",
        double d => $"the float {d}",
        bool b => b ? "True" : "False",
        PickleTuple t => $"a tuple of {t.Count}",
        List<object?> l => $"a list of {l.Count}",
        PickleDict d => $"a dict of {d.Count}",
        PickleGlobal g => g.FullName,
        TensorRef => "a tensor",
        byte[] b => $"{b.Length} bytes",
        _ => v.GetType().Name,
    };
}
