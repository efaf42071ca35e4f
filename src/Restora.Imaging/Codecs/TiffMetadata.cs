using System.Buffers.Binary;

namespace Restora.Imaging.Codecs;

/// <summary>
/// EXIF, XMP, ICC and IPTC of a TIFF file, read from and written to its first directory (IFD0) in managed code.
/// In a TIFF, EXIF is not a block but part of the file's own structure: the camera tags (Make, Orientation…)
/// sit in IFD0 beside the image's, and IFD0 points to the Exif and GPS directories. Reading gathers those
/// into the standalone TIFF structure <see cref="ImageMetadata.Exif"/> holds; writing does the reverse.
/// libtiff can only write EXIF tag by tag through typed variadic calls (rationals as doubles, which cannot be
/// passed safely through P/Invoke), so after libtiff has written the image, IFD0 is rewritten here with the
/// camera tags and the directories added: the pixels and every value libtiff wrote stay where they are.
/// The XMP (tag 700) and ICC (34675) values are read exactly as stored; libtiff writes them.
/// </summary>
internal static class TiffMetadata
{
    public const ushort XmpTag = 700, IptcTag = 33723, IccTag = 34675;
    const ushort ExifIfdTag = 0x8769, GpsIfdTag = 0x8825, InteropIfdTag = 0xA005, OrientationTag = 0x0112;

    /// <summary>
    /// The IFD0 tags that describe the photo rather than the pixel storage, the same in a TIFF's IFD0 as in an
    /// EXIF block's: description, make, model, orientation, resolution, software, date, artist, copyright.
    /// </summary>
    static readonly ushort[] PhotoTags = [270, 271, 272, 274, 282, 283, 296, 305, 306, 315, 33432];

    /// <summary>Those whose presence alone makes an EXIF block worth creating (resolution and software do not).</summary>
    static readonly ushort[] TellingTags = [270, 271, 272, 306, 315, 33432];

    const ushort TypeLong = 4, TypeUndefined = 7, TypeIfd = 13, TypeLong8 = 16, TypeSLong8 = 17, TypeIfd8 = 18;

    public static ImageMetadata? Read(ReadOnlySpan<byte> file)
    {
        if (!TiffStructure.TryOpen(file, out var tiff)) return null;
        var ifd0 = tiff.ReadDirectory(file, tiff.FirstDirectory, out _);
        if (ifd0 is null) return null;
        byte[]? icc = null, xmp = null, iptc = null;
        foreach (var entry in ifd0)
        {
            switch (entry.Tag)
            {
                case IccTag: icc = entry.Value(file).ToArray(); break;
                case XmpTag: xmp = entry.Value(file).ToArray(); break;
                case IptcTag: iptc = IptcPrefix(entry.Value(file)); break;
            }
        }
        var metadata = new ImageMetadata
        {
            Icc = icc is { Length: > 0 } ? icc : null,
            Xmp = xmp is { Length: > 0 } ? xmp : null,
            Iptc = iptc is { Length: > 0 } ? iptc : null,
            Exif = ExifBlock(file, tiff, ifd0),
        };
        return metadata.IsEmpty ? null : metadata;
    }

    /// <summary>The standalone EXIF structure for a TIFF's IFD0, or null when it has nothing EXIF would say.</summary>
    static byte[]? ExifBlock(ReadOnlySpan<byte> file, TiffStructure tiff, List<TiffEntry> ifd0)
    {
        var root = new Directory();
        bool telling = false;
        foreach (var entry in ifd0)
        {
            if (Array.IndexOf(PhotoTags, entry.Tag) >= 0 && entry.Type is not (TypeLong8 or TypeSLong8 or TypeIfd8))
            {
                root.Add(entry.Tag, entry.Type, entry.Count, entry.Value(file).ToArray());
                telling |= Array.IndexOf(TellingTags, entry.Tag) >= 0
                           || (entry.Tag == OrientationTag && tiff.Number(file, entry) is not (null or 1));
            }
            else if (entry.Tag is ExifIfdTag or GpsIfdTag && ReadTree(file, tiff, entry, depth: 0) is { } child)
            {
                root.AddChild(entry.Tag, child);
                telling = true;
            }
        }
        if (!telling) return null;
        var block = new byte[8];
        if (tiff.BigEndian) "MM\0*"u8.CopyTo(block); else "II*\0"u8.CopyTo(block);
        tiff.Write32(block.AsSpan(4), 8);
        return [.. block, .. root.Serialize(8, tiff.BigEndian)];
    }

