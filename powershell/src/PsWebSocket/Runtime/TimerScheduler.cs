using System.Collections;
using System.Management.Automation;
using Cronos;

namespace PsWebSocket.Runtime;

/// <summary>A timer (Add-PodeTimer): a script run every <see cref="Interval"/> seconds.</summary>
internal sealed class PodeTimer
{
    public PodeTimer(string name, int interval, int limit, int skip, bool onStart, ScriptDef script)
    {
        Name = name;
        Interval = interval;
        Limit = limit;
        Skip = skip;
        OnStart = onStart;
        Script = script;
        Sender = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Name"] = name,
            ["Interval"] = interval,
            ["Limit"] = limit,
            ["Count"] = 0,
            ["Skip"] = skip,
            ["NextTriggerTime"] = null,
            ["LastTriggerTime"] = null,
            ["Arguments"] = script.Arguments,
            ["OnStart"] = onStart,
            ["Completed"] = false,
        };
    }

    public string Name { get; }
    public int Interval { get; }
    public int Limit { get; }
    public int Skip { get; }
    public bool OnStart { get; }
    public ScriptDef Script { get; }

    /// <summary>Pode's timer record: <c>$TimerEvent.Sender</c>.</summary>
    public Hashtable Sender { get; }

    // Scheduling state, guarded by the scheduler's lock.
    internal int Count;
    internal DateTime NextUtc = DateTime.MaxValue;
    internal bool OnStartPending;
    internal bool Running;
    internal bool Completed;
}

/// <summary>A schedule (Add-PodeSchedule): a script run at the times of cron expressions.</summary>
internal sealed class PodeSchedule
{
    public PodeSchedule(string name, string[] crons, CronExpression[] parsed, int limit, DateTime? startTime, DateTime? endTime, bool onStart,
        ScriptDef script, Hashtable arguments, bool takesEvent)
    {
        Name = name;
        Crons = parsed;
        Limit = limit;
        StartUtc = startTime?.ToUniversalTime();
        EndUtc = endTime?.ToUniversalTime();
        OnStart = onStart;
        Script = script;
        Arguments = arguments;
        TakesEvent = takesEvent;
        Sender = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Name"] = name,
            ["StartTime"] = startTime,
            ["EndTime"] = endTime,
            ["Crons"] = parsed,
            ["CronsRaw"] = crons,
            ["Limit"] = limit,
            ["Count"] = 0,
            ["NextTriggerTime"] = null,
            ["LastTriggerTime"] = null,
            ["Arguments"] = arguments,
            ["OnStart"] = onStart,
            ["Completed"] = false,
        };
    }

    public string Name { get; }
    public CronExpression[] Crons { get; }
    public int Limit { get; }
    public DateTime? StartUtc { get; }
    public DateTime? EndUtc { get; }
    public bool OnStart { get; }

    /// <summary>The script, wrapped to splat <see cref="Arguments"/> (and Event) by name, as Pode does.</summary>
    public ScriptDef Script { get; }
    public Hashtable Arguments { get; }

    /// <summary>True if the script declares a <c>$Event</c> parameter (Pode passes the event as -Event).</summary>
    public bool TakesEvent { get; }

    /// <summary>Pode's schedule record: <c>$ScheduleEvent.Sender</c>.</summary>
    public Hashtable Sender { get; }

    // Scheduling state, guarded by the scheduler's lock.
    internal int Count;
    internal DateTime? NextUtc;
    internal bool OnStartPending;
    internal bool Completed;

    /// <summary>The first trigger strictly after <paramref name="fromUtc"/> (and not before StartTime), or null past EndTime.</summary>
    public DateTime? NextAfter(DateTime fromUtc)
    {
        var from = fromUtc;
        var inclusive = false;
        if (StartUtc is { } start && start > from)
        {
            from = start;
            inclusive = true;
        }
        var next = Cron.Next(Crons, from, inclusive);
        return next is { } n && EndUtc is { } end && n > end ? null : next;
    }
}

