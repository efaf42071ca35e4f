using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.TiffNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// TIFF through Debian's libtiff (libtiff6), first page only.
/// Why libtiff over BitMiracle.LibTiff.NET: the managed port follows libtiff 3.9 and takes upstream fixes
/// late, while Debian ships libtiff 4.5 with its security updates and every codec it was built with (LZW,
/// Deflate, PackBits, JPEG, ZSTD, WebP…); it also matches how the other formats here are read, one maintained
/// native library behind P/Invoke.
/// 8- and 16-bit unsigned gray, gray+alpha, RGB and RGBA (contiguous or planar, strips or tiles, any
/// compression libtiff decodes, JPEG's YCbCr converted to RGB by libjpeg) are read sample-exact. Anything else
/// libtiff's RGBA interface understands (palettes, 1/2/4-bit, CMYK, subsampled YCbCr, CIELab) comes through
/// that interface as 8-bit. Floating-point and 32-bit samples are refused. Writing is 8- or 16-bit,
/// Deflate with the horizontal predictor by default, unassociated alpha.
/// </summary>
internal static unsafe class TiffCodec
{
    public static Image Decode(ReadOnlySpan<byte> bytes, DecodeOptions options)
    {
        if (TiffStructure.FirstDirectoryProblem(bytes) is { } problem) throw new ImageFormatException(problem);
        fixed (byte* data = bytes)
        {
            using var memory = TiffMemory.ForReading(data, bytes.Length);
            using var tif = OpenForReading(memory, bytes.Length);
            var layout = Layout.Read(tif, memory);
            PixelLimit.Check("TIFF", layout.Width, layout.Height, options);
            CheckStriles(tif, bytes.Length);
            var image = layout.Direct ? ReadDirect(tif, memory, layout) : ReadThroughRgba(tif, memory, layout);
            image.Metadata = TiffMetadata.Read(bytes);
            return image;
        }
    }

    /// <summary>
    /// Throws unless the first page's header parses and all its strips or tiles lie inside the bytes: cheap,
    /// and what a file cut short fails (libtiff writes the directory last, so a cut one has usually lost it).
    /// </summary>
    public static void CheckComplete(ReadOnlySpan<byte> bytes)
    {
        if (TiffStructure.FirstDirectoryProblem(bytes) is { } problem) throw new ImageFormatException(problem);
        fixed (byte* data = bytes)
        {
            using var memory = TiffMemory.ForReading(data, bytes.Length);
            using var tif = OpenForReading(memory, bytes.Length);
            Layout.Read(tif, memory);
            CheckStriles(tif, bytes.Length);
        }
    }

    static TiffHandle OpenForReading(TiffMemory memory, long length)
    {
        // libtiff's own buffers never need more than the compressed data of one strip plus its tables; twice the
        // file (and at least 256 MiB, for the RGBA path's decoded strips) stops a lying header asking for more.
        var tif = memory.Open("rm", Math.Max(256L << 20, 2 * length));
        if (tif.IsInvalid) throw Failure(memory, "cannot read TIFF header");
        return tif;
    }