    /// <summary>The directory an IFD-pointer entry points to, with the Interoperability directory under the Exif one.</summary>
    static Directory? ReadTree(ReadOnlySpan<byte> file, TiffStructure tiff, TiffEntry pointer, int depth)
    {
        if (depth > 2 || pointer.Count != 1 || pointer.Type is not (TypeLong or TypeIfd or TypeLong8 or TypeIfd8)) return null;
        if (tiff.Number(file, pointer) is not ulong offset) return null;
        var entries = tiff.ReadDirectory(file, offset, out _);
        if (entries is null) return null;
        var directory = new Directory();
        foreach (var entry in entries)
        {
            if (entry.Tag == InteropIfdTag)
            {
                if (ReadTree(file, tiff, entry, depth + 1) is { } interop) directory.AddChild(entry.Tag, interop);
            }
            else if (entry.Type is not (TypeLong8 or TypeSLong8 or TypeIfd8) && entry.Count <= uint.MaxValue)
            {
                directory.Add(entry.Tag, entry.Type, entry.Count, entry.Value(file).ToArray());
            }
        }
        return directory;
    }

    /// <summary>
    /// A copy of a classic TIFF that libtiff wrote, in the byte order of <paramref name="exif"/>, whose IFD0 also
    /// holds the EXIF block's camera tags, Exif and GPS directories and the IPTC records. The new IFD0 and its
    /// values are appended and the header pointed at it; the old IFD0 stays behind unreferenced (a few hundred
    /// bytes), so no offset libtiff wrote has to move. Tags libtiff wrote win over the block's.
    /// </summary>
    public static byte[] Embed(byte[] file, byte[]? exif, byte[]? iptc)
    {
        if (!TiffStructure.TryOpen(file, out var tiff) || tiff.Big)
            throw new InvalidOperationException("libtiff did not write a classic TIFF");
        var ifd0 = tiff.ReadDirectory(file, tiff.FirstDirectory, out _)
                   ?? throw new InvalidOperationException("libtiff wrote an unreadable first directory");
        var root = new Directory();
        foreach (var entry in ifd0) root.AddRaw(entry.Tag, entry.Type, (uint)entry.Count, file.AsSpan((int)entry.FieldOffset, 4).ToArray());

        if (exif is not null && TiffStructure.TryOpen(exif, out var block) && !block.Big && block.BigEndian == tiff.BigEndian
            && block.ReadDirectory(exif, block.FirstDirectory, out _) is { } blockIfd0)
        {
            foreach (var entry in blockIfd0)
            {
                if (root.Has(entry.Tag)) continue;
                if (Array.IndexOf(PhotoTags, entry.Tag) >= 0)
                    root.Add(entry.Tag, entry.Type, entry.Count, entry.Value(exif).ToArray());
                else if (entry.Tag is ExifIfdTag or GpsIfdTag && ReadTree(exif, block, entry, depth: 0) is { } child)
                    root.AddChild(entry.Tag, child);
            }
        }
        if (iptc is { Length: > 0 } && !root.Has(IptcTag)) root.Add(IptcTag, TypeUndefined, (ulong)iptc.Length, iptc);

        long start = (file.Length + 3) & ~3L;
        var appended = root.Serialize(start, tiff.BigEndian);
        if (start + appended.Length > Array.MaxLength || start + appended.Length > uint.MaxValue)
            throw new ImageFormatException("TIFF encoding failed: the file would be over 4 GB, the limit of a classic TIFF");
        var result = new byte[start + appended.Length];
        file.CopyTo(result, 0);
        appended.CopyTo(result, start);
        tiff.Write32(result.AsSpan(4), (uint)start);
        return result;
    }

