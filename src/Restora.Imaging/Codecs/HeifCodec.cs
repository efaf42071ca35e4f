using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.HeifNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// HEIC and AVIF through libheif, primary image only. Decodes to Rgb/Rgba (gray files too, as with WebP): 8-bit
/// files to 8-bit, 10- and 12-bit files to 16-bit. libheif applies the file's rotation, mirroring and
/// cropping boxes, which are what orients a HEIF image; an EXIF orientation tag in the file is then set to 1,
/// so the pixels are not turned a second time. EXIF, XMP and the ICC profile are read and written.
/// Writes 8-bit AVIF and HEIC, each with the encoder Debian's libheif has (libaom, x265).
/// </summary>
internal static unsafe class HeifCodec
{
    public static Image Decode(ReadOnlySpan<byte> bytes, ImageFormat format, DecodeOptions options)
    {
        string name = Name(format);
        if (BoxProblem(bytes, name) is { } problem) throw new ImageFormatException(problem);
        fixed (byte* data = bytes)
        {
            using var ctx = HeifContextHandle.Create();
            // libheif's own limit is per side; the area is checked below from the sizes libheif reports.
            heif_context_set_maximum_image_size_limit(ctx, options.MaxPixels >= int.MaxValue ? int.MaxValue : (int)options.MaxPixels + 1);
            Check(heif_context_read_from_memory_without_copy(ctx, data, (nuint)bytes.Length, 0), name);
            Check(heif_context_get_primary_image_handle(ctx, out var handle), name);
            using (handle)
            {
                int width = heif_image_handle_get_width(handle), height = heif_image_handle_get_height(handle);
                PixelLimit.Check(name, width, height, options);
                bool alpha = heif_image_handle_has_alpha_channel(handle) != 0;
                bool deep = heif_image_handle_get_luma_bits_per_pixel(handle) > 8;
                int chroma = (deep, alpha) switch
                {
                    (false, false) => ChromaRgb,
                    (false, true) => ChromaRgba,
                    (true, false) => ChromaRrggbbLe,
                    _ => ChromaRrggbbaaLe,
                };
                using var decodingOptions = DecodingOptions(av1: bytes.IndexOf("av1C"u8) >= 0);
                Check(heif_decode_image(handle, out var decoded, ColorspaceRgb, chroma, decodingOptions), name);
                using (decoded)
                {
                    var image = ToImage(decoded, alpha, deep, name, options);
                    if (alpha && heif_image_handle_is_premultiplied_alpha(handle) != 0) Unpremultiply(image);
                    image.Metadata = ReadMetadata(handle, bytes.Length);
                    return image;
                }
            }
        }
    }

    static readonly nint AomId = Marshal.StringToCoTaskMemUTF8("aom");

    /// <summary>
    /// AVIF is decoded with libaom where libheif has it: dav1d, libheif's first choice, prints its complaints
    /// about a damaged file to stderr ("Error parsing OBU data"), and libheif 1.15 cannot give it a logger, while
    /// the message a caller gets is meant to be the one line the exception carries. (libheif 1.15 still decodes an
    /// alpha plane with dav1d, so a damaged alpha plane can still print there.) libaom is about as fast here.
    /// </summary>
    /// <param name="av1">Whether the file holds AV1 (an av1C configuration box), whatever its brands claim.</param>
    static HeifDecodingOptionsHandle DecodingOptions(bool av1)
    {
        var options = heif_decoding_options_alloc();
        if (options.IsInvalid) throw new OutOfMemoryException("libheif could not allocate decoding options");
        byte* raw = (byte*)options.DangerousGetHandle();
        if (av1 && raw[0] >= DecodingOptionsDecoderIdVersion && HasDecoder(CompressionAv1, "aom"))
            *(nint*)(raw + DecodingOptionsDecoderIdOffset) = AomId;
        return options;
    }

    static bool HasDecoder(int compression, string id)
    {
        nint* decoders = stackalloc nint[16];
        int count = heif_get_decoder_descriptors(compression, decoders, 16);
        for (int i = 0; i < count; i++)
            if (Marshal.PtrToStringUTF8((nint)heif_decoder_descriptor_get_id_name(decoders[i])) == id) return true;
        return false;
    }

