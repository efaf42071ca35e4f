using System.Text.Json;
using Microsoft.Playwright;
using Restora.Imaging;

namespace Restora.Server.Tests;

/// <summary>
/// The page in a real browser: Debian's Chromium (/usr/bin/chromium, installed by ./test.sh through
/// scripts/common.sh) driven by Playwright, headless, nothing downloaded. Screenshots go to docs/ when
/// RESTORA_SCREENSHOTS=1 (how the README's were made), else to a temporary folder.
/// </summary>
[Collection("server")]
public sealed class BrowserTests(ServerFixture server) : IAsyncLifetime
{
    const string Chromium = "/usr/bin/chromium";
    IPlaywright playwright = null!;
    IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./test.sh installs it (apt-get install chromium)");
        // Playwright's own browser downloads are never wanted: the tests name the executable.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }

    async Task<IPage> Open(int width = 1280, int height = 720, string? url = null)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(url ?? server.Server.Url.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        return page;
    }

    static string ScreenshotPath(string name)
    {
        string folder = Environment.GetEnvironmentVariable("RESTORA_SCREENSHOTS") == "1"
            ? Path.Combine(ServerFixture.RepositoryRoot, "docs")
            : Path.Combine(Path.GetTempPath(), "restora-serve-screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    static async Task Choose(IPage page)
    {
        await page.SelectOptionAsync("#task", "sr");
        await page.SelectOptionAsync("#scale", "2");
        await page.SelectOptionAsync("#model", ServerFixture.Model);
    }

    [Fact]
    public async Task Drop_an_image_watch_it_reach_100_percent_compare_zoom_and_download_the_clis_pixels()
    {
        var page = await Open();
        await Choose(page);
        Assert.Contains("licence Restora's", await page.TextContentAsync("#model-text"));
        int earlier = await page.Locator("#queue li").CountAsync(); // the other tests' jobs, on the same server
        await page.SetInputFilesAsync("#files", server.Photo);

        var item = page.Locator("#queue li").Nth(earlier);
        await item.Locator(".state", new() { HasTextString = "done 100%" }).WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal(1.0, await item.Locator("progress").EvaluateAsync<double>("e => e.value"));
        await page.Locator("#pane-a .after .base[src]").WaitForAsync();
        Assert.Contains("NIQE", await page.TextContentAsync("#metrics"));
        Assert.Contains("128×128 → 256×256", await page.TextContentAsync("#metrics"));
        // PSNR/SSIM against the input only where the result has its size: not for an upscale.
        Assert.Contains("PSNR vs inputn/a (sizes differ)", await page.TextContentAsync("#metrics"));

        // The slider: its range input moves the divider and the after layer's clip.
        await page.Locator("#split").FillAsync("25");
        string clip = await page.Locator("#pane-a .after").EvaluateAsync<string>("e => e.style.clipPath");
        double paneWidth = await page.Locator("#pane-a").EvaluateAsync<double>("e => e.clientWidth");
        Assert.Equal($"inset(0px 0px 0px {paneWidth * 0.25}px)", clip.Replace("inset(0 0 0", "inset(0px 0px 0px"));
        await page.Locator("#split").FillAsync("50");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath("serve-compare.png") });

        // Zoom to 800%: nearest-neighbour pixels, and past the 160-px preview the view loads 1:1 regions.
        for (int i = 0; i < 12; i++) await page.ClickAsync("#zoom-in");
        Assert.Equal("800%", await page.TextContentAsync("#zoom-level"));
        Assert.Equal("pixelated", await page.Locator("#pane-a .after .base").EvaluateAsync<string>("e => getComputedStyle(e).imageRendering"));
        await page.Locator("#pane-a .after .tile[src]").WaitForAsync();
        // The 128-px input's preview is the input itself: nothing finer to load for it.
        Assert.Null(await page.Locator("#pane-a .before .tile").GetAttributeAsync("src"));
        string tileUrl = (await page.Locator("#pane-a .after .tile").GetAttributeAsync("src"))!;
        Assert.Contains("/region/result?", tileUrl);
        await page.ScreenshotAsync(new() { Path = ScreenshotPath("serve-zoom.png") });

        // Pan by dragging: the view moves by the drag over the zoom.
        var before = await page.Locator("#pane-a .after .base").EvaluateAsync<double>("e => parseFloat(e.style.left)");
        var box = (await page.Locator("#stage").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width / 4, box.Y + box.Height / 2); // off the divider, which sits in the middle
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width / 4 + 100, box.Y + box.Height / 2, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        var after = await page.Locator("#pane-a .after .base").EvaluateAsync<double>("e => parseFloat(e.style.left)");
        Assert.Equal(before + 100, after, 1);

        // Download: the file is `restora upscale`'s, byte for byte (pixels and metadata).
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        string saved = Path.Combine(server.Root, "downloaded.png");
        await download.SaveAsAsync(saved);
        Assert.Equal(ImageFile.Load(server.CliResult).Data, ImageFile.Load(saved).Data);
        Assert.Equal(File.ReadAllBytes(server.CliResult), File.ReadAllBytes(saved));

        // Side by side, with the same view in both panes.
        await page.ClickAsync("#fit");
        await page.ClickAsync("#mode");
        Assert.True(await page.Locator("#pane-b").IsVisibleAsync());
        string left = await page.Locator("#pane-a .before .base").EvaluateAsync<string>("e => e.style.left + e.style.width");
        Assert.Equal(left, await page.Locator("#pane-b .after .base").EvaluateAsync<string>("e => e.style.left + e.style.width"));
        await page.ScreenshotAsync(new() { Path = ScreenshotPath("serve-side-by-side.png") });
    }

