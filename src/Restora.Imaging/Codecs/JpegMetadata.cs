using System.Buffers.Binary;

namespace Restora.Imaging.Codecs;

/// <summary>
/// EXIF, XMP, ICC and IPTC in JPEG marker segments, which TurboJPEG neither reports nor writes: APP1 "Exif\0\0",
/// APP1 "http://ns.adobe.com/xap/1.0/\0", APP2 "ICC_PROFILE\0" (a profile split over numbered segments) and the
/// IPTC resource of APP13 "Photoshop 3.0\0".
/// </summary>
internal static class JpegMetadata
{
    const byte App1 = 0xE1, App2 = 0xE2, App0 = 0xE0, App13 = 0xED;
    const ushort IptcResource = 0x0404;
    static readonly byte[] ExifId = "Exif\0\0"u8.ToArray();
    static readonly byte[] XmpId = "http://ns.adobe.com/xap/1.0/\0"u8.ToArray();
    static readonly byte[] IccId = "ICC_PROFILE\0"u8.ToArray();
    static readonly byte[] JfifId = "JFIF\0"u8.ToArray();
    static readonly byte[] PhotoshopId = "Photoshop 3.0\0"u8.ToArray();

    /// <summary>A segment's payload is at most 65533 bytes (its length field counts itself).</summary>
    const int MaxPayload = 65533;
    /// <summary>Profile bytes per APP2 segment: the payload less the identifier and the two sequence bytes.</summary>
    internal const int IccChunk = MaxPayload - 12 - 2;

    /// <summary>The blocks found before the first scan; null when there are none. Damaged segments are passed over.</summary>
    public static ImageMetadata? Read(ReadOnlySpan<byte> jpeg)
    {
        byte[]? exif = null, xmp = null;
        var icc = new SortedDictionary<int, byte[]>();
        int iccCount = 0;
        var photoshop = new List<byte>();
        foreach (var (marker, start, length) in Segments(jpeg))
        {
            var payload = jpeg.Slice(start, length);
            if (marker == App1 && exif is null && payload.StartsWith(ExifId) && Exif.IsTiff(payload[ExifId.Length..]))
                exif = payload[ExifId.Length..].ToArray();
            else if (marker == App1 && xmp is null && payload.StartsWith(XmpId))
                xmp = payload[XmpId.Length..].ToArray();
            else if (marker == App2 && payload.Length > IccId.Length + 2 && payload.StartsWith(IccId))
            {
                int sequence = payload[IccId.Length], count = payload[IccId.Length + 1];
                if (sequence >= 1 && sequence <= count) icc.TryAdd(sequence, payload[(IccId.Length + 2)..].ToArray());
                iccCount = count;
            }
            else if (marker == App13 && payload.StartsWith(PhotoshopId))
                photoshop.AddRange(payload[PhotoshopId.Length..]); // a block too big for one segment continues in the next
        }
        // A profile with a missing piece would be a different, broken profile: keep it only when whole.
        byte[]? profile = iccCount > 0 && icc.Count == iccCount && icc.Keys.Last() == iccCount
            ? icc.Values.SelectMany(b => b).ToArray()
            : null;
        var metadata = new ImageMetadata { Exif = exif, Xmp = xmp, Icc = profile, Iptc = IptcOf(photoshop.ToArray()) };
        return metadata.IsEmpty ? null : metadata;
    }

