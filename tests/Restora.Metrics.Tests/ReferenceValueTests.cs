namespace Restora.Metrics.Tests;

/// <summary>
/// Numbers from Reference/skimage_reference.py (skimage 0.19 structural_similarity with Wang et al.'s settings,
/// and numpy transcriptions of pytorch_msssim.ms_ssim and KAIR's calculate_psnrb). Each case has two columns:
/// the value computed on exactly the float32 samples Restora holds (must agree to ~1e-13: only summation order
/// differs), and the value skimage gives on the original uint8 pixels (agrees to ~1e-8: v/255 is not exact in
/// float32, which moves SSIM by a few 1e-9 and PSNR by ~1e-7 dB).
/// </summary>
public class ReferenceValueTests
{
    const double SameInputs = 1e-12;
    const double FromUint8Ssim = 2e-8;
    const double FromUint8Db = 1e-6;

    static readonly MetricOptions Y = new() { OnY = true };
    static readonly MetricOptions Shave4 = new() { Shave = 4 };

    [Fact]
    public void Rgb67x53_noise20_matches_skimage()
    {
        var (r, t) = TestImages.Pair(67, 53, 3, 20);
        AssertClose(0.94690077870836564, 0.94690077816172014, FullReference.Ssim(r, t), FromUint8Ssim);
        AssertClose(0.97467646577339628, 0.97467646546870201, FullReference.Ssim(r, t, Y), FromUint8Ssim);
        AssertClose(0.94678880418636835, 0.94678880368000973, FullReference.Ssim(r, t, Shave4), FromUint8Ssim);
        AssertClose(26.841127850660961, 26.841127840117117, FullReference.Psnr(r, t), FromUint8Db);
        AssertClose(23.825684767529168, 23.825684775173595, FullReference.PsnrB(r, t), FromUint8Db);
    }

    [Fact]
    public void Gray67x53_noise20_matches_skimage()
    {
        var (r, t) = TestImages.Pair(67, 53, 1, 20);
        AssertClose(0.94787165879874846, 0.94787165869566603, FullReference.Ssim(r, t), FromUint8Ssim);
        // On Y a gray image scores as the RGB image with R = G = B, as the SR protocol reads it.
        Assert.Equal(FullReference.Ssim(r.ToRgb(), t.ToRgb(), Y), FullReference.Ssim(r, t, Y));
        Assert.NotEqual(FullReference.Ssim(r, t), FullReference.Ssim(r, t, Y));
        AssertClose(0.94849912365731948, 0.94849912352881038, FullReference.Ssim(r, t, Shave4), FromUint8Ssim);
        AssertClose(26.796673694227717, 26.796673698907014, FullReference.Psnr(r, t), FromUint8Db);
        AssertClose(21.139913685122128, 21.139913668230569, FullReference.PsnrB(r, t), FromUint8Db);
    }

    [Fact]
    public void Rgb200x181_noise30_matches_skimage_and_pytorch_msssim_conventions()
    {
        // Odd height: MS-SSIM's zero-padded pooling is exercised.
        var (r, t) = TestImages.Pair(200, 181, 3, 30);
        AssertClose(0.891977432529517, 0.89197743196365176, FullReference.Ssim(r, t), FromUint8Ssim);
        AssertClose(0.94596979590914176, 0.94596979561877115, FullReference.Ssim(r, t, Y), FromUint8Ssim);
        AssertClose(0.89179249250164927, 0.8917924919528496, FullReference.Ssim(r, t, Shave4), FromUint8Ssim);
        AssertClose(23.490787510632121, 23.490787520666231, FullReference.Psnr(r, t), FromUint8Db);
        AssertClose(0.98871332009338231, 0.98871331995170209, FullReference.MsSsim(r, t), FromUint8Ssim);
        AssertClose(23.313778567533308, 23.313778580851846, FullReference.PsnrB(r, t), FromUint8Db);
    }

    [Fact]
    public void Rgb64x48_blocky_matches_skimage_and_kair_psnrb()
    {
        // Sides are multiples of 8, where KAIR's pair-count formula and the true counts agree.
        var (r, t) = TestImages.Blocky(64, 48, 3);
        AssertClose(0.24747076418668121, 0.24747076075135718, FullReference.Ssim(r, t), FromUint8Ssim);
        AssertClose(0.27214086073545479, 0.27214085729139437, FullReference.Ssim(r, t, Y), FromUint8Ssim);
        AssertClose(0.23236709271318001, 0.23236708994436839, FullReference.Ssim(r, t, Shave4), FromUint8Ssim);
        AssertClose(12.028908097035425, 12.028908145472034, FullReference.Psnr(r, t), FromUint8Db);
        AssertClose(10.285600289087506, 10.285600410332941, FullReference.PsnrB(r, t), FromUint8Db);
    }

    [Fact]
    public void Cset5_butterfly_bicubic_x4_matches_skimage()
    {
        // butterfly.png from CSet5 and PIL's bicubic x4 down-up of it, as raw uint8 (the PNG codec is not in this project).
        var r = TestImages.LoadRawRgb("butterfly_256x256_ref.u8", 256, 256);
        var t = TestImages.LoadRawRgb("butterfly_256x256_test.u8", 256, 256);
        var srProtocol = new MetricOptions { OnY = true, Shave = 4 };
        AssertClose(0.698997483531150, 0.698997478388813, FullReference.Ssim(r, t), FromUint8Ssim);
        AssertClose(0.737282472308765, 0.737282465431036, FullReference.Ssim(r, t, srProtocol), FromUint8Ssim);
        AssertClose(22.100703705177, 22.100703650607, FullReference.Psnr(r, t, srProtocol), FromUint8Db, printedDigits: 1e-11);
        AssertClose(0.939963947631777, 0.939963946335504, FullReference.MsSsim(r, t), FromUint8Ssim, printedDigits: 1e-14);
        AssertClose(20.757182436477, 20.757182436780, FullReference.PsnrB(r, t), FromUint8Db, printedDigits: 1e-11);
    }

    static void AssertClose(double onSameFloat32Inputs, double skimageOnUint8, double actual, double uint8Tolerance,
        double printedDigits = SameInputs)
    {
        Assert.True(Math.Abs(actual - onSameFloat32Inputs) <= Math.Max(SameInputs, printedDigits),
            $"expected {onSameFloat32Inputs:R} (reference on the same float32 samples), got {actual:R}, diff {actual - onSameFloat32Inputs:E2}");
        Assert.True(Math.Abs(actual - skimageOnUint8) <= uint8Tolerance,
            $"expected {skimageOnUint8:R} (reference on uint8) within {uint8Tolerance:E0}, got {actual:R}, diff {actual - skimageOnUint8:E2}");
    }
}