/// <summary>Cron expressions as Pode reads them: five fields, Pode's predefined names, local time.</summary>
internal static class Cron
{
    /// <summary>Pode's predefined expressions.</summary>
    private static readonly Dictionary<string, string> Predefined = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@minutely"] = "* * * * *",
        ["@hourly"] = "0 * * * *",
        ["@daily"] = "0 0 * * *",
        ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *",
        ["@quarterly"] = "0 0 1 1,4,7,10 *",
        ["@quaterly"] = "0 0 1 1,4,7,10 *",
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
        ["@twice-hourly"] = "0,30 * * * *",
        ["@twice-daily"] = "0 0,12 * * *",
        ["@twice-weekly"] = "0 0 * * 0,4",
        ["@twice-monthly"] = "0 0 1,15 * *",
        ["@twice-yearly"] = "0 0 1 1,6 *",
        ["@twice-annually"] = "0 0 1 1,6 *",
    };

    /// <summary>Parses one expression; throws <see cref="CronFormatException"/> with the reason.</summary>
    public static CronExpression Parse(string expression)
    {
        var text = (expression ?? "").Trim();
        if (Predefined.TryGetValue(text, out var known))
        {
            text = known;
        }
        return CronExpression.Parse(text, CronFormat.Standard);
    }

    /// <summary>The earliest next occurrence of any expression after <paramref name="fromUtc"/>, in the local time zone.</summary>
    public static DateTime? Next(IEnumerable<CronExpression> crons, DateTime fromUtc, bool inclusive = false)
    {
        DateTime? best = null;
        var from = new DateTimeOffset(DateTime.SpecifyKind(fromUtc, DateTimeKind.Utc));
        foreach (var cron in crons)
        {
            if (cron.GetNextOccurrence(from, TimeZoneInfo.Local, inclusive) is { } next && (best is null || next.UtcDateTime < best))
            {
                best = next.UtcDateTime;
            }
        }
        return best;
    }
}

/// <summary>
/// Timers and schedules of a server (Add-PodeTimer, Add-PodeSchedule). One scheduler
/// thread computes what is due and posts the runs to the Timers pool (one runspace, so
/// timers run one after another, as in Pode) and the Schedules pool (runs of schedules
/// may overlap). A timer whose previous run is still going waits for it rather than
/// stacking runs. Timers added before the server starts count their interval from the
/// start; timers added later, from their addition.
/// </summary>
internal sealed class TimerScheduler(PodeContext context) : IDisposable
{
    /// <summary>Runspaces of the Schedules pool.</summary>
    private const int ScheduleThreads = 2;

    private readonly object _gate = new();
    private readonly Dictionary<string, PodeTimer> _timers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, PodeSchedule> _schedules = new(StringComparer.OrdinalIgnoreCase);
    private readonly AutoResetEvent _wake = new(false);
    private Thread? _thread;
    private WorkerPool? _timerPool;
    private WorkerPool? _schedulePool;
    private bool _started;
    private bool _disposed;

    internal PodeContext Context { get; } = context;

    /// <summary>Adds a timer; a second timer with the same name is an error.</summary>
    public void AddTimer(PodeTimer timer)
    {
        lock (_gate)
        {
            if (_timers.ContainsKey(timer.Name))
            {
                throw new ArgumentException($"A timer named '{timer.Name}' already exists: choose another name.");
            }
            _timers.Add(timer.Name, timer);
            if (_started)
            {
                Arm(timer, DateTime.UtcNow);
                EnsureTimerPool();
            }
        }
        _wake.Set();
    }

    /// <summary>Adds a schedule; a second schedule with the same name is an error.</summary>
    public void AddSchedule(PodeSchedule schedule)
    {
        lock (_gate)
        {
            if (_schedules.ContainsKey(schedule.Name))
            {
                throw new ArgumentException($"A schedule named '{schedule.Name}' already exists: choose another name.");
            }
            _schedules.Add(schedule.Name, schedule);
            Arm(schedule, DateTime.UtcNow, _started);
            if (_started)
            {
                EnsureSchedulePool();
            }
        }
        _wake.Set();
    }

