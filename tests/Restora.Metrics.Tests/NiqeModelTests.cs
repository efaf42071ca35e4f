namespace Restora.Metrics.Tests;

/// <summary>The pristine model compiled into the library (NiqeModel.cs) is exactly the one in ../shared/data.</summary>
public class NiqeModelTests
{
    static readonly Dictionary<string, Npz.Array> Archive =
        Npz.Read(Path.Combine(SharedData.Folder, "data", "niqe_pris_params.npz"));

    [Fact]
    public void Embedded_mean_covariance_and_window_are_the_npz_values_bit_for_bit()
    {
        AssertSameBits(Archive["mu_pris_param"], [1, 36], NiqeModel.Mean);
        AssertSameBits(Archive["cov_pris_param"], [36, 36], NiqeModel.Covariance);
        AssertSameBits(Archive["gaussian_window"], [7, 7], NiqeModel.Window);
        Assert.Equal(3, Archive.Count);
    }

    [Fact]
    public void Window_is_fspecial_gaussian_7_with_sigma_7_over_6_normalized()
    {
        // What the model's window is, so a reader need not trust the file: exp(-(x²+y²)/(2σ²)) / sum.
        const double sigma = 7.0 / 6;
        var expected = new double[49];
        double sum = 0;
        for (int y = -3; y <= 3; y++)
            for (int x = -3; x <= 3; x++)
                sum += expected[(y + 3) * 7 + x + 3] = Math.Exp(-(x * x + y * y) / (2 * sigma * sigma));
        for (int i = 0; i < 49; i++)
            Assert.Equal(expected[i] / sum, NiqeModel.Window[i], 1e-16);
    }

    [Fact]
    public void Covariance_is_symmetric()
    {
        for (int i = 0; i < 36; i++)
            for (int j = 0; j < 36; j++)
                Assert.Equal(NiqeModel.Covariance[i * 36 + j], NiqeModel.Covariance[j * 36 + i]);
    }

    static void AssertSameBits(Npz.Array fromFile, int[] shape, double[] embedded)
    {
        Assert.Equal(shape, fromFile.Shape);
        Assert.Equal(fromFile.RowMajor.Length, embedded.Length);
        for (int i = 0; i < embedded.Length; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(fromFile.RowMajor[i]), BitConverter.DoubleToInt64Bits(embedded[i]));
    }
}

/// <summary>../shared beside the repository, where the reference data and datasets live (CI clones the repo beside it).</summary>
internal static class SharedData
{
    public static string Folder { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                if (!Directory.Exists(shared)) throw new DirectoryNotFoundException($"{shared} is missing: the NIQE reference data live there");
                return shared;
            }
        throw new DirectoryNotFoundException("could not find the repository root above " + AppContext.BaseDirectory);
    }

    public static string CSet14(string name) => Path.Combine(Folder, "datasets", "CSet14", name + ".png");
}
