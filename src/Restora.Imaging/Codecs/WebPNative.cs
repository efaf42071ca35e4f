using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for libwebp 1.2 (webp/decode.h, webp/encode.h); runtime package libwebp7.
/// The advanced API is used both ways: decoding reports a status code (so truncation can be told from
/// corruption) and encoding can set WebPConfig.exact, which the simple lossless API leaves off (it would
/// zero the RGB of fully transparent pixels).
/// </summary>
internal static unsafe class WebPNative
{
    private const string Lib = "libwebp.so.7";

    /// <summary>WEBP_DECODER_ABI_VERSION / WEBP_ENCODER_ABI_VERSION of libwebp 1.2.4, checked by the *Internal entry points.</summary>
    public const int DecoderAbi = 0x0209, EncoderAbi = 0x020f;

    public const int ModeRgb = 0, ModeRgba = 1; // WEBP_CSP_MODE
    public const int PresetDefault = 0;        // WebPPreset

    // enum VP8StatusCode
    public const int StatusOk = 0, StatusNotEnoughData = 7;

    /// <summary>
    /// struct WebPDecoderConfig (240 bytes on 64-bit): WebPBitstreamFeatures input at 0, WebPDecBuffer output at 40
    /// (its RGBA union member at 56), WebPDecoderOptions at 160 left at the defaults. Only the fields used are named.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 240)]
    public struct DecoderConfig
    {
        [FieldOffset(0)] public int Width;
        [FieldOffset(4)] public int Height;
        [FieldOffset(8)] public int HasAlpha;
        [FieldOffset(12)] public int HasAnimation;
        [FieldOffset(40)] public int OutputColorspace;
        [FieldOffset(52)] public int OutputIsExternalMemory;
        [FieldOffset(56)] public byte* OutputRgba;
        [FieldOffset(64)] public int OutputStride;
        [FieldOffset(72)] public nuint OutputSize;
    }

    /// <summary>struct WebPConfig (29 four-byte fields, 116 bytes); only the fields used are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 116)]
    public struct EncoderConfig
    {
        [FieldOffset(0)] public int Lossless;
        [FieldOffset(4)] public float Quality;
        [FieldOffset(8)] public int Method;
        [FieldOffset(96)] public int Exact;
    }

    /// <summary>struct WebPPicture (256 bytes on 64-bit); only the fields used are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Picture
    {
        [FieldOffset(0)] public int UseArgb;
        [FieldOffset(8)] public int Width;
        [FieldOffset(12)] public int Height;
        [FieldOffset(96)] public nint Writer;
        [FieldOffset(104)] public nint CustomPtr;
        [FieldOffset(136)] public int ErrorCode;
    }

    /// <summary>struct WebPMemoryWriter: the encoded bytes WebPMemoryWrite collects.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryWriter
    {
        public byte* Mem;
        public nuint Size;
        public nuint MaxSize;
        public uint Pad;
    }

    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPInitDecoderConfigInternal(DecoderConfig* config, int abi);
    /// <summary>Fills the first 40 bytes of a DecoderConfig (its WebPBitstreamFeatures) from the headers.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPGetFeaturesInternal(byte* data, nuint size, DecoderConfig* features, int abi);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPDecode(byte* data, nuint size, DecoderConfig* config);
    /// <summary>Takes the config's WebPDecBuffer (offset 40); frees nothing when the memory is external.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern void WebPFreeDecBuffer(byte* outputBuffer);

    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPConfigInitInternal(EncoderConfig* config, int preset, float quality, int abi);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPConfigLosslessPreset(EncoderConfig* config, int level);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPValidateConfig(EncoderConfig* config);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPPictureInitInternal(nint picture, int abi);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPPictureImportRGB(WebPPictureHandle picture, byte* rgb, int stride);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPPictureImportRGBA(WebPPictureHandle picture, byte* rgba, int stride);
    [DllImport(Lib, ExactSpelling = true)] public static extern void WebPPictureFree(nint picture);
    [DllImport(Lib, ExactSpelling = true)] public static extern int WebPEncode(EncoderConfig* config, WebPPictureHandle picture);
    [DllImport(Lib, ExactSpelling = true)] public static extern void WebPMemoryWriterInit(nint writer);
    [DllImport(Lib, ExactSpelling = true)] public static extern void WebPMemoryWriterClear(nint writer);

