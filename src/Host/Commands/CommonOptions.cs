using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;

namespace MlNetMnist.Host.Commands;

/// <summary>Options and steps that several commands share.</summary>
internal static class CommonOptions
{
    public static Option<DirectoryInfo> Data() => new Option<DirectoryInfo>("--data")
    {
        Description = "A folder holding the four MNIST IDX files (raw or .gz); default: the cache, fetched when missing.",
    }.AcceptExistingOnly();

    public static Option<FileInfo> Model(string description = "The model zip.") => new Option<FileInfo>("--model") { Description = description, Required = true }.AcceptExistingOnly();

    public const string ZipOrOnnx = "The model zip, or an .onnx file exported from one (scored by ONNX Runtime).";

    public static Option<string> Split()
    {
        var split = new Option<string>("--split") { Description = "Which rows.", DefaultValueFactory = _ => "test" };
        split.CompletionSources.Add("test", "valid"); // help shows --split <test|valid>
        split.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (value is not ("test" or "valid")) result.AddError($"--split must be test or valid, got '{value}'.");
        });
        return split;
    }

    public static Option<MlpEngine> Engine()
    {
        var engine = new Option<MlpEngine>("--engine")
        {
            Description = "How training steps are computed: managed (SIMD over nonzero inputs) or autograd (the lesson's modules on TorchSharp).",
            DefaultValueFactory = _ => ManagedEngine.Instance,
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                var found = MlpEngines.Available.FirstOrDefault(e => e.Name.Equals(text, StringComparison.OrdinalIgnoreCase));
                if (found is null) result.AddError($"--engine must be {string.Join(" or ", MlpEngines.Available.Select(e => e.Name.ToLowerInvariant()))}, got '{text}'.");
                return found!;
            },
        };
        engine.CompletionSources.Add(MlpEngines.Available.Select(e => e.Name.ToLowerInvariant()).ToArray());
        return engine;
    }

    public static IDataView PickSplit(MnistSplits splits, string split) => split == "valid" ? splits.Valid : splits.Test;

    /// <summary>
    /// A CustomParser for a number option: reads the invariant culture (0.5 on every machine) and checks the range, so that
    /// a mistake is a bad argument naming the option as typed ("--lr expects a number, got 'abc'.", "--epochs must be at
    /// least 1, got 0."). A parser rather than a validator: in System.CommandLine 2.0.0 an option validator runs before
    /// conversion, and reading the value there throws when the text is not a number.
    /// </summary>
    public static Func<ArgumentResult, T> Number<T>(Func<T, bool>? valid = null, string rule = "") where T : INumber<T> =>
        result => ParseNumber(result, result.Tokens[0].Value, valid ?? (_ => true), rule);

    /// <summary><see cref="Number"/> for a whole number of at least <paramref name="min"/>.</summary>
    public static Func<ArgumentResult, int> AtLeast(int min) => Number<int>(n => n >= min, $"at least {min}");

    /// <summary><see cref="Number"/> for an option that takes several numbers (--hidden 100 50).</summary>
    public static Func<ArgumentResult, T[]> Numbers<T>(Func<T, bool> valid, string rule) where T : INumber<T> =>
        result => result.Tokens.Select(token => ParseNumber(result, token.Value, valid, rule)).ToArray();

    /// <summary>
    /// A validator for an output file option: a file name in a folder that exists and takes new files, so that a typo or
    /// a read-only folder is reported before the work rather than after it.
    /// </summary>
    public static void OutputFile(OptionResult result)
    {
        string path = result.Tokens is [var token] ? token.Value : result.GetValueOrDefault<FileInfo>().FullName;
        if (path.Length == 0) return; // System.CommandLine reports the empty path itself
        string file = Path.GetFullPath(path), folder = Path.GetDirectoryName(file)!;
        string option = result.IdentifierToken?.Value ?? result.Option.Name;
        if (Directory.Exists(file))
            result.AddError($"{option}: '{file}' is a folder; give a file name.");
        else if (!Directory.Exists(folder))
            result.AddError($"{option}: folder '{folder}' does not exist.");
        else
            try
            {
                using var probe = File.Create(Path.Combine(folder, $".mlnet-mnist.{Guid.NewGuid():N}.tmp"), 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.AddError($"{option}: folder '{folder}' is not writable.");
            }
    }

    static T ParseNumber<T>(ArgumentResult result, string text, Func<T, bool> valid, string rule) where T : INumber<T>
    {
        string option = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? result.Argument.Name;
        if (!T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            result.AddError($"{option} expects {(typeof(T) == typeof(float) ? "a number" : "a whole number")}, got '{text}'.");
        else if (!valid(value))
            result.AddError($"{option} must be {rule}, got {text}.");
        return value!;
    }

    /// <summary>MNIST from --data, or from the cache (fetched on first use).</summary>
    public static Task<MnistFiles> FilesAsync(DirectoryInfo? data, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellation) =>
        data is null
            ? MnistFiles.EnsureAsync(new MnistFetchOptions { Progress = progress }, cancellation)
            : Task.FromResult(MnistFiles.FromDirectory(data.FullName));

    /// <summary>
    /// Loads a model zip (its existence is checked by the parser), with a one-line error when it is not ours; an .onnx
    /// file is scored by ONNX Runtime (<see cref="OnnxModel"/>).
    /// </summary>
    public static ITransformer LoadModel(MLContext ml, FileInfo model) =>
        OnnxModel.IsOnnx(model.FullName) ? Load(model, () => OnnxModel.Load(ml, model.FullName)) : LoadModel(ml, model, out _);

    /// <summary>Loads a model zip and the schema it was trained on.</summary>
    public static ITransformer LoadModel(MLContext ml, FileInfo model, out DataViewSchema inputSchema)
    {
        DataViewSchema schema = null!;
        var loaded = Load(model, () => ml.Model.Load(model.FullName, out schema));
        inputSchema = schema;
        return loaded;
    }

    static ITransformer Load(FileInfo model, Func<ITransformer> load)
    {
        try
        {
            return load();
        }
        catch (Exception e)
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
        model.FindMlp() ?? throw new InvalidDataException($"Model file '{file.FullName}' holds no MLP trained by mlnet-mnist.");
}