    /// <summary>What the first directory says about the samples, and which way they are read.</summary>
    readonly record struct Layout(int Width, int Height, int BitsPerSample, int SamplesPerPixel, int Photometric,
        bool Planar, int ColorChannels, bool Alpha, bool Associated, bool Direct)
    {
        public static Layout Read(TiffHandle tif, TiffMemory memory)
        {
            uint width, height;
            if (TIFFGetFieldU32(tif, TagImageWidth, &width) == 0 || TIFFGetFieldU32(tif, TagImageLength, &height) == 0)
                throw Failure(memory, "corrupt TIFF: no image width or length");
            ushort bits, samples, format, planar, photometric, compression, extraCount;
            ushort* extra;
            TIFFGetFieldDefaultedU16(tif, TagBitsPerSample, &bits);
            TIFFGetFieldDefaultedU16(tif, TagSamplesPerPixel, &samples);
            TIFFGetFieldDefaultedU16(tif, TagSampleFormat, &format);
            TIFFGetFieldDefaultedU16(tif, TagPlanarConfig, &planar);
            TIFFGetFieldDefaultedU16(tif, TagCompression, &compression);
            if (TIFFGetFieldU16(tif, TagPhotometric, &photometric) == 0)
                throw new ImageFormatException("corrupt TIFF: no PhotometricInterpretation tag");
            if (TIFFGetFieldDefaultedArray(tif, TagExtraSamples, &extraCount, &extra) == 0) extraCount = 0;
            if (width > int.MaxValue || height > int.MaxValue)
                throw new ImageFormatException($"TIFF image is {width}x{height}, too large to hold in memory as one image");

            switch (format)
            {
                case SampleFormatUInt: break;
                case SampleFormatIeeeFp: throw new ImageFormatException("TIFF with floating-point samples is not supported");
                case SampleFormatInt: throw new ImageFormatException("TIFF with signed integer samples is not supported");
                default: throw new ImageFormatException($"TIFF with sample format {format} is not supported");
            }
            if (bits > 16) throw new ImageFormatException($"TIFF with {bits}-bit samples is not supported");

            int color = photometric switch
            {
                PhotometricMinIsBlack or PhotometricMinIsWhite => 1,
                PhotometricRgb => 3,
                // libjpeg upsamples and converts JPEG's YCbCr itself when asked to; other YCbCr goes through RGBA.
                PhotometricYCbCr when compression == CompressionJpeg && TIFFSetFieldInt(tif, TagJpegColorMode, JpegColorModeRgb) != 0 => 3,
                _ => 0,
            };
            // An extra sample marked "unspecified" after the color samples is taken for straight alpha, the
            // common reading: writers that leave it unspecified almost always mean a transparency mask.
            bool alpha = extraCount > 0 && extra[0] is ExtraSampleUnspecified or ExtraSampleAssociatedAlpha or ExtraSampleUnassociatedAlpha;
            bool associated = extraCount > 0 && extra[0] == ExtraSampleAssociatedAlpha;
            bool direct = color > 0 && bits is 8 or 16 && samples >= color + (alpha ? 1 : 0) && samples <= color + 8;
            return new Layout((int)width, (int)height, bits, samples, photometric, planar == PlanarSeparate,
                color, alpha && (color == 0 || samples > color), associated, direct);
        }

        public PixelLayout PixelLayout(bool gray) => (gray, Alpha) switch
        {
            (true, false) => Imaging.PixelLayout.Gray,
            (true, true) => Imaging.PixelLayout.GrayAlpha,
            (false, false) => Imaging.PixelLayout.Rgb,
            _ => Imaging.PixelLayout.Rgba,
        };
    }

    /// <summary>Every strip or tile must lie inside the file: their byte counts are never trusted beyond its end.</summary>
    static void CheckStriles(TiffHandle tif, long length)
    {
        bool tiled = TIFFIsTiled(tif) != 0;
        uint count = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
        for (uint i = 0; i < count; i++)
        {
            ulong offset = TIFFGetStrileOffset(tif, i), size = TIFFGetStrileByteCount(tif, i);
            if (offset > (ulong)length || size > (ulong)length - offset)
                throw new ImageFormatException(
                    $"truncated TIFF: {(tiled ? "tile" : "strip")} {i} ends at byte {offset + size}, past the end of the file ({length} bytes)");
        }
    }

    static Image ReadDirect(TiffHandle tif, TiffMemory memory, Layout layout)
    {
        bool gray = layout.ColorChannels == 1;
        int bitDepth = layout.BitsPerSample;
        var image = new Image(layout.Width, layout.Height, layout.PixelLayout(gray), bitDepth);
        // Target channel -> sample within the pixel: the color samples, then the first extra one (alpha).
        int channels = image.Channels;
        bool invert = layout.Photometric == PhotometricMinIsWhite;
        if (TIFFIsTiled(tif) != 0) ReadTiles(tif, memory, layout, image, invert);
        else ReadScanlines(tif, memory, layout, image, invert);
        if (layout.Alpha && layout.Associated) Unpremultiply(image);
        return image;
    }

