using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for libwebp 1.2's animation API: WebPAnimDecoder (webp/demux.h, libwebpdemux2) and
/// WebPAnimEncoder (webp/mux.h, libwebpmux3). Both composite and optimize frames themselves, so Restora only ever
/// hands over or takes back whole canvases.
/// </summary>
internal static unsafe class WebPAnimNative
{
    private const string Demux = "libwebpdemux.so.2", Mux = "libwebpmux.so.3";

    /// <summary>WEBP_DEMUX_ABI_VERSION / WEBP_MUX_ABI_VERSION of libwebp 1.2.4.</summary>
    public const int DemuxAbi = 0x0107, MuxAbi = 0x0108;

    /// <summary>struct WebPData.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Data
    {
        public byte* Bytes;
        public nuint Size;
    }

    /// <summary>struct WebPAnimDecoderOptions: color_mode, use_threads, padding[7].</summary>
    [StructLayout(LayoutKind.Explicit, Size = 36)]
    public struct DecoderOptions
    {
        [FieldOffset(0)] public int ColorMode;
        [FieldOffset(4)] public int UseThreads;
    }

    /// <summary>struct WebPAnimInfo: canvas size, loop count, background color, frame count, padding[4].</summary>
    [StructLayout(LayoutKind.Explicit, Size = 36)]
    public struct Info
    {
        [FieldOffset(0)] public uint CanvasWidth;
        [FieldOffset(4)] public uint CanvasHeight;
        [FieldOffset(8)] public uint LoopCount;
        [FieldOffset(16)] public uint FrameCount;
    }

    /// <summary>struct WebPAnimEncoderOptions: anim_params {bgcolor, loop_count}, minimize_size, kmin, kmax, allow_mixed, verbose, padding[4].</summary>
    [StructLayout(LayoutKind.Explicit, Size = 44)]
    public struct EncoderOptions
    {
        [FieldOffset(4)] public int LoopCount;
        [FieldOffset(20)] public int AllowMixed;
    }

    [DllImport(Demux, ExactSpelling = true)] public static extern int WebPAnimDecoderOptionsInitInternal(DecoderOptions* options, int abi);
    [DllImport(Demux, ExactSpelling = true)] public static extern nint WebPAnimDecoderNewInternal(Data* data, DecoderOptions* options, int abi);
    [DllImport(Demux, ExactSpelling = true)] public static extern int WebPAnimDecoderGetInfo(WebPAnimDecoderHandle decoder, Info* info);
    [DllImport(Demux, ExactSpelling = true)] public static extern int WebPAnimDecoderHasMoreFrames(WebPAnimDecoderHandle decoder);
    [DllImport(Demux, ExactSpelling = true)] public static extern int WebPAnimDecoderGetNext(WebPAnimDecoderHandle decoder, byte** buffer, int* timestamp);
    [DllImport(Demux, ExactSpelling = true)] public static extern void WebPAnimDecoderDelete(nint decoder);

    [DllImport(Mux, ExactSpelling = true)] public static extern int WebPAnimEncoderOptionsInitInternal(EncoderOptions* options, int abi);
    [DllImport(Mux, ExactSpelling = true)] public static extern nint WebPAnimEncoderNewInternal(int width, int height, EncoderOptions* options, int abi);
    [DllImport(Mux, ExactSpelling = true)] public static extern int WebPAnimEncoderAdd(WebPAnimEncoderHandle encoder, WebPPictureHandle frame, int timestamp, WebPNative.EncoderConfig* config);
    [DllImport(Mux, ExactSpelling = true)] public static extern int WebPAnimEncoderAdd(WebPAnimEncoderHandle encoder, nint noFrame, int timestamp, WebPNative.EncoderConfig* config);
    [DllImport(Mux, ExactSpelling = true)] public static extern int WebPAnimEncoderAssemble(WebPAnimEncoderHandle encoder, Data* output);
    [DllImport(Mux, ExactSpelling = true)] public static extern nint WebPAnimEncoderGetError(WebPAnimEncoderHandle encoder);
    [DllImport(Mux, ExactSpelling = true)] public static extern void WebPAnimEncoderDelete(nint encoder);

    /// <summary>Frees what libwebp allocated (WebPDataClear is an inline wrapper of this).</summary>
    [DllImport("libwebp.so.7", ExactSpelling = true)] public static extern void WebPFree(void* pointer);
}

/// <summary>Owns a WebPAnimDecoder, which holds the canvas it composites into.</summary>
internal sealed class WebPAnimDecoderHandle : SafeHandle
{
    public WebPAnimDecoderHandle(nint decoder) : base(0, ownsHandle: true) => SetHandle(decoder);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        WebPAnimNative.WebPAnimDecoderDelete(handle);
        return true;
    }
}

/// <summary>Owns a WebPAnimEncoder, which holds the frames encoded so far.</summary>
internal sealed class WebPAnimEncoderHandle : SafeHandle
{
    public WebPAnimEncoderHandle(nint encoder) : base(0, ownsHandle: true) => SetHandle(encoder);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        WebPAnimNative.WebPAnimEncoderDelete(handle);
        return true;
    }
}