    /// <summary>IPTC-IIM records run as 0x1C-tagged datasets; TIFF writers pad them to whole LONGs, which is cut off here.</summary>
    static byte[] IptcPrefix(ReadOnlySpan<byte> value)
    {
        int at = 0;
        while (at + 5 <= value.Length && value[at] == 0x1C)
        {
            int length = value[at + 3] << 8 | value[at + 4];
            if ((length & 0x8000) != 0) break; // extended datasets: keep everything from here on, as stored
            if (at + 5 + length > value.Length) break;
            at += 5 + length;
        }
        return (at + 5 <= value.Length && value[at] == 0x1C ? value : value[..at]).ToArray();
    }

    /// <summary>An IFD being built: entries with their value bytes (or a 4-byte field kept as is), and child directories.</summary>
    sealed class Directory
    {
        readonly List<(ushort Tag, ushort Type, uint Count, byte[]? Value, byte[]? Field, Directory? Child)> entries = [];

        public bool Has(ushort tag) => entries.Exists(e => e.Tag == tag);

        public void Add(ushort tag, ushort type, ulong count, byte[] value) => entries.Add((tag, type, (uint)count, value, null, null));

        /// <summary>An entry whose value field (the value itself, or an offset into the file it came from) is copied unchanged.</summary>
        public void AddRaw(ushort tag, ushort type, uint count, byte[] field) => entries.Add((tag, type, count, null, field, null));

        public void AddChild(ushort tag, Directory child) => entries.Add((tag, TypeLong, 1, null, null, child));

        /// <summary>
        /// This directory, then its children's, then every value too long for its field, for a position of
        /// <paramref name="at"/> in the file: every offset written is absolute. Entries are sorted by tag, as TIFF requires.
        /// </summary>
        public byte[] Serialize(long at, bool bigEndian)
        {
            var order = new List<Directory>();
            Collect(order);
            var offsets = new Dictionary<Directory, long>();
            long cursor = at;
            foreach (var directory in order)
            {
                offsets[directory] = cursor;
                cursor += 2 + 12L * directory.entries.Count + 4;
            }
            long valuesStart = cursor;
            foreach (var directory in order)
                foreach (var entry in directory.entries)
                    if (entry.Value is { Length: > 4 } value) cursor += value.Length + (value.Length & 1);
            if (cursor > uint.MaxValue) throw new ImageFormatException("TIFF metadata would reach past 4 GB");

            var output = new byte[cursor - at];
            long valueCursor = valuesStart;
            foreach (var directory in order)
            {
                var span = output.AsSpan((int)(offsets[directory] - at));
                directory.entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
                Write16(span, (ushort)directory.entries.Count, bigEndian);
                int e = 2;
                foreach (var (tag, type, count, value, field, child) in directory.entries)
                {
                    Write16(span[e..], tag, bigEndian);
                    Write16(span[(e + 2)..], type, bigEndian);
                    Write32(span[(e + 4)..], count, bigEndian);
                    var slot = span.Slice(e + 8, 4);
                    if (child is not null) Write32(slot, (uint)offsets[child], bigEndian);
                    else if (field is not null) field.CopyTo(slot);
                    else if (value!.Length <= 4) value.CopyTo(slot);
                    else
                    {
                        Write32(slot, (uint)valueCursor, bigEndian);
                        value.CopyTo(output.AsSpan((int)(valueCursor - at)));
                        valueCursor += value.Length + (value.Length & 1); // values start on word boundaries
                    }
                    e += 12;
                }
                // The next-directory field stays 0: one image, and sub-directories never chain.
            }
            return output;
        }

