using System.Runtime.InteropServices;

namespace Restora.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for libheif 1.15 (libheif/heif.h); runtime package libheif1. Debian 12's libheif1 has
/// its codecs built in: libde265 decodes HEIC, dav1d (and libaom) decode AVIF, libaom encodes AVIF and x265
/// encodes HEIC. Debian 13 moves each into a plugin package (libheif-plugin-dav1d, -libde265, -aomenc, -x265).
/// </summary>
internal static unsafe class HeifNative
{
    private const string Lib = "libheif.so.1";

    /// <summary>struct heif_error, returned by value; the message belongs to libheif and is read at once.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Error
    {
        public int Code;
        public int Subcode;
        public byte* Message;

        public readonly string Text => Message == null ? $"error {Code}.{Subcode}" : Marshal.PtrToStringUTF8((nint)Message) ?? "";
    }

    // enum heif_error_code / heif_suberror_code (the ones acted on)
    public const int ErrorOk = 0, ErrorInvalidInput = 2, ErrorUnsupportedFiletype = 3, ErrorUnsupportedFeature = 4;
    public const int ErrorMemoryAllocation = 6, ErrorDecoderPlugin = 7, ErrorEncoderPlugin = 8;
    public const int SuberrorEndOfData = 100, SuberrorSecurityLimitExceeded = 1000, SuberrorUnsupportedCodec = 3000;

    public const int CompressionHevc = 1, CompressionAv1 = 4;     // enum heif_compression_format
    public const int ColorspaceRgb = 1;                            // enum heif_colorspace
    public const int ChromaRgb = 10, ChromaRgba = 11, ChromaRrggbbLe = 14, ChromaRrggbbaaLe = 15; // enum heif_chroma
    public const int ChannelInterleaved = 10;                      // enum heif_channel
    public const int ProfileTypeProf = 0x70726F66, ProfileTypeRicc = 0x72494343; // 'prof', 'rICC'

    /// <summary>struct heif_writer: version 1 and its write callback.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Writer
    {
        public int WriterApiVersion;
        public delegate* unmanaged<nint, byte*, nuint, nint, Error> Write;
    }

