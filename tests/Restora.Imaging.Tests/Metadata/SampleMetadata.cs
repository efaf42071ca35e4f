using System.Buffers.Binary;
using System.Text;

namespace Restora.Imaging.Tests.Metadata;

/// <summary>
/// Metadata blocks built byte by byte the way cameras and editors lay them out, shared with the CLI tests: an
/// EXIF block with camera, date taken, orientation, pixel dimensions and GPS (either byte order), an XMP packet
/// with a title, keywords and the pixel-describing properties, and an ICC profile header of a given color space.
/// </summary>
public static class SampleMetadata
{
    public const string Make = "RestoraCam";
    public const string DateTaken = "2024:05:06 07:08:09";
    public const string Title = "Harbour at dawn";
    public const string Keyword = "Fischerböötchen"; // non-ASCII: the packet must stay UTF-8
    const string Bom = "\uFEFF";
    public const ushort DateTimeOriginalTag = 0x9003, MakeTag = 0x010F, GpsLatitudeRefTag = 0x0001, GpsLatitudeTag = 0x0002;

    public static ImageMetadata Full(int orientation, int width, int height, bool bigEndian = false, int iccSize = 3000) => new()
    {
        Exif = Exif(orientation, width, height, bigEndian),
        Xmp = Xmp(orientation, width, height),
        Icc = Icc("RGB ", iccSize),
        Iptc = Iptc(),
    };

    public const string IptcKeyword = "lighthouse";

    /// <summary>IPTC-IIM records: record version, object name (title) and two keywords.</summary>
    public static byte[] Iptc()
    {
        var records = new List<byte>();
        void Add(byte record, byte dataset, byte[] data)
        {
            records.AddRange([0x1C, record, dataset, (byte)(data.Length >> 8), (byte)data.Length]);
            records.AddRange(data);
        }
        Add(2, 0, [0, 4]);
        Add(2, 5, Encoding.ASCII.GetBytes("Harbour, IPTC title"));
        Add(2, 25, Encoding.ASCII.GetBytes("boats"));
        Add(2, 25, Encoding.ASCII.GetBytes(IptcKeyword));
        return [.. records];
    }

    /// <summary>IFD0 → Exif IFD and GPS IFD, with out-of-line values after the directories, as cameras write it.</summary>
    public static byte[] Exif(int orientation, int width, int height, bool bigEndian = false, bool longDimensions = true,
        bool thumbnail = false)
    {
        var writer = new TiffWriter(bigEndian);
        var ifd0 = new List<Entry>
        {
            Entry.Ascii(MakeTag, Make, writer),
            new(0x0112, 3, 1, writer.U16((ushort)orientation)),
            new(0x8769, 4, 1, new byte[4]), // Exif IFD pointer, filled in below
            new(0x8825, 4, 1, new byte[4]), // GPS IFD pointer
        };
        var exif = new List<Entry>
        {
            Entry.Ascii(DateTimeOriginalTag, DateTaken, writer),
            longDimensions ? new(0xA002, 4, 1, writer.U32((uint)width)) : new(0xA002, 3, 1, writer.U16((ushort)width)),
            longDimensions ? new(0xA003, 4, 1, writer.U32((uint)height)) : new(0xA003, 3, 1, writer.U16((ushort)height)),
        };
        var gps = new List<Entry>
        {
            Entry.Ascii(GpsLatitudeRefTag, "N", writer),
            new(GpsLatitudeTag, 5, 3, [.. writer.U32(48), .. writer.U32(1), .. writer.U32(51), .. writer.U32(1), .. writer.U32(2941), .. writer.U32(100)]),
        };
        if (!thumbnail) return writer.Write([ifd0, exif, gps], pointers: [(0, 2, 1), (0, 3, 2)]);
        // IFD1 describes a (here tiny, fake) JPEG thumbnail stored as an out-of-line UNDEFINED value.
        var ifd1 = new List<Entry>
        {
            new(0x0103, 3, 1, writer.U16(6)),
            new(0x9999, 7, 16, [0xFF, 0xD8, .. Enumerable.Range(0, 12).Select(i => (byte)i), 0xFF, 0xD9]),
        };
        return writer.Write([ifd0, exif, gps, ifd1], pointers: [(0, 2, 1), (0, 3, 2)], nextOfFirst: 3);
    }

