namespace Restora.Core.Nn;

/// <summary>
/// One step of a long short-term memory (torch.nn.LSTMCell): with gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh split
/// into i, f, g, o (in that order, H rows each), c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c').
/// Parameters are named and shaped as PyTorch's (weight_ih [4H, In], weight_hh [4H, H], bias_ih [4H],
/// bias_hh [4H], registered in that order), so a PyTorch state dict loads as it is. Built from taped ops, so
/// backpropagation through time needs nothing beyond calling the step once per time step and Backward on a loss.
/// </summary>
public sealed class LSTMCell : Module
{
    public int InputSize { get; }
    public int HiddenSize { get; }
    public Tensor WeightIh { get; }
    public Tensor WeightHh { get; }
    public Tensor? BiasIh { get; }
    public Tensor? BiasHh { get; }

    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Random? rng = null)
    {
        if (inputSize <= 0 || hiddenSize <= 0) throw new ArgumentException($"LSTMCell: sizes must be positive, got input {inputSize}, hidden {hiddenSize}");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        WeightIh = RegisterParameter("weight_ih", Tensor.Persistent(4 * hiddenSize, inputSize));
        WeightHh = RegisterParameter("weight_hh", Tensor.Persistent(4 * hiddenSize, hiddenSize));
        BiasIh = bias ? RegisterParameter("bias_ih", Tensor.Persistent(4 * hiddenSize)) : null;
        BiasHh = bias ? RegisterParameter("bias_hh", Tensor.Persistent(4 * hiddenSize)) : null;
        // PyTorch's RNNBase/RNNCellBase.reset_parameters: every parameter, biases included, U(±1/√H).
        double bound = 1 / Math.Sqrt(hiddenSize);
        foreach (var p in Parameters()) Init.Uniform(p, -bound, bound, rng);
    }

    /// <summary>A zero hidden and cell state for a batch of <paramref name="batch"/>, the state torch uses when hx is omitted.</summary>
    public (Tensor H, Tensor C) ZeroState(int batch) => (Tensor.Zeros(batch, HiddenSize), Tensor.Zeros(batch, HiddenSize));

    /// <summary>One step: input [N, In], h and c [N, H] → (h', c'), each [N, H].</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, Tensor h, Tensor c)
    {
        int n = input.Rank == 2 ? input.Dim(0) : -1;
        if (input.Rank != 2 || input.Dim(1) != InputSize)
            throw new ArgumentException($"LSTMCell: input {input.ShapeString} is not [N, {InputSize}]");
        if (h.Rank != 2 || h.Dim(0) != n || h.Dim(1) != HiddenSize || !h.SameShape(c))
            throw new ArgumentException($"LSTMCell: h {h.ShapeString} and c {c.ShapeString} must both be [{n}, {HiddenSize}] for input {input.ShapeString}");
        int hs = HiddenSize;
        // One product per weight for all four gates at once; the gates are then cut out of the [N, 4H] result.
        var gates = F.Add(Project(input, WeightIh, BiasIh), Project(h, WeightHh, BiasHh));
        var i = F.Sigmoid(F.Narrow(gates, 0, hs));
        var f = F.Sigmoid(F.Narrow(gates, hs, hs));
        var g = F.Tanh(F.Narrow(gates, 2 * hs, hs));
        var o = F.Sigmoid(F.Narrow(gates, 3 * hs, hs));
        var c2 = F.Add(F.Mul(f, c), F.Mul(i, g));
        var h2 = F.Mul(o, F.Tanh(c2));
        return (h2, c2);
    }

    /// <summary>
    /// One step from the zero state, returning h' only: what <c>cell(input)</c> with hx omitted gives in PyTorch,
    /// less the cell state. It lets the cell stand where a <see cref="Module"/> is expected for a single step;
    /// anything that carries state over time steps must use <see cref="Forward(Tensor, Tensor, Tensor)"/>.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 2) throw new ArgumentException($"LSTMCell: input {input.ShapeString} is not [N, {InputSize}]");
        var (h0, c0) = ZeroState(input.Dim(0));
        return Forward(input, h0, c0).H;
    }

    /// <summary>
    /// Runs the cell over a sequence (each input [N, In]) from (h, c), or from the zero state when they are
    /// omitted; returns every step's h and the last c, so a caller can continue the sequence from (Hs[^1], C).
    /// </summary>
    public (Tensor[] Hs, Tensor C) Unroll(IReadOnlyList<Tensor> inputs, Tensor? h = null, Tensor? c = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("LSTMCell.Unroll: no time steps");
        if ((h is null) != (c is null)) throw new ArgumentException("LSTMCell.Unroll: give both h and c, or neither");
        if (h is null) (h, c) = ZeroState(inputs[0].Rank == 2 ? inputs[0].Dim(0) : 0);
        var hs = new Tensor[inputs.Count];
        for (int t = 0; t < inputs.Count; t++)
        {
            (h, c) = Forward(inputs[t], h, c!);
            hs[t] = h;
        }
        return (hs, c!);
    }

    /// <summary>x·Wᵀ + b for x [N, K] and W [M, K], as a 1x1 convolution (the engine's matrix product, as in <see cref="Linear"/>).</summary>
    static Tensor Project(Tensor x, Tensor weight, Tensor? bias)
    {
        int n = x.Dim(0), k = x.Dim(1), m = weight.Dim(0);
        var y = F.Conv2d(F.Reshape(x, n, k, 1, 1), F.Reshape(weight, m, k, 1, 1), bias);
        return F.Reshape(y, n, m);
    }
}
