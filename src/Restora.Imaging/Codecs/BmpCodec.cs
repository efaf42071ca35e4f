using System.Buffers.Binary;

namespace Restora.Imaging.Codecs;

/// <summary>
/// Windows BMP, read and written in managed code: BMP is a header in front of rows of raw samples, not a
/// compression scheme, and Debian has no maintained library for it alone. Every header field is checked against
/// the file's length before anything is allocated.
/// Reads 1/4/8-bit palettes (RLE4/RLE8 too), 16/32-bit BI_RGB and BI_BITFIELDS (channels wider than 8 bits give a
/// 16-bit image), 24-bit, bottom-up and top-down rows, OS/2 core headers, and the ICC profile a V5 header embeds.
/// A palette of grays decodes to Gray. Writes gray as 8-bit with a gray palette, RGB as 24-bit, anything with
/// alpha as 32-bit BI_BITFIELDS under a V4 header (what other tools read alpha from), and a V5 header when
/// there is an ICC profile to embed. BMP holds 8 bits per channel, so 16-bit images are written as 8-bit.
/// </summary>
internal static class BmpCodec
{
    const int FileHeaderSize = 14;
    const int CoreHeader = 12, InfoHeader = 40, V2Header = 52, V3Header = 56, Os2Header = 64, V4Header = 108, V5Header = 124;
    const int BiRgb = 0, BiRle8 = 1, BiRle4 = 2, BiBitfields = 3, BiJpeg = 4, BiPng = 5, BiAlphaBitfields = 6;
    const uint ProfileEmbedded = 0x4D424544; // 'MBED'
    const uint ColorSpaceSrgb = 0x73524742;  // 'sRGB'

    /// <summary>"BM" and a header size this reader knows: two letters alone would match too much.</summary>
    public static bool IsBmp(ReadOnlySpan<byte> data) =>
        data.Length >= 18 && data[0] == (byte)'B' && data[1] == (byte)'M'
        && BinaryPrimitives.ReadUInt32LittleEndian(data[14..]) is CoreHeader or InfoHeader or V2Header or V3Header
            or Os2Header or V4Header or V5Header;

    readonly record struct Header(int Width, int Height, bool TopDown, int Bits, int Compression, long PixelOffset,
        long PaletteOffset, int PaletteCount, int PaletteEntrySize, uint[] Masks, byte[]? Icc)
    {
        public long Stride => ((long)Width * Bits + 31) / 32 * 4;
        public bool HasAlpha => Masks.Length == 4 && Masks[3] != 0;
    }

    static Header ReadHeader(ReadOnlySpan<byte> bmp)
    {
        if (!IsBmp(bmp)) throw new ImageFormatException(bmp.Length < 18 ? "truncated BMP: the file ends inside its header" : "corrupt BMP: unknown header");
        int headerSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(bmp[14..]);
        if (FileHeaderSize + headerSize > bmp.Length)
            throw new ImageFormatException($"truncated BMP: the file ends inside its {headerSize}-byte header");
        var h = bmp.Slice(FileHeaderSize, headerSize);
        long pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);

