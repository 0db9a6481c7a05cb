return await MlNetMnist.Host.Cli.RunAsync(args, Console.Out, Console.Error);