    static Image ToImage(HeifImageHandle decoded, bool alpha, bool deep, string name, DecodeOptions options)
    {
        // The decoded size is the codec's, not the header's: checked again before anything is copied.
        int width = heif_image_get_width(decoded, ChannelInterleaved), height = heif_image_get_height(decoded, ChannelInterleaved);
        PixelLimit.Check(name, width, height, options);
        int stride;
        byte* plane = heif_image_get_plane_readonly(decoded, ChannelInterleaved, &stride);
        int samples = alpha ? 4 : 3, bytesPerSample = deep ? 2 : 1;
        if (plane == null || stride < (long)width * samples * bytesPerSample)
            throw new ImageFormatException($"{name} decoding failed: libheif returned no usable pixel plane");
        var image = new Image(width, height, alpha ? PixelLayout.Rgba : PixelLayout.Rgb, deep ? 16 : 8);
        // 10- and 12-bit samples arrive as 0..1023 or 0..4095 in 16-bit words.
        int range = deep ? heif_image_get_bits_per_pixel_range(decoded, ChannelInterleaved) : 8;
        if (range is < 8 or > 16) throw new ImageFormatException($"{name} with {range}-bit samples is not supported");
        float scale = 1f / ((1 << range) - 1);
        int n = image.PixelCount;
        fixed (float* planes = image.Data)
        {
            for (int y = 0; y < height; y++)
            {
                byte* row = plane + (long)y * stride;
                for (int c = 0; c < samples; c++)
                {
                    float* target = planes + (long)c * n + (long)y * width;
                    if (deep)
                    {
                        ushort* s = (ushort*)row + c; // little-endian words, as asked for (the host order here)
                        for (int x = 0; x < width; x++, s += samples) target[x] = *s * scale;
                    }
                    else
                    {
                        byte* s = row + c;
                        for (int x = 0; x < width; x++, s += samples) target[x] = *s * scale;
                    }
                }
            }
        }
        return image;
    }

    static void Unpremultiply(Image image)
    {
        var alpha = image.Plane(3);
        for (int c = 0; c < 3; c++)
        {
            var plane = image.Plane(c);
            for (int i = 0; i < plane.Length; i++) plane[i] = alpha[i] > 0 ? Math.Min(1f, plane[i] / alpha[i]) : 0f;
        }
    }

    /// <summary>
    /// EXIF ("Exif" item: a 4-byte offset to the TIFF header, then the block), XMP (a "mime" item of type
    /// application/rdf+xml) and the ICC profile. A size libheif reports beyond the file's is not believed.
    /// </summary>
    static ImageMetadata? ReadMetadata(HeifImageHandleHandle handle, long fileLength)
    {
        byte[]? exif = null, xmp = null, icc = null;
        int count = heif_image_handle_get_number_of_metadata_blocks(handle, null);
        if (count > 0 && count <= 1024)
        {
            var ids = new uint[count];
            fixed (uint* p = ids) count = heif_image_handle_get_list_of_metadata_block_IDs(handle, null, p, count);
            foreach (uint id in ids.AsSpan(0, Math.Clamp(count, 0, ids.Length)))
            {
                string type = Marshal.PtrToStringUTF8((nint)heif_image_handle_get_metadata_type(handle, id)) ?? "";
                string content = Marshal.PtrToStringUTF8((nint)heif_image_handle_get_metadata_content_type(handle, id)) ?? "";
                bool isExif = type == "Exif", isXmp = type == "mime" && content == "application/rdf+xml";
                if (!(isExif && exif is null) && !(isXmp && xmp is null)) continue;
                nuint size = heif_image_handle_get_metadata_size(handle, id);
                if (size == 0 || size > (nuint)fileLength) continue;
                var block = new byte[size];
                fixed (byte* p = block)
                    if (heif_image_handle_get_metadata(handle, id, p).Code != ErrorOk) continue;
                if (isXmp) xmp = block;
                else if (block.Length >= 4)
                {
                    long start = 4L + BinaryPrimitives.ReadUInt32BigEndian(block);
                    if (start < block.Length && Exif.IsTiff(block.AsSpan((int)start))) exif = block[(int)start..];
                }
            }
        }
        if (heif_image_handle_get_color_profile_type(handle) is ProfileTypeProf or ProfileTypeRicc)
        {
            nuint size = heif_image_handle_get_raw_color_profile_size(handle);
            if (size > 0 && size <= (nuint)fileLength)
            {
                var profile = new byte[size];
                fixed (byte* p = profile)
                    if (heif_image_handle_get_raw_color_profile(handle, p).Code == ErrorOk) icc = profile;
            }
        }
        // libheif has already turned the pixels as the file's irot/imir boxes say; a camera's EXIF orientation
        // describes that same turn, so it is set to 1 to keep it from being applied twice.
        if (exif is not null && Exif.ReadOrientation(exif) is > 1) exif = Exif.WithOrientation(exif, 1);
        if (xmp is not null) xmp = XmpPacket.WithOrientation(xmp, 1);
        var metadata = new ImageMetadata { Exif = exif, Xmp = xmp, Icc = icc };
        return metadata.IsEmpty ? null : metadata;
    }

