using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for giflib 5.2 (gif_lib.h); runtime package libgif7. Decoding uses the record-by-record
/// API rather than DGifSlurp, which would allocate every frame's raster before Restora could check its size.
/// </summary>
internal static unsafe class GifNative
{
    private const string Lib = "libgif.so.7";

    public const int Ok = 1; // GIF_OK
    // GifRecordType
    public const int ImageDescRecord = 2, ExtensionRecord = 3, TerminateRecord = 4;
    public const int GraphicsExtension = 0xF9, ApplicationExtension = 0xFF;
    // GraphicsControlBlock.DisposalMode
    public const int DisposeDoNot = 1, DisposeBackground = 2, DisposePrevious = 3;
    public const int NoTransparentColor = -1;

    /// <summary>struct GifFileType (120 bytes on 64-bit), with its GifImageDesc Image inlined at 40; only the fields used are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    public struct GifFile
    {
        [FieldOffset(0)] public int SWidth;
        [FieldOffset(4)] public int SHeight;
        [FieldOffset(24)] public ColorMap* SColorMap;
        [FieldOffset(40)] public int Left;
        [FieldOffset(44)] public int Top;
        [FieldOffset(48)] public int Width;
        [FieldOffset(52)] public int Height;
        [FieldOffset(56)] public byte Interlace;
        [FieldOffset(64)] public ColorMap* ImageColorMap;
        [FieldOffset(96)] public int Error;
        [FieldOffset(104)] public nint UserData;
    }

    /// <summary>struct ColorMapObject.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ColorMap
    {
        public int ColorCount;
        public int BitsPerPixel;
        public byte SortFlag;
        public Rgb* Colors;
    }

    /// <summary>struct GifColorType.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Rgb
    {
        public byte R, G, B;
    }

    /// <summary>struct GraphicsControlBlock.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ControlBlock
    {
        public int DisposalMode;
        public byte UserInputFlag;
        public int DelayTime;          // hundredths of a second
        public int TransparentColor;   // NO_TRANSPARENT_COLOR or a palette index
    }

    [DllImport(Lib, ExactSpelling = true)] public static extern GifFile* DGifOpen(nint userData, delegate* unmanaged<GifFile*, byte*, int, int> read, int* error);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifCloseFile(GifFile* gif, int* error);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifGetRecordType(GifFile* gif, int* type);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifGetImageDesc(GifFile* gif);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifGetLine(GifFile* gif, byte* line, int length);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifGetExtension(GifFile* gif, int* code, byte** extension);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifGetExtensionNext(GifFile* gif, byte** extension);
    [DllImport(Lib, ExactSpelling = true)] public static extern int DGifExtensionToGCB(nuint length, byte* extension, ControlBlock* block);

    [DllImport(Lib, ExactSpelling = true)] public static extern GifFile* EGifOpen(nint userData, delegate* unmanaged<GifFile*, byte*, int, int> write, int* error);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifCloseFile(GifFile* gif, int* error);
    [DllImport(Lib, ExactSpelling = true)] public static extern void EGifSetGifVersion(GifFile* gif, byte gif89);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutScreenDesc(GifFile* gif, int width, int height, int colorResolution, int background, ColorMap* map);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutExtensionLeader(GifFile* gif, int code);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutExtensionBlock(GifFile* gif, int length, void* data);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutExtensionTrailer(GifFile* gif);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutExtension(GifFile* gif, int code, int length, void* data);
    [DllImport(Lib, ExactSpelling = true)] public static extern nuint EGifGCBToExtension(ControlBlock* block, byte* extension);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutImageDesc(GifFile* gif, int left, int top, int width, int height, byte interlace, ColorMap* map);
    [DllImport(Lib, ExactSpelling = true)] public static extern int EGifPutLine(GifFile* gif, byte* line, int length);

    [DllImport(Lib, ExactSpelling = true)] public static extern ColorMap* GifMakeMapObject(int count, Rgb* colors);
    [DllImport(Lib, ExactSpelling = true)] public static extern void GifFreeMapObject(ColorMap* map);
    /// <summary>giflib's median-cut quantizer (5 bits per primary), for frames of more than 256 colors.</summary>
    [DllImport(Lib, ExactSpelling = true)]
    public static extern int GifQuantizeBuffer(uint width, uint height, int* mapSize, byte* red, byte* green, byte* blue, byte* output, Rgb* map);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint GifErrorString(int error);

    public static string ErrorText(int error) =>
        Marshal.PtrToStringUTF8(GifErrorString(error)) is { Length: > 0 } text ? $"{text.TrimEnd('.')} (giflib error {error})" : $"giflib error {error}";
}

/// <summary>Owns a giflib decoder (DGifOpen); closing frees it and everything it allocated.</summary>
internal sealed unsafe class GifDecoderHandle : SafeHandle
{
    public GifDecoderHandle(GifNative.GifFile* gif) : base(0, ownsHandle: true) => SetHandle((nint)gif);

    public override bool IsInvalid => handle == 0;

    public GifNative.GifFile* Gif => (GifNative.GifFile*)handle;

    protected override bool ReleaseHandle()
    {
        int error;
        GifNative.DGifCloseFile((GifNative.GifFile*)handle, &error);
        return true;
    }
}

/// <summary>Owns a giflib encoder (EGifOpen); closing writes the trailer through the output callback and frees it.</summary>
internal sealed unsafe class GifEncoderHandle : SafeHandle
{
    public GifEncoderHandle(GifNative.GifFile* gif) : base(0, ownsHandle: true) => SetHandle((nint)gif);

    public override bool IsInvalid => handle == 0;

    public GifNative.GifFile* Gif => (GifNative.GifFile*)handle;

    protected override bool ReleaseHandle()
    {
        int error;
        GifNative.EGifCloseFile((GifNative.GifFile*)handle, &error);
        return true;
    }
}

/// <summary>Owns a ColorMapObject made by GifMakeMapObject.</summary>
internal sealed unsafe class GifColorMapHandle : SafeHandle
{
    public GifColorMapHandle(GifNative.ColorMap* map) : base(0, ownsHandle: true) => SetHandle((nint)map);

    public override bool IsInvalid => handle == 0;

    public GifNative.ColorMap* Map => (GifNative.ColorMap*)handle;

    protected override bool ReleaseHandle()
    {
        GifNative.GifFreeMapObject((GifNative.ColorMap*)handle);
        return true;
    }
}
