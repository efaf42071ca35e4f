using System.Buffers.Binary;
using System.Text;

namespace Restora.Imaging;

/// <summary>The three directories of an EXIF block that matter here.</summary>
public enum ExifDirectory
{
    /// <summary>IFD0: orientation, camera make and model, and the pointers to the other two.</summary>
    Image,
    /// <summary>The Exif IFD: date taken, exposure, pixel dimensions.</summary>
    Exif,
    /// <summary>The GPS IFD.</summary>
    Gps,
}

/// <summary>
/// Reads and edits an EXIF block (a TIFF structure, either byte order) in place. Only fixed-size numeric fields
/// are ever changed, and only when they are where the TIFF structure says, so everything else (maker notes,
/// thumbnails, offsets into them) stays byte for byte. A block that cannot be parsed is returned unchanged,
/// never "repaired".
/// </summary>
public static class Exif
{
    public const ushort OrientationTag = 0x0112;
    public const ushort ExifIfdPointerTag = 0x8769;
    public const ushort GpsIfdPointerTag = 0x8825;
    public const ushort PixelXDimensionTag = 0xA002;
    public const ushort PixelYDimensionTag = 0xA003;

    const ushort TypeAscii = 2, TypeShort = 3, TypeLong = 4;

    public static bool IsTiff(ReadOnlySpan<byte> data) =>
        data.Length >= 8 && (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8));

    public static int? ReadOrientation(byte[] exif) =>
        ReadNumber(exif, ExifDirectory.Image, OrientationTag) is uint v and >= 1 and <= 8 ? (int)v : null;

    /// <summary>A SHORT or LONG tag holding one value, or null when it is absent or of another shape.</summary>
    public static uint? ReadNumber(byte[] exif, ExifDirectory directory, ushort tag)
    {
        var tiff = new Tiff(exif);
        int entry = tiff.Find(directory, tag);
        return entry < 0 ? null : tiff.ReadNumber(entry);
    }

    /// <summary>An ASCII tag without its terminating NUL, or null when it is absent or not ASCII.</summary>
    public static string? ReadAscii(byte[] exif, ExifDirectory directory, ushort tag)
    {
        var tiff = new Tiff(exif);
        int entry = tiff.Find(directory, tag);
        if (entry < 0 || tiff.U16(entry + 2) != TypeAscii) return null;
        var value = tiff.Value(entry, 1);
        if (value.IsEmpty) return null;
        int end = value.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end >= 0 ? value[..end] : value);
    }

    /// <summary>A copy with the orientation tag set, if the block has one (a missing tag already means 1).</summary>
    public static byte[] WithOrientation(byte[] exif, int orientation)
    {
        if (orientation is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(orientation), $"EXIF orientation is 1..8, got {orientation}");
        var copy = (byte[])exif.Clone();
        new Tiff(copy).TryWriteNumber(ExifDirectory.Image, OrientationTag, (uint)orientation);
        return copy;
    }

    /// <summary>Whether IFD0 links to a next directory (IFD1, where the embedded thumbnail lives).</summary>
    public static bool HasThumbnail(byte[] exif) => new Tiff(exif).NextOfFirst() is > 0;

    /// <summary>
    /// A copy whose IFD0 no longer links to IFD1, so readers no longer find the embedded thumbnail: once the
    /// pixels are turned upright it would be the only sideways picture left, shown by file browsers that trust
    /// the (now 1) orientation. Its bytes stay in the block, unreferenced, so no offset moves.
    /// </summary>
    public static byte[] WithoutThumbnail(byte[] exif)
    {
        var copy = (byte[])exif.Clone();
        new Tiff(copy).TryClearNextOfFirst();
        return copy;
    }

    /// <summary>
    /// A copy with PixelXDimension/PixelYDimension set where the block has them. A SHORT field too narrow for
    /// the new size is left as it was: widening it would move every offset after it.
    /// </summary>
    public static byte[] WithPixelDimensions(byte[] exif, int width, int height)
    {
        var copy = (byte[])exif.Clone();
        var tiff = new Tiff(copy);
        tiff.TryWriteNumber(ExifDirectory.Exif, PixelXDimensionTag, (uint)width);
        tiff.TryWriteNumber(ExifDirectory.Exif, PixelYDimensionTag, (uint)height);
        return copy;
    }

    /// <summary>Bounds-checked access to one TIFF structure; every lookup that leaves the buffer finds nothing.</summary>
    readonly ref struct Tiff
    {
        readonly Span<byte> data;
        readonly bool bigEndian;
        readonly bool valid;

        public Tiff(Span<byte> data)
        {
            this.data = data;
            valid = IsTiff(data);
            bigEndian = valid && data[0] == (byte)'M';
        }

        public ushort U16(int at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(data[at..]);
        uint U32(int at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);

        /// <summary>Offset of the 12-byte entry for <paramref name="tag"/>, or -1.</summary>
        public int Find(ExifDirectory directory, ushort tag)
        {
            if (!valid) return -1;
            long ifd = U32(4);
            if (directory != ExifDirectory.Image)
            {
                int pointer = FindIn(ifd, directory == ExifDirectory.Exif ? ExifIfdPointerTag : GpsIfdPointerTag);
                if (pointer < 0 || ReadNumber(pointer) is not uint sub) return -1;
                ifd = sub;
            }
            return FindIn(ifd, tag);
        }

        int FindIn(long ifd, ushort tag)
        {
            if (ifd < 8 || ifd + 2 > data.Length) return -1;
            int count = U16((int)ifd);
            for (int i = 0; i < count; i++)
            {
                long entry = ifd + 2 + 12L * i;
                if (entry + 12 > data.Length) return -1;
                if (U16((int)entry) == tag) return (int)entry;
            }
            return -1;
        }

        /// <summary>Offset of IFD0's next-directory field, or -1 when IFD0 does not fit.</summary>
        int NextFieldOfFirst()
        {
            if (!valid) return -1;
            long ifd = U32(4);
            if (ifd < 8 || ifd + 2 > data.Length) return -1;
            long next = ifd + 2 + 12L * U16((int)ifd);
            return next + 4 <= data.Length ? (int)next : -1;
        }

        public uint? NextOfFirst() => NextFieldOfFirst() is int at and >= 0 ? U32(at) : null;

        public void TryClearNextOfFirst()
        {
            if (NextFieldOfFirst() is int at and >= 0) data.Slice(at, 4).Clear();
        }

        public uint? ReadNumber(int entry)
        {
            if (U32(entry + 4) != 1) return null;
            return U16(entry + 2) switch
            {
                TypeShort => U16(entry + 8),
                TypeLong => U32(entry + 8),
                _ => null,
            };
        }

        /// <summary>The value bytes of an entry whose type has <paramref name="unitSize"/>-byte units: inline when they fit in 4.</summary>
        public ReadOnlySpan<byte> Value(int entry, int unitSize)
        {
            long length = (long)U32(entry + 4) * unitSize;
            if (length <= 4) return data.Slice(entry + 8, (int)length);
            long offset = U32(entry + 8);
            return offset + length <= data.Length ? data.Slice((int)offset, (int)length) : default;
        }

        public bool TryWriteNumber(ExifDirectory directory, ushort tag, uint value)
        {
            int entry = Find(directory, tag);
            if (entry < 0 || U32(entry + 4) != 1) return false;
            var field = data.Slice(entry + 8, 4);
            switch (U16(entry + 2))
            {
                case TypeShort when value <= ushort.MaxValue:
                    if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(field, (ushort)value);
                    else BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value);
                    return true;
                case TypeLong:
                    if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(field, value);
                    else BinaryPrimitives.WriteUInt32LittleEndian(field, value);
                    return true;
                default:
                    return false;
            }
        }
    }
}
