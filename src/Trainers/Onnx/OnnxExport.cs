using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace MlNetMnist.Trainers.Onnx;

/// <summary>
/// Exports a trained pipeline with ML.NET's own converter (<c>ml.Model.ConvertToOnnx</c>), after checking that every
/// step can be written: the converter itself stops its walk at the first step that cannot and exports the rest, which
/// either fails with "can not be fully converted" naming nothing, or (when the step's output has the name of its input)
/// silently writes a graph without that step.
/// </summary>
public static class OnnxExport
{
    /// <summary>
    /// The opset written: ConvertToOnnx's default and the highest its converter knows (12). Every node of ours needs 9 at
    /// most (Gemm, Relu, Softmax on axis 1, ArgMax, Cast, Div), which every ONNX Runtime release of the last years loads.
    /// </summary>
    public const int OpSet = 12;

    /// <summary>
    /// Writes <paramref name="model"/> as ONNX. The graph's inputs are the columns of <paramref name="inputSchema"/> that
    /// its outputs depend on (so the label a model was trained with is not an input); its outputs are
    /// <paramref name="outputs"/>, by default every column the model adds (for MNIST: Features, PredictedLabel, Score,
    /// PredictedDigit). Steps that make none of the outputs, nor anything they need, are left out of the graph: a
    /// pipeline that maps its raw label for training (MapValueToKey, CopyColumns) exports its predictions alone.
    /// </summary>
    /// <exception cref="InvalidOperationException">A step of the pipeline cannot be written as ONNX: the message names it.</exception>
    /// <exception cref="ArgumentException">An output named is not a column the model adds.</exception>
    public static void Export(MLContext ml, ITransformer model, DataViewSchema inputSchema, Stream output, IReadOnlyCollection<string>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentNullException.ThrowIfNull(output);
        if (outputs is not null) model = StepsFor(model, inputSchema, outputs);
        var input = new EmptyDataView(ml, InputsUsed(model, inputSchema));
        CheckEveryStepExports(ml, model, input);
        var added = Added(input.Schema, model.GetOutputSchema(input.Schema)).Select(c => c.Name).Where(c => outputs?.Contains(c) ?? true).ToArray();
        try
        {
            ml.Model.ConvertToOnnx(model, input, output, added);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("can not be fully converted"))
        {
            throw new InvalidOperationException(
                $"ML.NET's ONNX converter could not write one of the columns {string.Join(", ", added)}: a step declined " +
                $"its column (for instance MapKeyToValue to a type ONNX's LabelEncoder lacks). {e.Message}", e);
        }
    }

    /// <summary>
    /// The steps of <paramref name="model"/> that <paramref name="outputs"/> need, in order: walking back from the last,
    /// a step is kept when it adds a column needed, and then what it reads is needed too (a predictor reads its
    /// features alone, though ML.NET's regression and binary scorers declare the label as well).
    /// </summary>
    static ITransformer StepsFor(ITransformer model, DataViewSchema inputSchema, IReadOnlyCollection<string> outputs)
    {
        var steps = Steps(model).ToArray();
        var schemas = new DataViewSchema[steps.Length + 1];
        schemas[0] = inputSchema;
        for (int i = 0; i < steps.Length; i++) schemas[i + 1] = steps[i].GetOutputSchema(schemas[i]);
        var adds = Added(inputSchema, schemas[^1]).Select(c => c.Name).ToHashSet();
        var missing = outputs.Where(name => !adds.Contains(name)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The model adds no column {string.Join(", ", missing.Select(m => $"'{m}'"))} to export.", nameof(outputs));
        var needed = new HashSet<string>(outputs);
        var kept = new List<ITransformer>();
        for (int i = steps.Length - 1; i >= 0; i--)
        {
            var made = Added(schemas[i], schemas[i + 1]).Where(c => needed.Contains(c.Name)).ToArray();
            if (made.Length == 0) continue;
            kept.Insert(0, steps[i]);
            if (steps[i] is ISingleFeaturePredictionTransformer<object> predictor)
            {
                needed.Add(predictor.FeatureColumnName);
                continue;
            }
            var mapper = steps[i].GetRowToRowMapper(schemas[i]);
            foreach (var column in mapper.GetDependencies(made.Select(c => mapper.OutputSchema[c.Name]))) needed.Add(column.Name);
        }
        return new TransformerChain<ITransformer>([.. kept]);
    }

    /// <summary>Reads the schema a model zip was saved with, then exports it.</summary>
    public static void Export(MLContext ml, string modelZip, Stream output)
    {
        var model = ml.Model.Load(modelZip, out var inputSchema);
        Export(ml, model, inputSchema, output);
    }

    /// <summary>
    /// The input columns that the columns the model adds depend on, so that the label and passengers are not inputs of
    /// the graph; all of them when the model will not bind without the rest (a MapValueToKey of the label inside it).
    /// A declared dependency the model binds and adds the same columns without is left out too: ML.NET's regression
    /// and binary scorers declare the label one, though scoring never reads it.
    /// </summary>
    static DataViewSchema InputsUsed(ITransformer model, DataViewSchema inputSchema)
    {
        var mapper = model.GetRowToRowMapper(inputSchema);
        var addedColumns = Added(inputSchema, mapper.OutputSchema).ToArray();
        var added = addedColumns.Select(c => c.Name).ToArray();
        var used = mapper.GetDependencies(addedColumns).Where(c => !c.IsHidden).ToList();
        if (!Binds(model, used, added)) return inputSchema;
        foreach (var column in used.ToArray())
        {
            var without = used.Where(c => c.Index != column.Index).ToList();
            if (Binds(model, without, added)) used = without;
        }
        return Schema(used);
    }

    static DataViewSchema Schema(IEnumerable<DataViewSchema.Column> columns)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(columns);
        return builder.ToSchema();
    }