        long width, height;
        int bits, compression = BiRgb;
        uint colorsUsed = 0;
        if (headerSize == CoreHeader)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(h[4..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(h[4..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]);
            compression = (int)BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            colorsUsed = BinaryPrimitives.ReadUInt32LittleEndian(h[32..]);
            // OS/2 2.x headers number their compressions differently past RLE4 (3 is Huffman 1D, 4 is RLE24).
            if (headerSize == Os2Header && compression > BiRle4)
                throw new ImageFormatException($"OS/2 BMP with compression {compression} is not supported");
        }
        bool topDown = height < 0;
        height = Math.Abs(height);
        if (width <= 0 || height <= 0) throw new ImageFormatException($"corrupt BMP: image size {width}x{height}");

        switch (compression)
        {
            case BiRgb when bits is 1 or 4 or 8 or 16 or 24 or 32:
            case BiRle8 when bits == 8:
            case BiRle4 when bits == 4:
            case BiBitfields or BiAlphaBitfields when bits is 16 or 32:
                break;
            case BiJpeg or BiPng:
                throw new ImageFormatException($"BMP holding a {(compression == BiJpeg ? "JPEG" : "PNG")} is not supported");
            default:
                throw new ImageFormatException($"corrupt BMP: {bits} bits per pixel with compression {compression}");
        }
        if (topDown && compression is BiRle8 or BiRle4)
            throw new ImageFormatException("corrupt BMP: run-length encoded rows cannot be top-down");

        long afterHeader = FileHeaderSize + headerSize;
        uint[] masks = [];
        if (compression is BiBitfields or BiAlphaBitfields)
        {
            int maskCount = compression == BiAlphaBitfields ? 4 : 3;
            if (headerSize >= V2Header)
            {
                maskCount = headerSize >= V3Header ? 4 : 3;
                masks = ReadMasks(h[40..], maskCount);
            }
            else
            {
                // A 40-byte header is followed by the masks.
                if (afterHeader + 4L * maskCount > bmp.Length) throw new ImageFormatException("truncated BMP: the file ends inside its color masks");
                masks = ReadMasks(bmp[(int)afterHeader..], maskCount);
                afterHeader += 4L * maskCount;
            }
        }
        else if (bits == 16) masks = [0x7C00, 0x03E0, 0x001F];
        else if (bits == 32) masks = [0x00FF0000, 0x0000FF00, 0x000000FF]; // BI_RGB's fourth byte is unused
        CheckMasks(masks, bits);

        if (pixelOffset < afterHeader || pixelOffset > bmp.Length)
            throw new ImageFormatException(pixelOffset > bmp.Length
                ? $"truncated BMP: pixel data at byte {pixelOffset}, past the end of the file ({bmp.Length} bytes)"
                : $"corrupt BMP: pixel data at byte {pixelOffset}, inside the headers");

        int paletteCount = 0, entrySize = headerSize == CoreHeader ? 3 : 4;
        if (bits <= 8)
        {
            // The palette lies between the headers and the pixels, so it can be no longer than that gap (which is
            // inside the file): a count beyond it, or beyond what the indices can reach, is not believed.
            // Missing entries read as black, as Windows shows them.
            long declared = colorsUsed == 0 || colorsUsed > 1u << bits ? 1L << bits : colorsUsed;
            paletteCount = (int)Math.Min(declared, (pixelOffset - afterHeader) / entrySize);
        }

        byte[]? icc = null;
        if (headerSize >= V5Header && BinaryPrimitives.ReadUInt32LittleEndian(h[56..]) == ProfileEmbedded)
        {
            long at = FileHeaderSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(h[112..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(h[116..]);
            // A profile that does not fit is dropped: the pixels are what was asked for.
            if (size > 0 && at + size <= bmp.Length) icc = bmp.Slice((int)at, (int)size).ToArray();
        }
        if (width > int.MaxValue || height > int.MaxValue)
            throw new ImageFormatException($"corrupt BMP: image size {width}x{height}");
        return new Header((int)width, (int)height, topDown, bits, compression, pixelOffset, afterHeader, paletteCount, entrySize, masks, icc);
    }

    static uint[] ReadMasks(ReadOnlySpan<byte> at, int count)
    {
        var masks = new uint[count];
        for (int i = 0; i < count; i++) masks[i] = BinaryPrimitives.ReadUInt32LittleEndian(at[(4 * i)..]);
        return masks;
    }

    /// <summary>Color masks must be non-empty, contiguous, disjoint and inside the pixel; alpha may be absent (0).</summary>
    static void CheckMasks(uint[] masks, int bits)
    {
        uint seen = 0;
        for (int i = 0; i < masks.Length; i++)
        {
            uint mask = masks[i];
            if (mask == 0 && i == 3) continue;
            bool contiguous = mask != 0 && ((mask >> System.Numerics.BitOperations.TrailingZeroCount(mask)) & ((mask >> System.Numerics.BitOperations.TrailingZeroCount(mask)) + 1)) == 0;
            bool inside = bits == 32 || mask >> bits == 0;
            if (!contiguous || !inside || (seen & mask) != 0)
                throw new ImageFormatException($"corrupt BMP: color mask 0x{mask:X8} for {bits}-bit pixels");
            seen |= mask;
        }
    }

    public static Image Decode(ReadOnlySpan<byte> bmp, DecodeOptions options)
    {
        var header = ReadHeader(bmp);
        PixelLimit.Check("BMP", header.Width, header.Height, options);
        bool rle = header.Compression is BiRle8 or BiRle4;
        if (!rle)
        {
            long needed = header.Stride * header.Height;
            if (header.PixelOffset + needed > bmp.Length)
                throw new ImageFormatException(
                    $"truncated BMP: {header.Width}x{header.Height} pixels need {needed} bytes from byte {header.PixelOffset}, the file has {bmp.Length}");
        }

        Image image;
        if (header.Bits <= 8)
        {
            var palette = ReadPalette(bmp, header, out bool gray);
            image = new Image(header.Width, header.Height, gray ? PixelLayout.Gray : PixelLayout.Rgb, 8);
            if (rle) DecodeRle(bmp, header, palette, image);
            else
                for (int row = 0; row < header.Height; row++)
                    IndexedRow(bmp.Slice((int)(header.PixelOffset + row * header.Stride), (int)header.Stride), header, palette, image, TargetRow(header, row));
        }
        else
        {
            bool deep = header.Masks.Any(m => System.Numerics.BitOperations.PopCount(m) > 8);
            image = new Image(header.Width, header.Height, header.HasAlpha ? PixelLayout.Rgba : PixelLayout.Rgb, deep ? 16 : 8);
            for (int row = 0; row < header.Height; row++)
                DirectRow(bmp.Slice((int)(header.PixelOffset + row * header.Stride), (int)header.Stride), header, image, TargetRow(header, row));
        }
        if (header.Icc is not null) image.Metadata = new ImageMetadata { Icc = header.Icc };
        return image;
    }

    /// <summary>Throws unless the header parses and the pixel rows (or, run-length encoded, the end-of-bitmap code) are all there.</summary>
    public static void CheckComplete(ReadOnlySpan<byte> bmp)
    {
        var header = ReadHeader(bmp);
        if (header.Compression is BiRle8 or BiRle4)
        {
            // Decoding stops at the end-of-bitmap code; a cut file has lost it. Decoding checks the same.
            DecodeRle(bmp, header, new uint[header.PaletteCount], image: null);
            return;
        }
        long needed = header.Stride * header.Height;
        if (header.PixelOffset + needed > bmp.Length)
            throw new ImageFormatException($"truncated BMP: {header.Width}x{header.Height} pixels need {needed} bytes from byte {header.PixelOffset}, the file has {bmp.Length}");
    }

    static int TargetRow(in Header header, int fileRow) => header.TopDown ? fileRow : header.Height - 1 - fileRow;

    /// <summary>Palette entries as 0x00RRGGBB; 256 of them, the ones past the file's palette black.</summary>
    static uint[] ReadPalette(ReadOnlySpan<byte> bmp, in Header header, out bool gray)
    {
        var palette = new uint[256];
        gray = true;
        for (int i = 0; i < header.PaletteCount; i++)
        {
            var entry = bmp.Slice((int)(header.PaletteOffset + (long)i * header.PaletteEntrySize), 3); // B, G, R
            palette[i] = (uint)(entry[2] << 16 | entry[1] << 8 | entry[0]);
            gray &= entry[0] == entry[1] && entry[1] == entry[2];
        }
        return palette;
    }

    static void IndexedRow(ReadOnlySpan<byte> row, in Header header, uint[] palette, Image image, int y)
    {
        int width = header.Width, bits = header.Bits, perByte = 8 / bits, mask = (1 << bits) - 1;
        int offset = y * width;
        for (int x = 0; x < width; x++)
        {
            int shift = 8 - bits * (x % perByte + 1);
            SetPixel(image, offset + x, palette[(row[x / perByte] >> shift) & mask]);
        }
    }

    static void SetPixel(Image image, int index, uint rgb)
    {
        const float Inv = 1f / 255f;
        if (image.Layout == PixelLayout.Gray)
        {
            image.Data[index] = (rgb & 0xFF) * Inv;
            return;
        }
        int n = image.PixelCount;
        image.Data[index] = (rgb >> 16) * Inv;
        image.Data[n + index] = ((rgb >> 8) & 0xFF) * Inv;
        image.Data[2 * n + index] = (rgb & 0xFF) * Inv;
    }

    static void DirectRow(ReadOnlySpan<byte> row, in Header header, Image image, int y)
    {
        int width = header.Width, n = image.PixelCount, offset = y * width;
        var data = image.Data;
        if (header.Bits == 24)
        {
            for (int x = 0; x < width; x++)
            {
                data[offset + x] = row[3 * x + 2] * (1f / 255f);
                data[n + offset + x] = row[3 * x + 1] * (1f / 255f);
                data[2 * n + offset + x] = row[3 * x] * (1f / 255f);
            }
            return;
        }
        var masks = header.Masks;
        int channels = image.Channels;
        Span<int> shifts = stackalloc int[4];
        Span<float> scales = stackalloc float[4];
        for (int c = 0; c < channels; c++)
        {
            shifts[c] = System.Numerics.BitOperations.TrailingZeroCount(masks[c]);
            scales[c] = 1f / (masks[c] >> shifts[c]);
        }
        for (int x = 0; x < width; x++)
        {
            uint pixel = header.Bits == 32 ? BinaryPrimitives.ReadUInt32LittleEndian(row[(4 * x)..]) : BinaryPrimitives.ReadUInt16LittleEndian(row[(2 * x)..]);
            for (int c = 0; c < channels; c++)
                data[c * n + offset + x] = ((pixel & masks[c]) >> shifts[c]) * scales[c];
        }
    }

    /// <summary>
    /// RLE8/RLE4: runs and literal stretches of palette indices, rows bottom-up, with escapes for end of line,
    /// end of bitmap and a jump. Pixels the codes never reach are palette index 0. Every read is bounds-checked;
    /// runs past the right edge are clipped. With no image, only walks the codes (for CheckComplete).
    /// </summary>
    static void DecodeRle(ReadOnlySpan<byte> bmp, in Header header, uint[] palette, Image? image)
    {
        bool four = header.Compression == BiRle4;
        int width = header.Width, height = header.Height;
        if (image is not null)
            for (int i = 0; i < image.PixelCount; i++) SetPixel(image, i, palette[0]);
        var data = bmp[(int)header.PixelOffset..];
        int at = 0, x = 0, line = 0; // line counts from the bottom
        void Put(Image? target, int index)
        {
            if (target is not null && x < width && line < height)
                SetPixel(target, (height - 1 - line) * width + x, palette[index]);
            x++;
        }
        while (true)
        {
            if (at + 2 > data.Length) throw new ImageFormatException("truncated BMP: run-length data ends before its end-of-bitmap code");
            int count = data[at], value = data[at + 1];
            at += 2;
            if (count > 0)
            {
                for (int i = 0; i < count; i++) Put(image, four ? (i % 2 == 0 ? value >> 4 : value & 0xF) : value);
                continue;
            }
            switch (value)
            {
                case 0: x = 0; line++; break;           // end of line
                case 1: return;                          // end of bitmap
                case 2:                                  // jump right and up
                    if (at + 2 > data.Length) throw new ImageFormatException("truncated BMP: run-length data ends inside a jump");
                    x += data[at];
                    line += data[at + 1];
                    at += 2;
                    break;
                default:                                 // literal indices, padded to a 16-bit boundary
                    int bytes = four ? (value + 1) / 2 : value;
                    if (at + bytes > data.Length) throw new ImageFormatException("truncated BMP: run-length data ends inside a literal run");
                    for (int i = 0; i < value; i++) Put(image, four ? (i % 2 == 0 ? data[at + i / 2] >> 4 : data[at + i / 2] & 0xF) : data[at + i]);
                    at += bytes + (bytes & 1);
                    break;
            }
            if (line > height) throw new ImageFormatException("corrupt BMP: run-length data runs past the top of the image");
        }
    }

    public static byte[] Encode(Image image, ImageMetadata? metadata)
    {
        bool alpha = image.HasAlpha, gray = image.Layout == PixelLayout.Gray;
        byte[]? icc = metadata?.Icc;
        int bits = alpha ? 32 : gray ? 8 : 24;
        int headerSize = icc is not null ? V5Header : alpha ? V4Header : InfoHeader;
        int paletteSize = gray ? 256 * 4 : 0;
        long stride = ((long)image.Width * bits + 31) / 32 * 4;
        long pixelOffset = FileHeaderSize + headerSize + paletteSize;
        long pixelBytes = stride * image.Height;
        long fileSize = pixelOffset + pixelBytes + (icc?.Length ?? 0);
        if (fileSize > uint.MaxValue || fileSize > Array.MaxLength)
            throw new ImageFormatException($"BMP encoding failed: a {image.Width}x{image.Height} BMP would be over 4 GB");

        var bmp = new byte[fileSize];
        var span = bmp.AsSpan();
        span[0] = (byte)'B';
        span[1] = (byte)'M';
        BinaryPrimitives.WriteUInt32LittleEndian(span[2..], (uint)fileSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[10..], (uint)pixelOffset);
        var h = span.Slice(FileHeaderSize, headerSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], image.Height); // positive: bottom-up, what every reader takes
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(h[14..], (ushort)bits);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], alpha ? (uint)BiBitfields : BiRgb);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)pixelBytes);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], 2835); // 72 dpi in pixels per meter
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], 2835);
        if (gray) BinaryPrimitives.WriteUInt32LittleEndian(h[32..], 256);
        if (headerSize >= V4Header)
        {
            if (alpha)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(h[40..], 0x00FF0000);
                BinaryPrimitives.WriteUInt32LittleEndian(h[44..], 0x0000FF00);
                BinaryPrimitives.WriteUInt32LittleEndian(h[48..], 0x000000FF);
                BinaryPrimitives.WriteUInt32LittleEndian(h[52..], 0xFF000000);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(h[56..], icc is not null ? ProfileEmbedded : ColorSpaceSrgb);
        }
        if (icc is not null)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h[108..], 4); // LCS_GM_IMAGES: perceptual
            // The profile follows the pixels; its offset counts from the start of this header.
            BinaryPrimitives.WriteUInt32LittleEndian(h[112..], (uint)(pixelOffset + pixelBytes - FileHeaderSize));
            BinaryPrimitives.WriteUInt32LittleEndian(h[116..], (uint)icc.Length);
            icc.CopyTo(span[(int)(pixelOffset + pixelBytes)..]);
        }
        if (gray)
            for (int i = 0; i < 256; i++)
                span.Slice(FileHeaderSize + headerSize + 4 * i, 3).Fill((byte)i);

        // Interleave in BMP's B, G, R(, A) order, then lay the rows bottom-up.
        int samples = bits / 8;
        ReadOnlySpan<int> planes = image.Layout switch
        {
            PixelLayout.Gray => [0],
            PixelLayout.GrayAlpha => [0, 0, 0, 1],
            PixelLayout.Rgb => [2, 1, 0],
            _ => [2, 1, 0, 3],
        };
        var interleaved = GC.AllocateUninitializedArray<byte>(checked(image.PixelCount * samples));
        PixelPacking.FromPlanar(image, planes, interleaved);
        int rowBytes = image.Width * samples;
        for (int y = 0; y < image.Height; y++)
            interleaved.AsSpan(y * rowBytes, rowBytes).CopyTo(span[(int)(pixelOffset + (image.Height - 1 - y) * stride)..]);
        return bmp;
    }
}
