using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Cli.Tests;

/// <summary>The library's front door (the `Restora` package) used as an embedder would: open, restore, progress, cancel.</summary>
public class LibraryFacadeTests
{
    static Image Noisy(int w, int h)
    {
        var clean = TestFiles.Pattern(w, h);
        return Degrade.AddGaussianNoise(clean, 25, 7, clip: true);
    }

    [Fact]
    public void A_shipped_denoiser_restores_with_its_own_settings_and_reports_every_tile()
    {
        using var model = RestorationModel.Open("restora-denoise");
        Assert.Equal("denoise", model.Task);
        var clean = TestFiles.Pattern(96, 80);
        var noisy = Degrade.AddGaussianNoise(clean, 25, 7, clip: true);
        var reports = new List<TileProgress>();
        var restored = model.Restore(noisy, new RestoreOptions { Tile = 32, NoiseSigma = 25, Progress = new Sync<TileProgress>(reports.Add) });
        Assert.Equal((96, 80), (restored.Width, restored.Height));
        Assert.True(FullReference.Psnr(clean, restored) > FullReference.Psnr(clean, noisy) + 3);
        Assert.True(reports.Count >= 6, $"{reports.Count} reports");
        Assert.Equal(reports[^1].Total, reports[^1].Done);
    }

    [Fact]
    public void Cancelling_stops_a_restore_between_tiles()
    {
        using var model = RestorationModel.Open("restora-denoise");
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        var options = new RestoreOptions { Tile = 32, NoiseSigma = 25, Progress = new Sync<TileProgress>(_ => { if (++seen == 2) cancel.Cancel(); }) };
        Assert.ThrowsAny<OperationCanceledException>(() => model.Restore(Noisy(128, 96), options, cancel.Token));
        Assert.Equal(2, seen);
    }

    [Fact]
    public void A_memory_budget_chooses_smaller_tiles_for_the_same_pixels()
    {
        using var model = RestorationModel.Open("restora-sr-x2");
        var image = TestFiles.Pattern(120, 90);
        int tilesDefault = 0, tilesSmall = 0;
        var whole = model.Restore(image, new RestoreOptions { Progress = new Sync<TileProgress>(p => tilesDefault = p.Total) });
        var small = model.Restore(image, new RestoreOptions { MemoryBudgetBytes = 2_000_000, Progress = new Sync<TileProgress>(p => tilesSmall = p.Total) });
        Assert.Equal(1, tilesDefault);
        Assert.True(tilesSmall > 1, $"{tilesSmall} tiles");
        float worst = 0;
        for (int i = 0; i < whole.Data.Length; i++) worst = Math.Max(worst, Math.Abs(whole.Data[i] - small.Data[i]));
        Assert.True(worst < 1e-5f, $"largest difference {worst}");
    }

    [Fact]
    public void A_scale_check_and_an_unknown_model_are_clear_errors()
    {
        using var sr = RestorationModel.Open("restora-sr-x2");
        Assert.Throws<ArgumentException>(() => sr.Restore(TestFiles.Pattern(16, 16), new RestoreOptions { Scale = 4 }));
        var e = Assert.ThrowsAny<Exception>(() => RestorationModel.Open("no-such-model"));
        Assert.Contains("no-such-model", e.Message);
    }

    /// <summary>Progress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
