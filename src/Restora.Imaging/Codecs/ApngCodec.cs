using System.Buffers.Binary;

namespace Restora.Imaging.Codecs;

/// <summary>
/// Animated PNG. Neither libspng nor Debian's libpng (built without the APNG patch: no png_get_acTL) reads APNG, so
/// this class only moves chunks: each frame's fdAT data becomes the IDAT of a standalone PNG with the frame's size,
/// which libspng decodes (and, writing, each frame is a PNG libspng encodes, whose IDATs become fdATs). Compositing
/// follows the APNG spec: blend SOURCE or OVER, dispose NONE, BACKGROUND (transparent) or PREVIOUS. The canvas keeps
/// the file's bit depth (16-bit APNGs stay 16-bit).
/// </summary>
internal static class ApngCodec
{
    static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A chunk's type and where its data lies in the file.</summary>
    readonly record struct Chunk(string Type, int Offset, int Length);

    /// <summary>The chunks of a PNG, bounds-checked; a chunk running past the end is an error.</summary>
    static List<Chunk> Chunks(ReadOnlySpan<byte> png, bool stopAtIdat = false)
    {
        var chunks = new List<Chunk>();
        int at = Signature.Length;
        while (at + 8 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
            string type = System.Text.Encoding.ASCII.GetString(png.Slice(at + 4, 4));
            if (length > int.MaxValue || at + 12L + length > png.Length)
                throw new ImageFormatException($"truncated PNG: the {type} chunk runs past the end of the file");
            if (stopAtIdat && type == "IDAT") break;
            chunks.Add(new Chunk(type, at + 8, (int)length));
            at += 12 + (int)length;
            if (type == "IEND") break;
        }
        return chunks;
    }

    public static bool IsAnimated(ReadOnlySpan<byte> png)
    {
        try
        {
            foreach (var c in Chunks(png, stopAtIdat: true))
                if (c.Type == "acTL" && c.Length >= 8) return BinaryPrimitives.ReadUInt32BigEndian(png[c.Offset..]) >= 2;
        }
        catch (ImageFormatException) { }
        return false;
    }

    /// <summary>struct of an fcTL chunk.</summary>
    readonly record struct FrameControl(int Width, int Height, int X, int Y, int DelayMs, byte Dispose, byte Blend);

    /// <summary>The frames of an APNG, composited one at a time onto a float RGBA canvas.</summary>
    public sealed class Reader : IAnimationReader
    {
        readonly byte[] png;
        readonly DecodeOptions options;
        readonly Chunk ihdr;
        readonly List<Chunk> shared = [];
        readonly List<(FrameControl Control, List<(int Offset, int Length)> Data)> frames = [];
        readonly Image canvas;
        Image? saved;
        int next;
        FrameControl? last;

        public Reader(byte[] bytes, DecodeOptions options)
        {
            png = bytes;
            this.options = options;
            var chunks = Chunks(bytes);
            if (chunks.Count == 0 || chunks[0].Type != "IHDR" || chunks[0].Length != 13) throw new ImageFormatException("corrupt PNG: no IHDR chunk first");
            ihdr = chunks[0];
            int width = ReadInt(ihdr.Offset), height = ReadInt(ihdr.Offset + 4);
            PixelLimit.Check("PNG", width, height, options);
            int declared = 1;
            LoopCount = 1;
            foreach (var c in chunks)
            {
                switch (c.Type)
                {
                    case "acTL" when c.Length >= 8:
                        declared = ReadInt(c.Offset);
                        LoopCount = ReadInt(c.Offset + 4);
                        Animation.CheckFrame("APNG", declared, width, height, options);
                        break;
                    case "PLTE" or "tRNS":
                        shared.Add(c);
                        break;
                    case "fcTL":
                        if (c.Length < 26) throw new ImageFormatException("corrupt PNG: short fcTL chunk");
                        Animation.CheckFrame("APNG", frames.Count + 1, width, height, options);
                        frames.Add((Control(c, width, height), []));
                        break;
                    // The default image is the first frame only when an fcTL came before it.
                    case "IDAT" when frames.Count == 1:
                        frames[0].Data.Add((c.Offset, c.Length));
                        break;
                    case "fdAT" when frames.Count > 0 && c.Length >= 4:
                        frames[^1].Data.Add((c.Offset + 4, c.Length - 4));
                        break;
                }
            }
            if (frames.Count == 0) throw new ImageFormatException("corrupt PNG: an animation without fcTL chunks");
            Info = new AnimationInfo(ImageFormat.Png, width, height, frames.Count);
            canvas = new Image(width, height, PixelLayout.Rgba, png[ihdr.Offset + 8] == 16 ? 16 : 8);
        }

