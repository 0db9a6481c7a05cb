namespace MlNetMnist.DataViews;

/// <summary>Rows by index, as the lesson's Dataset: what a sampler's indices point into.</summary>
public interface IDataset
{
    /// <summary>Number of rows.</summary>
    int Count { get; }

    /// <summary>Values per row.</summary>
    int FeatureCount { get; }

    /// <summary>Copies row <paramref name="index"/>'s features into <paramref name="features"/> and returns its class index.</summary>
    int CopyRow(int index, Span<float> features);

    /// <summary>Each row's regression target and example weight, when the rows have them; null by default.</summary>
    RowValues? Values => null;
}