    [Fact]
    public async Task A_folder_picked_or_dropped_queues_the_images_inside_and_notes_the_other_files_skipped()
    {
        var page = await Open();
        await Choose(page);
        int earlier = await page.Locator("#queue li").CountAsync();

        // Picked: <input webkitdirectory>, a subfolder included.
        string folder = Path.Combine(server.Root, "holiday");
        Directory.CreateDirectory(Path.Combine(folder, "day2"));
        File.Copy(server.Photo, Path.Combine(folder, "beach.png"), true);
        File.Copy(server.Photo, Path.Combine(folder, "day2", "hill.png"), true);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a picture");
        await page.SetInputFilesAsync("#folder", folder);
        await page.Locator("#note", new() { HasTextString = "Queued 2 images from the folder; skipped 1 not an image: holiday/notes.txt" }).WaitForAsync();
        await page.Locator("#queue li .pick").Nth(earlier + 1).WaitForAsync();

        // Dropped: the page reads the folder's entries (webkitGetAsEntry) recursively, a batch at a time. Playwright
        // cannot drop a real folder, so the drop event carries FileSystemEntry look-alikes: one entry per batch, as a
        // large folder gives them, then an empty batch.
        string png = Convert.ToBase64String(File.ReadAllBytes(server.Photo));
        await page.EvaluateAsync(@"data => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const file = (path, body) => ({ isFile: true, isDirectory: false, fullPath: '/' + path,
                file: (ok) => ok(new File([body], path.split('/').pop())) });
            const dir = (path, children) => ({ isFile: false, isDirectory: true, fullPath: '/' + path,
                createReader: () => { let i = 0; return { readEntries: (ok) => ok(children.slice(i, ++i)) }; } });
            const tree = dir('trip', [file('trip/readme.md', 'words'), dir('trip/day1', [file('trip/day1/lake.png', bytes)]), file('trip/Cliff.PNG', bytes)]);
            const event = new Event('drop', { bubbles: true, cancelable: true });
            Object.defineProperty(event, 'dataTransfer', { value: { items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }], files: [] } });
            document.getElementById('drop').dispatchEvent(event);
        }", png);
        await page.Locator("#note", new() { HasTextString = "Queued 2 images from the folder; skipped 1 not an image: trip/readme.md" }).WaitForAsync();
        await page.Locator("#queue li .pick").Nth(earlier + 3).WaitForAsync();

        var names = await page.Locator("#queue li .pick").EvaluateAllAsync<string[]>("all => all.map(e => e.textContent)");
        Assert.Equal(["Cliff.PNG", "beach.png", "hill.png", "lake.png"], names.Skip(earlier).Order(StringComparer.Ordinal));
        // All of them restored (and nothing left running for the next test).
        for (int i = earlier; i < earlier + 4; i++)
            await page.Locator("#queue li").Nth(i).Locator(".state", new() { HasTextString = "done 100%" }).WaitForAsync(new() { Timeout = 60_000 });
    }

    [Fact]
    public async Task A_bad_file_shows_its_one_line_error_in_the_page()
    {
        var page = await Open();
        await Choose(page);
        await page.SetInputFilesAsync("#files", new FilePayload { Name = "holiday.png", MimeType = "image/png", Buffer = "not a picture"u8.ToArray() });
        await page.Locator("#message", new() { HasTextString = "holiday.png: not an image" }).WaitForAsync();
        Assert.Contains("holiday.png: not an image (no PNG, JPEG", await page.TextContentAsync("#queue"));
    }

    [Fact]
    public async Task The_view_works_from_the_keyboard()
    {
        var page = await Open();
        await Choose(page);
        await page.SetInputFilesAsync("#files", server.Photo);
        await page.Locator("#queue li .state", new() { HasTextString = "done" }).First.WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("#queue li .pick").First.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await page.FocusAsync("#stage");
        string fitted = (await page.TextContentAsync("#zoom-level"))!;
        await page.Keyboard.PressAsync("+");
        Assert.NotEqual(fitted, await page.TextContentAsync("#zoom-level"));
        await page.Keyboard.PressAsync("1");
        Assert.Equal("100%", await page.TextContentAsync("#zoom-level"));
        await page.Keyboard.PressAsync("0");
        Assert.Equal(fitted, await page.TextContentAsync("#zoom-level"));
        await page.FocusAsync("#split");
        await page.Keyboard.PressAsync("ArrowRight");
        Assert.Equal("51", await page.InputValueAsync("#split"));
        // Every control is reachable with Tab: it lands on the file picker from the page's start.
        var focused = new List<string>();
        await page.FocusAsync("#task");
        for (int i = 0; i < 12; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused.Add(await page.EvaluateAsync<string>("document.activeElement.id || document.activeElement.className"));
        }
        Assert.Contains("files", focused);
    }

    [Fact]
    public async Task A_page_on_another_origin_cannot_post_an_upload()
    {
        int Jobs(string json) => JsonDocument.Parse(json).RootElement.GetProperty("jobs").GetArrayLength();
        int before = Jobs(await server.Http.GetStringAsync("api/jobs"));
        // Another site, as a browser sees one: a page from another port of this machine (a real server: Chromium's
        // local-network checks would stop a request from a page it cannot place before it reached Restora).
        using var elsewhere = OtherSite.Start("<p>another site</p>");
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(elsewhere.Url);
        string target = server.Server.Url + "api/jobs";
        var png = Convert.ToBase64String(File.ReadAllBytes(server.Photo));
        string sent = await page.EvaluateAsync<string>(@"async ([url, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const form = new FormData();
            form.append('file', new Blob([bytes]), 'x.png');
            form.append('task', 'upscale');
            form.append('model', 'restora-sr-x2');
            return fetch(url, { method: 'POST', body: form, mode: 'no-cors' }).then(() => 'sent', e => 'not sent: ' + e);
        }", new object[] { target, png });
        Assert.Equal("sent", sent); // the browser did send it (its answer is opaque to the page): the server refused it
        Assert.Equal(before, Jobs(await server.Http.GetStringAsync("api/jobs")));
    }

    [Fact]
    public async Task The_page_is_readable_on_a_4k_screen()
    {
        var page = await Open(3840, 2160);
        await Choose(page);
        await page.SetInputFilesAsync("#files", server.Photo);
        await page.Locator("#queue li .state", new() { HasTextString = "done" }).First.WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("#queue li .pick").First.ClickAsync();
        await page.Locator("#pane-a .after .base[src]").WaitForAsync();
        double fontSize = await page.EvaluateAsync<double>("parseFloat(getComputedStyle(document.body).fontSize)");
        Assert.True(fontSize >= 20, $"body text is {fontSize}px on a 4K screen");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath("serve-4k.jpg"), Type = ScreenshotType.Jpeg, Quality = 80 });
    }
}

/// <summary>A one-page web server on another loopback port: a different origin from the server under test.</summary>
sealed class OtherSite : IDisposable
{
    readonly System.Net.HttpListener listener = new();

    public string Url { get; private init; } = "";

    public static OtherSite Start(string html)
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var site = new OtherSite { Url = $"http://127.0.0.1:{port}/" };
        site.listener.Prefixes.Add(site.Url);
        site.listener.Start();
        _ = Task.Run(async () =>
        {
            while (site.listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try { context = await site.listener.GetContextAsync(); } catch (Exception) { return; }
                byte[] body = System.Text.Encoding.UTF8.GetBytes(html);
                context.Response.ContentType = "text/html";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
        return site;
    }

    public void Dispose() => listener.Close();
}