    public static byte[] Xmp(int orientation, int width, int height) => Encoding.UTF8.GetBytes($"""
        <?xpacket begin="{Bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
          xmlns:exif="http://ns.adobe.com/exif/1.0/" tiff:Orientation="{orientation}" exif:PixelXDimension="{width}">
        <exif:PixelYDimension>{height}</exif:PixelYDimension>
        <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{Title}</rdf:li></rdf:Alt></dc:title>
        <dc:subject><rdf:Bag><rdf:li>boats</rdf:li><rdf:li>{Keyword}</rdf:li></rdf:Bag></dc:subject>
        </rdf:Description></rdf:RDF></x:xmpmeta>
        <?xpacket end="w"?>
        """);

    /// <summary>
    /// An ICC v2 display profile: a valid 128-byte header ("acsp", size, color space), a tag table with the D50
    /// white point, then filler up to <paramref name="size"/> (at least 164) so large profiles can be had.
    /// </summary>
    public static byte[] Icc(string colorSpace, int size)
    {
        var profile = new byte[size];
        for (int i = 164; i < size; i++) profile[i] = (byte)(i * 7 + i / 251);
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(128), 1);
        "wtpt"u8.CopyTo(profile.AsSpan(132));
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(136), 144);
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(140), 20);
        "XYZ "u8.CopyTo(profile.AsSpan(144));
        BinaryPrimitives.WriteInt32BigEndian(profile.AsSpan(152), 0xF6D6); // 0.9642 in s15Fixed16
        BinaryPrimitives.WriteInt32BigEndian(profile.AsSpan(156), 0x10000);
        BinaryPrimitives.WriteInt32BigEndian(profile.AsSpan(160), 0xD32D); // 0.8249
        BinaryPrimitives.WriteUInt32BigEndian(profile, (uint)size);
        "lcms"u8.CopyTo(profile.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(8), 0x02100000);
        "mntr"u8.CopyTo(profile.AsSpan(12));
        Encoding.ASCII.GetBytes(colorSpace).CopyTo(profile.AsSpan(16));
        "XYZ "u8.CopyTo(profile.AsSpan(20));
        "acsp"u8.CopyTo(profile.AsSpan(36));
        return profile;
    }

    /// <summary>Index of <paramref name="needle"/> in <paramref name="haystack"/>, or -1: for checks on raw file bytes.</summary>
    public static int Find(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle));

    public static int Count(byte[] haystack, string needle)
    {
        var pattern = Encoding.UTF8.GetBytes(needle);
        int count = 0;
        for (int at = 0, i; (i = haystack.AsSpan(at).IndexOf(pattern)) >= 0; at += i + pattern.Length) count++;
        return count;
    }

    public sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value)
    {
        public static Entry Ascii(ushort tag, string text, TiffWriter _) =>
            new(tag, 2, (uint)text.Length + 1, [.. Encoding.ASCII.GetBytes(text), 0]);
    }

    public sealed class TiffWriter(bool bigEndian)
    {
        public byte[] U16(ushort v)
        {
            var b = new byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            return b;
        }

        public byte[] U32(uint v)
        {
            var b = new byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            return b;
        }

        /// <param name="pointers">(directory, entry index, target directory): entries whose value is another directory's offset.</param>
        /// <param name="nextOfFirst">The directory IFD0 links to as its next one (IFD1), if any.</param>
        public byte[] Write(List<Entry>[] directories, (int Directory, int Entry, int Target)[] pointers, int? nextOfFirst = null)
        {
            var offsets = new int[directories.Length];
            int at = 8;
            for (int d = 0; d < directories.Length; d++) { offsets[d] = at; at += 2 + 12 * directories[d].Count + 4; }
            foreach (var (d, e, target) in pointers)
                directories[d][e] = directories[d][e] with { Value = U32((uint)offsets[target]) };

            var output = new List<byte>();
            output.AddRange(bigEndian ? "MM\0*"u8.ToArray() : "II*\0"u8.ToArray());
            output.AddRange(U32(8));
            var data = new List<byte>();
            int dataStart = at;
            for (int d = 0; d < directories.Length; d++)
            {
                var directory = directories[d];
                output.AddRange(U16((ushort)directory.Count));
                foreach (var entry in directory)
                {
                    output.AddRange(U16(entry.Tag));
                    output.AddRange(U16(entry.Type));
                    output.AddRange(U32(entry.Count));
                    if (entry.Value.Length <= 4) output.AddRange([.. entry.Value, .. new byte[4 - entry.Value.Length]]);
                    else
                    {
                        output.AddRange(U32((uint)(dataStart + data.Count)));
                        data.AddRange(entry.Value);
                        if (data.Count % 2 == 1) data.Add(0); // TIFF values start on word boundaries
                    }
                }
                output.AddRange(U32(d == 0 && nextOfFirst is int next ? (uint)offsets[next] : 0));
            }
            output.AddRange(data);
            return [.. output];
        }
    }
}