        int ReadInt(int at)
        {
            uint v = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            return v <= int.MaxValue ? (int)v : throw new ImageFormatException($"corrupt PNG: value {v} over 2^31");
        }

        FrameControl Control(Chunk c, int canvasWidth, int canvasHeight)
        {
            int w = ReadInt(c.Offset + 4), h = ReadInt(c.Offset + 8), x = ReadInt(c.Offset + 12), y = ReadInt(c.Offset + 16);
            if (w == 0 || h == 0 || (long)x + w > canvasWidth || (long)y + h > canvasHeight)
                throw new ImageFormatException($"corrupt PNG: frame {w}x{h} at ({x}, {y}) outside the {canvasWidth}x{canvasHeight} canvas");
            int num = BinaryPrimitives.ReadUInt16BigEndian(png.AsSpan(c.Offset + 20)), den = BinaryPrimitives.ReadUInt16BigEndian(png.AsSpan(c.Offset + 22));
            int delay = (int)Math.Round(num * 1000.0 / (den == 0 ? 100 : den)); // a zero denominator means hundredths
            return new FrameControl(w, h, x, y, delay, png[c.Offset + 24], png[c.Offset + 25]);
        }

        public AnimationInfo Info { get; }

        public int LoopCount { get; }

        public AnimationFrame? Next()
        {
            if (next == frames.Count) return null;
            var (control, data) = frames[next++];
            if (data.Count == 0) throw new ImageFormatException($"corrupt PNG: frame {next} has no image data");

            if (last is { } previous)
            {
                if (previous.Dispose == 1) Fill(canvas, previous, null);
                else if (previous.Dispose == 2 && saved is not null) Fill(canvas, previous, saved);
            }
            // Dispose PREVIOUS on the first frame means BACKGROUND (APNG spec).
            if (control.Dispose == 2 && next > 1) saved = canvas.Clone();
            else if (control.Dispose == 2) control = control with { Dispose = 1 };

            var frame = PngCodec.Decode(Standalone(control, data), options with { ApplyOrientation = false });
            Composite(frame, control);
            last = control;
            return new AnimationFrame(canvas.Clone(), control.DelayMs);
        }

