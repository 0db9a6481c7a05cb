int exit = await MlNetMnist.Host.Commands.Cli.RunAsync(args, Console.Out, Console.Error);
Console.CancelKeyPress += (_, e) => e.Cancel = true; // the outcome is printed: a Ctrl+C while the runtime shuts down must not turn it into 130
return exit;
