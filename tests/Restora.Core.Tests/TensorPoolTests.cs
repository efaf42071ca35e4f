using Restora.Core;
using Xunit;

namespace Restora.Core.Tests;

public class TensorPoolTests
{
    // Lengths on both sides of the split between the power-of-two buckets and the best-fit list, including the
    // 2.56M floats of a DnCNN training activation (batch 16, 64 channels, 50x50) whose bucket array is exactly 4M long.
    [Theory]
    [InlineData(16 * 64 * 50 * 50)]
    [InlineData(TensorPool.LargeLength)]
    [InlineData(TensorPool.LargeLength + 1)]
    [InlineData(3 * TensorPool.LargeLength)]
    public void ReturnedArrayIsReusedForTheSameLength(int length)
    {
        var first = TensorPool.Rent(length);
        Assert.True(first.Length >= length);
        TensorPool.Return(first);
        var second = TensorPool.Rent(length);
        Assert.Same(first, second);
        TensorPool.Return(second);
    }
}
