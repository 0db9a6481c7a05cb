using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Commands;

/// <summary>Options and steps that several commands share.</summary>
internal static class CommonOptions
{
    public static Option<DirectoryInfo?> Data() => new("--data")
    {
        Description = "A folder holding the four MNIST IDX files (raw or .gz); default: the cache, fetched when missing.",
    };

    public static Option<FileInfo> Model(bool required) => new("--model")
    {
        Description = "The model zip.", Required = required, DefaultValueFactory = _ => new FileInfo("model.zip"),
    };

    public static Option<string> Split() => new("--split")
    {
        Description = "Which rows: test or valid.", DefaultValueFactory = _ => "test",
    };

    public static IDataView PickSplit(MnistSplits splits, string split) => split switch
    {
        "test" => splits.Test,
        "valid" => splits.Valid,
        _ => throw new ArgumentException($"--split must be test or valid, not '{split}'."),
    };

    /// <summary>MNIST from --data, or from the cache (fetched on first use).</summary>
    public static Task<MnistFiles> FilesAsync(DirectoryInfo? data, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellation) =>
        data is null
            ? MnistFiles.EnsureAsync(new MnistFetchOptions { Progress = progress }, cancellation)
            : Task.FromResult(MnistFiles.FromDirectory(data.FullName));

    /// <summary>Loads a model zip, with a one-line error when it is missing or not ours.</summary>
    public static ITransformer LoadModel(MLContext ml, FileInfo model)
    {
        if (!model.Exists) throw new FileNotFoundException($"Model file '{model.FullName}' does not exist.");
        try
        {
            return ml.Model.Load(model.FullName, out _);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException($"Model file '{model.FullName}' could not be loaded: {Cause(e)}", e);
        }
    }

    static string Cause(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e.Message.Split('\n')[0].Trim();
    }

    /// <summary>The trained MLP inside a loaded pipeline.</summary>
    public static MlpModelParameters Mlp(ITransformer model, FileInfo file) =>
        (model as IEnumerable<ITransformer> ?? [model]).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().FirstOrDefault()?.Model
        ?? throw new InvalidDataException($"Model file '{file.FullName}' holds no MLP trained by mlnet-mnist.");
}