    /// <summary>
    /// The IPTC resource of a Photoshop image resource block ("8BIM", id, padded Pascal name, size, padded data).
    /// The other resources (Photoshop's own thumbnail, print settings, a digest of the IPTC as it was) describe the
    /// original file and are not carried.
    /// </summary>
    static byte[]? IptcOf(ReadOnlySpan<byte> block)
    {
        int at = 0;
        while (at + 12 <= block.Length && block[at..].StartsWith("8BIM"u8))
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(block[(at + 4)..]);
            int nameLength = block[at + 6];
            int sizeAt = at + 6 + ((1 + nameLength + 1) & ~1);
            if (sizeAt + 4 > block.Length) break;
            long size = BinaryPrimitives.ReadUInt32BigEndian(block[sizeAt..]);
            if (sizeAt + 4 + size > block.Length) break;
            if (id == IptcResource) return block.Slice(sizeAt + 4, (int)size).ToArray();
            at = sizeAt + 4 + (int)((size + 1) & ~1L);
        }
        return null;
    }

    /// <summary>
    /// Inserts the blocks after SOI (and after a leading JFIF APP0, which must come first). A block too large for
    /// the one segment the standard gives it (EXIF, XMP over 64 KB) is left out; ICC is split as the ICC spec says.
    /// </summary>
    public static byte[] Embed(byte[] jpeg, ImageMetadata? metadata)
    {
        if (metadata is null || metadata.IsEmpty) return jpeg;
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ImageFormatException("JPEG encoder output has no SOI marker");
        int insertAt = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == App0 && jpeg.Length >= 6 + JfifId.Length && jpeg.AsSpan(6).StartsWith(JfifId))
            insertAt = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));

        using var segments = new MemoryStream();
        if (metadata.Exif is { } exif && ExifId.Length + exif.Length <= MaxPayload)
            WriteSegment(segments, App1, [ExifId, exif]);
        if (metadata.Xmp is { } xmp && XmpId.Length + xmp.Length <= MaxPayload)
            WriteSegment(segments, App1, [XmpId, xmp]);
        if (metadata.Icc is { } icc)
        {
            int count = (icc.Length + IccChunk - 1) / IccChunk;
            if (count <= 255)
                for (int i = 0; i < count; i++)
                {
                    var piece = icc.AsSpan(i * IccChunk, Math.Min(IccChunk, icc.Length - i * IccChunk)).ToArray();
                    WriteSegment(segments, App2, [IccId, [(byte)(i + 1), (byte)count], piece]);
                }
        }

        if (metadata.Iptc is { } iptc)
        {
            // One resource, no name (an empty Pascal string padded to two bytes), data padded to even length.
            byte[] header = [.. "8BIM"u8, IptcResource >> 8, IptcResource & 0xFF, 0, 0,
                (byte)(iptc.Length >> 24), (byte)(iptc.Length >> 16), (byte)(iptc.Length >> 8), (byte)iptc.Length];
            byte[] pad = (iptc.Length & 1) == 0 ? [] : [0];
            if (PhotoshopId.Length + header.Length + iptc.Length + pad.Length <= MaxPayload)
                WriteSegment(segments, App13, [PhotoshopId, header, iptc, pad]);
        }

        var result = new byte[jpeg.Length + segments.Length];
        jpeg.AsSpan(0, insertAt).CopyTo(result);
        segments.GetBuffer().AsSpan(0, (int)segments.Length).CopyTo(result.AsSpan(insertAt));
        jpeg.AsSpan(insertAt).CopyTo(result.AsSpan(insertAt + (int)segments.Length));
        return result;
    }

    static void WriteSegment(Stream output, byte marker, ReadOnlySpan<byte[]> parts)
    {
        int length = 2;
        foreach (var part in parts) length += part.Length;
        Span<byte> header = [0xFF, marker, (byte)(length >> 8), (byte)length];
        output.Write(header);
        foreach (var part in parts) output.Write(part);
    }

    /// <summary>(marker, payload start, payload length) of every segment between SOI and the first scan.</summary>
    static List<(byte Marker, int Start, int Length)> Segments(ReadOnlySpan<byte> jpeg)
    {
        var found = new List<(byte, int, int)>();
        int i = 2;
        while (i + 4 <= jpeg.Length)
        {
            if (jpeg[i] != 0xFF) break;
            byte marker = jpeg[i + 1];
            if (marker == 0xFF) { i++; continue; }
            if (marker is 0xDA or 0xD9) break;
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7) { i += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
            if (length < 2 || i + 2 + length > jpeg.Length) break;
            found.Add((marker, i + 4, length - 2));
            i += 2 + length;
        }
        return found;
    }
}