    /// <summary>
    /// Throws unless the top-level boxes (ftyp, meta, mdat…) follow each other to exactly the end of the bytes and
    /// libheif finds a primary image: a cut file has lost the end of its last box.
    /// </summary>
    public static void CheckComplete(ReadOnlySpan<byte> bytes, ImageFormat format)
    {
        string name = Name(format);
        if (BoxProblem(bytes, name) is { } problem) throw new ImageFormatException(problem);
        fixed (byte* data = bytes)
        {
            using var ctx = HeifContextHandle.Create();
            Check(heif_context_read_from_memory_without_copy(ctx, data, (nuint)bytes.Length, 0), name);
            Check(heif_context_get_primary_image_handle(ctx, out var handle), name);
            handle.Dispose();
        }
    }

    static string? BoxProblem(ReadOnlySpan<byte> bytes, string name)
    {
        long at = 0;
        while (at < bytes.Length)
        {
            if (at + 8 > bytes.Length) return $"truncated {name}: the file ends inside a box header at byte {at}";
            ulong size = BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)at..]);
            string type = System.Text.Encoding.ASCII.GetString(bytes.Slice((int)at + 4, 4));
            int header = 8;
            if (size == 1)
            {
                if (at + 16 > bytes.Length) return $"truncated {name}: the file ends inside the header of its '{type}' box";
                size = BinaryPrimitives.ReadUInt64BigEndian(bytes[(int)(at + 8)..]);
                header = 16;
            }
            else if (size == 0) return null; // the last box, running to the end of the file
            if (size < (ulong)header) return $"corrupt {name}: '{type}' box of {size} bytes";
            if (size > (ulong)(bytes.Length - at))
                return $"truncated {name}: its '{type}' box ends at byte {(ulong)at + size}, past the end of the file ({bytes.Length} bytes)";
            at += (long)size;
        }
        return null;
    }

    /// <param name="depth">
    /// 8, which is what files are written with: libaom 3.6 under libheif 1.15 aborts the whole process (a failed
    /// assertion in write_color_config) when asked for 10-bit AV1, so 16-bit images are written as 8-bit. 10 (HEIC
    /// with 4:2:0 chroma only, which x265 handles) is for the tests, to make the 10-bit files decoding must read.
    /// </param>
    public static byte[] Encode(Image image, ImageFormat format, EncodeOptions options, ImageMetadata? metadata, int depth = 8)
    {
        string name = Name(format);
        if (options.Quality is < 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(options), $"{name} quality must be 0..100, got {options.Quality}");
        using var ctx = HeifContextHandle.Create();
        var found = heif_context_get_encoder_for_format(ctx, format == ImageFormat.Avif ? CompressionAv1 : CompressionHevc, out var encoder);
        using (encoder)
        {
            if (found.Code != ErrorOk || encoder.IsInvalid)
                throw new ImageFormatException(format == ImageFormat.Avif
                    ? "writing AVIF needs libheif's AV1 encoder plugin, not installed: apt-get install libheif-plugin-aomenc"
                    : "writing HEIC needs libheif's HEVC encoder plugin, not installed: apt-get install libheif-plugin-x265");
            heif_encoder_set_logging_level(encoder, 0); // quiet where the encoder has a log; ignored where it has none
            CheckEncode(heif_encoder_set_lossy_quality(encoder, options.Quality), name);
            // EncodeOptions.Lossless is not passed on: through libheif 1.15's RGB to YCbCr conversion it is only
            // near-lossless (codes off by one), and "lossless" must mean exact.
            // Full-resolution chroma unless 4:2:0 is asked for, as for JPEG; an encoder without the parameter keeps its default.
            fixed (byte* chroma = "chroma\0"u8, value = options.Subsampling == ChromaSubsampling.Yuv420 ? "420\0"u8 : "444\0"u8)
                heif_encoder_set_parameter_string(encoder, chroma, value);

            if (depth != 8 && !(depth == 10 && format == ImageFormat.Heic && options.Subsampling == ChromaSubsampling.Yuv420))
                throw new ArgumentOutOfRangeException(nameof(depth), "HEIF is written 8-bit, or 10-bit HEIC with 4:2:0 chroma");
            bool alpha = image.HasAlpha, deep = depth == 10;
            int samples = alpha ? 4 : 3;
            int chromaFormat = (deep, alpha) switch
            {
                (false, false) => ChromaRgb,
                (false, true) => ChromaRgba,
                (true, false) => ChromaRrggbbLe,
                _ => ChromaRrggbbaaLe,
            };
            CheckEncode(heif_image_create(image.Width, image.Height, ColorspaceRgb, chromaFormat, out var picture), name);
            using (picture)
            {
                CheckEncode(heif_image_add_plane(picture, ChannelInterleaved, image.Width, image.Height, depth), name);
                int stride;
                byte* plane = heif_image_get_plane(picture, ChannelInterleaved, &stride);
                if (plane == null) throw new ImageFormatException($"{name} encoding failed: libheif gave no pixel plane");
                Fill(image, plane, stride, samples, deep);
                if (metadata?.Icc is { } icc)
                    fixed (byte* prof = "prof\0"u8, p = icc)
                        CheckEncode(heif_image_set_raw_color_profile(picture, prof, p, (nuint)icc.Length), name);
                CheckEncode(heif_context_encode_image(ctx, picture, encoder, 0, out var handle), name);
                using (handle)
                {
                    if (metadata?.Exif is { } exif)
                        fixed (byte* p = exif) CheckEncode(heif_context_add_exif_metadata(ctx, handle, p, exif.Length), name);
                    if (metadata?.Xmp is { } xmp)
                        fixed (byte* p = xmp) CheckEncode(heif_context_add_XMP_metadata(ctx, handle, p, xmp.Length), name);
                }
            }
        }
        using var output = new MemoryStream();
        var gc = GCHandle.Alloc(output);
        try
        {
            var writer = new Writer { WriterApiVersion = 1, Write = &Write };
            CheckEncode(heif_context_write(ctx, &writer, GCHandle.ToIntPtr(gc)), name);
        }
        finally
        {
            gc.Free();
        }
        return output.ToArray();
    }

    /// <summary>Interleaved RGB(A) rows at libheif's stride; 10-bit samples as 0..1023 in 16-bit words.</summary>
    static void Fill(Image image, byte* plane, int stride, int samples, bool deep)
    {
        int width = image.Width, n = image.PixelCount;
        var codes = new int[width];
        fixed (float* planes = image.Data)
        fixed (int* row = codes)
        {
            for (int y = 0; y < image.Height; y++)
            {
                byte* target = plane + (long)y * stride;
                for (int c = 0; c < samples; c++)
                {
                    int source = image.IsGray ? (c < 3 ? 0 : 1) : c; // gray is written as RGB
                    PixelPacking.ToCodes(planes + (long)source * n + (long)y * width, row, width, deep ? 1023 : 255);
                    if (deep)
                    {
                        ushort* t = (ushort*)target + c;
                        for (int x = 0; x < width; x++, t += samples) *t = (ushort)row[x];
                    }
                    else
                    {
                        byte* t = target + c;
                        for (int x = 0; x < width; x++, t += samples) *t = (byte)row[x];
                    }
                }
            }
        }
    }

    static readonly nint SuccessText = Marshal.StringToCoTaskMemUTF8("Success");

    [UnmanagedCallersOnly]
    static Error Write(nint ctx, byte* data, nuint size, nint userData)
    {
        try
        {
            var output = (MemoryStream)GCHandle.FromIntPtr(userData).Target!;
            if (output.Length + (long)size > Array.MaxLength) throw new IOException("over 2 GB");
            output.Write(new ReadOnlySpan<byte>(data, checked((int)size)));
            return new Error { Code = ErrorOk, Message = (byte*)SuccessText };
        }
        catch
        {
            return new Error { Code = 9 /* heif_error_Encoding_error */, Subcode = 5000, Message = (byte*)SuccessText };
        }
    }

    static string Name(ImageFormat format) => format == ImageFormat.Avif ? "AVIF" : "HEIC";

    static void Check(Error error, string name)
    {
        if (error.Code == ErrorOk) return;
        string text = error.Text;
        if (error.Subcode == SuberrorUnsupportedCodec)
            throw new ImageFormatException(name == "AVIF"
                ? "reading AVIF needs libheif's AV1 decoder plugin, not installed: apt-get install libheif-plugin-dav1d"
                : "reading HEIC needs libheif's HEVC decoder plugin, not installed: apt-get install libheif-plugin-libde265");
        throw new ImageFormatException(error.Subcode == SuberrorEndOfData
            ? $"truncated {name}: {text}"
            : error.Code is ErrorUnsupportedFeature or ErrorUnsupportedFiletype
                ? $"unsupported {name}: {text}"
                : $"corrupt {name}: {text}");
    }

    static void CheckEncode(Error error, string name)
    {
        if (error.Code != ErrorOk) throw new ImageFormatException($"{name} encoding failed: {error.Text}");
    }
}
