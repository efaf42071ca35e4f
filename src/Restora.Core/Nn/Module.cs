namespace Restora.Core.Nn;

/// <summary>
/// A network piece that owns named parameters, buffers and child modules, like <c>torch.nn.Module</c>:
/// a child registered as "body" with a parameter "weight" appears in the state dict as "body.weight",
/// so Restora checkpoints map one-to-one onto PyTorch's.
/// </summary>
public abstract class Module
{
    readonly List<(string Name, Tensor Value)> parameters = [];
    readonly List<(string Name, Tensor Value, bool Integer)> buffers = [];
    readonly List<(string Name, Module Value)> children = [];

    /// <summary>Training mode (the default) or evaluation mode; changes batch norm's statistics.</summary>
    public bool Training { get; private set; } = true;

    public abstract Tensor Forward(Tensor input);

    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>
    /// State that is saved but not trained (batch norm's running statistics). <paramref name="integer"/> marks
    /// counters that PyTorch keeps as int64, so checkpoints write them with that dtype.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor value, bool integer = false)
    {
        CheckName(name);
        buffers.Add((name, value, integer));
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add((name, module));
        return module;
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (empty or contains a dot)");
        if (parameters.Exists(p => p.Name == name) || buffers.Exists(b => b.Name == name) || children.Exists(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'");
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => children;

    /// <summary>Parameters with dotted names, depth first in registration order (PyTorch's order).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in parameters) yield return (prefix + n, p);
        foreach (var (n, c) in children)
            foreach (var item in c.NamedParameters(prefix + n + "."))
                yield return item;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Tensor Buffer, bool Integer)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b, i) in buffers) yield return (prefix + n, b, i);
        foreach (var (n, c) in children)
            foreach (var item in c.NamedBuffers(prefix + n + "."))
                yield return item;
    }

    /// <summary>Parameters and buffers by dotted name, each module's own first, then its children (PyTorch's order).</summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var d = new OrderedDictionary<string, Tensor>();
        AddState(d, "");
        return d;
    }

    void AddState(OrderedDictionary<string, Tensor> d, string prefix)
    {
        foreach (var (n, p) in parameters) d.Add(prefix + n, p);
        foreach (var (n, b, _) in buffers) d.Add(prefix + n, b);
        foreach (var (n, c) in children) c.AddState(d, prefix + n + ".");
    }

    /// <summary>The state-dict keys that hold integer counters (written as I64 in checkpoints).</summary>
    public IReadOnlySet<string> IntegerStateKeys() => NamedBuffers().Where(b => b.Integer).Select(b => b.Name).ToHashSet();

    /// <summary>
    /// Copies values into this module's tensors (references held by optimizers stay valid). With
    /// <paramref name="strict"/>, missing and unexpected keys are errors; a shape mismatch always is.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var problems = new List<string>();
        foreach (var (key, t) in own)
        {
            if (!state.TryGetValue(key, out var src))
            {
                if (strict) problems.Add($"missing key '{key}'");
                continue;
            }
            if (src.Length != t.Length || (!src.SameShape(t) && !(t.Rank == 0 && src.Length == 1)))
            {
                problems.Add($"'{key}': checkpoint has {src.ShapeString}, module has {t.ShapeString}");
                continue;
            }
            src.ReadOnlySpan.CopyTo(t.Span);
        }
        if (strict)
            foreach (var key in state.Keys)
                if (!own.ContainsKey(key)) problems.Add($"unexpected key '{key}'");
        if (problems.Count > 0)
            throw new InvalidOperationException($"load_state_dict into {GetType().Name}: " + string.Join("; ", problems));
    }

    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, c) in children) c.Train(mode);
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Zeroes every parameter's gradient in place, so the next backward reuses the buffers.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad?.Span.Clear();
    }
}
