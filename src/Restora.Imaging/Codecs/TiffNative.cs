using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for libtiff 4.5 (tiffio.h); runtime package libtiff6.
/// TIFFGetField and TIFFSetField are variadic: they are declared here once per argument shape used, which is
/// sound on the Linux ABIs (x86-64, arm64) as long as every variadic argument is an integer or a pointer — no
/// float or double ever goes through them (a double would need the caller to set AL on x86-64).
/// </summary>
internal static unsafe class TiffNative
{
    private const string Lib = "libtiff.so.6";

    // Baseline and extension tags (tiff.h).
    public const uint TagImageWidth = 256, TagImageLength = 257, TagBitsPerSample = 258, TagCompression = 259;
    public const uint TagPhotometric = 262, TagOrientation = 274, TagSamplesPerPixel = 277, TagRowsPerStrip = 278;
    public const uint TagPlanarConfig = 284, TagPredictor = 317, TagTileWidth = 322, TagTileLength = 323;
    public const uint TagExtraSamples = 338, TagSampleFormat = 339, TagXmlPacket = 700, TagIccProfile = 34675;
    /// <summary>Pseudo-tag: have the JPEG codec convert YCbCr to RGB while decoding.</summary>
    public const uint TagJpegColorMode = 65538;

    public const int CompressionNone = 1, CompressionLzw = 5, CompressionJpeg = 7, CompressionAdobeDeflate = 8;
    public const int CompressionPackBits = 32773;
    public const int PhotometricMinIsWhite = 0, PhotometricMinIsBlack = 1, PhotometricRgb = 2, PhotometricYCbCr = 6;
    public const int PlanarContig = 1, PlanarSeparate = 2;
    public const int ExtraSampleUnspecified = 0, ExtraSampleAssociatedAlpha = 1, ExtraSampleUnassociatedAlpha = 2;
    public const int SampleFormatUInt = 1, SampleFormatInt = 2, SampleFormatIeeeFp = 3;
    public const int PredictorHorizontal = 2;
    public const int JpegColorModeRgb = 1;

    static TiffNative()
    {
        // libtiff's process-wide default handlers print to stderr. Every open installs its own handlers (below),
        // which also catch what the global ones would see, so the defaults are switched off once, here.
        TIFFSetErrorHandler(0);
        TIFFSetWarningHandler(0);
    }

    /// <summary>Makes sure the static constructor (the silencing of libtiff's global handlers) has run.</summary>
    public static void EnsureInitialized() => RuntimeHelpers.RunClassConstructor(typeof(TiffNative).TypeHandle);

    [DllImport(Lib, ExactSpelling = true)] private static extern nint TIFFSetErrorHandler(nint handler);
    [DllImport(Lib, ExactSpelling = true)] private static extern nint TIFFSetWarningHandler(nint handler);

    [DllImport(Lib, ExactSpelling = true)] public static extern TiffOpenOptionsHandle TIFFOpenOptionsAlloc();
    [DllImport(Lib, ExactSpelling = true)] public static extern void TIFFOpenOptionsFree(nint options);
    [DllImport(Lib, ExactSpelling = true)] public static extern void TIFFOpenOptionsSetMaxSingleMemAlloc(TiffOpenOptionsHandle options, nint max);
    [DllImport(Lib, ExactSpelling = true)]
    public static extern void TIFFOpenOptionsSetErrorHandlerExtR(TiffOpenOptionsHandle options,
        delegate* unmanaged<nint, nint, byte*, byte*, nint, int> handler, nint userData);
    [DllImport(Lib, ExactSpelling = true)]
    public static extern void TIFFOpenOptionsSetWarningHandlerExtR(TiffOpenOptionsHandle options,
        delegate* unmanaged<nint, nint, byte*, byte*, nint, int> handler, nint userData);

