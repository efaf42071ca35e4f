using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// EDSR (Lim et al. 2017) in BasicSR's form; the baseline is 64 features, 16 blocks, res_scale 1. Keys
/// conv_first, body.N.conv1/conv2, conv_after_body, upsample.0/2, conv_last.
/// </summary>
public sealed class Edsr(int channels, int features, int blocks, int scale, float resScale, Random rng)
    : ResidualBodyNetwork(channels, features, scale, rng,
        () => Enumerable.Range(0, blocks).Select(_ => (Module)new ResidualBlockNoBN(features, resScale, rng)).ToList());
