using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Server.Tests;

/// <summary>The JSON API over HTTP, against a server on a free port: results equal `restora upscale`'s, bad files
/// get the CLI's one-line errors, other sites and other host names are refused, sizes are limited.</summary>
[Collection("server")]
public class ApiTests(ServerFixture server)
{
    static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task An_uploaded_photo_is_restored_to_the_bytes_restora_upscale_writes_with_progress_streamed_to_the_end()
    {
        string id = await server.SubmitPhoto();
        var events = await server.Follow(id);

        var last = events[^1];
        Assert.Equal("done", last.GetProperty("state").GetString());
        Assert.Equal(1.0, last.GetProperty("progress").GetDouble());
        Assert.Equal(last.GetProperty("tiles_total").GetInt32(), last.GetProperty("tiles_done").GetInt32());
        Assert.Equal(ServerFixture.Model, last.GetProperty("model").GetString());
        Assert.Equal((256, 256), (last.GetProperty("width").GetInt32(), last.GetProperty("height").GetInt32()));
        Assert.True(last.GetProperty("niqe").GetDouble() > 0);
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(pair.Second.GetProperty("progress").GetDouble() >= pair.First.GetProperty("progress").GetDouble()));

        // Same library path as the command: the same pixels and the same metadata, so the same file.
        byte[] served = await server.Http.GetByteArrayAsync($"api/jobs/{id}/result");
        Assert.Equal(File.ReadAllBytes(server.CliResult), served);
        string file = last.GetProperty("file").GetString()!;
        Assert.Equal(served, File.ReadAllBytes(Path.Combine(server.Output, file)));
        Assert.StartsWith("butterfly-sr-x2", file);

        // A second run of the same photo never replaces the first result.
        string again = await server.SubmitPhoto();
        var second = (await server.Follow(again))[^1];
        Assert.NotEqual(file, second.GetProperty("file").GetString());
        Assert.True(File.Exists(Path.Combine(server.Output, file)));