    static void ReadScanlines(TiffHandle tif, TiffMemory memory, Layout layout, Image image, bool invert)
    {
        long rowBytes = TIFFScanlineSize(tif);
        int width = layout.Width, bytesPerSample = layout.BitsPerSample / 8;
        int perPixel = layout.Planar ? 1 : layout.SamplesPerPixel;
        if (rowBytes < (long)width * perPixel * bytesPerSample || rowBytes > Array.MaxLength)
            throw new ImageFormatException($"corrupt TIFF: scanline of {rowBytes} bytes for {width} pixels");
        var row = GC.AllocateUninitializedArray<byte>((int)rowBytes);
        fixed (byte* r = row)
        fixed (float* planes = image.Data)
        {
            // Planar files store each sample as its own image, read one after the other.
            int passes = layout.Planar ? image.Channels : 1;
            for (int pass = 0; pass < passes; pass++)
            {
                for (int y = 0; y < layout.Height; y++)
                {
                    if (TIFFReadScanline(tif, r, (uint)y, (ushort)(layout.Planar ? SampleOf(pass, layout) : 0)) < 0)
                        throw Failure(memory, $"corrupt TIFF: cannot read row {y}");
                    for (int c = layout.Planar ? pass : 0; c < (layout.Planar ? pass + 1 : image.Channels); c++)
                    {
                        float* target = planes + (long)c * image.PixelCount + (long)y * width;
                        int sample = layout.Planar ? 0 : SampleOf(c, layout);
                        Convert(r, perPixel, sample, bytesPerSample, target, width, invert && c < layout.ColorChannels);
                    }
                }
            }
        }
    }

    static void ReadTiles(TiffHandle tif, TiffMemory memory, Layout layout, Image image, bool invert)
    {
        uint tileWidth = 0, tileHeight = 0;
        if (TIFFGetFieldU32(tif, TagTileWidth, &tileWidth) == 0 || TIFFGetFieldU32(tif, TagTileLength, &tileHeight) == 0
            || tileWidth == 0 || tileHeight == 0 || tileWidth > layout.Width + 16L || tileHeight > layout.Height + 16L)
            throw new ImageFormatException($"corrupt TIFF: tiles of {tileWidth}x{tileHeight} for a {layout.Width}x{layout.Height} image");
        int bytesPerSample = layout.BitsPerSample / 8;
        int perPixel = layout.Planar ? 1 : layout.SamplesPerPixel;
        long tileBytes = TIFFTileSize(tif);
        if (tileBytes < (long)tileWidth * tileHeight * perPixel * bytesPerSample || tileBytes > Array.MaxLength)
            throw new ImageFormatException($"corrupt TIFF: tile of {tileBytes} bytes");
        var tile = GC.AllocateUninitializedArray<byte>((int)tileBytes);
        int width = layout.Width;
        fixed (byte* t = tile)
        fixed (float* planes = image.Data)
        {
            int passes = layout.Planar ? image.Channels : 1;
            for (int pass = 0; pass < passes; pass++)
            for (uint y0 = 0; y0 < layout.Height; y0 += tileHeight)
            for (uint x0 = 0; x0 < layout.Width; x0 += tileWidth)
            {
                ushort sampleOfTile = (ushort)(layout.Planar ? SampleOf(pass, layout) : 0);
                uint index = TIFFComputeTile(tif, x0, y0, 0, sampleOfTile);
                if (TIFFReadEncodedTile(tif, index, t, (nint)tileBytes) < 0)
                    throw Failure(memory, $"corrupt TIFF: cannot read tile {index}");
                int columns = (int)Math.Min(tileWidth, layout.Width - x0), rows = (int)Math.Min(tileHeight, layout.Height - y0);
                for (int c = layout.Planar ? pass : 0; c < (layout.Planar ? pass + 1 : image.Channels); c++)
                {
                    int sample = layout.Planar ? 0 : SampleOf(c, layout);
                    for (int r = 0; r < rows; r++)
                    {
                        byte* source = t + (long)r * tileWidth * perPixel * bytesPerSample;
                        float* target = planes + (long)c * image.PixelCount + (long)(y0 + r) * width + x0;
                        Convert(source, perPixel, sample, bytesPerSample, target, columns, invert && c < layout.ColorChannels);
                    }
                }
            }
        }
    }