    [DllImport(Lib, ExactSpelling = true)]
    public static extern TiffHandle TIFFClientOpenExt(byte* name, byte* mode, nint clientData,
        delegate* unmanaged<nint, byte*, nint, nint> read,
        delegate* unmanaged<nint, byte*, nint, nint> write,
        delegate* unmanaged<nint, ulong, int, ulong> seek,
        delegate* unmanaged<nint, int> close,
        delegate* unmanaged<nint, ulong> size,
        delegate* unmanaged<nint, void**, ulong*, int> map,
        delegate* unmanaged<nint, void*, ulong, void> unmap,
        TiffOpenOptionsHandle options);
    [DllImport(Lib, ExactSpelling = true)] public static extern void TIFFClose(nint tif);

    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFGetField")] public static extern int TIFFGetFieldU32(TiffHandle tif, uint tag, uint* value);
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFGetField")] public static extern int TIFFGetFieldU16(TiffHandle tif, uint tag, ushort* value);
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFGetFieldDefaulted")] public static extern int TIFFGetFieldDefaultedU16(TiffHandle tif, uint tag, ushort* value);
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFGetFieldDefaulted")] public static extern int TIFFGetFieldDefaultedU32(TiffHandle tif, uint tag, uint* value);
    /// <summary>ExtraSamples: a count and a pointer to libtiff's own array.</summary>
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFGetFieldDefaulted")] public static extern int TIFFGetFieldDefaultedArray(TiffHandle tif, uint tag, ushort* count, ushort** values);
    /// <summary>One integer value (uint16 tags take it promoted to int, as C's variadic calls do).</summary>
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFSetField")] public static extern int TIFFSetFieldInt(TiffHandle tif, uint tag, uint value);
    /// <summary>A count and a pointer: ICC profile, XMP packet, ExtraSamples.</summary>
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "TIFFSetField")] public static extern int TIFFSetFieldArray(TiffHandle tif, uint tag, uint count, void* values);

    [DllImport(Lib, ExactSpelling = true)] public static extern int TIFFIsTiled(TiffHandle tif);
    [DllImport(Lib, ExactSpelling = true)] public static extern uint TIFFNumberOfStrips(TiffHandle tif);
    [DllImport(Lib, ExactSpelling = true)] public static extern uint TIFFNumberOfTiles(TiffHandle tif);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint TIFFTileSize(TiffHandle tif);
    [DllImport(Lib, ExactSpelling = true)] public static extern uint TIFFComputeTile(TiffHandle tif, uint x, uint y, uint z, ushort sample);
    [DllImport(Lib, ExactSpelling = true)] public static extern ulong TIFFGetStrileOffset(TiffHandle tif, uint strile);
    [DllImport(Lib, ExactSpelling = true)] public static extern ulong TIFFGetStrileByteCount(TiffHandle tif, uint strile);
    [DllImport(Lib, ExactSpelling = true)] public static extern int TIFFReadScanline(TiffHandle tif, void* buffer, uint row, ushort sample);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint TIFFReadEncodedTile(TiffHandle tif, uint tile, void* buffer, nint size);
    [DllImport(Lib, ExactSpelling = true)] public static extern int TIFFRGBAImageOK(TiffHandle tif, byte* message1024);
    [DllImport(Lib, ExactSpelling = true)] public static extern int TIFFReadRGBAImageOriented(TiffHandle tif, uint width, uint height, uint* raster, int orientation, int stopOnError);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint TIFFScanlineSize(TiffHandle tif);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint TIFFWriteEncodedStrip(TiffHandle tif, uint strip, void* data, nint size);
    [DllImport(Lib, ExactSpelling = true)] public static extern int TIFFWriteDirectory(TiffHandle tif);

    /// <summary>libc's vsnprintf, to format the (fmt, va_list) pair libtiff hands its error handlers.</summary>
    [DllImport("libc.so.6", ExactSpelling = true)] public static extern int vsnprintf(byte* buffer, nuint size, byte* format, nint args);
}

/// <summary>Owns a TIFF* (reader or writer); closing it calls back into its <see cref="TiffMemory"/>.</summary>
internal sealed class TiffHandle : SafeHandle
{
    public TiffHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        TiffNative.TIFFClose(handle);
        return true;
    }
}

/// <summary>Owns a TIFFOpenOptions.</summary>
internal sealed class TiffOpenOptionsHandle : SafeHandle
{
    public TiffOpenOptionsHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        TiffNative.TIFFOpenOptionsFree(handle);
        return true;
    }
}

/// <summary>
/// The bytes libtiff reads from or writes to, reached through TIFFClientOpenExt's callbacks, and the first error
/// libtiff reported on this file. Reading serves a caller-pinned span (never copied); writing grows an array.
/// libtiff finds this object through a GCHandle passed as its client data and as its handlers' user data.
/// </summary>
internal sealed unsafe class TiffMemory : IDisposable
{
    readonly byte* source;
    byte[] buffer;
    long length, position;
    GCHandle self;

    /// <summary>The first error message libtiff gave (later ones usually follow from it), or null.</summary>
    public string? Error { get; private set; }

    TiffMemory(byte* source, long length, int capacity)
    {
        this.source = source;
        this.length = length;
        buffer = source == null ? new byte[capacity] : [];
        self = GCHandle.Alloc(this);
    }

    /// <summary>Reads from <paramref name="data"/>, which the caller keeps pinned until the TIFF is closed.</summary>
    public static TiffMemory ForReading(byte* data, long length) => new(data, length, 0);

    public static TiffMemory ForWriting(int capacity) => new(null, 0, Math.Max(capacity, 4096));