        void Collect(List<Directory> order)
        {
            order.Add(this);
            foreach (var entry in entries) entry.Child?.Collect(order);
        }

        static void Write16(Span<byte> target, ushort value, bool bigEndian)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(target, value);
            else BinaryPrimitives.WriteUInt16LittleEndian(target, value);
        }

        static void Write32(Span<byte> target, uint value, bool bigEndian)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(target, value);
            else BinaryPrimitives.WriteUInt32LittleEndian(target, value);
        }
    }
}

/// <summary>One directory entry; its value lives at <see cref="ValueOffset"/> (inside the entry when it fits).</summary>
internal readonly record struct TiffEntry(ushort Tag, ushort Type, ulong Count, long FieldOffset, long ValueOffset, int ValueLength)
{
    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> file) => file.Slice((int)ValueOffset, ValueLength);
}

/// <summary>
/// The header and directories of a classic or Big TIFF, read with every offset and count checked against the
/// bytes there are: an entry whose value does not fit the file is left out, a directory that does not fit is null.
/// </summary>
internal readonly struct TiffStructure
{
    public bool BigEndian { get; private init; }
    public bool Big { get; private init; }
    public ulong FirstDirectory { get; private init; }

    public static bool IsTiff(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8) || data.StartsWith("II+\0"u8) || data.StartsWith("MM\0+"u8));

    public static bool TryOpen(ReadOnlySpan<byte> data, out TiffStructure tiff)
    {
        tiff = default;
        if (!IsTiff(data)) return false;
        bool bigEndian = data[0] == (byte)'M';
        bool big = data[bigEndian ? 3 : 2] == 43;
        if (data.Length < (big ? 16 : 8)) return false;
        tiff = new TiffStructure { BigEndian = bigEndian, Big = big };
        tiff = tiff with { FirstDirectory = big ? tiff.Read64(data[8..]) : tiff.Read32(data[4..]) };
        return true;
    }

    /// <summary>
    /// Why the first directory cannot be read, or null when it can: "truncated" when the file ends before it or
    /// inside it. libtiff writes directories after the pixels, so a file cut anywhere loses its directory.
    /// </summary>
    public static string? FirstDirectoryProblem(ReadOnlySpan<byte> data)
    {
        if (!TryOpen(data, out var tiff)) return data.Length < 16 && IsTiff(data) ? "truncated TIFF: the file ends inside its header" : "corrupt TIFF: bad header";
        int countSize = tiff.Big ? 8 : 2, entrySize = tiff.Big ? 20 : 12;
        ulong at = tiff.FirstDirectory;
        if (at < (ulong)(tiff.Big ? 16 : 8)) return $"corrupt TIFF: first directory at byte {at}, inside the header";
        if (at + (ulong)countSize > (ulong)data.Length)
            return $"truncated TIFF: its first directory at byte {at} lies past the end of the file ({data.Length} bytes)";
        ulong count = tiff.Big ? tiff.Read64(data[(int)at..]) : tiff.Read16(data[(int)at..]);
        ulong end = at + (ulong)countSize + count * (ulong)entrySize + (ulong)(tiff.Big ? 8 : 4);
        if (count > (ulong)data.Length || end > (ulong)data.Length)
            return $"truncated TIFF: its first directory ({count} entries at byte {at}) ends past the end of the file ({data.Length} bytes)";
        // libtiff writes a directory's longer values right after it, at the very end of the file.
        int fieldSize = tiff.Big ? 8 : 4;
        for (ulong i = 0; i < count; i++)
        {
            int e = (int)(at + (ulong)countSize + i * (ulong)entrySize);
            ushort tag = tiff.Read16(data[e..]);
            ulong n = tiff.Big ? tiff.Read64(data[(e + 4)..]) : tiff.Read32(data[(e + 4)..]);
            ulong length = n * (ulong)TypeSize(tiff.Read16(data[(e + 2)..]));
            if (n > (ulong)data.Length || length <= (ulong)fieldSize) continue;
            int field = e + (tiff.Big ? 12 : 8);
            ulong valueAt = tiff.Big ? tiff.Read64(data[field..]) : tiff.Read32(data[field..]);
            if (valueAt + length > (ulong)data.Length)
                return $"truncated TIFF: the value of tag {tag} ends at byte {valueAt + length}, past the end of the file ({data.Length} bytes)";
        }
        return null;
    }

    public ushort Read16(ReadOnlySpan<byte> at) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(at) : BinaryPrimitives.ReadUInt16LittleEndian(at);
    public uint Read32(ReadOnlySpan<byte> at) => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);
    public ulong Read64(ReadOnlySpan<byte> at) => BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(at) : BinaryPrimitives.ReadUInt64LittleEndian(at);

    public void Write32(Span<byte> at, uint value)
    {
        if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(at, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(at, value);
    }

    static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,     // BYTE, ASCII, SBYTE, UNDEFINED
        3 or 8 => 2,               // SHORT, SSHORT
        4 or 9 or 11 or 13 => 4,   // LONG, SLONG, FLOAT, IFD
        5 or 10 or 12 or 16 or 17 or 18 => 8, // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
        _ => 0,
    };

    /// <summary>The entries of the directory at <paramref name="offset"/>, or null when it does not fit the file.</summary>
    public List<TiffEntry>? ReadDirectory(ReadOnlySpan<byte> data, ulong offset, out ulong next)
    {
        next = 0;
        int countSize = Big ? 8 : 2, entrySize = Big ? 20 : 12, fieldSize = Big ? 8 : 4;
        if (offset < 8 || offset + (ulong)countSize > (ulong)data.Length) return null;
        ulong count = Big ? Read64(data[(int)offset..]) : Read16(data[(int)offset..]);
        ulong entriesEnd = offset + (ulong)countSize + count * (ulong)entrySize;
        if (count > (ulong)data.Length || entriesEnd > (ulong)data.Length) return null;
        var entries = new List<TiffEntry>((int)count);
        for (ulong i = 0; i < count; i++)
        {
            int e = (int)(offset + (ulong)countSize + i * (ulong)entrySize);
            ushort tag = Read16(data[e..]), type = Read16(data[(e + 2)..]);
            ulong n = Big ? Read64(data[(e + 4)..]) : Read32(data[(e + 4)..]);
            int field = e + (Big ? 12 : 8);
            int unit = TypeSize(type);
            if (unit == 0 || n > (ulong)data.Length) continue; // unknown type, or a count no file this size can hold
            ulong length = n * (ulong)unit;
            ulong valueAt = length <= (ulong)fieldSize ? (ulong)field : Big ? Read64(data[field..]) : Read32(data[field..]);
            // Compared one at a time: a BigTIFF offset near 2^64 plus the length would wrap around to a small sum.
            if (valueAt > (ulong)data.Length || length > (ulong)data.Length - valueAt) continue;
            entries.Add(new TiffEntry(tag, type, n, field, (long)valueAt, (int)length));
        }
        if (entriesEnd + (ulong)fieldSize <= (ulong)data.Length)
            next = Big ? Read64(data[(int)entriesEnd..]) : Read32(data[(int)entriesEnd..]);
        return entries;
    }

    /// <summary>The single value of a SHORT, LONG, IFD, LONG8 or IFD8 entry, or null.</summary>
    public ulong? Number(ReadOnlySpan<byte> data, TiffEntry entry)
    {
        if (entry.Count != 1) return null;
        var value = entry.Value(data);
        return entry.Type switch
        {
            3 => Read16(value),
            4 or 13 => Read32(value),
            16 or 18 => Read64(value),
            _ => null,
        };
    }
}