    /// <summary>The sample index within a pixel that fills image channel <paramref name="channel"/>: color first, then alpha.</summary>
    static int SampleOf(int channel, Layout layout) => channel < layout.ColorChannels ? channel : layout.ColorChannels;

    /// <summary>One row of one channel: every <paramref name="stride"/>-th sample from <paramref name="first"/>, host-order.</summary>
    static void Convert(byte* row, int stride, int first, int bytesPerSample, float* target, int count, bool invert)
    {
        if (bytesPerSample == 1)
        {
            byte* s = row + first;
            for (int x = 0; x < count; x++, s += stride)
                target[x] = (invert ? 255 - *s : *s) * (1f / 255f);
        }
        else
        {
            ushort* s = (ushort*)row + first;
            for (int x = 0; x < count; x++, s += stride)
                target[x] = (invert ? 65535 - *s : *s) * (1f / 65535f);
        }
    }

    /// <summary>Associated (premultiplied) alpha back to straight alpha, which is what Image holds.</summary>
    static void Unpremultiply(Image image)
    {
        var alpha = image.Plane(image.Channels - 1);
        for (int c = 0; c < image.Channels - 1; c++)
        {
            var plane = image.Plane(c);
            for (int i = 0; i < plane.Length; i++)
                plane[i] = alpha[i] > 0 ? Math.Min(1f, plane[i] / alpha[i]) : 0f;
        }
    }

    /// <summary>libtiff's RGBA interface: 8-bit RGBA for any photometric it knows, premultiplied where there is alpha.</summary>
    static Image ReadThroughRgba(TiffHandle tif, TiffMemory memory, Layout layout)
    {
        byte* reason = stackalloc byte[1024];
        if (TIFFRGBAImageOK(tif, reason) == 0)
            throw new ImageFormatException($"unsupported TIFF: {Marshal.PtrToStringUTF8((nint)reason)}");
        ushort orientation;
        TIFFGetFieldDefaultedU16(tif, TagOrientation, &orientation);
        int pixels = checked(layout.Width * layout.Height);
        var raster = GC.AllocateUninitializedArray<uint>(pixels);
        fixed (uint* r = raster)
        {
            // Asking for the file's own orientation leaves the rows as stored: the EXIF orientation is applied
            // later, the same way for every format, from the tag TiffMetadata puts in the EXIF block.
            if (TIFFReadRGBAImageOriented(tif, (uint)layout.Width, (uint)layout.Height, r, orientation, 1) == 0)
                throw Failure(memory, "corrupt TIFF: cannot decode");
        }
        bool gray = layout.Photometric is PhotometricMinIsBlack or PhotometricMinIsWhite;
        var image = new Image(layout.Width, layout.Height, layout.PixelLayout(gray), 8);
        int colors = gray ? 1 : 3;
        for (int c = 0; c < colors; c++)
        {
            var plane = image.Plane(c);
            int shift = 8 * c;
            for (int i = 0; i < pixels; i++) plane[i] = ((raster[i] >> shift) & 0xFF) * (1f / 255f);
        }
        if (layout.Alpha)
        {
            var plane = image.Plane(colors);
            for (int i = 0; i < pixels; i++) plane[i] = (raster[i] >> 24) * (1f / 255f);
            // libtiff premultiplies RGB with unassociated alpha (and keeps associated as is), but not gray.
            if (!gray || layout.Associated) Unpremultiply(image);
        }
        return image;
    }

    public static byte[] Encode(Image image, int bitDepth, TiffCompression compression, ImageMetadata? metadata)
    {
        int channels = image.Channels, bytesPerSample = bitDepth / 8;
        int rowBytes = checked(image.Width * channels * bytesPerSample);
        var pixels = GC.AllocateUninitializedArray<byte>(checked(rowBytes * image.Height));
        ReadOnlySpan<int> planes = [0, 1, 2, 3];
        if (bitDepth == 16) PixelPacking.FromPlanar(image, planes[..channels], MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan()));
        else PixelPacking.FromPlanar(image, planes[..channels], pixels);

