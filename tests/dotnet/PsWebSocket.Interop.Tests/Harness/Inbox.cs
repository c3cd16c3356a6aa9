namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>
/// Items that arrive on other threads (engine callbacks), taken out by the test in any
/// order: <see cref="TakeAsync{T}"/> removes the first item of a type that matches, waiting
/// (bounded) for one to arrive. Items that no one takes are kept for later waits.
/// </summary>
internal sealed class Inbox<TItem> where TItem : class
{
    private readonly object _gate = new();
    private readonly List<TItem> _items = [];
    private readonly List<TItem> _seen = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Adds an item (any thread, never blocks).</summary>
    public void Add(TItem item)
    {
        TaskCompletionSource arrived;
        lock (_gate)
        {
            _items.Add(item);
            _seen.Add(item);
            arrived = _arrived;
            _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        arrived.TrySetResult();
    }

    /// <summary>Items not taken yet.</summary>
    public List<TItem> Pending()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    /// <summary>Removes and returns the first item of type <typeparamref name="T"/> matching
    /// <paramref name="match"/>, waiting for it until <paramref name="cancel"/> fires.</summary>
    public async Task<T> TakeAsync<T>(CancellationToken cancel, Func<T, bool>? match = null) where T : TItem
    {
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                var index = _items.FindIndex(item => item is T typed && (match?.Invoke(typed) ?? true));
                if (index >= 0)
                {
                    var found = (T)_items[index];
                    _items.RemoveAt(index);
                    return found;
                }
                arrived = _arrived.Task;
            }
            try
            {
                await arrived.WaitAsync(cancel);
            }
            catch (OperationCanceledException)
            {
                string seen;
                lock (_gate)
                {
                    seen = string.Join(Environment.NewLine, _seen.TakeLast(30));
                }
                throw new TimeoutException($"no matching {typeof(T).Name} arrived in time; last items seen:{Environment.NewLine}{seen}");
            }
        }
    }
}