        /// <summary>A PNG of the frame alone: the IHDR with the frame's size, the palette and transparency, the frame's data as IDATs.</summary>
        byte[] Standalone(FrameControl control, List<(int Offset, int Length)> data)
        {
            using var stream = new MemoryStream();
            stream.Write(Signature);
            var header = png.AsSpan(ihdr.Offset, 13).ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)control.Width);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)control.Height);
            WriteChunk(stream, "IHDR", header);
            foreach (var c in shared) WriteChunk(stream, c.Type, png.AsSpan(c.Offset, c.Length));
            foreach (var (offset, length) in data) WriteChunk(stream, "IDAT", png.AsSpan(offset, length));
            WriteChunk(stream, "IEND", []);
            return stream.ToArray();
        }

        void Composite(Image frame, FrameControl control)
        {
            int n = canvas.PixelCount, fn = frame.PixelCount;
            var dst = canvas.Data;
            var src = frame.Data;
            bool gray = frame.IsGray, alpha = frame.HasAlpha;
            int alphaPlane = gray ? 1 : 3;
            for (int y = 0; y < control.Height; y++)
                for (int x = 0; x < control.Width; x++)
                {
                    int s = y * control.Width + x, d = (control.Y + y) * canvas.Width + control.X + x;
                    float r = src[s], g = src[(gray ? 0 : 1) * fn + s], b = src[(gray ? 0 : 2) * fn + s];
                    float a = alpha ? src[alphaPlane * fn + s] : 1f;
                    if (control.Blend == 1 && a < 1f)
                    {
                        float under = dst[3 * n + d] * (1 - a), outA = a + under;
                        if (outA > 0)
                        {
                            r = (r * a + dst[d] * under) / outA;
                            g = (g * a + dst[n + d] * under) / outA;
                            b = (b * a + dst[2 * n + d] * under) / outA;
                        }
                        a = outA;
                    }
                    dst[d] = r;
                    dst[n + d] = g;
                    dst[2 * n + d] = b;
                    dst[3 * n + d] = a;
                }
        }

        /// <summary>The frame's rectangle cleared to transparent black, or copied back from <paramref name="from"/>.</summary>
        static void Fill(Image canvas, FrameControl r, Image? from)
        {
            int n = canvas.PixelCount;
            for (int c = 0; c < 4; c++)
                for (int y = r.Y; y < r.Y + r.Height; y++)
                {
                    var row = canvas.Data.AsSpan(c * n + y * canvas.Width + r.X, r.Width);
                    if (from is null) row.Clear();
                    else from.Data.AsSpan(c * n + y * canvas.Width + r.X, r.Width).CopyTo(row);
                }
        }

        public void Dispose() { }
    }

    /// <summary>Whole-canvas frames to an APNG: each frame a PNG from libspng, RGBA at the first frame's bit depth.</summary>
    public sealed class Writer(int loopCount) : IAnimationWriter
    {
        byte[]? header;
        int width, height, bitDepth;
        readonly List<(int DelayMs, List<byte[]> Data)> frames = [];

        public void Add(AnimationFrame frame)
        {
            var image = frame.Image;
            if (header is null) (width, height, bitDepth) = (image.Width, image.Height, image.BitDepth);
            else if (image.Width != width || image.Height != height)
                throw new ArgumentException($"every frame must be {width}x{height}, got {image.Width}x{image.Height}", nameof(frame));
            var png = PngCodec.Encode(AsRgba(image), bitDepth, metadata: null);
            var data = new List<byte[]>();
            foreach (var c in Chunks(png))
            {
                if (c.Type == "IHDR") header ??= png.AsSpan(c.Offset, c.Length).ToArray();
                else if (c.Type == "IDAT") data.Add(png.AsSpan(c.Offset, c.Length).ToArray());
            }
            frames.Add((Math.Max(frame.DelayMs, 0), data));
        }

        static Image AsRgba(Image image)
        {
            if (image.Layout == PixelLayout.Rgba) return image;
            var rgba = new Image(image.Width, image.Height, PixelLayout.Rgba, image.BitDepth);
            int n = image.PixelCount, gray = image.IsGray ? 1 : 0;
            for (int c = 0; c < 3; c++) image.Data.AsSpan((gray == 1 ? 0 : c) * n, n).CopyTo(rgba.Data.AsSpan(c * n, n));
            if (image.HasAlpha) image.Data.AsSpan(image.ColorChannels * n, n).CopyTo(rgba.Data.AsSpan(3 * n, n));
            else rgba.Data.AsSpan(3 * n, n).Fill(1f);
            return rgba;
        }

        public byte[] Finish()
        {
            if (header is null) throw new InvalidOperationException("an animation needs at least one frame");
            using var stream = new MemoryStream();
            stream.Write(Signature);
            WriteChunk(stream, "IHDR", header);
            var actl = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(actl, frames.Count);
            BinaryPrimitives.WriteInt32BigEndian(actl.AsSpan(4), loopCount);
            WriteChunk(stream, "acTL", actl);
            int sequence = 0;
            for (int i = 0; i < frames.Count; i++)
            {
                var (delay, data) = frames[i];
                var fctl = new byte[26];
                BinaryPrimitives.WriteInt32BigEndian(fctl, sequence++);
                BinaryPrimitives.WriteInt32BigEndian(fctl.AsSpan(4), width);
                BinaryPrimitives.WriteInt32BigEndian(fctl.AsSpan(8), height);
                // Milliseconds when they fit the 16-bit numerator, else hundredths.
                (int num, int den) = delay <= 65535 ? (delay, 1000) : (Math.Min((delay + 5) / 10, 65535), 100);
                BinaryPrimitives.WriteUInt16BigEndian(fctl.AsSpan(20), (ushort)num);
                BinaryPrimitives.WriteUInt16BigEndian(fctl.AsSpan(22), (ushort)den);
                // dispose NONE, blend SOURCE: every frame replaces the whole canvas.
                WriteChunk(stream, "fcTL", fctl);
                foreach (var d in data)
                {
                    if (i == 0) { WriteChunk(stream, "IDAT", d); continue; }
                    var fdat = new byte[d.Length + 4];
                    BinaryPrimitives.WriteInt32BigEndian(fdat, sequence++);
                    d.CopyTo(fdat, 4);
                    WriteChunk(stream, "fdAT", fdat);
                }
            }
            WriteChunk(stream, "IEND", []);
            return stream.ToArray();
        }

        public void Dispose() { }
    }

    static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head[4..]);
        stream.Write(head);
        stream.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFF, head[4..]), data) ^ 0xFFFFFFFF;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(tail);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320), table-driven.</summary>
    static class Crc32
    {
        static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            uint c = (uint)n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
