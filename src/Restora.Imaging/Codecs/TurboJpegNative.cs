using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>P/Invoke declarations for the TurboJPEG 2.x API of libjpeg-turbo (turbojpeg.h); runtime package libturbojpeg0.</summary>
internal static unsafe class TurboJpegNative
{
    private const string Lib = "libturbojpeg.so.0";

    // enum TJPF
    public const int PixelRgb = 0, PixelGray = 6, PixelCmyk = 11;
    // enum TJSAMP
    public const int Samp444 = 0, Samp420 = 2, SampGray = 3;
    // enum TJCS
    public const int ColorspaceRgb = 0, ColorspaceYCbCr = 1, ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    // enum TJERR
    public const int ErrorWarning = 0, ErrorFatal = 1;

    [DllImport(Lib, ExactSpelling = true)] public static extern TurboJpegHandle tjInitCompress();
    [DllImport(Lib, ExactSpelling = true)] public static extern TurboJpegHandle tjInitDecompress();
    [DllImport(Lib, ExactSpelling = true)] public static extern int tjDestroy(nint handle);

    [DllImport(Lib, ExactSpelling = true)]
    public static extern int tjDecompressHeader3(TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        int* width, int* height, int* jpegSubsamp, int* jpegColorspace);

    [DllImport(Lib, ExactSpelling = true)]
    public static extern int tjDecompress2(TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    /// <summary>With *jpegBuf null, TurboJPEG allocates the output; the caller must tjFree it, even after a failure.</summary>
    [DllImport(Lib, ExactSpelling = true)]
    public static extern int tjCompress2(TurboJpegHandle handle, byte* srcBuf, int width, int pitch, int height,
        int pixelFormat, nint* jpegBuf, CULong* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [DllImport(Lib, ExactSpelling = true)] public static extern void tjFree(nint buffer);
    [DllImport(Lib, ExactSpelling = true)] public static extern nint tjGetErrorStr2(TurboJpegHandle handle);
    [DllImport(Lib, ExactSpelling = true, EntryPoint = "tjGetErrorStr2")] public static extern nint tjGetGlobalErrorStr2(nint nullHandle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int tjGetErrorCode(TurboJpegHandle handle);

    public static string ErrorText(TurboJpegHandle handle) =>
        Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}

/// <summary>Owns a tjhandle (compressor or decompressor).</summary>
internal sealed class TurboJpegHandle : SafeHandle
{
    public TurboJpegHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public static TurboJpegHandle CreateCompressor() => Validate(TurboJpegNative.tjInitCompress());

    public static TurboJpegHandle CreateDecompressor() => Validate(TurboJpegNative.tjInitDecompress());

    private static TurboJpegHandle Validate(TurboJpegHandle handle)
    {
        if (!handle.IsInvalid) return handle;
        // Creation failures are reported through the global (handle-less) error string.
        string text = Marshal.PtrToStringUTF8(TurboJpegNative.tjGetGlobalErrorStr2(0)) ?? "unknown error";
        throw new InvalidOperationException($"TurboJPEG could not create a handle: {text}");
    }

    protected override bool ReleaseHandle() => TurboJpegNative.tjDestroy(handle) == 0;
}

/// <summary>Owns a buffer TurboJPEG allocated (tjCompress2 output), freed with tjFree.</summary>
internal sealed class TurboJpegBufferHandle : SafeHandle
{
    public TurboJpegBufferHandle(nint buffer) : base(0, ownsHandle: true) => SetHandle(buffer);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        TurboJpegNative.tjFree(handle);
        return true;
    }
}