        // Everything done, in one zip.
        using var zip = new ZipArchive(new MemoryStream(await server.Http.GetByteArrayAsync("api/results.zip")));
        var entry = zip.GetEntry(file)!;
        using var entryStream = new MemoryStream();
        await entry.Open().CopyToAsync(entryStream);
        Assert.Equal(served, entryStream.ToArray());
    }

    [Fact]
    public async Task A_same_size_job_reports_psnr_and_ssim_against_its_input_as_restora_metrics_scores_them_and_an_upscale_none()
    {
        using var response = await server.Submit(File.ReadAllBytes(server.Photo), "butterfly.png", ("task", "deblock"), ("model", "restora-deblock"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        string id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        await server.Follow(id);
        var job = JsonDocument.Parse(await server.Http.GetStringAsync($"api/jobs/{id}")).RootElement;
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal(("deblock", "restora-deblock"), (job.GetProperty("task").GetString(), job.GetProperty("model").GetString()));

        // The reference: Restora.Metrics on the two files, the upload and the result written (RGB, no shave).
        var input = ImageFile.Load(server.Photo);
        var result = ImageFile.Load(Path.Combine(server.Output, job.GetProperty("file").GetString()!));
        double psnr = FullReference.Psnr(input, result), ssim = FullReference.Ssim(input, result);
        Assert.InRange(psnr, 20, 80); // the network changed the image, a little: a finite, plausible score
        Assert.Equal(Math.Round(psnr, 6), job.GetProperty("psnr").GetDouble());
        Assert.Equal(Math.Round(ssim, 6), job.GetProperty("ssim").GetDouble());

        // Super-resolution: the result is twice the input's size, nothing to compare pixel for pixel.
        string upscale = await server.SubmitPhoto();
        await server.Follow(upscale);
        var sr = JsonDocument.Parse(await server.Http.GetStringAsync($"api/jobs/{upscale}")).RootElement;
        Assert.Equal("done", sr.GetProperty("state").GetString());
        Assert.False(sr.TryGetProperty("psnr", out _));
        Assert.False(sr.TryGetProperty("ssim", out _));
        Assert.True(sr.TryGetProperty("niqe", out _));
    }

    [Fact]
    public async Task Previews_are_bounded_and_regions_are_the_result_at_one_to_one()
    {
        string id = await server.SubmitPhoto();
        await server.Follow(id);
        var result = ImageFile.Load(server.CliResult);

        var preview = ImageFile.Decode(await server.Http.GetByteArrayAsync($"api/jobs/{id}/preview/result"));
        Assert.Equal(160, Math.Max(preview.Width, preview.Height));

        var region = ImageFile.Decode(await server.Http.GetByteArrayAsync($"api/jobs/{id}/region/result?x=10&y=20&w=30&h=40"));
        Assert.Equal(result.Crop(10, 20, 30, 40).Data, region.Data);
        // Clipped at the image's edge; a region past it is refused.
        var edge = ImageFile.Decode(await server.Http.GetByteArrayAsync($"api/jobs/{id}/region/input?x=100&y=0&w=64&h=8"));
        Assert.Equal((28, 8), (edge.Width, edge.Height));
        using var outside = await server.Http.GetAsync($"api/jobs/{id}/region/input?x=500&y=0&w=8&h=8");
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_answered_400_with_the_one_line_error_the_cli_prints()
    {
        string path = Path.Combine(server.Root, "notes.png");
        File.WriteAllText(path, "this is not a picture");
        var cli = Cli.Run("upscale", path, "-o", Path.Combine(server.Root, "never.png"), "--model", ServerFixture.Model);
        Assert.Equal(1, cli.ExitCode);

        using var response = await server.Submit(File.ReadAllBytes(path), "notes.png", ("task", "upscale"), ("model", ServerFixture.Model));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = Error(await response.Content.ReadAsStringAsync());
        Assert.Equal(cli.Stderr.Trim().Replace("restora: ", "").Replace(path, "notes.png"), error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public async Task A_truncated_image_gets_the_decoders_message_naming_the_clients_file_not_the_servers()
    {
        byte[] cut = File.ReadAllBytes(server.Photo)[..2000];
        using var response = await server.Submit(cut, "../../secret/cut.png", ("task", "upscale"), ("model", ServerFixture.Model));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = Error(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("cut.png: ", error);
        Assert.DoesNotContain(Path.GetTempPath(), error);
    }

    [Fact]
    public async Task A_post_from_another_site_is_refused_403_and_queues_nothing()
    {
        int before = JsonDocument.Parse(await server.Http.GetStringAsync("api/jobs")).RootElement.GetProperty("jobs").GetArrayLength();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs")
        {
            Content = ServerFixture.Form(File.ReadAllBytes(server.Photo), "butterfly.png", ("task", "upscale"), ("model", ServerFixture.Model)),
        };
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        int after = JsonDocument.Parse(await server.Http.GetStringAsync("api/jobs")).RootElement.GetProperty("jobs").GetArrayLength();
        Assert.Equal(before, after);

        // The page's own origin passes the guard (and this file is then refused for what it is).
        using var own = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = ServerFixture.Form("x"u8.ToArray(), "x.png") };
        own.Headers.Add("Origin", server.Server.Url.GetLeftPart(UriPartial.Authority));
        using var ownResponse = await server.Http.SendAsync(own);
        Assert.Equal(HttpStatusCode.BadRequest, ownResponse.StatusCode);
    }

    [Theory]
    [InlineData("evil.example")]          // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1
    [InlineData("localhost.evil.example")]
    [InlineData("127.0.0.1:1")]           // our address with another port
    public async Task A_request_for_another_host_name_is_refused_403(string host)
    {
        foreach (var path in new[] { "", "api/tasks", "api/results.zip" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host.Contains(':') ? host : $"{host}:{server.Server.Url.Port}";
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using var local = new HttpRequestMessage(HttpMethod.Get, "api/tasks");
        local.Headers.Host = $"localhost:{server.Server.Url.Port}";
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(local)).StatusCode);
    }

    [Fact]
    public async Task Uploads_over_the_byte_limit_or_the_pixel_limit_are_refused_413()
    {
        var big = new byte[ServerFixture.MaxUploadBytes + 4096];
        File.ReadAllBytes(server.Photo).CopyTo(big, 0);
        using var tooMany = await server.Submit(big, "big.png", ("task", "upscale"), ("model", ServerFixture.Model));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);

        // 1100x1000 is over the 1-megapixel limit: the CLI's message, from the header, before any decoding.
        string wide = Path.Combine(server.Root, "wide.png");
        ImageFile.Save(new Image(1100, 1000, PixelLayout.Gray), wide);
        var cli = Cli.Run("upscale", wide, "-o", Path.Combine(server.Root, "never.png"), "--model", ServerFixture.Model, "--max-pixels", "1000000");
        using var tooLarge = await server.Submit(File.ReadAllBytes(wide), "wide.png", ("task", "upscale"), ("model", ServerFixture.Model));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(cli.Stderr.Trim().Replace("restora: ", "").Replace(wide, "wide.png"), Error(await tooLarge.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("/tmp/model.safetensors")]
    [InlineData("no-such-model")]
    public async Task Only_model_names_from_the_list_are_accepted_never_paths(string model)
    {
        using var response = await server.Submit(File.ReadAllBytes(server.Photo), "b.png", ("task", "upscale"), ("model", model));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"unknown model '{model}'", Error(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_model_of_another_task_or_scale_is_refused_with_the_reason()
    {
        using var wrongTask = await server.Submit(File.ReadAllBytes(server.Photo), "b.png", ("task", "denoise"), ("model", ServerFixture.Model));
        Assert.Equal("restora-sr-x2 is a sr model, not a denoise one", Error(await wrongTask.Content.ReadAsStringAsync()));
        using var wrongScale = await server.Submit(File.ReadAllBytes(server.Photo), "b.png", ("task", "upscale"), ("scale", "4"), ("model", ServerFixture.Model));
        Assert.StartsWith("restora-sr-x2 enlarges x2, not x4", Error(await wrongScale.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Tasks_and_models_are_listed_from_the_registries()
    {
        var tasks = JsonDocument.Parse(await server.Http.GetStringAsync("api/tasks")).RootElement.GetProperty("tasks");
        Assert.Equal(Restora.Models.TaskRegistry.Tasks.All.Select(t => t.Name), tasks.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var models = JsonDocument.Parse(await server.Http.GetStringAsync("api/models")).RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(RestorationModel.KnownNames.Order(), models.Select(m => m.GetProperty("name").GetString()!).Order());
        var shipped = models.Single(m => m.GetProperty("name").GetString() == ServerFixture.Model);
        Assert.True(shipped.GetProperty("installed").GetBoolean());
        Assert.Equal(2, shipped.GetProperty("scale").GetInt32());
    }

    [Fact]
    public async Task Unknown_jobs_are_404_and_a_result_before_it_is_done_is_409()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("api/jobs/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.DeleteAsync("api/jobs/nope")).StatusCode);
        string id = await server.SubmitPhoto();
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"api/jobs/{id}/preview/secret")).StatusCode);
        await server.Follow(id);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"api/jobs/{id}/result")).StatusCode);
    }
}
