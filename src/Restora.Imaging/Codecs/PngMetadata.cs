using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.SpngNative;

namespace Restora.Imaging.Codecs;

/// <summary>EXIF (eXIf), XMP (iTXt "XML:com.adobe.xmp") and ICC (iCCP) through libspng's chunk getters and setters.</summary>
internal static unsafe class PngMetadata
{
    static readonly byte[] XmpKeyword = "XML:com.adobe.xmp\0"u8.ToArray();
    static readonly byte[] IccName = "ICC profile\0"u8.ToArray();

    /// <summary>
    /// Call after the image is decoded. A damaged metadata chunk is treated as absent: the pixels decoded fine and
    /// are what was asked for.
    /// </summary>
    public static ImageMetadata? Read(SpngContextHandle ctx)
    {
        spng_decode_chunks(ctx);
        byte[]? icc = null, exif = null, xmp = null;
        Iccp iccp;
        if (spng_get_iccp(ctx, &iccp) == 0 && iccp.Profile != null)
            icc = new ReadOnlySpan<byte>(iccp.Profile, checked((int)iccp.ProfileLength)).ToArray();
        ExifChunk e;
        if (spng_get_exif(ctx, &e) == 0 && e.Data != null)
            exif = new ReadOnlySpan<byte>(e.Data, checked((int)e.Length)).ToArray();
        uint count;
        if (spng_get_text(ctx, null, &count) == 0 && count > 0)
        {
            var texts = new Text[count];
            fixed (Text* t = texts)
                if (spng_get_text(ctx, t, &count) == 0)
                    for (int i = 0; i < count && xmp is null; i++)
                        if (t[i].Type == TextItxt && t[i].Text_ != null && IsXmpKeyword(t[i]))
                            xmp = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(t[i].Text_).ToArray();
        }
        if (exif is not null && !Restora.Imaging.Exif.IsTiff(exif)) exif = null;
        var metadata = new ImageMetadata { Exif = exif, Xmp = xmp, Icc = icc };
        return metadata.IsEmpty ? null : metadata;
    }

    static bool IsXmpKeyword(in Text text)
    {
        fixed (byte* keyword = text.Keyword)
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(keyword).SequenceEqual(XmpKeyword.AsSpan(0, XmpKeyword.Length - 1));
    }

    /// <summary>Hands the blocks to an encoder context and runs <paramref name="encode"/> while libspng may still read them.</summary>
    public static void WriteThen(SpngContextHandle ctx, ImageMetadata? metadata, Action encode)
    {
        byte[]? xmp = metadata?.Xmp is { } packet ? [.. packet, 0] : null;
        fixed (byte* icc = metadata?.Icc, exif = metadata?.Exif, xmpText = xmp, empty = "\0"u8)
        {
            if (icc != null)
            {
                var chunk = new Iccp { ProfileLength = (nuint)metadata!.Icc!.Length, Profile = icc };
                IccName.CopyTo(new Span<byte>(chunk.ProfileName, 80));
                Check(spng_set_iccp(ctx, &chunk), "iCCP");
            }
            if (exif != null)
            {
                var chunk = new ExifChunk { Length = (nuint)metadata!.Exif!.Length, Data = exif };
                Check(spng_set_exif(ctx, &chunk), "eXIf");
            }
            if (xmpText != null)
            {
                var chunk = new Text
                {
                    Type = TextItxt,
                    Length = (nuint)(xmp!.Length - 1),
                    Text_ = xmpText,
                    LanguageTag = empty,
                    TranslatedKeyword = empty,
                };
                XmpKeyword.CopyTo(new Span<byte>(chunk.Keyword, 80));
                Check(spng_set_text(ctx, &chunk, 1), "iTXt XMP");
            }
            encode();
        }
    }

    static void Check(int result, string chunk)
    {
        if (result != 0) throw new ImageFormatException($"cannot write PNG {chunk} chunk: {ErrorText(result)}");
    }
}
