using Restora.Imaging;
using Restora.Models;

namespace Restora.Server.Tests;

/// <summary>The queue alone, with jobs whose work the test controls: one at a time, cancelling, a failing job, the bound.</summary>
public class JobQueueTests
{
    static Job NewJob(string id) => new(id, new JobRequest(RestorationTask.SuperResolution, "m", null, new Dictionary<string, double>()),
        new StoredUpload($"/nowhere/{id}.png", $"{id}.png", ImageFormat.Png, 8, 8));

    static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(10, timeout.Token);
    }

    [Fact]
    public async Task Jobs_run_one_at_a_time_and_a_queued_one_cancels_at_once()
    {
        using var release = new ManualResetEventSlim();
        int running = 0, most = 0;
        using var queue = new JobQueue((job, token) =>
        {
            most = Math.Max(most, Interlocked.Increment(ref running));
            job.Start("m", 2);
            release.Wait(token);
            job.Finish("/out.png", 16, 16, 0.1, JobScores.None);
            Interlocked.Decrement(ref running);
        }, _ => { }, capacity: 10, log: null);
        Job first = NewJob("a"), second = NewJob("b"), third = NewJob("c");
        Assert.True(queue.TryAdd(first) && queue.TryAdd(second) && queue.TryAdd(third));
        await Until(() => first.State == JobState.Running);
        Assert.Equal(JobState.Queued, second.State);

        Assert.True(queue.Cancel(second));
        Assert.Equal(JobState.Cancelled, second.State);
        release.Set();
        await Until(() => third.IsFinished);
        Assert.Equal(JobState.Done, first.State);
        Assert.Equal(JobState.Cancelled, second.State);
        Assert.Equal(JobState.Done, third.State);
        Assert.Equal(1, most);
    }

    [Fact]
    public async Task A_running_job_stops_at_its_next_check_when_cancelled()
    {
        using var queue = new JobQueue((job, token) =>
        {
            job.Start("m", 2);
            while (true) { token.ThrowIfCancellationRequested(); Thread.Sleep(5); }
        }, _ => { }, 10, null);
        var job = NewJob("a");
        queue.TryAdd(job);
        await Until(() => job.State == JobState.Running);
        queue.Cancel(job);
        await Until(() => job.IsFinished);
        Assert.Equal(JobState.Cancelled, job.State);
    }

    [Fact]
    public async Task A_job_that_throws_fails_alone_with_one_line_and_the_next_still_runs()
    {
        var logged = new List<string>();
        using var queue = new JobQueue((job, _) =>
        {
            if (job.Id == "bad") throw new NullReferenceException("boom\nsecond line");
            job.Finish("/out.png", 16, 16, 0.1, JobScores.None);
        }, _ => { }, 10, m => { lock (logged) logged.Add(m); });
        Job bad = NewJob("bad"), good = NewJob("good");
        queue.TryAdd(bad);
        queue.TryAdd(good);
        await Until(() => good.IsFinished);
        Assert.Equal(JobState.Failed, bad.State);
        Assert.Equal("bad.png: internal error: NullReferenceException: boom second line", bad.Error);
        Assert.Equal(JobState.Done, good.State);
        Assert.Single(logged);
    }

    [Fact]
    public void The_queue_refuses_jobs_past_its_capacity()
    {
        using var release = new ManualResetEventSlim();
        using var queue = new JobQueue((job, token) => release.Wait(token), _ => { }, capacity: 2, null);
        Assert.True(queue.TryAdd(NewJob("a")));
        Assert.True(queue.TryAdd(NewJob("b")));
        Assert.False(queue.TryAdd(NewJob("c")));
        Assert.Null(queue.Find("c"));
        release.Set();
    }

    [Theory]
    [InlineData("../../etc/passwd", "passwd", "passwd")]
    [InlineData("C:\\Users\\me\\photo 1.jpg", "photo 1.jpg", "photo_1")]
    [InlineData(".hidden.png", ".hidden.png", "hidden")]
    [InlineData("", "upload", "upload")]
    [InlineData("日本.png", "日本.png", "image")]
    [InlineData("..", "..", "image")]
    public void Client_names_are_shown_cleaned_and_results_named_from_safe_characters_only(string client, string shown, string stem)
    {
        Assert.Equal(shown, Uploads.DisplayName(client));
        Assert.Equal(stem, Uploads.SafeStem(Uploads.DisplayName(client)));
    }
}