    /// <summary>libwebp's own WebPMemoryWrite, installed as WebPPicture.writer so the output lands in a MemoryWriter.</summary>
    public static readonly nint MemoryWrite =
        NativeLibrary.GetExport(NativeLibrary.Load(Lib, typeof(WebPNative).Assembly, null), "WebPMemoryWrite");

    public static string DecodeStatusText(int status) => status switch
    {
        1 => "out of memory (VP8_STATUS_OUT_OF_MEMORY)",
        2 => "invalid parameter (VP8_STATUS_INVALID_PARAM)",
        3 => "bitstream error (VP8_STATUS_BITSTREAM_ERROR)",
        4 => "unsupported feature (VP8_STATUS_UNSUPPORTED_FEATURE)",
        5 => "suspended (VP8_STATUS_SUSPENDED)",
        6 => "user abort (VP8_STATUS_USER_ABORT)",
        7 => "not enough data (VP8_STATUS_NOT_ENOUGH_DATA)",
        _ => $"status {status}",
    };

    public static string EncodeErrorText(int error) => error switch
    {
        1 => "out of memory (VP8_ENC_ERROR_OUT_OF_MEMORY)",
        2 => "out of memory flushing bits (VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY)",
        3 => "null parameter (VP8_ENC_ERROR_NULL_PARAMETER)",
        4 => "invalid configuration (VP8_ENC_ERROR_INVALID_CONFIGURATION)",
        5 => "bad dimension, at most 16383x16383 (VP8_ENC_ERROR_BAD_DIMENSION)",
        6 => "partition 0 over 512k (VP8_ENC_ERROR_PARTITION0_OVERFLOW)",
        7 => "partition over 16M (VP8_ENC_ERROR_PARTITION_OVERFLOW)",
        8 => "write error (VP8_ENC_ERROR_BAD_WRITE)",
        9 => "file over 4G (VP8_ENC_ERROR_FILE_TOO_BIG)",
        10 => "user abort (VP8_ENC_ERROR_USER_ABORT)",
        _ => $"error {error}",
    };
}

/// <summary>Owns a WebPPicture struct we allocate plus the pixel planes libwebp allocates inside it.</summary>
internal sealed unsafe class WebPPictureHandle : SafeHandle
{
    private WebPPictureHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public WebPNative.Picture* Picture => (WebPNative.Picture*)handle;

    public static WebPPictureHandle Create()
    {
        var picture = new WebPPictureHandle();
        picture.SetHandle((nint)NativeMemory.AllocZeroed((nuint)sizeof(WebPNative.Picture)));
        if (WebPNative.WebPPictureInitInternal(picture.handle, WebPNative.EncoderAbi) == 0)
        {
            picture.Dispose();
            throw new InvalidOperationException("libwebp rejected WebPPicture ABI version 0x020f");
        }
        return picture;
    }

    protected override bool ReleaseHandle()
    {
        WebPNative.WebPPictureFree(handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}

/// <summary>Owns a WebPMemoryWriter struct we allocate plus the output buffer libwebp grows inside it.</summary>
internal sealed unsafe class WebPMemoryWriterHandle : SafeHandle
{
    private WebPMemoryWriterHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public WebPNative.MemoryWriter* Writer => (WebPNative.MemoryWriter*)handle;

    public static WebPMemoryWriterHandle Create()
    {
        var writer = new WebPMemoryWriterHandle();
        writer.SetHandle((nint)NativeMemory.AllocZeroed((nuint)sizeof(WebPNative.MemoryWriter)));
        WebPNative.WebPMemoryWriterInit(writer.handle);
        return writer;
    }

    protected override bool ReleaseHandle()
    {
        WebPNative.WebPMemoryWriterClear(handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
