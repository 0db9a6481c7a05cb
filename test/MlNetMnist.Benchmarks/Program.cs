using BenchmarkDotNet.Running;

// Run all benchmarks, or pick with --filter, e.g. `dotnet run -c Release -- --filter *DataLoader*`.
BenchmarkSwitcher.FromAssembly(typeof(MlNetMnist.Benchmarks.TrainingEpochBenchmarks).Assembly).Run(args);