    /// <summary>The timers with these names (all when none are given), in name order.</summary>
    public PodeTimer[] Timers(string[]? names)
    {
        lock (_gate)
        {
            return [.. _timers.Values.Where(t => names is not { Length: > 0 } || names.Contains(t.Name, StringComparer.OrdinalIgnoreCase)).OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)];
        }
    }

    /// <summary>The schedules with these names (all when none are given), in name order.</summary>
    public PodeSchedule[] Schedules(string[]? names)
    {
        lock (_gate)
        {
            return [.. _schedules.Values.Where(s => names is not { Length: > 0 } || names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];
        }
    }

    /// <summary>Removes a timer (a run in progress finishes); false if there is none of that name.</summary>
    public bool RemoveTimer(string name)
    {
        lock (_gate)
        {
            return _timers.Remove(name);
        }
    }

    /// <summary>Removes a schedule (a run in progress finishes); false if there is none of that name.</summary>
    public bool RemoveSchedule(string name)
    {
        lock (_gate)
        {
            return _schedules.Remove(name);
        }
    }

    /// <summary>
    /// Runs a timer once now, besides its interval (Invoke-PodeTimer), with other arguments if given;
    /// false if there is no such timer. The run does not count towards the timer's limit.
    /// </summary>
    public bool InvokeTimer(string name, object?[]? arguments)
    {
        WorkerPool? pool;
        PodeTimer? timer;
        lock (_gate)
        {
            if (!_timers.TryGetValue(name, out timer))
            {
                return false;
            }
            EnsureTimerPool();
            pool = _timerPool;
        }
        if (pool is null || !pool.TryPost(w => Execute(w, timer, arguments)))
        {
            Context.Log.Warning($"Timer '{name}' was not invoked: the Timers queue is full or the server is stopping.");
        }
        return true;
    }

    /// <summary>
    /// Runs a schedule once now, besides its cron (Invoke-PodeSchedule), with extra named arguments;
    /// false if there is no such schedule. The run does not count towards the schedule's limit.
    /// </summary>
    public bool InvokeSchedule(string name, Hashtable? arguments)
    {
        WorkerPool? pool;
        PodeSchedule? schedule;
        lock (_gate)
        {
            if (!_schedules.TryGetValue(name, out schedule))
            {
                return false;
            }
            EnsureSchedulePool();
            pool = _schedulePool;
        }
        if (pool is null || !pool.TryPost(w => RunSchedule(w, schedule, arguments)))
        {
            Context.Log.Warning($"Schedule '{name}' was not invoked: the Schedules queue is full or the server is stopping.");
        }
        return true;
    }

    /// <summary>Starts the clock of the timers and schedules added so far, and the scheduler thread.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_started || _disposed)
            {
                return;
            }
            _started = true;
            var now = DateTime.UtcNow;
            foreach (var timer in _timers.Values)
            {
                Arm(timer, now);
            }
            foreach (var schedule in _schedules.Values)
            {
                Arm(schedule, now, onStart: true);
            }
            if (_timers.Count > 0 || Context.EnabledPools.Contains("Timers"))
            {
                EnsureTimerPool();
            }
            if (_schedules.Count > 0 || Context.EnabledPools.Contains("Schedules"))
            {
                EnsureSchedulePool();
            }
            _thread = new Thread(Run) { IsBackground = true, Name = "PsWebSocket scheduler" };
            _thread.Start();
        }
    }

    /// <summary>First trigger: OnStart at once, else after Interval × (Skip + 1).</summary>
    private static void Arm(PodeTimer timer, DateTime now)
    {
        timer.OnStartPending = timer.OnStart;
        timer.NextUtc = After(now, (double)timer.Interval * ((double)timer.Skip + 1));
        timer.Sender["NextTriggerTime"] = timer.NextUtc.ToLocalTime();
    }

    /// <summary><paramref name="time"/> plus some seconds, or DateTime.MaxValue (never) past the calendar's end.</summary>
    private static DateTime After(DateTime time, double seconds) =>
        seconds < (DateTime.MaxValue - time).TotalSeconds - 1 ? time.AddSeconds(seconds) : DateTime.MaxValue;

    private static void Arm(PodeSchedule schedule, DateTime now, bool onStart)
    {
        schedule.OnStartPending = onStart && schedule.OnStart;
        schedule.NextUtc = schedule.NextAfter(now);
        schedule.Sender["NextTriggerTime"] = schedule.NextUtc?.ToLocalTime();
    }

    private void EnsureTimerPool()
    {
        if (!_disposed)
        {
            _timerPool ??= Context.NewPool("Timers", 1);
        }
    }

    private void EnsureSchedulePool()
    {
        if (!_disposed)
        {
            _schedulePool ??= Context.NewPool("Schedules", ScheduleThreads);
        }
    }

    private void Run()
    {
        while (true)
        {
            TimeSpan? wait;
            try
            {
                wait = Tick();
            }
            catch (Exception e)
            {
                // Never lose the scheduler to one bad timer or schedule: report it, and look again shortly.
                Context.Log.Error(new ErrorRecord(e, "SchedulerFailed", ErrorCategory.NotSpecified, null));
                wait = TimeSpan.FromSeconds(1);
            }
            if (wait is null)
            {
                return;
            }
            _wake.WaitOne(wait.Value);
        }
    }

    /// <summary>Fires what is due; returns how long to sleep, or null once disposed.</summary>
    private TimeSpan? Tick()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }
            var now = DateTime.UtcNow;
            var earliest = DateTime.MaxValue;
            foreach (var timer in _timers.Values.ToArray())
            {
                if (timer.Running)
                {
                    continue; // woken again when the run ends
                }
                if (timer.OnStartPending || timer.NextUtc <= now)
                {
                    Fire(timer, now);
                }
                if (!timer.Completed && !timer.Running && timer.NextUtc < earliest)
                {
                    earliest = timer.NextUtc;
                }
            }
            foreach (var schedule in _schedules.Values.ToArray())
            {
                if (schedule.OnStartPending || schedule.NextUtc <= now)
                {
                    Fire(schedule, now);
                }
                if (schedule.EndUtc <= now || (schedule.NextUtc is null && !schedule.OnStartPending))
                {
                    Complete(schedule);
                }
                if (!schedule.Completed && schedule.NextUtc is { } next && next < earliest)
                {
                    earliest = next;
                }
            }
            // Look again at least every second: the wall clock can jump.
            return earliest == DateTime.MaxValue ? Timeout.InfiniteTimeSpan
                : TimeSpan.FromTicks(Math.Clamp((earliest - DateTime.UtcNow).Ticks, 0, TimeSpan.TicksPerSecond));
        }
    }

    private void Fire(PodeTimer timer, DateTime now)
    {
        var due = timer.OnStartPending ? now : timer.NextUtc;
        timer.OnStartPending = false;
        timer.Count++;
        timer.Completed = timer.Limit > 0 && timer.Count >= timer.Limit;
        // The next trigger keeps the rhythm of the interval, without catching up on missed ones.
        var next = After(due, timer.Interval);
        timer.NextUtc = timer.Completed ? DateTime.MaxValue : next > now ? next : After(now, timer.Interval);
        timer.Sender["Count"] = timer.Count;
        timer.Sender["LastTriggerTime"] = due.ToLocalTime();
        timer.Sender["NextTriggerTime"] = timer.Completed ? null : timer.NextUtc.ToLocalTime();
        timer.Sender["Completed"] = timer.Completed;
        timer.Sender["OnStart"] = false;
        if (timer.Completed)
        {
            _timers.Remove(timer.Name);
        }
        var pool = _timerPool;
        timer.Running = true;
        if (pool is null || !pool.TryPost(w => RunTimer(w, timer)))
        {
            timer.Running = false;
            Context.Log.Warning($"Timer '{timer.Name}' skipped a run: the Timers queue is full or the server is stopping.");
        }
    }

    private void RunTimer(Worker worker, PodeTimer timer)
    {
        try
        {
            Execute(worker, timer, null);
        }
        finally
        {
            lock (_gate)
            {
                timer.Running = false;
            }
            _wake.Set();
        }
    }

    /// <summary>One run of a timer's script, with $TimerEvent.</summary>
    private void Execute(Worker worker, PodeTimer timer, object?[]? arguments)
    {
        var timerEvent = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Lockable"] = Context.Lockable,
            ["Sender"] = timer.Sender,
            ["Timestamp"] = DateTime.UtcNow,
            ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
        };
        if (!worker.Invoke(timer.Script, [new("TimerEvent", timerEvent)], out _, arguments))
        {
            Context.Log.Warning($"Timer '{timer.Name}' failed (error above); it keeps running.");
        }
    }

    private void Fire(PodeSchedule schedule, DateTime now)
    {
        var due = schedule.OnStartPending || schedule.NextUtc is null ? now : schedule.NextUtc.Value;
        schedule.OnStartPending = false;
        schedule.Count++;
        schedule.Sender["Count"] = schedule.Count;
        schedule.Sender["LastTriggerTime"] = due.ToLocalTime();
        schedule.Sender["OnStart"] = false;
        schedule.NextUtc = schedule.Limit > 0 && schedule.Count >= schedule.Limit ? null : schedule.NextAfter(now);
        schedule.Sender["NextTriggerTime"] = schedule.NextUtc?.ToLocalTime();
        if (schedule.NextUtc is null)
        {
            Complete(schedule);
        }
        var pool = _schedulePool;
        if (pool is null || !pool.TryPost(w => RunSchedule(w, schedule)))
        {
            Context.Log.Warning($"Schedule '{schedule.Name}' skipped a run: the Schedules queue is full or the server is stopping.");
        }
    }

    /// <summary>A schedule that will not trigger again is marked completed and removed.</summary>
    private void Complete(PodeSchedule schedule)
    {
        schedule.Completed = true;
        schedule.NextUtc = null;
        schedule.Sender["Completed"] = true;
        schedule.Sender["NextTriggerTime"] = null;
        if (_schedules.TryGetValue(schedule.Name, out var current) && ReferenceEquals(current, schedule))
        {
            _schedules.Remove(schedule.Name);
        }
    }

    private void RunSchedule(Worker worker, PodeSchedule schedule) => RunSchedule(worker, schedule, null);

    private void RunSchedule(Worker worker, PodeSchedule schedule, Hashtable? extra)
    {
        var scheduleEvent = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Lockable"] = Context.Lockable,
            ["Sender"] = schedule.Sender,
            ["Timestamp"] = DateTime.UtcNow,
            ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
        };
        var splat = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var arguments in new[] { schedule.Arguments, extra ?? [] })
        {
            foreach (DictionaryEntry argument in arguments)
            {
                splat[argument.Key] = argument.Value;
            }
        }
        if (schedule.TakesEvent)
        {
            splat["Event"] = scheduleEvent;
        }
        if (!worker.Invoke(schedule.Script, [new("ScheduleEvent", scheduleEvent), new(ScheduleSplatVariable, splat)], out _))
        {
            Context.Log.Warning($"Schedule '{schedule.Name}' failed (error above); it keeps its schedule.");
        }
    }

    /// <summary>The variable a schedule's wrapper script splats into the user's script block.</summary>
    internal const string ScheduleSplatVariable = "__pode_schedule_args";

    /// <summary>Stops the scheduler thread; runs in progress finish in their pools, which the server disposes.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            thread = _thread;
        }
        _wake.Set();
        thread?.Join(TimeSpan.FromSeconds(5));
    }
}
