using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Restora.Core;
using Restora.Core.Serialization;
using Restora.Imaging;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Fuzz;

/// <summary>
/// Writes the starting corpus of every target (fuzz/seeds/TARGET/NAME), each a few kilobytes: small images in every
/// layout each codec writes, with real-shaped EXIF/XMP/ICC/IPTC, crops of the test photos, and the test suite's small
/// model files (safetensors, the tiny Keras model, PyTorch zip and legacy checkpoints) plus hand-made ncnn networks.
/// Regenerate with <c>dotnet run --project fuzz/Restora.Fuzz -- seeds fuzz/seeds</c> from the repository root.
/// </summary>
static class SeedMaker
{
    public static void Write(string root)
    {
        void Put(string target, string name, byte[] bytes)
        {
            FuzzTargets.All.Get(target); // a seed for a target that does not exist is a typo
            Directory.CreateDirectory(Path.Combine(root, target));
            File.WriteAllBytes(Path.Combine(root, target, name), bytes);
        }

        var metadata = SampleMetadata.Full(orientation: 6, width: 16, height: 12, iccSize: 400);
        var metadataBig = SampleMetadata.Full(orientation: 3, width: 16, height: 12, bigEndian: true, iccSize: 200);
        var rgb = Gradient(16, 12, PixelLayout.Rgb, 8);
        rgb.Metadata = metadata;
        var rgba16 = Gradient(9, 7, PixelLayout.Rgba, 16);
        var gray = Gradient(10, 6, PixelLayout.Gray, 8);
        var photo = PhotoCrop();

        Put("png", "rgb8-metadata.png", ImageFile.Encode(rgb, ImageFormat.Png));
        Put("png", "rgba16.png", ImageFile.Encode(rgba16, ImageFormat.Png));
        Put("png", "gray8.png", ImageFile.Encode(gray, ImageFormat.Png));
        Put("png", "photo.png", ImageFile.Encode(photo, ImageFormat.Png));
        Put("jpeg", "rgb-metadata.jpg", ImageFile.Encode(rgb, ImageFormat.Jpeg));
        Put("jpeg", "gray.jpg", ImageFile.Encode(gray, ImageFormat.Jpeg));
        Put("jpeg", "photo420.jpg", ImageFile.Encode(photo, ImageFormat.Jpeg, new EncodeOptions { Quality = 60, Subsampling = ChromaSubsampling.Yuv420 }));
        Put("webp", "lossy-metadata.webp", ImageFile.Encode(rgb, ImageFormat.WebP));
        Put("webp", "lossless-alpha.webp", ImageFile.Encode(rgba16, ImageFormat.WebP, new EncodeOptions { Lossless = true }));
        Put("webp", "photo.webp", ImageFile.Encode(photo, ImageFormat.WebP, new EncodeOptions { Quality = 50 }));
        foreach (var compression in Enum.GetValues<TiffCompression>())
            Put("tiff", $"rgb8-{compression.ToString().ToLowerInvariant()}.tif",
                ImageFile.Encode(compression == TiffCompression.Deflate ? rgb : Gradient(6, 5, PixelLayout.Rgb, 8), ImageFormat.Tiff,
                    new EncodeOptions { TiffCompression = compression }));
        Put("tiff", "rgba16-lzw.tif", ImageFile.Encode(rgba16, ImageFormat.Tiff, new EncodeOptions { TiffCompression = TiffCompression.Lzw }));
        Put("tiff", "gray-metadata.tif", BigEndianTiff(metadataBig));
        Put("bmp", "rgb.bmp", ImageFile.Encode(Gradient(7, 5, PixelLayout.Rgb, 8), ImageFormat.Bmp));
        Put("bmp", "rgba.bmp", ImageFile.Encode(Gradient(5, 4, PixelLayout.Rgba, 8), ImageFormat.Bmp));
        Put("bmp", "gray.bmp", ImageFile.Encode(Gradient(6, 3, PixelLayout.Gray, 8), ImageFormat.Bmp));
        Put("heif", "small.avif", ImageFile.Encode(Gradient(16, 16, PixelLayout.Rgb, 8), ImageFormat.Avif, new EncodeOptions { Quality = 30 }));
        Put("heif", "small.heic", ImageFile.Encode(Gradient(16, 16, PixelLayout.Rgb, 8), ImageFormat.Heic, new EncodeOptions { Quality = 30 }));

        Put("exif", "little-endian.exif", metadata.Exif!);
        Put("exif", "big-endian.exif", metadataBig.Exif!);
        Put("exif", "thumbnail.exif", SampleMetadata.Exif(8, 640, 480, longDimensions: false, thumbnail: true));
        Put("xmp", "packet.xmp", metadata.Xmp!);
        Put("icc", "rgb.icc", SampleMetadata.Icc("RGB ", 200));
        Put("icc", "gray.icc", SampleMetadata.Icc("GRAY", 170));
        Put("jpeg-metadata", "all-blocks.jpg", ImageFile.Encode(rgb, ImageFormat.Jpeg));
        Put("jpeg-metadata", "big-endian.jpg", WithMetadata(Gradient(8, 8, PixelLayout.Rgb, 8), metadataBig, ImageFormat.Jpeg));
        Put("webp-metadata", "all-blocks.webp", ImageFile.Encode(rgb, ImageFormat.WebP));
        Put("tiff-metadata", "all-blocks.tif", ImageFile.Encode(rgb, ImageFormat.Tiff));
        Put("tiff-metadata", "gray.tif", BigEndianTiff(metadataBig));

        string reference = Path.Combine(RepositoryRoot(), "tests", "Restora.Models.Tests", "Reference");
        Put("safetensors", "tiny_init-no-model-metadata.safetensors", File.ReadAllBytes(Path.Combine(RepositoryRoot(), "tests", "Restora.Core.Tests", "Reference", "tiny_init.safetensors")));
        Put("safetensors", "model-metadata.safetensors", TrainedSafeTensors());
        Put("keras", "tiny_keras.json+shard", KerasSeed(Path.Combine(reference, "tiny_keras")));
        foreach (var (name, param, bin) in NcnnSeeds())
            foreach (var target in new[] { "ncnn", "ncnn-run" })
                Put(target, name, FuzzTargets.Join(Encoding.UTF8.GetBytes(param), bin));
        foreach (var file in new[] { "tensors_zip.pth.bin", "tensors_legacy.pth.bin", "tiny_srvgg_zip.pth.bin" })
            Put("pytorch", file.Replace(".bin", ""), File.ReadAllBytes(Path.Combine(reference, "PyTorch", file)));
        Put("pickle", "tensors_zip-data.pkl", DataPickle(Path.Combine(reference, "PyTorch", "tensors_zip.pth.bin")));
        Put("pickle", "tiny_srvgg-data.pkl", DataPickle(Path.Combine(reference, "PyTorch", "tiny_srvgg_zip.pth.bin")));
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Restora.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    static Image Gradient(int width, int height, PixelLayout layout, int bitDepth)
    {
        var image = new Image(width, height, layout, bitDepth);
        var data = image.Data;
        for (int i = 0; i < data.Length; i++) data[i] = (i * 37 % 101) / 100f;
        return image;
    }

    /// <summary>A 24x24 crop of a test photo (real texture for the lossy codecs), or a gradient where none is found.</summary>
    static Image PhotoCrop()
    {
        string path = Path.Combine(RepositoryRoot(), "tests", "Restora.Imaging.Tests", "Reference", "source.png");
        if (!File.Exists(path)) return Gradient(24, 24, PixelLayout.Rgb, 8);
        var source = ImageFile.Load(path);
        var crop = new Image(24, 24, source.Layout, 8);
        for (int c = 0; c < source.Channels; c++)
            for (int y = 0; y < 24; y++)
                for (int x = 0; x < 24; x++)
                    crop.Data[c * 576 + y * 24 + x] = source.Data[c * source.PixelCount + (y + 40) * source.Width + x + 40];
        return crop;
    }

    static byte[] BigEndianTiff(ImageMetadata metadata)
    {
        // Restora writes little-endian TIFF; a big-endian one is made by hand: an 8-bit gray strip with the blocks.
        var image = Gradient(4, 3, PixelLayout.Gray, 8);
        image.Metadata = metadata with { Icc = SampleMetadata.Icc("GRAY", 170) };
        return ImageFile.Encode(image, ImageFormat.Tiff, new EncodeOptions { TiffCompression = TiffCompression.None });
    }

    static byte[] WithMetadata(Image image, ImageMetadata metadata, ImageFormat format)
    {
        image.Metadata = metadata;
        return ImageFile.Encode(image, format);
    }

    static byte[] TrainedSafeTensors()
    {
        using var a = Tensor.Persistent([2, 3]);
        using var b = Tensor.Persistent([4]);
        for (int i = 0; i < a.Length; i++) a.Span[i] = i * 0.5f;
        var stream = new MemoryStream();
        SafeTensors.Save(stream, [new("body.0.weight", a), new("step", b)], new Dictionary<string, string>
        {
            ["format"] = "restora-model-1", ["arch"] = "dncnn", ["arch_options"] = """{"channels":"3","depth":"4"}""",
            ["task"] = "denoise", ["scale"] = "1", ["iterations"] = "10",
        }, new HashSet<string> { "step" });
        return stream.ToArray();
    }

    /// <summary>model.json with its shard paths pointed at the one shard the target writes, then the shards joined.</summary>
    static byte[] KerasSeed(string folder)
    {
        string json = File.ReadAllText(Path.Combine(folder, "model.json"));
        json = Regex.Replace(json, @"""paths""\s*:\s*\[[^\]]*\]", @"""paths"": [""shard.bin""]");
        var shards = Directory.GetFiles(folder, "*.bin").Order(StringComparer.Ordinal).SelectMany(File.ReadAllBytes).ToArray();
        return FuzzTargets.Join(Encoding.UTF8.GetBytes(json), shards);
    }

    static byte[] DataPickle(string pth)
    {
        using var zip = ZipFile.OpenRead(pth);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        using var s = entry.Open();
        var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    static IEnumerable<(string Name, string Param, byte[] Bin)> NcnnSeeds()
    {
        static byte[] Floats(params float[][] blocks)
        {
            var bytes = new List<byte>();
            foreach (var block in blocks)
                foreach (var v in block)
                {
                    var b = new byte[4];
                    BinaryPrimitives.WriteSingleLittleEndian(b, v);
                    bytes.AddRange(b);
                }
            return [.. bytes];
        }
        static float[] Ramp(int n) => [.. Enumerable.Range(0, n).Select(i => (i % 7 - 3) / 10f)];
        float[] tag = [0];

        // A 3x3 conv (3->12 channels, bias) with ReLU, then PixelShuffle x2: the shape of an upscaler's tail.
        yield return ("conv-relu-shuffle.param+bin",
            "7767517\n3 3\nInput in 0 1 data 0=8 1=8 2=3\nConvolution conv 1 1 data c 0=12 1=3 4=1 5=1 6=324 9=1\nPixelShuffle ps 1 1 c out 0=2\n",
            Floats(tag, Ramp(324), Ramp(12)));
        // A residual block: Split, two convolutions (fp16 weights), BinaryOp add, then Interp x2 and a LeakyReLU.
        var fp16 = new List<byte>();
        fp16.AddRange(BitConverter.GetBytes(0x01306B47u));
        foreach (var v in Ramp(81)) fp16.AddRange(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)));
        while (fp16.Count % 4 != 0) fp16.Add(0);
        yield return ("residual-fp16.param+bin",
            "7767517\n6 7\nInput in 0 1 data\nSplit sp 1 2 data a b\nConvolution conv 1 1 b c 0=3 1=3 4=1 6=81\n" +
            "BinaryOp add 2 1 a c s 0=0\nInterp up 1 1 s u 0=1 1=2.0 2=2.0\nCrop crop 1 1 u out -23309=2,1,1 -23310=2,-1,-1 -23311=2,1,2\n",
            [.. fp16]);
        // Deconvolution, Eltwise with coefficients, Concat, Pooling and InnerProduct: the other weighted layers.
        yield return ("deconv-eltwise.param+bin",
            "7767517\n8 11\nInput in 0 1 data\nSplit sp 1 4 data a b c f\nDeconvolution dc 1 1 a d 0=3 1=3 3=1 4=1 5=1 6=81\n" +
            "Pooling pool 1 1 c g 0=1 4=1\nBinaryOp mul 2 1 d g p 0=2\nEltwise el 2 1 p b e 0=1 -23301=2,0.5,0.5\nConcat cat 2 1 e f cc 0=0\nPReLU pr 1 1 cc out 0=1\n",
            Floats(tag, Ramp(81), Ramp(3), Ramp(1)));
    }
}
