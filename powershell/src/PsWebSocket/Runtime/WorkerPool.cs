using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading.Channels;

namespace PsWebSocket.Runtime;

/// <summary>
/// A fixed set of threads, each owning one runspace, that run queued work (Pode's
/// runspace pools: Web, Signals, Events, Timers, Schedules, WebSockets). Scripts are
/// compiled once per worker and invoked directly in its runspace, so dispatch costs
/// little more than the script itself. The queue is bounded: a full queue refuses work.
/// </summary>
/// <remarks>
/// Each worker takes its work inside one long-running pipeline of its runspace, a
/// <c>try</c> block that calls back into <see cref="Pump"/>. Scripts invoked from there
/// write their non-terminating errors (Write-Error, a cmdlet's WriteError, a failing
/// command) to that pipeline's error stream, which the pool reports to the server log
/// as they arrive; without an enclosing pipeline PowerShell would drop them. The
/// <c>try</c> keeps Pode's semantics, where user scripts run inside try/catch: an error
/// that ends a statement (a .NET exception, an unknown command) ends the script, and
/// reaches the log once, from <see cref="Worker.Invoke"/>.
/// </remarks>
internal sealed class WorkerPool : IDisposable
{
    private readonly Channel<Action<Worker>> _queue;
    private readonly List<Thread> _threads = [];
    private readonly string _name;
    private readonly ServerLog _log;

    public WorkerPool(string name, int size, int capacity, Func<Runspace> createRunspace, ServerLog log)
    {
        _name = name;
        _log = log;
        _queue = Channel.CreateBounded<Action<Worker>>(new BoundedChannelOptions(capacity) { SingleWriter = false, SingleReader = size == 1 });
        for (var i = 0; i < size; i++)
        {
            var thread = new Thread(() => Run(createRunspace)) { IsBackground = true, Name = $"PsWebSocket {name} {i + 1}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Queues work; false when the queue is full or the pool is closing.</summary>
    public bool TryPost(Action<Worker> work) => _queue.Writer.TryWrite(work);

    /// <summary>The worker's pipeline: the try block, and the callback it runs (<c>$args[0]</c>, so no user-visible name).</summary>
    private const string PumpScript = "try { $args[0].Invoke() } catch { throw }";

    private void Run(Func<Runspace> createRunspace)
    {
        Runspace runspace;
        try
        {
            runspace = createRunspace();
            runspace.ThreadOptions = PSThreadOptions.UseCurrentThread; // the pump pipeline runs on this thread
            runspace.Open();
        }
        catch (Exception e)
        {
            _log.Error(new ErrorRecord(e, "WorkerRunspaceFailed", ErrorCategory.OpenError, _name));
            return;
        }
        using (runspace)
        using (var pipeline = PowerShell.Create())
        {
            Runspace.DefaultRunspace = runspace;
            pipeline.Runspace = runspace;
            var worker = new Worker(runspace, _log);
            var streams = pipeline.Streams;
            var pumped = false;
            streams.Error.DataAdded += (_, e) => _log.Error(streams.Error[e.Index]);
            pipeline.AddScript(PumpScript).AddArgument(new Action(() =>
            {
                pumped = true;
                Pump(worker, streams);
            }));
            try
            {
                pipeline.Invoke();
            }
            catch (Exception e)
            {
                _log.Error(new ErrorRecord(e, "WorkerFailed", ErrorCategory.NotSpecified, _name));
            }
            if (!pumped)
            {
                // The pipeline could not call back (a locked-down language mode, say): take the work all the same,
                // at the price of the errors that scripts only write.
                _log.Warning($"The {_name} runspace could not start its pipeline: errors that scripts write without throwing are not reported.");
                Pump(worker, streams);
            }
            Runspace.DefaultRunspace = null;
        }
    }

    /// <summary>Runs queued work until the pool closes, inside the worker's pipeline.</summary>
    private void Pump(Worker worker, PSDataStreams streams)
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var work))
            {
                try
                {
                    work(worker);
                }
                catch (Exception e)
                {
                    _log.Error(new ErrorRecord(e, "WorkerFailed", ErrorCategory.NotSpecified, _name));
                }
                // The pipeline lives as long as the worker: keep no records (errors were reported as they came).
                streams.ClearStreams();
            }
        }
    }

    /// <summary>Stops taking work, lets queued work finish, and waits (bounded) for the threads.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>One worker thread and its runspace.</summary>
internal sealed class Worker(Runspace runspace, ServerLog log)
{
    private readonly Dictionary<ScriptDef, ScriptBlock> _compiled = new();

    /// <summary>The worker's runspace.</summary>
    public Runspace Runspace { get; } = runspace;

    /// <summary>
    /// Runs a captured script with these variables (e.g. <c>WebEvent</c>) in a fresh
    /// local scope. A script that throws is reported and false returned; errors it writes
    /// without ending go to the pool's pipeline, which reports them (see <see cref="WorkerPool"/>).
    /// <paramref name="arguments"/>, when given, are splatted instead of the script's -ArgumentList.
    /// </summary>
    public bool Invoke(ScriptDef script, IEnumerable<KeyValuePair<string, object?>> variables, out Collection<PSObject> output, object?[]? arguments = null)
    {
        if (!_compiled.TryGetValue(script, out var block))
        {
            block = ScriptBlock.Create(script.Text);
            _compiled[script] = block;
        }
        var scope = new List<PSVariable>();
        foreach (var (name, value) in script.UsingValues)
        {
            scope.Add(new PSVariable(name, value));
        }
        foreach (var (name, value) in variables)
        {
            scope.Add(new PSVariable(name, value));
        }
        try
        {
            output = block.InvokeWithContext(null, scope, arguments ?? script.Arguments);
            return true;
        }
        catch (RuntimeException e)
        {
            log.Error(new ErrorRecord(e.ErrorRecord, e));
        }
        catch (Exception e)
        {
            log.Error(new ErrorRecord(e, "ScriptFailed", ErrorCategory.NotSpecified, script.Source));
        }
        output = [];
        return false;
    }
}
