using BenchmarkDotNet.Running;

// Run all benchmarks, or pick with --filter, e.g. `dotnet run -c Release -- --filter *DataLoader*`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
