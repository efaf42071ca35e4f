using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Toolchain;

/// <summary>
/// RL-Restore's agent (Yu et al. 2018): it looks at a 63x63 crop of the image being restored and the tool it used
/// last, and gives a Q-value for each tool and for stopping. Four stride-2 convolutions (9x9 → 32, then three
/// 5x5 → 24, ReLU) take the crop to 4x4x24; a fully connected layer to 32 features (ReLU); those and the one-hot of
/// the previous tool (all zero at the first step) feed an LSTM cell of 50 units, which carries what was done so far;
/// a linear layer gives the Q-values, the last one for "stop".
/// </summary>
public sealed class AgentNetwork : Module
{
    /// <summary>The crop side the agent sees (the paper's patch size).</summary>
    public const int CropSize = 63;

    readonly Conv2d conv1, conv2, conv3, conv4;
    readonly Linear features, q;
    readonly LSTMCell lstm;

    /// <summary>Tools it chooses among; <see cref="Actions"/> is one more (stop).</summary>
    public int Tools { get; }
    /// <summary>Q-values per step: every tool, then stop.</summary>
    public int Actions => Tools + 1;
    /// <summary>Index of the stop action.</summary>
    public int Stop => Tools;
    /// <summary>The LSTM's units.</summary>
    public int Hidden { get; }
    /// <summary>Image channels it reads.</summary>
    public int Channels { get; }

    public AgentNetwork(int channels, int tools, int hidden = 50, Random? rng = null)
    {
        if (tools < 1) throw new ArgumentException($"an agent needs at least one tool, got {tools}");
        Channels = channels;
        Tools = tools;
        Hidden = hidden;
        rng ??= new Random(0);
        conv1 = RegisterModule("conv1", new Conv2d(channels, 32, 9, stride: 2, padding: 4, rng: rng));
        conv2 = RegisterModule("conv2", new Conv2d(32, 24, 5, stride: 2, padding: 2, rng: rng));
        conv3 = RegisterModule("conv3", new Conv2d(24, 24, 5, stride: 2, padding: 2, rng: rng));
        conv4 = RegisterModule("conv4", new Conv2d(24, 24, 5, stride: 2, padding: 2, rng: rng));
        features = RegisterModule("fc", new Linear(24 * 4 * 4, 32, rng: rng));
        lstm = RegisterModule("lstm", new LSTMCell(32 + tools, hidden, rng: rng));
        q = RegisterModule("q", new Linear(hidden, tools + 1, rng: rng));
    }

    /// <summary>One step for N crops [N, C, 63, 63], the previous tools' one-hots [N, Tools] and the LSTM state [N, Hidden]
    /// (zeros at the first step): the Q-values [N, Actions] and the new state.</summary>
    public (Tensor Q, Tensor H, Tensor C) Step(Tensor crops, Tensor previous, Tensor h, Tensor c)
    {
        if (crops.Rank != 4 || crops.Dim(1) != Channels || crops.Dim(2) != CropSize || crops.Dim(3) != CropSize)
            throw new ArgumentException($"agent: crops must be [N, {Channels}, {CropSize}, {CropSize}], got {crops.ShapeString}");
        var x = F.Relu(conv1.Forward(crops));
        x = F.Relu(conv2.Forward(x));
        x = F.Relu(conv3.Forward(x));
        x = F.Relu(conv4.Forward(x));
        var f = F.Relu(features.Forward(F.Reshape(x, crops.Dim(0), 24 * 4 * 4)));
        var (h1, c1) = lstm.Forward(F.Cat([f, previous], 1), h, c);
        return (q.Forward(h1), h1, c1);
    }

    /// <summary>Not a one-tensor network: use <see cref="Step"/>.</summary>
    public override Tensor Forward(Tensor input) => throw new NotSupportedException("the agent takes crops, the previous tool and its state: use Step");

    /// <summary>Multiply-adds of one step for one crop (the convolutions dominate: about 14 million).</summary>
    public long MacsPerCrop()
    {
        long macs = 0;
        int side = CropSize;
        foreach (var conv in new[] { conv1, conv2, conv3, conv4 })
        {
            side = (side + 2 * conv.Padding.H - conv.Weight.Dim(2)) / conv.Stride.H + 1;
            macs += (long)side * side * conv.Weight.Length;
        }
        return macs + features.Weight.Length + lstm.WeightIh.Length + lstm.WeightHh.Length + q.Weight.Length;
    }
}
