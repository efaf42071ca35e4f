using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>P/Invoke declarations for libspng 0.7 (spng.h); only the runtime package libspng0 is needed.</summary>
internal static unsafe class SpngNative
{
    private const string Lib = "libspng.so.0";

    public const int CtxEncoder = 2;            // SPNG_CTX_ENCODER

    // enum spng_errno (the values we act on)
    public const int IoEof = -1;                // SPNG_IO_EOF: the buffer ended mid-chunk
    public const int EIdatTooShort = 62;        // SPNG_EIDAT_TOO_SHORT
    public const int EEof = 68;                 // SPNG_EOF
    public const int EChunkAvail = 73;          // SPNG_ECHUNKAVAIL: the chunk is not in the file

    // enum spng_color_type
    public const byte ColorGray = 0, ColorRgb = 2, ColorIndexed = 3, ColorGrayAlpha = 4, ColorRgba = 6;

    // enum spng_format
    public const int FmtRgba8 = 1, FmtRgba16 = 2, FmtRgb8 = 4, FmtGa8 = 16, FmtGa16 = 32, FmtG8 = 64;
    public const int FmtPng = 256;              // the PNG's own layout, 16-bit samples host-endian

    public const int DecodeTrns = 1;            // SPNG_DECODE_TRNS
    public const int EncodeFinalize = 2;        // SPNG_ENCODE_FINALIZE
    public const int OptionEncodeToBuffer = 12; // SPNG_ENCODE_TO_BUFFER

    [StructLayout(LayoutKind.Sequential)]
    public struct Ihdr
    {
        public uint Width;
        public uint Height;
        public byte BitDepth;
        public byte ColorType;
        public byte CompressionMethod;
        public byte FilterMethod;
        public byte InterlaceMethod;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PlteEntry
    {
        public byte Red, Green, Blue, Alpha;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Plte
    {
        public uint Count;
        public fixed byte Entries[256 * 4]; // PlteEntry[256]
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Trns
    {
        public ushort Gray, Red, Green, Blue;
        public uint Type3Count;
        public fixed byte Type3Alpha[256];
    }

    public const int TextItxt = 3;              // SPNG_ITXT

    [StructLayout(LayoutKind.Sequential)]
    public struct Iccp
    {
        public fixed byte ProfileName[80];
        public nuint ProfileLength;
        public byte* Profile;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ExifChunk
    {
        public nuint Length;
        public byte* Data;
    }

    /// <summary>struct spng_text (128 bytes on 64-bit); text and the iTXt strings are NUL-terminated.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Text
    {
        public fixed byte Keyword[80];
        public int Type;
        public nuint Length;
        public byte* Text_;
        public byte CompressionFlag;
        public byte CompressionMethod;
        public byte* LanguageTag;
        public byte* TranslatedKeyword;
    }

    [DllImport(Lib, ExactSpelling = true)] public static extern SpngContextHandle spng_ctx_new(int flags);
    [DllImport(Lib, ExactSpelling = true)] public static extern void spng_ctx_free(nint ctx);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_png_buffer(SpngContextHandle ctx, byte* buf, nuint size);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_option(SpngContextHandle ctx, int option, int value);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_chunk_limits(SpngContextHandle ctx, nuint chunkSize, nuint cacheSize);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_get_ihdr(SpngContextHandle ctx, Ihdr* ihdr);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_ihdr(SpngContextHandle ctx, Ihdr* ihdr);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_get_trns(SpngContextHandle ctx, Trns* trns);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_trns(SpngContextHandle ctx, Trns* trns);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_plte(SpngContextHandle ctx, Plte* plte);
    /// <summary>Reads the chunks after IDAT too, once the image is decoded (the getters only see those before it otherwise).</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_decode_chunks(SpngContextHandle ctx);
    /// <summary>The getters return pointers into the context, valid until it is freed.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_get_iccp(SpngContextHandle ctx, Iccp* iccp);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_get_exif(SpngContextHandle ctx, ExifChunk* exif);
    /// <summary>With text null, only counts the text chunks into n.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_get_text(SpngContextHandle ctx, Text* text, uint* n);
    /// <summary>The setters keep the caller's pointers, which must stay valid until the image is encoded.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_iccp(SpngContextHandle ctx, Iccp* iccp);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_exif(SpngContextHandle ctx, ExifChunk* exif);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_set_text(SpngContextHandle ctx, Text* text, uint n);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_decoded_image_size(SpngContextHandle ctx, int fmt, nuint* len);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_decode_image(SpngContextHandle ctx, void* output, nuint len, int fmt, int flags);
    [DllImport(Lib, ExactSpelling = true)] public static extern int spng_encode_image(SpngContextHandle ctx, void* img, nuint len, int fmt, int flags);
    /// <summary>Hands the encoded buffer to the caller, who must free() it.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern nint spng_get_png_buffer(SpngContextHandle ctx, nuint* len, int* error);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint spng_strerror(int err);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(spng_strerror(err)) ?? $"error {err}";
}

/// <summary>Owns a spng_ctx (decoder or encoder).</summary>
internal sealed class SpngContextHandle : SafeHandle
{
    public SpngContextHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// The most memory a decoder gives a PNG's ancillary chunks (iCCP, eXIf, text), stored and inflated, in all.
    /// libspng's default is unlimited, so a 60 KB iCCP or zTXt chunk of deflated zeros would inflate to 60 MB and
    /// more; real profiles and packets are kilobytes to a few megabytes.
    /// </summary>
    public const int MaxAncillaryBytes = 32 << 20;

    public static SpngContextHandle Create(bool encoder)
    {
        var ctx = SpngNative.spng_ctx_new(encoder ? SpngNative.CtxEncoder : 0);
        if (ctx.IsInvalid) throw new OutOfMemoryException("libspng could not create a context");
        if (!encoder) SpngNative.spng_set_chunk_limits(ctx, MaxAncillaryBytes, MaxAncillaryBytes);
        return ctx;
    }

    protected override bool ReleaseHandle()
    {
        SpngNative.spng_ctx_free(handle);
        return true;
    }
}

/// <summary>Owns a buffer that libspng allocated with its default allocator (malloc) and handed over.</summary>
internal sealed class SpngBufferHandle : SafeHandle
{
    public SpngBufferHandle(nint buffer) : base(0, ownsHandle: true) => SetHandle(buffer);

    public override bool IsInvalid => handle == 0;

    // NativeMemory.Free is the C runtime's free() on Unix, the allocator libspng used.
    protected override unsafe bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        return true;
    }
}
