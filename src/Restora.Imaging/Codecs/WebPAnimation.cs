using System.Runtime.InteropServices;
using static Restora.Imaging.Codecs.WebPAnimNative;
using static Restora.Imaging.Codecs.WebPNative;

namespace Restora.Imaging.Codecs;

/// <summary>
/// Animated WebP through WebPAnimDecoder and WebPAnimEncoder. The decoder gives each frame as the whole RGBA canvas
/// with its end time; the encoder takes whole canvases with start times and finds the changed rectangles itself
/// (so two identical frames in a row may come back as one, with the two delays added).
/// </summary>
internal static unsafe class WebPAnimation
{
    public static bool IsAnimated(ReadOnlySpan<byte> webp)
    {
        DecoderConfig config;
        if (WebPInitDecoderConfigInternal(&config, DecoderAbi) == 0) return false;
        fixed (byte* data = webp)
            return WebPGetFeaturesInternal(data, (nuint)webp.Length, &config, DecoderAbi) == StatusOk && config.HasAnimation != 0;
    }

    /// <summary>Frames of an animated WebP (a still WebP reads as one frame).</summary>
    public sealed class Reader : IAnimationReader
    {
        GCHandle pinned;
        readonly WebPAnimDecoderHandle decoder;
        int frames, lastTimestamp;
        readonly DecodeOptions options;

        public Reader(byte[] bytes, DecodeOptions options)
        {
            this.options = options;
            // The canvas size from the headers first: WebPAnimDecoderNew allocates the canvas.
            var (width, height) = WebPCodec.ReadSize(bytes);
            PixelLimit.Check("WebP", width, height, options);
            pinned = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            DecoderOptions decoderOptions;
            Info info;
            try
            {
                if (WebPAnimDecoderOptionsInitInternal(&decoderOptions, DemuxAbi) == 0)
                    throw new InvalidOperationException("libwebpdemux rejected ABI version 0x0107");
                decoderOptions.ColorMode = ModeRgba;
                var data = new Data { Bytes = (byte*)pinned.AddrOfPinnedObject(), Size = (nuint)bytes.Length };
                decoder = new WebPAnimDecoderHandle(WebPAnimDecoderNewInternal(&data, &decoderOptions, DemuxAbi));
                if (decoder.IsInvalid) throw new ImageFormatException("corrupt WebP: libwebp cannot demux the animation");
                if (WebPAnimDecoderGetInfo(decoder, &info) == 0) throw new ImageFormatException("corrupt WebP: no animation info");
                Animation.CheckFrame("WebP", (int)Math.Min(info.FrameCount, int.MaxValue), (int)info.CanvasWidth, (int)info.CanvasHeight, options);
            }
            catch
            {
                Dispose();
                throw;
            }
            Info = new AnimationInfo(ImageFormat.WebP, (int)info.CanvasWidth, (int)info.CanvasHeight, (int)info.FrameCount);
            LoopCount = (int)Math.Min(info.LoopCount, int.MaxValue);
        }

        public AnimationInfo Info { get; }

        public int LoopCount { get; }

        public AnimationFrame? Next()
        {
            if (WebPAnimDecoderHasMoreFrames(decoder) == 0) return null;
            Animation.CheckFrame("WebP", ++frames, Info.Width, Info.Height, options);
            byte* buffer;
            int timestamp;
            if (WebPAnimDecoderGetNext(decoder, &buffer, &timestamp) == 0)
                throw new ImageFormatException($"corrupt WebP: frame {frames} does not decode");
            var image = new Image(Info.Width, Info.Height, PixelLayout.Rgba, bitDepth: 8);
            PixelPacking.ToPlanar(new ReadOnlySpan<byte>(buffer, checked(Info.Width * Info.Height * 4)), 4, image);
            int delay = timestamp - lastTimestamp;
            lastTimestamp = timestamp;
            return new AnimationFrame(image, delay);
        }

        public void Dispose()
        {
            decoder?.Dispose();
            if (pinned.IsAllocated) pinned.Free();
        }
    }

    /// <summary>Whole-canvas frames to an animated WebP: lossy at the quality given, or lossless.</summary>
    public sealed class Writer(int loopCount, EncodeOptions options) : IAnimationWriter
    {
        WebPAnimEncoderHandle? encoder;
        int width, height, timestamp;

        public void Add(AnimationFrame frame)
        {
            var image = frame.Image;
            if (encoder is null) Open(image.Width, image.Height);
            else if (image.Width != width || image.Height != height)
                throw new ArgumentException($"every frame must be {width}x{height}, got {image.Width}x{image.Height}", nameof(frame));
            var config = WebPCodec.Config(options);
            var rgba = PixelPacking.ToRgba8(image);
            using var picture = WebPPictureHandle.Create();
            var pic = picture.Picture;
            pic->UseArgb = 1;
            pic->Width = width;
            pic->Height = height;
            fixed (byte* p = rgba)
                if (WebPPictureImportRGBA(picture, p, width * 4) == 0)
                    throw new ImageFormatException($"WebP encoding failed: {EncodeErrorText(pic->ErrorCode == 0 ? 1 : pic->ErrorCode)}");
            if (WebPAnimEncoderAdd(encoder!, picture, timestamp, &config) == 0) throw Failed();
            timestamp = checked(timestamp + Math.Max(frame.DelayMs, 0));
        }

        void Open(int w, int h)
        {
            (width, height) = (w, h);
            EncoderOptions encoderOptions;
            if (WebPAnimEncoderOptionsInitInternal(&encoderOptions, MuxAbi) == 0)
                throw new InvalidOperationException("libwebpmux rejected ABI version 0x0108");
            encoderOptions.LoopCount = Math.Min(loopCount, 65535);
            encoder = new WebPAnimEncoderHandle(WebPAnimEncoderNewInternal(w, h, &encoderOptions, MuxAbi));
            if (encoder.IsInvalid) throw new ImageFormatException($"WebP encoding failed: libwebp cannot make a {w}x{h} animation (at most 16383x16383)");
        }

        public byte[] Finish()
        {
            if (encoder is null) throw new InvalidOperationException("an animation needs at least one frame");
            // A last call without a frame gives the last frame its duration.
            if (WebPAnimEncoderAdd(encoder, 0, timestamp, null) == 0) throw Failed();
            Data data;
            if (WebPAnimEncoderAssemble(encoder, &data) == 0) throw Failed();
            try { return new ReadOnlySpan<byte>(data.Bytes, checked((int)data.Size)).ToArray(); }
            finally { WebPFree(data.Bytes); }
        }

        ImageFormatException Failed() =>
            new($"WebP encoding failed: {Marshal.PtrToStringUTF8(WebPAnimEncoderGetError(encoder!)) ?? "unknown error"}");

        public void Dispose() => encoder?.Dispose();
    }
}