    [DllImport(Lib, ExactSpelling = true)] public static extern HeifContextHandle heif_context_alloc();
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_context_free(nint ctx);
    /// <summary>Keeps pointing into <paramref name="data"/>, which must stay pinned for the context's lifetime.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_read_from_memory_without_copy(HeifContextHandle ctx, byte* data, nuint size, nint options);
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_context_set_maximum_image_size_limit(HeifContextHandle ctx, int maximumWidth);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_get_primary_image_handle(HeifContextHandle ctx, out HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_image_handle_release(nint handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_width(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_height(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_has_alpha_channel(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_is_premultiplied_alpha(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_luma_bits_per_pixel(HeifImageHandleHandle handle);

    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_number_of_metadata_blocks(HeifImageHandleHandle handle, byte* typeFilter);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_list_of_metadata_block_IDs(HeifImageHandleHandle handle, byte* typeFilter, uint* ids, int count);
    [DllImport(Lib, ExactSpelling = true)] public static extern byte* heif_image_handle_get_metadata_type(HeifImageHandleHandle handle, uint id);
    [DllImport(Lib, ExactSpelling = true)] public static extern byte* heif_image_handle_get_metadata_content_type(HeifImageHandleHandle handle, uint id);
    [DllImport(Lib, ExactSpelling = true)] public static extern nuint heif_image_handle_get_metadata_size(HeifImageHandleHandle handle, uint id);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_image_handle_get_metadata(HeifImageHandleHandle handle, uint id, byte* output);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_handle_get_color_profile_type(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern nuint heif_image_handle_get_raw_color_profile_size(HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_image_handle_get_raw_color_profile(HeifImageHandleHandle handle, byte* output);

    /// <summary>libheif's defaults apply the file's rotation, mirroring and cropping; options may be null.</summary>
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_decode_image(HeifImageHandleHandle handle, out HeifImageHandle image, int colorspace, int chroma, HeifDecodingOptionsHandle options);
    [DllImport(Lib, ExactSpelling = true)] public static extern HeifDecodingOptionsHandle heif_decoding_options_alloc();
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_decoding_options_free(nint options);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_get_decoder_descriptors(int format, nint* decoders, int count);
    [DllImport(Lib, ExactSpelling = true)] public static extern byte* heif_decoder_descriptor_get_id_name(nint decoder);

    /// <summary>
    /// struct heif_decoding_options as libheif 1.15 allocates it (version 4): version at 0, decoder_id (the
    /// id_name of the decoder plugin to use, null for the highest priority one) at 48.
    /// </summary>
    public const int DecodingOptionsDecoderIdOffset = 48, DecodingOptionsDecoderIdVersion = 4;
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_image_release(nint image);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_get_width(HeifImageHandle image, int channel);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_get_height(HeifImageHandle image, int channel);
    [DllImport(Lib, ExactSpelling = true)] public static extern int heif_image_get_bits_per_pixel_range(HeifImageHandle image, int channel);
    [DllImport(Lib, ExactSpelling = true)] public static extern byte* heif_image_get_plane_readonly(HeifImageHandle image, int channel, int* stride);
    [DllImport(Lib, ExactSpelling = true)] public static extern byte* heif_image_get_plane(HeifImageHandle image, int channel, int* stride);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_image_create(int width, int height, int colorspace, int chroma, out HeifImageHandle image);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_image_add_plane(HeifImageHandle image, int channel, int width, int height, int bitDepth);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_image_set_raw_color_profile(HeifImageHandle image, byte* typeFourcc, byte* data, nuint size);

    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_get_encoder_for_format(HeifContextHandle ctx, int format, out HeifEncoderHandle encoder);
    [DllImport(Lib, ExactSpelling = true)] public static extern void heif_encoder_release(nint encoder);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_encoder_set_lossy_quality(HeifEncoderHandle encoder, int quality);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_encoder_set_logging_level(HeifEncoderHandle encoder, int level);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_encoder_set_parameter_string(HeifEncoderHandle encoder, byte* name, byte* value);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_encode_image(HeifContextHandle ctx, HeifImageHandle image, HeifEncoderHandle encoder, nint options, out HeifImageHandleHandle handle);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_add_exif_metadata(HeifContextHandle ctx, HeifImageHandleHandle handle, byte* data, int size);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_add_XMP_metadata(HeifContextHandle ctx, HeifImageHandleHandle handle, byte* data, int size);
    [DllImport(Lib, ExactSpelling = true)] public static extern Error heif_context_write(HeifContextHandle ctx, Writer* writer, nint userData);
}

/// <summary>Owns a heif_context (a file read, or one being written).</summary>
internal sealed class HeifContextHandle : SafeHandle
{
    public HeifContextHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    public static HeifContextHandle Create()
    {
        var ctx = HeifNative.heif_context_alloc();
        return ctx.IsInvalid ? throw new OutOfMemoryException("libheif could not allocate a context") : ctx;
    }

    protected override bool ReleaseHandle()
    {
        HeifNative.heif_context_free(handle);
        return true;
    }
}

/// <summary>Owns a heif_image_handle (an image item of a context, not its pixels).</summary>
internal sealed class HeifImageHandleHandle : SafeHandle
{
    public HeifImageHandleHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        HeifNative.heif_image_handle_release(handle);
        return true;
    }
}

/// <summary>Owns a heif_image (decoded or to-be-encoded pixels).</summary>
internal sealed class HeifImageHandle : SafeHandle
{
    public HeifImageHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        HeifNative.heif_image_release(handle);
        return true;
    }
}

/// <summary>Owns a heif_decoding_options.</summary>
internal sealed class HeifDecodingOptionsHandle : SafeHandle
{
    public HeifDecodingOptionsHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        HeifNative.heif_decoding_options_free(handle);
        return true;
    }
}

/// <summary>Owns a heif_encoder.</summary>
internal sealed class HeifEncoderHandle : SafeHandle
{
    public HeifEncoderHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        HeifNative.heif_encoder_release(handle);
        return true;
    }
}
