namespace Restora.Core;

/// <summary>
/// One entry of the reverse-mode tape: the op that made <see cref="Output"/> from <see cref="Inputs"/> and the
/// closure that turns the output's gradient into the inputs' gradients. Entries are numbered in the order ops
/// ran, and backward replays them in reverse order of that number.
/// </summary>
internal sealed class Node(string name, Tensor output, Tensor[] inputs, Action<Tensor> backward, long sequence)
{
    public string Name { get; } = name;
    public Tensor Output { get; } = output;
    public Tensor[] Inputs { get; } = inputs;
    public long Sequence { get; } = sequence;
    // Cleared after it runs so the tensors it captured can be collected (PyTorch frees saved tensors too).
    public Action<Tensor>? BackwardFn { get; set; } = backward;
}

/// <summary>The tape: records ops while gradients are enabled, and runs backward.</summary>
public static class Autograd
{
    [ThreadStatic] static int noGradDepth;
    static long sequence;

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing and keep no intermediates alive.</summary>
    public static bool IsEnabled => noGradDepth == 0;

    /// <summary>Inference mode for the current thread until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    sealed class NoGradScope : IDisposable
    {
        bool done;
        public NoGradScope() => noGradDepth++;
        public void Dispose()
        {
            if (done) return;
            done = true;
            noGradDepth--;
        }
    }

    internal static bool Needs(Tensor a) => noGradDepth == 0 && a.RequiresGrad;
    internal static bool Needs(Tensor a, Tensor b) => noGradDepth == 0 && (a.RequiresGrad || b.RequiresGrad);
    internal static bool Needs(Tensor a, Tensor? b, Tensor? c) =>
        noGradDepth == 0 && (a.RequiresGrad || b is { RequiresGrad: true } || c is { RequiresGrad: true });
    internal static bool Needs(IReadOnlyList<Tensor> xs)
    {
        if (noGradDepth != 0) return false;
        foreach (var x in xs) if (x.RequiresGrad) return true;
        return false;
    }

    /// <summary>Time per op while set (<see cref="OpProfile"/>); null, nothing is timed.</summary>
    public static OpProfile? Profile { get; set; }

    /// <summary>Puts an op on the tape. Callers check <see cref="Needs(Tensor)"/> first so NoGrad costs nothing.</summary>
    internal static Tensor Record(Tensor output, string name, Tensor?[] inputs, Action<Tensor> backward)
    {
        Profile?.Forward(name);
        var ins = Array.FindAll(inputs, t => t is not null)!;
        output.RequiresGrad = true;
        output.GradFn = new Node(name, output, ins!, backward, Interlocked.Increment(ref sequence));
        return output;
    }

    /// <summary>
    /// Adds <paramref name="grad"/> into <paramref name="target"/>'s gradient and takes ownership of it.
    /// Leaves get a persistent copy (their gradient must outlive the step's scope); intermediates keep the pooled one.
    /// </summary>
    internal static void Accumulate(Tensor target, Tensor grad)
    {
        if (!target.RequiresGrad)
        {
            grad.Dispose();
            return;
        }
        if (!grad.SameShape(target))
            throw new InvalidOperationException($"gradient {grad.ShapeString} does not match tensor {target.ShapeString}");
        if (target.Grad is null)
        {
            if (target.IsLeaf)
            {
                target.Grad = Tensor.PersistentFrom(grad.ReadOnlySpan, target.ShapeArray);
                grad.Dispose();
            }
            else target.Grad = grad;
            return;
        }
        System.Numerics.Tensors.TensorPrimitives.Add(target.Grad.ReadOnlySpan, grad.ReadOnlySpan, target.Grad.Span);
        grad.Dispose();
    }

    /// <summary>
    /// Reverse-mode differentiation of <paramref name="root"/>: gradients accumulate into the <c>Grad</c> of every
    /// leaf that requires one. <paramref name="gradient"/> defaults to 1 for a one-element root. The tape entries
    /// used are released, so a second backward through the same graph throws.
    /// </summary>
    public static void Backward(Tensor root, Tensor? gradient = null)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException("backward on a tensor that does not require grad (made under NoGrad, or from inputs that need no gradient)");
        if (gradient is null && root.Length != 1)
            throw new ArgumentException($"backward without a gradient needs a one-element tensor, got {root.ShapeString}");
        if (gradient is not null && !gradient.SameShape(root))
            throw new ArgumentException($"gradient {gradient.ShapeString} does not match {root.ShapeString}");

        var nodes = new List<Node>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        if (root.GradFn is { } r) { stack.Push(r); seen.Add(r); }
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            nodes.Add(n);
            foreach (var i in n.Inputs)
                if (i.GradFn is { } p && seen.Add(p)) stack.Push(p);
        }
        nodes.Sort((a, b) => b.Sequence.CompareTo(a.Sequence));

        using var _ = NoGrad();
        var seed = gradient is null ? Tensor.Ones(root.ShapeArray) : gradient.Clone();
        Accumulate(root, seed);
        foreach (var n in nodes)
        {
            var g = n.Output.Grad;
            if (g is null) continue;
            var fn = n.BackwardFn ?? throw new InvalidOperationException($"backward through {n.Name} a second time: its tape entry was already used");
            n.BackwardFn = null;
            n.Output.Grad = null;
            long start = Profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            fn(g);
            Profile?.Backward(n.Name, start);
            g.Dispose();
        }
    }
}
