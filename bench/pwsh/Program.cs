using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using PsWebSocket.Module.Tests.Harness;

// PsBench [--threads 2] [--clients 16] [--seconds 5] [--loop 40000] [--rounds 3] [--fanout 1000]
// 1. dispatch: K clients each send {"message":"x"} and wait for the reply, as fast as
//    replies come, to a signal route whose script block is only `Send-PodeSignal -Mode
//    Direct`; replies per second over the measurement window.
// 2. limit: the same script block invoked N times in a loop inside one runspace (a signal
//    route of the same server runs the loop with its own $SignalEvent); calls per second.
//    Dispatch and limit alternate for --rounds rounds after a 3 s warm-up of both (the JIT
//    tiers up meanwhile); the ratio is the median of the rounds' ratios.
// 3. fan-out: 1,000 clients on one Name, one timer run of Send-PodeSignal; time from the
//    send until the last client has the message.
var options = Options.Parse(args);
PSStyle.Instance.OutputRendering = OutputRendering.PlainText;
var moduleDir = typeof(Options).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "PsModuleDir").Value!;
var port = FreePort();
const string script = """
    Start-PodeServer -Threads $threads {
        Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
        Add-PodeSignalRoute -Path '/echo' -ScriptBlock { Send-PodeSignal -Mode Direct -Value $SignalEvent.Data.Message }
        Add-PodeSignalRoute -Path '/limit' -ScriptBlock {
            $body = { Send-PodeSignal -Mode Direct -Value $SignalEvent.Data.Message }
            $n = [int]$SignalEvent.Data.Message
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $n; $i++) { & $body }
            $watch.Stop()
            Send-PodeSignal -Mode Direct -Value "done $($watch.Elapsed.TotalSeconds)"
        }
        Add-PodeRoute -Method Get -Path '/fanout' -ScriptBlock {
            Add-PodeTimer -Name "fanout$([guid]::NewGuid())" -Interval 1 -Limit 1 -ScriptBlock {
                Send-PodeSignal -Name '/fan' -Value ([System.Diagnostics.Stopwatch]::GetTimestamp().ToString())
            }
        }
    }
    """;

var text = new StringWriter();
var iss = InitialSessionState.CreateDefault2();
iss.ImportPSModule([Path.Combine(moduleDir, "PsWebSocket.psd1")]);
using var runspace = RunspaceFactory.CreateRunspace(new TextHost(text), iss);
runspace.Open();
runspace.SessionStateProxy.SetVariable("port", port);
runspace.SessionStateProxy.SetVariable("threads", options.Threads);
using var ps = PowerShell.Create(runspace);
ps.AddScript(script);
var server = Task.Factory.StartNew(() => ps.Invoke(), TaskCreationOptions.LongRunning);
await WaitForPort(port);

// Warm up every worker runspace (the first script of a runspace compiles it) and both paths.
await Echo(options.Clients, TimeSpan.FromSeconds(3));
await Limit(options.Loop / 4);
var rounds = new List<(double Dispatch, double Limit)>();
for (var round = 0; round < options.Rounds; round++)
{
    var dispatched = await Echo(options.Clients, TimeSpan.FromSeconds(options.Seconds));
    rounds.Add((dispatched / options.Seconds, await Limit(options.Loop)));
}
var median = rounds.OrderBy(r => r.Dispatch / r.Limit).ElementAt(rounds.Count / 2);
var fanout = await FanOut(options.Fanout);

ps.BeginStop(null, null);
await Task.WhenAny(server, Task.Delay(TimeSpan.FromSeconds(20)));

Console.WriteLine($"| measure | value |");
Console.WriteLine($"|---|---:|");
Console.WriteLine($"| signal route dispatch, -Threads {options.Threads}, {options.Clients} clients (replies/s) | {median.Dispatch:F0} |");
Console.WriteLine($"| same script block looped in one runspace (calls/s) | {median.Limit:F0} |");
Console.WriteLine($"| dispatch / loop (median of {rounds.Count} rounds) | {median.Dispatch / median.Limit:F2}x |");
Console.WriteLine($"| rounds (dispatch/s, loop/s) | {string.Join("; ", rounds.Select(r => $"{r.Dispatch:F0}, {r.Limit:F0}"))} |");
Console.WriteLine($"| timer Send-PodeSignal to {options.Fanout} clients: last client has it after | {fanout.TotalMilliseconds:F1} ms |");
return 0;

async Task<long> Echo(int clients, TimeSpan window)
{
    var sockets = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Connect("/echo")));
    long replies = 0;
    using var stop = new CancellationTokenSource(window);
    await Task.WhenAll(sockets.Select(async ws =>
    {
        var payload = Encoding.UTF8.GetBytes("""{"message":"x"}""");
        var buffer = new byte[1024];
        while (!stop.IsCancellationRequested)
        {
            await ws.SendAsync(payload, WebSocketMessageType.Text, true, CancellationToken.None);
            await ws.ReceiveAsync(buffer, CancellationToken.None);
            Interlocked.Increment(ref replies);
        }
    }));
    foreach (var ws in sockets)
    {
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        ws.Dispose();
    }
    return replies;
}

async Task<double> Limit(int n)
{
    using var ws = await Connect("/limit");
    var reader = Task.Run(async () =>
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
            var s = Encoding.UTF8.GetString(buffer, 0, r.Count);
            if (s.StartsWith("done ")) return double.Parse(s[5..], System.Globalization.CultureInfo.InvariantCulture);
        }
    });
    await ws.SendAsync(Encoding.UTF8.GetBytes($$"""{"message":{{n}}}"""), WebSocketMessageType.Text, true, CancellationToken.None);
    var seconds = await reader;
    return n / seconds;
}

async Task<TimeSpan> FanOut(int clients)
{
    var sockets = new List<ClientWebSocket>();
    for (var i = 0; i < clients; i += 100)
    {
        sockets.AddRange(await Task.WhenAll(Enumerable.Range(0, Math.Min(100, clients - i)).Select(_ => Connect("/fan"))));
    }
    var received = sockets.Select(async ws =>
    {
        var buffer = new byte[256];
        var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
        var now = Stopwatch.GetTimestamp();
        return (Sent: long.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count)), Received: now);
    }).ToList();
    using (var http = new HttpClient())
    {
        await http.GetAsync($"http://127.0.0.1:{port}/fanout");
    }
    var times = await Task.WhenAll(received);
    var sent = times.Min(t => t.Sent);
    var last = times.Max(t => t.Received);
    foreach (var ws in sockets)
    {
        ws.Abort();
        ws.Dispose();
    }
    return Stopwatch.GetElapsedTime(sent, last);
}

async Task<ClientWebSocket> Connect(string path)
{
    var ws = new ClientWebSocket();
    await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}{path}"), CancellationToken.None);
    return ws;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForPort(int port)
{
    for (var i = 0; i < 400; i++)
    {
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException)
        {
            await Task.Delay(50);
        }
    }
    throw new TimeoutException($"the server did not listen on {port}");
}

internal sealed record Options(int Threads, int Clients, double Seconds, int Loop, int Rounds, int Fanout)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(2, 16, 5, 40000, 3, 1000);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--threads" => o with { Threads = int.Parse(args[i + 1]) },
                "--clients" => o with { Clients = int.Parse(args[i + 1]) },
                "--seconds" => o with { Seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) },
                "--loop" => o with { Loop = int.Parse(args[i + 1]) },
                "--rounds" => o with { Rounds = int.Parse(args[i + 1]) },
                "--fanout" => o with { Fanout = int.Parse(args[i + 1]) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
