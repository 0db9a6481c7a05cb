using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>The `mlnet-mnist` command line: parse, run one command, map failures to exit codes.</summary>
public static class Cli
{
    public const int Success = 0, Failure = 1, BadArguments = 2, Cancelled = 130;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, output, error, CancellationToken.None);

    /// <summary>Runs one command; <paramref name="cancellation"/> stops it as Ctrl+C does (exit 130).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        // Numbers print as the options read them ("0.5", "39,760") on every machine. CurrentCulture flows with the
        // async call, so the caller's own culture is back when this returns.
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var console = Terminal.Create(output);
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of failures.", Recursive = true };
        var root = new RootCommand("The fast.ai minibatch-training lesson on ML.NET: train, evaluate and query an MLP on MNIST, or on a CSV (train --csv).")
        {
            TrainCommand.Create(console), EvaluateCommand.Create(console), PredictCommand.Create(console), InfoCommand.Create(console),
            BenchCommand.Create(console), LrFindCommand.Create(console), ExportCommand.Create(console),
            ServeCommand.Create(console), LoadTestCommand.Create(console),
        };
        root.Options.Add(verbose);
        // An action of its own, so that "mlnet-mnist frobnicate" reports the unknown word rather than a missing command.
        root.SetAction(_ => Bad(error, $"give a command: {string.Join(", ", root.Subcommands.Select(c => c.Name))}."));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
            return Bad(error, parse.Errors[0].Message);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancel.Token);
        }
        catch (BadArgumentException e)
        {
            return Bad(error, e.Message);
        }
        catch (Exception e) when (Causes(e).Any(c => c is OperationCanceledException))
        {
            error.WriteLine("mlnet-mnist: cancelled; nothing was saved.");
            return Cancelled;
        }
        catch (Exception e) // whatever it is, one line (the stack with --verbose) and exit 1
        {
            error.WriteLine($"mlnet-mnist: {Innermost(e).Message.Split('\n')[0].Trim()}");
            if (parse.GetValue(verbose)) error.WriteLine(e);
            return Failure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    static int Bad(TextWriter error, string message)
    {
        error.WriteLine($"mlnet-mnist: {message} (see --help)");
        return BadArguments;
    }

    /// <summary><paramref name="e"/> and its inner exceptions: ML.NET wraps a cancelled Fit in its own.</summary>
    static IEnumerable<Exception> Causes(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    /// <summary>ML.NET wraps load failures in layers of "Error during class instantiation": the innermost says what is wrong.</summary>
    static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner && e.Message.StartsWith("Error during class instantiation")) e = inner;
        while (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = Innermost(inner);
        return e;
    }
}

/// <summary>A bad argument that only the command itself can see (--index past the end of the split): exit 2 like a parse error.</summary>
internal sealed class BadArgumentException(string message) : Exception(message);

internal static class Terminal
{
    /// <summary>A Spectre console on <paramref name="output"/>: colours and live progress only on a real terminal.</summary>
    public static IAnsiConsole Create(TextWriter output)
    {
        bool interactive = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected
                           && Environment.GetEnvironmentVariable("NO_COLOR") is null && Environment.GetEnvironmentVariable("CI") is null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!interactive) console.Profile.Width = 120; // a pipe has no width: keep tables whole
        return console;
    }
}
