using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Restora.Server;

/// <summary>
/// The jobs of this server and the one worker that runs them, one at a time, on the engine (which uses every thread
/// it is given for one image). Bounded: at most <see cref="ServerOptions.MaxQueuedJobs"/> unfinished jobs, and the
/// oldest finished ones are forgotten past a few hundred. A job that throws fails alone; the worker goes on.
/// </summary>
internal sealed class JobQueue : IDisposable
{
    const int KeptJobs = 500;
    readonly Channel<Job> pending = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    readonly ConcurrentDictionary<string, Job> jobs = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<Job> order = new();
    readonly Action<Job, CancellationToken> run;
    readonly Action<Job> forget;
    readonly int capacity;
    readonly Action<string>? log;
    readonly Thread worker;
    long changes;
    TaskCompletionSource anyChange = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="run">Does one job (on the worker thread); throws to fail it.</param>
    /// <param name="forget">Removes what was kept for a job that is dropped from the list.</param>
    /// <param name="capacity">Unfinished jobs allowed at once.</param>
    /// <param name="log">Told about failures that are the server's fault.</param>
    public JobQueue(Action<Job, CancellationToken> run, Action<Job> forget, int capacity, Action<string>? log)
    {
        this.run = run;
        this.forget = forget;
        this.capacity = capacity;
        this.log = log;
        // A thread of its own, not the pool's: a job runs for minutes and the pool serves the requests meanwhile.
        worker = new Thread(Work) { IsBackground = true, Name = "restora serve worker" };
        worker.Start();
    }

    /// <summary>The job called <paramref name="id"/>, or null.</summary>
    public Job? Find(string id) => jobs.GetValueOrDefault(id);

    /// <summary>Every job still kept, oldest first.</summary>
    public IReadOnlyList<Job> All => order.Where(j => jobs.ContainsKey(j.Id)).ToList();

    /// <summary>Jobs not yet finished.</summary>
    public int Unfinished => jobs.Values.Count(j => !j.IsFinished);

    /// <summary>Whether another job would be refused.</summary>
    public bool IsFull => Unfinished >= capacity;

    /// <summary>Queues <paramref name="job"/>; false when the queue is full.</summary>
    public bool TryAdd(Job job)
    {
        lock (order)
        {
            if (IsFull) return false;
            jobs[job.Id] = job;
            order.Enqueue(job);
            job.Observer = Changed;
            Trim();
        }
        pending.Writer.TryWrite(job);
        Changed();
        return true;
    }

    /// <summary>Cancels a queued or running job; false when it had already finished.</summary>
    public bool Cancel(Job job)
    {
        job.Cancellation.Cancel();
        // A queued job is marked at once; a running one when its restore stops at the next tile.
        bool cancelled = job.State == JobState.Queued && job.MarkCancelled();
        return cancelled || !job.IsFinished;
    }

    /// <summary>A counter that increases whenever any job changes, and a task that completes at the next change.</summary>
    public (long Seen, Task Next) Watch()
    {
        lock (order) return (Interlocked.Read(ref changes), anyChange.Task);
    }

    void Changed()
    {
        TaskCompletionSource wake;
        lock (order)
        {
            Interlocked.Increment(ref changes);
            wake = anyChange;
            anyChange = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }

    void Trim()
    {
        while (order.Count > KeptJobs && order.TryPeek(out var oldest) && oldest.IsFinished && order.TryDequeue(out _))
        {
            jobs.TryRemove(oldest.Id, out _);
            forget(oldest);
        }
    }

    void Work()
    {
        foreach (var job in pending.Reader.ReadAllAsync().ToBlockingEnumerable())
        {
            if (job.Cancellation.IsCancellationRequested) { job.MarkCancelled(); continue; }
            try
            {
                run(job, job.Cancellation.Token);
            }
            catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
            {
                job.MarkCancelled();
            }
            catch (Exception e) // one job's bug must not stop the others: it fails with its reason and the worker goes on
            {
                job.Fail($"{job.Upload.DisplayName}: internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                log?.Invoke($"job {job.Id} ({job.Upload.DisplayName}) failed: {e}");
            }
            if (!job.IsFinished) job.Fail($"{job.Upload.DisplayName}: internal error: the job ended without a result");
        }
    }

    /// <summary>Stops taking jobs and cancels the ones left.</summary>
    public void Dispose()
    {
        pending.Writer.TryComplete();
        foreach (var job in jobs.Values) job.Cancellation.Cancel();
        worker.Join(TimeSpan.FromSeconds(10));
    }
}
