using Restora.Core;
using Restora.Models.Architectures;

namespace Restora.Models.Tests;

public class FfdNetResidualTests
{
    [Fact]
    public void Residual_ffdnet_returns_the_input_minus_what_the_plain_stack_predicts()
    {
        var plain = new FfdNet(3, 8, 3, new Random(5));
        var residual = new FfdNet(3, 8, 3, new Random(5), residual: true);
        residual.LoadStateDict(plain.StateDict()); // same keys: the option changes only the output
        using var noGrad = Autograd.NoGrad();
        var x = Tensor.FromArray(Enumerable.Range(0, 3 * 6 * 8).Select(i => (float)Math.Sin(i * 0.3)).ToArray(), 1, 3, 6, 8);
        var p = plain.Forward(x).ToArray();
        var r = residual.Forward(x).ToArray();
        var input = x.ToArray();
        for (int i = 0; i < input.Length; i++) Assert.Equal(input[i] - p[i], r[i], 5);
    }
}
