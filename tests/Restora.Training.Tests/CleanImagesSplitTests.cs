using Restora.Imaging;
using Restora.Training;

namespace Restora.Training.Tests;

public class CleanImagesSplitTests
{
    [Fact]
    public void Holdout_takes_images_spread_over_the_list_and_never_trains_on_them()
    {
        var files = Enumerable.Range(0, 20).Select(i => $"/d/{(i < 12 ? "a" : "b")}/{i:00}.png").ToList();
        var (train, validation) = CleanImages.Split(files, 4);
        Assert.Equal(4, validation.Count);
        Assert.Equal(16, train.Count);
        Assert.Empty(train.Intersect(validation));
        Assert.Contains(validation, f => f.Contains("/a/"));
        Assert.Contains(validation, f => f.Contains("/b/"));
        Assert.Equal(files, CleanImages.Split(files, 0).Train);
        Assert.Throws<ArgumentException>(() => CleanImages.Split(files, 20));
    }

    [Fact]
    public void Several_folders_joined_like_path_are_all_listed()
    {
        var root = Directory.CreateTempSubdirectory("restora-split-").FullName;
        try
        {
            foreach (var (dir, n) in new[] { ("one", 2), ("two", 3) })
            {
                Directory.CreateDirectory(Path.Combine(root, dir));
                for (int i = 0; i < n; i++)
                    ImageFile.Save(new Image(8, 8, PixelLayout.Rgb), Path.Combine(root, dir, $"{i}.png"));
            }
            var files = CleanImages.ListFiles(Path.Combine(root, "one") + Path.PathSeparator + Path.Combine(root, "two"));
            Assert.Equal(5, files.Count);
            Assert.Throws<DirectoryNotFoundException>(() => CleanImages.ListFiles(Path.Combine(root, "one") + Path.PathSeparator + Path.Combine(root, "none")));
        }
        finally { Directory.Delete(root, true); }
    }
}
