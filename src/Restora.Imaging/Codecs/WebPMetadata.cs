using System.Buffers.Binary;

namespace Restora.Imaging.Codecs;

/// <summary>
/// EXIF, XMP and ICC in WebP's RIFF container (the "ICCP", "EXIF" and "XMP " chunks of the extended format),
/// read and written directly: the container is a flat list of tagged chunks, which is less to get wrong than
/// libwebpmux's ABI-versioned structs. Writing turns a simple file into an extended one (a VP8X header whose
/// flags announce the chunks) with the chunks in the order the spec fixes.
/// </summary>
internal static class WebPMetadata
{
    const byte IccFlag = 0x20, AlphaFlag = 0x10, ExifFlag = 0x08, XmpFlag = 0x04;
    static ReadOnlySpan<byte> ExifPrefix => "Exif\0\0"u8;

    public static ImageMetadata? Read(ReadOnlySpan<byte> webp)
    {
        byte[]? exif = null, xmp = null, icc = null;
        foreach (var (fourCC, start, length) in Chunks(webp))
        {
            var payload = webp.Slice(start, length);
            switch (fourCC)
            {
                case "ICCP": icc ??= payload.ToArray(); break;
                // Some writers keep JPEG's "Exif\0\0" in front of the TIFF structure; the spec has none.
                case "EXIF": exif ??= (payload.StartsWith(ExifPrefix) ? payload[ExifPrefix.Length..] : payload).ToArray(); break;
                case "XMP ": xmp ??= payload.ToArray(); break;
            }
        }
        if (exif is not null && !Exif.IsTiff(exif)) exif = null;
        var metadata = new ImageMetadata { Exif = exif, Xmp = xmp, Icc = icc };
        return metadata.IsEmpty ? null : metadata;
    }

    /// <summary>Rebuilds the encoder's output as VP8X, ICCP, its image chunks, EXIF, XMP.</summary>
    public static byte[] Embed(byte[] webp, ImageMetadata? metadata, int width, int height)
    {
        if (metadata is null || (metadata.Exif ?? metadata.Xmp ?? metadata.Icc) is null) return webp; // nothing WebP holds
        var chunks = Chunks(webp);
        if (chunks.Count == 0) throw new ImageFormatException("WebP encoder output has no chunks");

        byte flags = 0;
        var image = new List<(int Start, int Length)>(); // whole chunks, header and padding included
        foreach (var (fourCC, start, length) in chunks)
        {
            if (fourCC == "VP8X") flags |= (byte)(webp[start] & AlphaFlag);
            else if (fourCC == "VP8L" && length >= 5 && (webp[start + 4] & 0x10) != 0) flags |= AlphaFlag; // alpha_is_used
            if (fourCC is not ("VP8X" or "ICCP" or "EXIF" or "XMP ")) image.Add((start - 8, 8 + length + (length & 1)));
        }
        if (metadata.Icc is not null) flags |= IccFlag;
        if (metadata.Exif is not null) flags |= ExifFlag;
        if (metadata.Xmp is not null) flags |= XmpFlag;

        using var output = new MemoryStream();
        output.Write("RIFF\0\0\0\0WEBP"u8);
        Span<byte> vp8x = stackalloc byte[10];
        vp8x[0] = flags;
        WriteUInt24(vp8x[4..], width - 1);
        WriteUInt24(vp8x[7..], height - 1);
        WriteChunk(output, "VP8X"u8, vp8x);
        if (metadata.Icc is { } icc) WriteChunk(output, "ICCP"u8, icc);
        foreach (var (start, length) in image) output.Write(webp, start, length);
        if (metadata.Exif is { } exif) WriteChunk(output, "EXIF"u8, exif);
        if (metadata.Xmp is { } xmp) WriteChunk(output, "XMP "u8, xmp);

        var result = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), checked((uint)(result.Length - 8)));
        return result;
    }

    static void WriteChunk(Stream output, ReadOnlySpan<byte> fourCC, ReadOnlySpan<byte> payload)
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, checked((uint)payload.Length));
        output.Write(fourCC);
        output.Write(size);
        output.Write(payload);
        if ((payload.Length & 1) != 0) output.WriteByte(0); // chunks are padded to even length
    }

    static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }

    /// <summary>(FourCC, payload start, payload length) of every chunk inside RIFF/WEBP; stops at the first that does not fit.</summary>
    static List<(string FourCC, int Start, int Length)> Chunks(ReadOnlySpan<byte> webp)
    {
        var found = new List<(string, int, int)>();
        if (webp.Length < 12) return found;
        long end = Math.Min(webp.Length, 8L + BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]));
        long at = 12;
        while (at + 8 <= end)
        {
            string fourCC = System.Text.Encoding.ASCII.GetString(webp.Slice((int)at, 4));
            long length = BinaryPrimitives.ReadUInt32LittleEndian(webp[(int)(at + 4)..]);
            if (at + 8 + length > end) break;
            found.Add((fourCC, (int)at + 8, (int)length));
            at += 8 + length + (length & 1);
        }
        return found;
    }
}
