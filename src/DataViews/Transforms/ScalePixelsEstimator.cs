using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MlNetMnist.DataViews;

/// <summary>The estimator of <see cref="ScalePixelsTransformer"/>: nothing to learn, so Fit only checks the schema.</summary>
public sealed class ScalePixelsEstimator : TrivialEstimator<ScalePixelsTransformer>
{
    internal ScalePixelsEstimator(IHostEnvironment env, string outputColumnName, string inputColumnName)
        : base(Contracts.CheckRef(env, nameof(env)).Register(nameof(ScalePixelsEstimator)),
               new ScalePixelsTransformer(env, outputColumnName, inputColumnName))
    {
    }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Host.CheckValue(inputSchema, nameof(inputSchema));
        string input = Transformer.InputColumnName;
        if (!inputSchema.TryFindColumn(input, out var column))
            throw Host.ExceptSchemaMismatch(nameof(inputSchema), "input", input);
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.ItemType != NumberDataViewType.Byte)
            throw Host.ExceptSchemaMismatch(nameof(inputSchema), "input", input, "known-size vector of Byte", column.GetTypeString());
        var columns = inputSchema.ToDictionary(c => c.Name);
        var slotNames = column.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.SlotNames);
        columns[Transformer.OutputColumnName] = new SchemaShape.Column(Transformer.OutputColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false, new SchemaShape(slotNames));
        return new SchemaShape(columns.Values);
    }
}

/// <summary><c>ml.Transforms.ScalePixels("Features", "Pixels")</c>.</summary>
public static class ScalePixelsCatalog
{
    /// <summary>Pixels as bytes to floats in [0, 1] (each / 255).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The float vector column to add.</param>
    /// <param name="inputColumnName">A known-size byte vector column.</param>
    public static ScalePixelsEstimator ScalePixels(this TransformsCatalog catalog, string outputColumnName = "Features", string inputColumnName = "Pixels")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ScalePixelsEstimator(catalog.GetEnvironment(), outputColumnName, inputColumnName);
    }
}
