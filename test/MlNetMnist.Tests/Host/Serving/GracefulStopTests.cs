using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using MlNetMnist.Host.Serving;
using MlNetMnist.Tests.Host;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>`serve` as a child process stopped with SIGTERM under load: it stops accepting, finishes what it accepted, exits 0.</summary>
[TestClass]
public sealed class GracefulStopTests
{
    /// <summary>A JSON body sent in pieces over about a second, so that its request is in flight when the signal comes.</summary>
    sealed class SlowBody(byte[] body, TaskCompletionSource started) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            int piece = body.Length / 10 + 1;
            for (int at = 0; at < body.Length; at += piece)
            {
                await stream.WriteAsync(body.AsMemory(at, Math.Min(piece, body.Length - at)));
                await stream.FlushAsync();
                started.TrySetResult();
                await Task.Delay(100);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    /// <summary>A refused connection: the server no longer accepts, so the request never reached it.</summary>
    static bool Refused(HttpRequestException e) => e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    /// <summary>
    /// A kept-alive connection the server closed, idle, as it stopped, while this request was on its way: no byte of an
    /// answer came, the close seen as the end of the stream or, when the request's bytes met the closed socket, as a
    /// reset. Whether the server had begun the request is told by comparing its count with the answers (below).
    /// </summary>
    static bool ClosedUnanswered(HttpRequestException e) => e.HttpRequestError == HttpRequestError.ResponseEnded
        || e.InnerException is IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } };

    [TestMethod]
    public async Task Sigterm_UnderLoad_FinishesEveryAcceptedRequest_AndExitsZero()
    {
        using var dir = TestData.TempDirectory();
        string served = dir.File("served.zip");
        File.Copy(ServingModels.First, served);
        using var server = HostProcess.Start("serve", "--model", served, "--urls", "http://127.0.0.1:0");
        string line = await server.LineAsync(l => l.StartsWith("serving "), TimeSpan.FromMinutes(1));
        var url = new Uri(line.Split(' ').First(w => w.StartsWith("http://")).TrimEnd(';') + "/");
        var offline = ServingModels.Offline(ServingModels.First);
        var bodies = ServingModels.Test.Select(d => Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', d.Pixels)}]}}")).ToArray();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false }) { BaseAddress = url };

        var failures = new ConcurrentBag<string>();
        int answered = 0, refused = 0, closed = 0;
        bool signalled = false;
        int answeredAfterSignal = 0;
        async Task<bool> Ask(int row, HttpContent content)
        {
            try
            {
                using var response = await http.PostAsync("predict", content);
                var answer = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<ServeApp.PredictResponse>() : null;
                if (answer is null || answer.Digit != offline[row].PredictedDigit)
                    failures.Add($"row {row}: HTTP {(int)response.StatusCode} {answer?.Digit}");
                Interlocked.Increment(ref answered);
                if (Volatile.Read(ref signalled)) Interlocked.Increment(ref answeredAfterSignal);
                return true;
            }
            catch (HttpRequestException e) when (Refused(e))
            {
                Interlocked.Increment(ref refused);
                return false;
            }
            catch (HttpRequestException e) when (ClosedUnanswered(e))
            {
                Interlocked.Increment(ref closed);
                return true; // the client goes on: its next request meets a refused connection
            }
            catch (Exception e)
            {
                failures.Add($"row {row}: {e.GetType().Name}: {e.Message} {e.InnerException?.Message}");
                return false;
            }
        }

        // 12 clients as fast as they can, 4 that each send a slow body: all of them run until the server refuses them.
        var slowStarted = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var fast = Enumerable.Range(0, 12).Select(c => Task.Run(async () =>
        {
            for (int i = c; await Ask(i % bodies.Length, new ByteArrayContent(bodies[i % bodies.Length]) { Headers = { ContentType = new("application/json") } }); i += 12) { }
        })).ToArray();
        await Task.Delay(1000);
        var slow = Enumerable.Range(0, 4).Select(c => Ask(c, new SlowBody(bodies[c], slowStarted[c]) { Headers = { ContentType = new("application/json") } })).ToArray();
        await Task.WhenAll(slowStarted.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(30));

        Volatile.Write(ref signalled, true);
        server.Terminate();
        Assert.AreEqual(0, await server.ExitAsync(TimeSpan.FromSeconds(60)), server.Err);
        await Task.WhenAll(fast).WaitAsync(TimeSpan.FromSeconds(30));
        var slowAnswered = await Task.WhenAll(slow);

        Console.WriteLine($"answered {answered} ({answeredAfterSignal} after SIGTERM), refused {refused}, closed unanswered {closed}");
        Console.WriteLine(server.Out);
        Assert.IsEmpty(failures, string.Join("\n", failures.Take(10)));
        // Every request the server began was answered: its own count is the clients' count of answers, so the requests
        // whose connection closed unanswered never reached it.
        StringAssert.Contains(server.Out, $"stopped: answered {answered:N0} requests, 0 unfinished.");
        CollectionAssert.AreEqual(new[] { true, true, true, true }, slowAnswered, "the slow requests in flight at SIGTERM were answered");
        Assert.IsGreaterThanOrEqualTo(4, answeredAfterSignal);
        Assert.IsGreaterThan(0, refused, "the clients ran until the server stopped accepting");
    }
}