    /// <summary>Whether the model takes just <paramref name="columns"/> and still adds every column in <paramref name="added"/>.</summary>
    static bool Binds(ITransformer model, IReadOnlyList<DataViewSchema.Column> columns, string[] added)
    {
        var schema = Schema(columns);
        try
        {
            var output = model.GetOutputSchema(schema);
            return added.All(name => output.GetColumnOrNull(name) is not null);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException) // "Could not find input column"
        {
            return false;
        }
    }

    /// <summary>The opsets an ONNX file imports (domain "" is the main one) and the operator of each node, in order.</summary>
    public static (IReadOnlyList<(string Domain, long Version)> OpSets, IReadOnlyList<string> Operators) ReadGraph(string path)
    {
        using var stream = File.OpenRead(path);
        var proto = OnnxCSharpToProtoWrapper.ModelProto.Parser.ParseFrom(stream);
        return (proto.OpsetImport.Select(o => (o.Domain, o.Version)).ToArray(), proto.Graph.Node.Select(n => n.OpType).ToArray());
    }

    /// <summary>Applies the steps one at a time and asks each data view it adds whether it can write itself as ONNX.</summary>
    static void CheckEveryStepExports(MLContext ml, ITransformer model, IDataView input)
    {
        var ctx = new OnnxContextImpl(ml, "check", "ML.NET", "0", 0, "machinelearning.dotnet", OnnxVersion.Stable, OpSet);
        IDataView view = input;
        foreach (var step in Steps(model))
        {
            var next = step.Transform(view);
            for (var v = next; v != view && v is IDataTransform transform; v = transform.Source)
                if (transform is not ITransformCanSaveOnnx onnx || !onnx.CanSaveOnnx(ctx))
                {
                    var made = Added(view.Schema, next.Schema).Select(c => $"'{c.Name}'");
                    throw new InvalidOperationException(
                        $"The pipeline cannot be exported to ONNX: its step {Name(step)} (making {string.Join(", ", made)}) " +
                        "has no ONNX export. Export the steps before and after it, or replace it with one that exports.");
                }
            view = next;
        }
    }

    /// <summary>
    /// The visible columns of <paramref name="after"/> that are not <paramref name="before"/>'s passed through: new
    /// names, new types, and names written again (a step that writes a column it read, as a normalizer of Features
    /// does, leaves the old one hidden, so the name appears once more than before; positions say nothing, since
    /// ML.NET puts such a column beside the one it hides).
    /// </summary>
    static IEnumerable<DataViewSchema.Column> Added(DataViewSchema before, DataViewSchema after) =>
        after.Where(c => !c.IsHidden && (before.GetColumnOrNull(c.Name) is not { } old || !old.Type.Equals(c.Type)
            || after.Count(a => a.Name == c.Name) > before.Count(b => b.Name == c.Name)));

    static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];

    static string Name(ITransformer step)
    {
        var type = step.GetType();
        if (!type.IsGenericType) return type.Name;
        return $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(a => a.Name))}>";
    }
}
