using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.GifNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// GIF through giflib, still or animated. Reading composites each frame onto the canvas as browsers do (disposal to
/// background clears to transparent, disposal to previous restores), so every frame comes out as the whole RGBA
/// canvas; the NETSCAPE2.0 extension gives the loop count. Writing gives every frame the whole canvas and its own
/// palette: the frame's exact colors when it has at most 256 (255 and a transparent index when any pixel is under
/// half alpha), else giflib's median-cut quantizer. Delays are GIF's hundredths of a second.
/// </summary>
internal static unsafe class GifCodec
{
    public static bool IsGif(ReadOnlySpan<byte> header) => header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8);

    /// <summary>A still image: the first frame.</summary>
    public static Image Decode(byte[] gif, DecodeOptions options)
    {
        using var reader = new Reader(gif, options);
        return reader.Next()?.Image ?? throw new ImageFormatException("corrupt GIF: no image in the file");
    }

    /// <summary>A still image as a one-frame GIF.</summary>
    public static byte[] Encode(Image image)
    {
        using var writer = new Writer(loopCount: 1);
        writer.Add(new AnimationFrame(image, 0));
        return writer.Finish();
    }

    public static bool HasSeveralFrames(ReadOnlySpan<byte> gif) => CountImages(gif, stopAt: 2) >= 2;

    /// <summary>
    /// Image descriptors in the block structure, walked without decoding (each block's sub-blocks skipped by their
    /// lengths): cheap, so a GIF's frame count is known before its frames are. Stops at the trailer, at damage, or at
    /// <paramref name="stopAt"/>.
    /// </summary>
    public static int CountImages(ReadOnlySpan<byte> gif, int stopAt = int.MaxValue)
    {
        if (gif.Length < 13 || !IsGif(gif)) return 0;
        int at = 13, images = 0;
        if ((gif[10] & 0x80) != 0) at += 3 << ((gif[10] & 7) + 1);
        while (at < gif.Length && images < stopAt)
        {
            switch (gif[at])
            {
                case 0x21: // extension: introducer, label, sub-blocks
                    at = SkipSubBlocks(gif, at + 2);
                    break;
                case 0x2C: // image: descriptor, local color table, LZW code size, sub-blocks
                    if (at + 10 > gif.Length) return images;
                    byte flags = gif[at + 9];
                    at += 10 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0) + 1;
                    at = SkipSubBlocks(gif, at);
                    if (at <= gif.Length) images++;
                    break;
                default: // 0x3B trailer, or damage
                    return images;
            }
        }
        return images;
    }

    static int SkipSubBlocks(ReadOnlySpan<byte> gif, int at)
    {
        while (at < gif.Length && gif[at] != 0) at += gif[at] + 1;
        return at + 1;
    }

    /// <summary>Frames of a GIF, composited one at a time onto an RGBA8 canvas.</summary>
    public sealed class Reader : IAnimationReader
    {
        readonly byte[] data;
        int position;
        GCHandle self;
        readonly GifDecoderHandle gif;
        readonly DecodeOptions options;
        readonly byte[] canvas;
        byte[]? saved;
        int frames;
        // The last frame's disposal, applied before the next is drawn.
        int lastDisposal;
        (int X, int Y, int W, int H) lastRect;

        public Reader(byte[] bytes, DecodeOptions options)
        {
            data = bytes;
            this.options = options;
            self = GCHandle.Alloc(this);
            int error;
            var file = DGifOpen(GCHandle.ToIntPtr(self), &Read, &error);
            if (file is null)
            {
                self.Free();
                throw new ImageFormatException($"corrupt GIF: {ErrorText(error)}");
            }
            gif = new GifDecoderHandle(file);
            int width = file->SWidth, height = file->SHeight;
            try { PixelLimit.Check("GIF", width, height, options); }
            catch { Dispose(); throw; }
            Info = new AnimationInfo(ImageFormat.Gif, width, height, CountImages(bytes));
            canvas = new byte[PixelLimit.BufferLength(width, height, 4, 1, "GIF")];
        }

        public AnimationInfo Info { get; }

        public int LoopCount { get; private set; } = 1;

        public AnimationFrame? Next()
        {
            var file = gif.Gif;
            var control = new ControlBlock { TransparentColor = NoTransparentColor };
            while (true)
            {
                int type;
                Check(DGifGetRecordType(file, &type));
                switch (type)
                {
                    case ImageDescRecord:
                        Check(DGifGetImageDesc(file));
                        return Draw(control);
                    case ExtensionRecord:
                        ReadExtension(ref control);
                        break;
                    case TerminateRecord:
                        return null;
                }
            }
        }

        void ReadExtension(ref ControlBlock control)
        {
            var file = gif.Gif;
            int code;
            byte* block;
            Check(DGifGetExtension(file, &code, &block));
            if (block is null) return;
            if (code == GraphicsExtension && block[0] >= 4)
            {
                fixed (ControlBlock* c = &control) Check(DGifExtensionToGCB(block[0], block + 1, c));
            }
            else if (code == ApplicationExtension && block[0] == 11
                     && new ReadOnlySpan<byte>(block + 1, 11) is var id && (id.SequenceEqual("NETSCAPE2.0"u8) || id.SequenceEqual("ANIMEXTS1.0"u8)))
            {
                Check(DGifGetExtensionNext(file, &block));
                if (block is not null && block[0] >= 3 && block[1] == 1)
                {
                    int repeats = block[2] | block[3] << 8;
                    LoopCount = repeats == 0 ? 0 : repeats + 1;
                }
            }
            while (block is not null) Check(DGifGetExtensionNext(file, &block));
        }

        AnimationFrame Draw(ControlBlock control)
        {
            var file = gif.Gif;
            frames++;
            Animation.CheckFrame("GIF", frames, Info.Width, Info.Height, options);
            int width = file->Width, height = file->Height, left = file->Left, top = file->Top;
            PixelLimit.Check("GIF frame", width, height, options);
            var map = file->ImageColorMap is not null ? file->ImageColorMap : file->SColorMap;
            if (map is null) throw new ImageFormatException($"corrupt GIF: frame {frames} has no color table");

            // The last frame's disposal, then a copy to restore after this one if it asks for that.
            if (lastDisposal == DisposeBackground) ClearRect(lastRect);
            else if (lastDisposal == DisposePrevious && saved is not null) saved.CopyTo(canvas, 0);
            if (control.DisposalMode == DisposePrevious)
            {
                saved ??= new byte[canvas.Length];
                canvas.CopyTo(saved, 0);
            }

            var line = new byte[width];
            int canvasWidth = Info.Width, canvasHeight = Info.Height, colors = map->ColorCount;
            for (int pass = 0, row = 0; row < height; row++)
            {
                int y = file->Interlace != 0 ? InterlacedRow(height, row, ref pass) : row;
                fixed (byte* l = line) Check(DGifGetLine(file, l, width));
                int cy = top + y;
                if ((uint)cy >= (uint)canvasHeight) continue;
                for (int x = 0; x < width; x++)
                {
                    int cx = left + x, index = line[x];
                    if ((uint)cx >= (uint)canvasWidth || index == control.TransparentColor || index >= colors) continue;
                    var c = map->Colors[index];
                    int at = (cy * canvasWidth + cx) * 4;
                    canvas[at] = c.R;
                    canvas[at + 1] = c.G;
                    canvas[at + 2] = c.B;
                    canvas[at + 3] = 255;
                }
            }
            lastDisposal = control.DisposalMode;
            lastRect = (left, top, width, height);

            var image = new Image(canvasWidth, canvasHeight, PixelLayout.Rgba, bitDepth: 8);
            PixelPacking.ToPlanar(canvas, 4, image);
            return new AnimationFrame(image, control.DelayTime * 10);
        }

        /// <summary>The canvas row of the <paramref name="row"/>-th line stored: interlaced GIFs store rows 0, 8, 16…, then 4, 12…, then 2, 6…, then 1, 3….</summary>
        static int InterlacedRow(int height, int row, ref int pass)
        {
            ReadOnlySpan<int> start = [0, 4, 2, 1], step = [8, 8, 4, 2];
            int before = 0;
            for (pass = 0; pass < 4; pass++)
            {
                int count = height > start[pass] ? (height - start[pass] + step[pass] - 1) / step[pass] : 0;
                if (row < before + count) return start[pass] + (row - before) * step[pass];
                before += count;
            }
            return row;
        }

        void ClearRect((int X, int Y, int W, int H) r)
        {
            int x0 = Math.Max(r.X, 0), x1 = Math.Min(r.X + r.W, Info.Width);
            for (int y = Math.Max(r.Y, 0); y < Math.Min(r.Y + r.H, Info.Height) && x1 > x0; y++)
                canvas.AsSpan((y * Info.Width + x0) * 4, (x1 - x0) * 4).Clear();
        }

        void Check(int result)
        {
            if (result == Ok) return;
            int error = gif.IsInvalid ? 0 : gif.Gif->Error;
            // 102 (D_GIF_ERR_READ_FAILED) is our read callback finding the end of the bytes.
            throw new ImageFormatException(error == 102 ? "truncated GIF: the file ends inside a frame" : $"corrupt GIF: {ErrorText(error)}");
        }

        [UnmanagedCallersOnly]
        static int Read(GifFile* file, byte* buffer, int length)
        {
            try
            {
                var reader = (Reader)GCHandle.FromIntPtr(file->UserData).Target!;
                int n = Math.Min(length, reader.data.Length - reader.position);
                if (n <= 0) return 0;
                reader.data.AsSpan(reader.position, n).CopyTo(new Span<byte>(buffer, n));
                reader.position += n;
                return n;
            }
            catch { return 0; } // an exception must not cross into C
        }

        public void Dispose()
        {
            gif?.Dispose();
            if (self.IsAllocated) self.Free();
        }
    }

    /// <summary>Frames to a GIF, each the whole canvas with its own palette.</summary>
    public sealed class Writer(int loopCount) : IAnimationWriter
    {
        readonly MemoryStream output = new();
        GCHandle self;
        GifEncoderHandle? gif;
        int width, height;

        public void Add(AnimationFrame frame)
        {
            var image = frame.Image;
            if (gif is null) Open(image.Width, image.Height);
            else if (image.Width != width || image.Height != height)
                throw new ArgumentException($"every frame must be {width}x{height}, got {image.Width}x{image.Height}", nameof(frame));
            var file = gif!.Gif;

            var rgba = PixelPacking.ToRgba8(image);
            var (indices, palette, transparent) = Palettize(rgba, width, height);

            using var map = new GifColorMapHandle(MakeMap(palette));
            var control = new ControlBlock
            {
                // Every frame covers the canvas; with transparency the last one must be cleared, not shown through.
                DisposalMode = transparent >= 0 ? DisposeBackground : DisposeDoNot,
                DelayTime = Math.Clamp((frame.DelayMs + 5) / 10, 0, 65535),
                TransparentColor = transparent,
            };
            byte* extension = stackalloc byte[4];
            int length = (int)EGifGCBToExtension(&control, extension);
            Check(EGifPutExtension(file, GraphicsExtension, length, extension));
            Check(EGifPutImageDesc(file, 0, 0, width, height, 0, map.Map));
            fixed (byte* p = indices)
                for (int y = 0; y < height; y++) Check(EGifPutLine(file, p + (long)y * width, width));
        }

        void Open(int w, int h)
        {
            if (w > 65535 || h > 65535) throw new ImageFormatException($"GIF holds at most 65535x65535, got {w}x{h}");
            (width, height) = (w, h);
            self = GCHandle.Alloc(this);
            int error;
            var file = EGifOpen(GCHandle.ToIntPtr(self), &Write, &error);
            if (file is null) throw new ImageFormatException($"GIF encoding failed: {ErrorText(error)}");
            gif = new GifEncoderHandle(file);
            EGifSetGifVersion(file, 1);
            Check(EGifPutScreenDesc(file, w, h, 8, 0, null));
            if (loopCount != 1)
            {
                // NETSCAPE2.0 counts repeats after the first play; 0 repeats forever.
                int repeats = loopCount == 0 ? 0 : Math.Min(loopCount - 1, 65535);
                Check(EGifPutExtensionLeader(file, ApplicationExtension));
                fixed (byte* id = "NETSCAPE2.0"u8) Check(EGifPutExtensionBlock(file, 11, id));
                byte* loop = stackalloc byte[] { 1, (byte)repeats, (byte)(repeats >> 8) };
                Check(EGifPutExtensionBlock(file, 3, loop));
                Check(EGifPutExtensionTrailer(file));
            }
        }

        /// <summary>Palette indices: exact when the opaque colors fit, else giflib's quantizer; pixels under half alpha get the transparent index.</summary>
        static (byte[] Indices, Rgb[] Palette, int Transparent) Palettize(byte[] rgba, int width, int height)
        {
            int n = width * height;
            bool anyTransparent = false;
            for (int i = 0; i < n && !anyTransparent; i++) anyTransparent = rgba[i * 4 + 3] < 128;
            int room = anyTransparent ? 255 : 256;
            var indices = new byte[n];
            var exact = new Dictionary<int, byte>();
            var palette = new List<Rgb>();
            for (int i = 0; i < n; i++)
            {
                if (rgba[i * 4 + 3] < 128) continue;
                int key = rgba[i * 4] << 16 | rgba[i * 4 + 1] << 8 | rgba[i * 4 + 2];
                if (!exact.TryGetValue(key, out byte index))
                {
                    if (palette.Count == room) { palette = null; break; }
                    exact[key] = index = (byte)palette.Count;
                    palette.Add(new Rgb { R = rgba[i * 4], G = rgba[i * 4 + 1], B = rgba[i * 4 + 2] });
                }
                indices[i] = index;
            }
            if (palette is null)
            {
                var planes = new byte[3 * n];
                for (int i = 0; i < n; i++) { planes[i] = rgba[i * 4]; planes[n + i] = rgba[i * 4 + 1]; planes[2 * n + i] = rgba[i * 4 + 2]; }
                var map = new Rgb[256];
                int size = room;
                fixed (byte* p = planes)
                fixed (byte* o = indices)
                fixed (Rgb* m = map)
                    if (GifQuantizeBuffer((uint)width, (uint)height, &size, p, p + n, p + 2 * n, o, m) != Ok)
                        throw new ImageFormatException("GIF encoding failed: giflib could not quantize the frame");
                palette = [.. map.AsSpan(0, size)];
            }
            int transparent = anyTransparent ? palette.Count : -1;
            if (anyTransparent)
            {
                palette.Add(default);
                for (int i = 0; i < n; i++) if (rgba[i * 4 + 3] < 128) indices[i] = (byte)transparent;
            }
            return (indices, [.. palette], transparent);
        }

        /// <summary>A color map of the next power of two entries at or above the palette's (giflib refuses other sizes).</summary>
        static ColorMap* MakeMap(Rgb[] palette)
        {
            int size = 2;
            while (size < palette.Length) size *= 2;
            var padded = new Rgb[size];
            palette.CopyTo(padded, 0);
            fixed (Rgb* p = padded)
            {
                var map = GifMakeMapObject(size, p);
                return map is not null ? map : throw new OutOfMemoryException("giflib could not allocate a color map");
            }
        }

        public byte[] Finish()
        {
            if (gif is null) throw new InvalidOperationException("a GIF needs at least one frame");
            gif.Dispose(); // EGifCloseFile writes the trailer
            return output.ToArray();
        }

        void Check(int result)
        {
            if (result != Ok) throw new ImageFormatException($"GIF encoding failed: {ErrorText(gif!.Gif->Error)}");
        }

        [UnmanagedCallersOnly]
        static int Write(GifFile* file, byte* buffer, int length)
        {
            try
            {
                ((Writer)GCHandle.FromIntPtr(file->UserData).Target!).output.Write(new ReadOnlySpan<byte>(buffer, length));
                return length;
            }
            catch { return 0; }
        }

        public void Dispose()
        {
            gif?.Dispose();
            if (self.IsAllocated) self.Free();
        }
    }
}
