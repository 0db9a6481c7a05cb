using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Tabular;

/// <summary>
/// A model trained on a CSV: ML.NET's TextLoader for the file's columns, the fitted pipeline (normalised numbers,
/// one-hot text, the label as the task needs it, the Mlp trainer, class names back for multiclass) and the
/// <see cref="TabularSchema"/>. The zip is ML.NET's, saved with its loader: <c>ml.Model.Load(path, out schema)</c> loads
/// it in any app and <c>ml.Model.LoadWithDataLoader(path, out loader)</c> reads raw CSVs again.
/// </summary>
internal sealed record TabularModel(TabularSchema Schema, IDataLoader<IMultiStreamSource> Loader, ITransformer Pipeline)
{
    /// <summary>The multiclass model's prediction as the class name (its PredictedLabel is the key).</summary>
    public const string PredictedClass = "PredictedClass";

    /// <summary>The columns a CSV model's predictions are in, those of its task: Score, Probability, PredictedLabel, PredictedClass.</summary>
    public static readonly string[] PredictionColumns = ["Score", "Probability", "PredictedLabel", PredictedClass];

    /// <summary>TextLoader columns for the schema: numbers as Single, text as text; a classification label is read as text.</summary>
    public static TextLoader CreateLoader(MLContext ml, TabularSchema schema) => ml.Data.CreateTextLoader(new TextLoader.Options
    {
        Separators = [','], HasHeader = true, AllowQuoting = true, TrimWhitespace = true,
        Columns = schema.Columns.Select((c, i) => new TextLoader.Column(c.Name,
            c.Kind == ColumnKind.Number && !(c.Name == schema.Label && schema.Task != MlpTask.Regression) ? DataKind.Single : DataKind.String, i)).ToArray(),
    });

    /// <summary>
    /// The steps before the trainer: number columns concatenated and standardised (NormalizeMeanVariance), text
    /// columns one-hot (OneHotEncoding), all concatenated into Features; the label into Label (Single for regression,
    /// Boolean for binary, a key of the class names for multiclass).
    /// </summary>
    public static IEstimator<ITransformer> Featurize(MLContext ml, TabularSchema schema)
    {
        var numbers = schema.Features.Where(c => c.Kind == ColumnKind.Number).Select(c => c.Name).ToArray();
        var texts = schema.Features.Where(c => c.Kind == ColumnKind.Text).Select(c => c.Name).ToArray();
        IEstimator<ITransformer> steps = new EstimatorChain<ITransformer>();
        if (numbers.Length > 0)
            steps = steps.Append(ml.Transforms.Concatenate("NumericFeatures", numbers)).Append(ml.Transforms.NormalizeMeanVariance("NumericFeatures"));
        foreach (string text in texts)
            steps = steps.Append(ml.Transforms.Categorical.OneHotEncoding(text, text));
        steps = steps.Append(ml.Transforms.Concatenate("Features", [.. numbers.Length > 0 ? ["NumericFeatures"] : Array.Empty<string>(), .. texts]));
        return schema.Task switch
        {
            MlpTask.Regression => schema.Label == "Label" ? steps : steps.Append(ml.Transforms.CopyColumns("Label", schema.Label)),
            MlpTask.BinaryClassification => steps.Append(ml.Transforms.Conversion.MapValue("Label",
                new Dictionary<string, bool> { [schema.Negative!] = false, [schema.Positive!] = true }, schema.Label)),
            _ => steps.Append(ml.Transforms.Conversion.MapValueToKey("Label", schema.Label, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)),
        };
    }

    /// <summary>The task's Mlp trainer on Features and Label.</summary>
    public static IEstimator<ITransformer> Trainer(MLContext ml, MlpTask task, MlpOptions options) => task switch
    {
        MlpTask.Regression => ml.Regression.Trainers.Mlp(options),
        MlpTask.BinaryClassification => ml.BinaryClassification.Trainers.Mlp(options),
        _ => ml.MulticlassClassification.Trainers.Mlp(options),
    };

    /// <summary>Continues training this model's MLP on <paramref name="features"/> with <paramref name="trainer"/> (the task's Mlp trainer).</summary>
    public ITransformer ContinueWith(IEstimator<ITransformer> trainer, IDataView features) => (trainer, Predictor.Model) switch
    {
        (MlpRegressionTrainer regression, MlpScoreModelParameters model) => regression.Fit(features, model),
        (MlpBinaryTrainer binary, CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> model) => binary.Fit(features, model),
        (MlpTrainer multiclass, MlpModelParameters model) => multiclass.Fit(features, model),
        var (_, model) => throw new InvalidDataException($"The {TabularSchema.TaskName(Schema.Task)} trainer cannot continue a {model.GetType().Name}."),
    };

    /// <summary>The fitted steps before the trainer (features and label), as fitted on the training rows.</summary>
    public ITransformer Featurizer => new TransformerChain<ITransformer>(Steps(Pipeline).TakeWhile(s => s is not IPredictionTransformer<object>).ToArray());

    IPredictionTransformer<object> Predictor => Steps(Pipeline).OfType<IPredictionTransformer<object>>().Last();

    /// <summary>Writes the zip (atomically): ML.NET's model with its loader, and the schema entry.</summary>
    public void Save(MLContext ml, string path) => Atomic.Write(path, temp =>
    {
        using var file = File.Create(temp);
        WriteTo(ml, file);
    });

    /// <summary>The zip's bytes into a readable, writable, seekable stream (a file: <see cref="Save"/>; or a checkpoint's).</summary>
    public void WriteTo(MLContext ml, Stream stream)
    {
        ml.Model.Save(Pipeline, Loader, stream);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
        using var entry = new StreamWriter(zip.CreateEntry(TabularSchema.ZipEntry).Open());
        entry.Write(Schema.ToJson());
    }

    /// <summary>True when the zip holds a model `train --csv` wrote (else it is an MNIST model or not ours).</summary>
    public static bool IsTabular(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.GetEntry(TabularSchema.ZipEntry) is not null;
        }
        catch (InvalidDataException)
        {
            return false; // not a zip: the ordinary loader says what is wrong with it
        }
    }

    /// <exception cref="InvalidDataException">The zip is not a model `train --csv` wrote, or cannot be loaded.</exception>
    public static TabularModel Load(MLContext ml, string path)
    {
        try
        {
            TabularSchema schema;
            using (var zip = ZipFile.OpenRead(path))
            {
                var entry = zip.GetEntry(TabularSchema.ZipEntry)
                    ?? throw new InvalidDataException($"Model file '{path}' was not trained on a CSV (train --csv): it has no {TabularSchema.ZipEntry}.");
                using var reader = new StreamReader(entry.Open());
                schema = TabularSchema.FromJson(reader.ReadToEnd());
            }
            var pipeline = ml.Model.LoadWithDataLoader(path, out IDataLoader<IMultiStreamSource> loader);
            return new TabularModel(schema, loader, pipeline);
        }
        catch (Exception e) when (e is not InvalidDataException || !e.Message.StartsWith("Model file", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Model file '{path}' could not be loaded: {Innermost(e).Message.Split('\n')[0].Trim()}", e);
        }
    }

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    /// <summary>The trained MLP (whatever the task) in the pipeline.</summary>
    public IMlpModel Mlp => Predictor.Model switch
    {
        IMlpModel mlp => mlp,
        CalibratedModelParametersBase { SubModel: IMlpModel mlp } => mlp,
        var other => throw new InvalidDataException($"The model's predictor is a {other.GetType().Name}, not an MLP trained by mlnet-mnist."),
    };

    static IEnumerable<ITransformer> Steps(ITransformer model) => model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];
}