    public nint Id => GCHandle.ToIntPtr(self);

    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, (int)length);

    public void Dispose()
    {
        if (self.IsAllocated) self.Free();
    }

    /// <summary>
    /// Opens the bytes with libtiff: mode "r" (plus "m": no memory mapping) to read, "wl"/"wb" to write a classic
    /// TIFF in the given byte order. <paramref name="maxAlloc"/> bounds every single allocation libtiff makes for
    /// this file, so a lying header cannot make it ask for gigabytes.
    /// </summary>
    public TiffHandle Open(string mode, long maxAlloc)
    {
        TiffNative.EnsureInitialized();
        using var options = TiffNative.TIFFOpenOptionsAlloc();
        if (options.IsInvalid) throw new OutOfMemoryException("libtiff could not allocate open options");
        TiffNative.TIFFOpenOptionsSetMaxSingleMemAlloc(options, (nint)maxAlloc);
        TiffNative.TIFFOpenOptionsSetErrorHandlerExtR(options, &OnError, Id);
        TiffNative.TIFFOpenOptionsSetWarningHandlerExtR(options, &OnWarning, Id);
        byte* name = stackalloc byte[] { (byte)'m', (byte)'e', (byte)'m', 0 };
        byte* modeBytes = stackalloc byte[mode.Length + 1];
        for (int i = 0; i < mode.Length; i++) modeBytes[i] = (byte)mode[i];
        modeBytes[mode.Length] = 0;
        return TiffNative.TIFFClientOpenExt(name, modeBytes, Id, &Read, &Write, &Seek, &Close, &Size, &Map, &Unmap, options);
    }

    static TiffMemory From(nint id) => (TiffMemory)GCHandle.FromIntPtr(id).Target!;

    // The callbacks must not let an exception escape into libtiff: each one reports failure its own way instead.

    [UnmanagedCallersOnly]
    static nint Read(nint id, byte* destination, nint count)
    {
        try
        {
            var memory = From(id);
            long available = Math.Max(0, memory.length - memory.position);
            long n = Math.Min(available, count);
            if (n <= 0) return 0;
            if (memory.source != null)
                Buffer.MemoryCopy(memory.source + memory.position, destination, n, n);
            else
                memory.buffer.AsSpan((int)memory.position, (int)n).CopyTo(new Span<byte>(destination, (int)n));
            memory.position += n;
            return (nint)n;
        }
        catch
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    static nint Write(nint id, byte* data, nint count)
    {
        try
        {
            var memory = From(id);
            if (memory.source != null || count < 0) return -1;
            long end = memory.position + count;
            if (end > Array.MaxLength) return -1; // the encoded file must fit one .NET array
            if (end > memory.buffer.Length)
                Array.Resize(ref memory.buffer, (int)Math.Min(Array.MaxLength, Math.Max(end, 2L * memory.buffer.Length)));
            new ReadOnlySpan<byte>(data, (int)count).CopyTo(memory.buffer.AsSpan((int)memory.position));
            memory.position = end;
            memory.length = Math.Max(memory.length, end);
            return count;
        }
        catch
        {
            return -1;
        }
    }

    /// <summary>SEEK_SET, SEEK_CUR or SEEK_END; a writer may seek past the end (the gap reads as zeros).</summary>
    [UnmanagedCallersOnly]
    static ulong Seek(nint id, ulong offset, int whence)
    {
        try
        {
            var memory = From(id);
            long target = whence switch
            {
                0 => (long)offset,
                1 => memory.position + (long)offset, // toff_t wraps: a negative step arrives as a huge value
                2 => memory.length + (long)offset,
                _ => -1,
            };
            if (target < 0 || target > Array.MaxLength) return ulong.MaxValue; // (toff_t)-1: libtiff's failure
            memory.position = target;
            return (ulong)target;
        }
        catch
        {
            return ulong.MaxValue;
        }
    }

    [UnmanagedCallersOnly]
    static int Close(nint id) => 0;

    [UnmanagedCallersOnly]
    static ulong Size(nint id)
    {
        try
        {
            return (ulong)From(id).length;
        }
        catch
        {
            return 0;
        }
    }

    // Returning 0 tells libtiff the file cannot be mapped, so it reads through Read.
    [UnmanagedCallersOnly]
    static int Map(nint id, void** baseAddress, ulong* size) => 0;

    [UnmanagedCallersOnly]
    static void Unmap(nint id, void* baseAddress, ulong size) { }

    [UnmanagedCallersOnly]
    static int OnError(nint tif, nint id, byte* module, byte* format, nint args)
    {
        try
        {
            var memory = From(id);
            if (memory.Error is null)
            {
                byte* text = stackalloc byte[1024];
                int n = TiffNative.vsnprintf(text, 1024, format, args);
                memory.Error = n > 0 ? Marshal.PtrToStringUTF8((nint)text) : "unknown libtiff error";
            }
        }
        catch
        {
            // Losing the text of a message is better than crashing inside libtiff.
        }
        return 1; // handled: libtiff's global handlers are not called
    }

    // Warnings (unknown tags, odd but readable values) do not stop decoding and are not worth a user's attention.
    [UnmanagedCallersOnly]
    static int OnWarning(nint tif, nint id, byte* module, byte* format, nint args) => 1;
}
