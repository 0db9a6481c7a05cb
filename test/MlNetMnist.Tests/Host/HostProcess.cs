using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace MlNetMnist.Tests.Host;

/// <summary>`mlnet-mnist` (the Host dll beside the tests) run as a child process, to be killed or signalled as an operator would.</summary>
internal sealed class HostProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _out = new(), _err = new();

    HostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static HostProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "mlnet-mnist.dll"), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        return new HostProcess(Process.Start(start)!);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Out { get { lock (_out) return _out.ToString(); } }

    public string Err { get { lock (_err) return _err.ToString(); } }

    /// <summary>SIGKILL: the process ends at once, whatever it was doing.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as a container runtime or systemd stops a service.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, 15) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process to end; returns its exit code.</summary>
    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until standard output holds a line that <paramref name="match"/> accepts; returns it.</summary>
    public async Task<string> LineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Out.Split('\n').FirstOrDefault(match) is { } line) return line;
            if (_process.HasExited) break;
            await Task.Delay(20);
        }
        throw new TimeoutException($"No such line from mlnet-mnist (exited: {_process.HasExited}).\nstdout: {Out}\nstderr: {Err}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