        // Written in the byte order of the EXIF block, so its values can be copied into the file unchanged.
        bool bigEndian = metadata?.Exif is { } exif && Exif.IsTiff(exif) && exif[0] == (byte)'M';
        // Strips of about 256 KiB: large enough for Deflate to compress well, small enough to read row by row.
        int rowsPerStrip = Math.Clamp((256 << 10) / rowBytes, 1, image.Height);
        int code = compression switch
        {
            TiffCompression.None => CompressionNone,
            TiffCompression.Lzw => CompressionLzw,
            TiffCompression.PackBits => CompressionPackBits,
            _ => CompressionAdobeDeflate,
        };

        using var memory = TiffMemory.ForWriting(pixels.Length / 2 + 4096);
        using (var tif = memory.Open(bigEndian ? "wb" : "wl", 0))
        {
            if (tif.IsInvalid) throw Failure(memory, "TIFF encoding failed");
            Set(tif, memory, TagImageWidth, (uint)image.Width);
            Set(tif, memory, TagImageLength, (uint)image.Height);
            Set(tif, memory, TagBitsPerSample, (uint)bitDepth);
            Set(tif, memory, TagSamplesPerPixel, (uint)channels);
            Set(tif, memory, TagPhotometric, image.IsGray ? (uint)PhotometricMinIsBlack : PhotometricRgb);
            Set(tif, memory, TagPlanarConfig, (uint)PlanarContig);
            Set(tif, memory, TagCompression, (uint)code);
            if (code is CompressionLzw or CompressionAdobeDeflate) Set(tif, memory, TagPredictor, (uint)PredictorHorizontal);
            Set(tif, memory, TagRowsPerStrip, (uint)rowsPerStrip);
            if (image.HasAlpha)
            {
                ushort unassociated = ExtraSampleUnassociatedAlpha;
                Check(TIFFSetFieldArray(tif, TagExtraSamples, 1, &unassociated), memory);
            }
            fixed (byte* icc = metadata?.Icc, xmp = metadata?.Xmp)
            {
                // libtiff copies both values when they are set.
                if (icc != null) Check(TIFFSetFieldArray(tif, TagIccProfile, (uint)metadata!.Icc!.Length, icc), memory);
                if (xmp != null) Check(TIFFSetFieldArray(tif, TagXmlPacket, (uint)metadata!.Xmp!.Length, xmp), memory);
            }
            fixed (byte* p = pixels)
            {
                // libtiff may byte-swap and predict in place: the buffer is scratch, each strip written once.
                uint strip = 0;
                for (int y = 0; y < image.Height; y += rowsPerStrip, strip++)
                {
                    int rows = Math.Min(rowsPerStrip, image.Height - y);
                    if (TIFFWriteEncodedStrip(tif, strip, p + (long)y * rowBytes, (nint)((long)rows * rowBytes)) < 0)
                        throw Failure(memory, "TIFF encoding failed");
                }
            }
            if (TIFFWriteDirectory(tif) == 0) throw Failure(memory, "TIFF encoding failed");
        }
        var file = memory.Written.ToArray();
        return metadata?.Exif is not null || metadata?.Iptc is not null ? TiffMetadata.Embed(file, metadata.Exif, metadata.Iptc) : file;
    }

    static void Set(TiffHandle tif, TiffMemory memory, uint tag, uint value) => Check(TIFFSetFieldInt(tif, tag, value), memory);

    static void Check(int result, TiffMemory memory)
    {
        if (result == 0) throw Failure(memory, "TIFF encoding failed");
    }

    /// <summary>libtiff's first error, as "truncated TIFF" when it says data ran out, else under <paramref name="what"/>.</summary>
    static ImageFormatException Failure(TiffMemory memory, string what)
    {
        string? error = memory.Error;
        if (error is null) return new ImageFormatException(what);
        bool truncated = error.Contains("Read error", StringComparison.OrdinalIgnoreCase)
                         || error.Contains("IO error", StringComparison.OrdinalIgnoreCase)
                         || error.Contains("end of file", StringComparison.OrdinalIgnoreCase)
                         || error.Contains("Not enough data", StringComparison.OrdinalIgnoreCase);
        return new ImageFormatException(truncated ? $"truncated TIFF: {error}" : $"{what}: {error}");
    }
}
